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
``lru``                   the Linear Recurrent Unit (9, 11)
``recall``                delayed recall: tanh RNN, GRU and LRU side by side (9)
``data``                  LRA data (ListOps, Pathfinder) and synthetic tasks (10-11)
``train``                 training loop and CLI (11)
``transformer``           the Transformer baseline classifier (11)
``inference``             LRU vs Transformer inference cost (11)
``runstate``              checkpoints, RNG state, stop signals of a run (11)
``s4_kernel``             S4's DPLR kernel: Cauchy kernels and Woodbury (10)
``s4d``                   S4D: diagonal SSM kernels, FFT and recurrence (10)
``selective_scan``        Mamba's selective scan and a selective SSM layer (10)
``widgets``               slider figures, live and static (all)
``explorers``             the chapters' slider figures (all)
``diagrams``              the book's diagrams, drawn with matplotlib (all)
========================  ==================================================

Every name is imported on first use (PEP 562), so ``import ssmlib`` is fast and
imports neither torch, nor triton, nor sympy. Chapters 1-7 need only the base
install (``pip install ssmlib``); ``scan``, ``lru``, ``train`` and the names they
hold need PyTorch (``pip install "ssmlib[torch]"``) and, without it, raise an
``ImportError`` that says so.

Two modules share their name with their main function and can be called:
``sl.discretize(system, dt)`` calls :func:`ssmlib.discretize.discretize` and
``sl.scan(lam, b)`` calls :func:`ssmlib.scan.scan`, while ``import ssmlib.scan as S``
gives the module (``S.scan_chunked``, ``S.SCAN_BACKENDS``). Inside
``torch.compile(..., fullgraph=True)`` call the function, ``sl.scan.scan(lam, b)``
(or ``from ssmlib.scan import scan``): TorchDynamo cannot trace a call of a module.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__version__ = "0.1.0"

# Public name -> submodule that defines it. Nothing is imported until a name is used.
_EXPORTS: dict[str, tuple[str, ...]] = {
    # --- foundation (chapters 1-3) -----------------------------------------
    "plotting": ("use_book_style",),
    "widgets": ("Choice", "Explorer", "Param"),
    "statespace": ("DiscreteStateSpace", "StateSpace"),
    "mechanics": ("SpringMassDamper", "damping_to_eigenvalue", "eigenvalue_to_damping"),
    "stability": (
        "euler_stable_step",
        "is_stable_continuous",
        "is_stable_discrete",
        "map_eigenvalues",
        "spectral_radius",
    ),
    # ``discretize`` itself is the submodule (a callable module), like ``scan`` below.
    "discretize": ("bilinear", "euler", "zoh", "zoh_diagonal"),
    # --- recurrences and RNNs (chapters 4-5) --------------------------------
    "recurrence": (
        "attention_step",
        "causal_convolution",
        "convolution_kernel",
        "linear_recurrence",
        "recurrence_step",
        "unroll_closed_form",
    ),
    "propagation": (
        "DEFAULT_EMBEDDING",
        "REGIMES",
        "AaAbResult",
        "aa_vs_ab",
        "propagation_regime",
        "pulse_response",
        "pulse_sequence",
    ),
    "rnn": (
        "BifurcationDiagram",
        "basin_of_attraction",
        "bifurcation_diagram",
        "fixed_point_multiplier",
        "fixed_point_sensitivity",
        "fixed_points",
        "fold_points",
        "gradient_wrt_b",
        "gradient_wrt_x0",
        "hopf_equilibrium_radii",
        "hopf_normal_form",
        "hopf_radial_rhs",
        "hopf_rhs",
        "is_stable_fixed_point",
        "linear_rnn_autograd",  # calls torch (ImportError naming ssmlib[torch] without it)
        "linear_rnn_jacobian",
        "linear_rnn_loss_and_grads",
        "linear_rnn_torch",  # calls torch
        "one_neuron_iterate",
        "one_neuron_step",
    ),
    # --- Koopman and diagonalization (chapters 6-7) -------------------------
    "koopman": (
        "DMDResult",
        "Dictionary",
        "EDMDResult",
        "SlowManifoldSystem",
        "dmd",
        "edmd",
        "monomial_dictionary",
        "polynomial_dictionary",
        "slow_manifold_system",
    ),
    "diagonalization": (
        "Diagonalization",
        "DiagonalizationError",
        "PTDResult",
        "backward_error",
        "compare_diagonalizations",
        "diagonalize",
        "eigenvector_condition_number",
        "hippo_legs",
        "perturb_then_diagonalize",
        "to_diagonal_ssm",
    ),
    "parameterization": ("lambda_from_params", "params_from_lambda", "sample_ring"),
    # --- parallel scans (chapter 8; torch) ----------------------------------
    # ``scan`` itself is the subpackage (a callable module), not listed here.
    "scan": ("SCAN_BACKENDS", "triton_available"),
    # --- LRU and LRA (chapters 9, 11; torch) ---------------------------------
    "lru": ("LRU", "LRUBlock", "LRUClassifier", "lru_param_groups"),
    "recall": (
        "RECALL_MODELS",
        "RecallLRU",
        "RecallResult",
        "RecallRNN",
        "make_recall_model",
        "recall_batch",
        "recall_gradient_norm",
        "train_recall",
    ),
    # --- the LRU's family: S4, S4D, Mamba (torch) ---------------------------
    "s4_kernel": (
        "cauchy_kernel",
        "dplr_generating_function",
        "dplr_kernel",
        "dplr_kernel_powers",
        "dplr_truncated_C",
        "hippo_legs_nplr",
    ),
    "s4d": (
        "S4D",
        "S4DKernel",
        "S4D_INITS",
        "fft_causal_conv",
        "s4d_discretize",
        "s4d_init",
        "s4d_kernel",
        "s4d_vandermonde",
    ),
    # ``selective_scan`` itself is the (callable) module, like ``scan``.
    "selective_scan": ("MambaBlock", "SelectiveSSM"),
}

#: Submodules reachable as attributes (``sl.plotting.COLORS``, ``sl.data.load_listops``).
_SUBMODULES = frozenset(
    {*_EXPORTS, "data", "diagrams", "explorers", "train"}
)
#: Submodules that need PyTorch at import time.
TORCH_MODULES = frozenset({"scan", "lru", "train", "transformer", "inference", "runstate",
                           "s4_kernel", "s4d", "selective_scan", "recall"})

_NAME_TO_MODULE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted({*_NAME_TO_MODULE, *_SUBMODULES})


def _import(module: str, for_name: str):
    try:
        return importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        from ._lazy import torch_missing_error

        raise torch_missing_error(f"ssmlib.{for_name}") from exc


def __getattr__(name: str) -> Any:
    """Import a public name (or submodule) on first use (PEP 562)."""
    if name in _SUBMODULES:
        value = _import(name, name)
    elif name in _NAME_TO_MODULE:
        value = getattr(_import(_NAME_TO_MODULE[name], name), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = _import(name, name)  # any other submodule, e.g. ``sl.s4d``
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
