"""ssmlib: the library behind *ssmbook*, an executable textbook on structured
state space sequence models.

Import it as ``import ssmlib as sl``. Each module holds one idea of the book:

========================  ==================================================
module                    idea (chapter)
========================  ==================================================
``statespace``            continuous-time LTI systems (1-2)
``mechanics``             the spring-mass-damper system (1)
``stability``             eigenvalues, stability, spectral radius (2-3)
``discretize``            zero-order hold, bilinear, forward Euler (3)
``recurrence``            diagonal linear recurrences, kernels (4)
``propagation``           information propagation, the aa/ab test (4)
``rnn``                   gradients and bifurcations of RNNs (5)
``koopman``               DMD and EDMD (6)
``diagonalization``       diagonal forms, HiPPO, PTD (7)
``parameterization``      exponential parameterization, ring init (7, 9)
``scan``                  parallel scans in torch and Triton (8)
``lru``                   the Linear Recurrent Unit (9-10)
``data``                  Long Range Arena data: ListOps, Pathfinder (10)
``train``                 training loop and CLI (10)
``widgets``               slider figures, live and static (all)
========================  ==================================================
"""

from __future__ import annotations

__version__ = "0.1.0"

# --- foundation (chapters 1-3) ----------------------------------------------
from . import explorers, plotting, widgets
from .plotting import use_book_style
from .widgets import Explorer, Param
from .statespace import DiscreteStateSpace, StateSpace
from .mechanics import SpringMassDamper
from .stability import (
    euler_stable_step,
    is_stable_continuous,
    is_stable_discrete,
    map_eigenvalues,
    spectral_radius,
)
from .discretize import bilinear, discretize, euler, zoh, zoh_diagonal

# --- recurrences and RNNs (chapters 4-5) ------------------------------------
from .recurrence import (
    attention_step,
    causal_convolution,
    convolution_kernel,
    linear_recurrence,
    recurrence_step,
    unroll_closed_form,
)
from .propagation import (
    DEFAULT_EMBEDDING,
    REGIMES,
    AaAbResult,
    aa_vs_ab,
    propagation_regime,
    pulse_response,
    pulse_sequence,
)
from .rnn import (
    BifurcationDiagram,
    basin_of_attraction,
    bifurcation_diagram,
    fixed_point_multiplier,
    fixed_point_sensitivity,
    fixed_points,
    fold_points,
    gradient_wrt_b,
    gradient_wrt_x0,
    hopf_equilibrium_radii,
    hopf_normal_form,
    hopf_radial_rhs,
    hopf_rhs,
    is_stable_fixed_point,
    linear_rnn_autograd,
    linear_rnn_jacobian,
    linear_rnn_loss_and_grads,
    linear_rnn_torch,
    one_neuron_iterate,
    one_neuron_step,
)

# --- Koopman and diagonalization (chapters 6-7) -----------------------------
from .koopman import (
    DMDResult,
    Dictionary,
    EDMDResult,
    SlowManifoldSystem,
    dmd,
    edmd,
    monomial_dictionary,
    polynomial_dictionary,
    slow_manifold_system,
)
from .diagonalization import (
    Diagonalization,
    DiagonalizationError,
    PTDResult,
    backward_error,
    compare_diagonalizations,
    diagonalize,
    eigenvector_condition_number,
    hippo_legs,
    perturb_then_diagonalize,
    to_diagonal_ssm,
)
from .parameterization import lambda_from_params, params_from_lambda, sample_ring

# --- parallel scans (chapter 8) ----------------------------------------------
# note: the function ``scan`` shadows the subpackage attribute ``ssmlib.scan``;
# import helpers with ``from ssmlib.scan.chunked import ...`` or ``from ssmlib.scan import ...``.
from .scan import SCAN_BACKENDS, scan, triton_available

# --- LRU and LRA (chapters 9-10) ---------------------------------------------
from . import data
from .lru import LRU, LRUBlock, LRUClassifier, lru_param_groups
# The training loop and CLI (``python -m ssmlib.train``) is not imported here: use
# ``import ssmlib.train`` (or ``from ssmlib.train import train``) when needed.
