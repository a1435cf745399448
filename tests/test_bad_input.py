"""Bad input to the public functions of ssmlib: a clear error naming the argument, or a finite result.

For every function below, one *good* call is listed. The walker replaces one argument at
a time by a bad value (NaN, inf, a string, None, a wrong shape, a negative, zero or huge
size, an empty array) and requires either

* a ``ValueError`` or ``TypeError`` whose message names the replaced argument, or
* a result whose arrays are all finite (the bad value happened to be acceptable),

never another exception, a NaN/inf result, or a hang (sizes are capped so each call is fast).
The same walk runs over the torch side (scans, the LRU, data, training helpers: tensors are
also replaced by NaN/inf tensors, numpy arrays and wrong shapes), followed by hand-written
cases and every field of ``TrainConfig``. Property-based tests (hypothesis; skipped when it is
not installed) at the end check the error contract on random values.
"""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from typing import Any, Callable

import numpy as np
import pytest

import ssmlib.diagonalization as dg
import ssmlib.diagrams as dgm
import ssmlib.data.lengthgen as lengthgen
import ssmlib.data.selective_copying as selcopy
import ssmlib.koopman as kp
import ssmlib.mechanics as mech
import ssmlib.parameterization as par
import ssmlib.propagation as prop
import ssmlib.recurrence as rec
import ssmlib.schedules as sched
import ssmlib.rnn as rnn
import ssmlib.stability as stab
import ssmlib.statespace as ss

NAN, INF = float("nan"), float("inf")
HUGE = 10**12


def _bad_values(good: Any) -> list[tuple[str, Any]]:
    """Bad replacements for an argument whose good value is ``good``."""
    out: list[tuple[str, Any]] = [("str", "abc"), ("none", None), ("object", object())]
    if isinstance(good, bool):
        return out
    if isinstance(good, (int, np.integer)):
        return out + [("negative", -3), ("float", 2.5), ("huge", HUGE)]
    if isinstance(good, (float, complex)):
        return out + [("nan", NAN), ("inf", INF), ("-inf", -INF)]
    try:
        arr = np.asarray(good)
    except ValueError:  # ragged (e.g. a list of (tensor, label) pairs)
        return out + [("empty", [])]
    if arr.dtype.kind in "fciu":
        out += [("nan", np.full_like(arr, NAN, dtype=float if arr.dtype.kind != "c" else complex)),
                ("inf", np.full_like(arr, INF, dtype=float if arr.dtype.kind != "c" else complex)),
                ("empty", np.zeros((0,) + arr.shape[1:])), ("3d", np.zeros((2, 2, 2)))]
        if arr.ndim >= 1:
            out.append(("scalar-ish", np.zeros(arr.shape[:-1] + (arr.shape[-1] + 1,))))
    return out


def _closing(draw: Callable) -> Callable:
    """``draw`` (a diagram function), closing the figure it returns."""
    def call(**kwargs):
        import matplotlib.pyplot as plt

        fig = draw(**kwargs)
        plt.close(fig)
        return fig
    return call


def _scan_steps(**kwargs):
    from ssmlib.explorers.scan import scan_steps

    return scan_steps(**kwargs)


# name -> (callable, good positional args as a dict of keyword -> value)
# Every argument is passed by keyword so the error must name it.
SS = ss.StateSpace([[-1.0, 0.5], [0.0, -2.0]], [[1.0], [0.0]], [[1.0, 0.0]])
DSS = ss.DiscreteStateSpace([[0.5, 0.1], [0.0, 0.2]], [[1.0], [0.0]], [[1.0, 0.0]], dt=0.1)
SMD = mech.SpringMassDamper(1.0, 0.5, 2.0)
LAM = np.array([0.5 + 0.2j, -0.3 + 0.0j])
U2 = np.ones((4, 2))
X2 = np.random.default_rng(0).standard_normal((2, 6))

CASES: dict[str, tuple[Callable, dict[str, Any]]] = {
    # statespace (chapter 2)
    "StateSpace": (ss.StateSpace, dict(A=[[-1.0]], B=[[1.0]], C=[[1.0]])),
    "StateSpace.simulate": (SS.simulate, dict(t=np.linspace(0, 1, 5), u=np.ones(5), x0=np.zeros(2))),
    "DiscreteStateSpace": (ss.DiscreteStateSpace, dict(A=[[0.5]], B=[[1.0]], C=[[1.0]], dt=0.1)),
    "DiscreteStateSpace.simulate": (DSS.simulate, dict(u=np.ones(5), x0=np.zeros(2))),
    # mechanics
    "SpringMassDamper": (mech.SpringMassDamper, dict(m=1.0, c=0.5, k=2.0)),
    "SpringMassDamper.energy": (SMD.energy, dict(state=np.array([1.0, 0.0]))),
    "SpringMassDamper.simulate": (SMD.simulate, dict(t=np.linspace(0, 1, 5), x0=np.array([1.0, 0.0]))),
    "SpringMassDamper.lru_channel": (SMD.lru_channel, dict(dt=0.1)),
    "SpringMassDamper.from_eigenvalue": (
        mech.SpringMassDamper.from_eigenvalue, dict(lam=0.9 + 0.1j, dt=0.1, m=1.0)),
    "damping_to_eigenvalue": (
        mech.damping_to_eigenvalue,
        dict(zeta=np.array([0.1, 0.5]), omega_n=np.array([1.0, 2.0]), dt=0.1)),
    "eigenvalue_to_damping": (
        mech.eigenvalue_to_damping, dict(lam=np.array([0.9 + 0.1j, 0.5]), dt=0.1)),
    # stability
    "is_stable_continuous": (stab.is_stable_continuous, dict(eigs=LAM, tol=0.0)),
    "is_stable_discrete": (stab.is_stable_discrete, dict(eigs=LAM, tol=0.0)),
    "spectral_radius": (stab.spectral_radius, dict(A=np.eye(2))),
    "map_eigenvalues": (stab.map_eigenvalues, dict(eigs=LAM - 1, dt=0.1, method="zoh")),
    "euler_stable_step": (stab.euler_stable_step, dict(eigs=np.array([-1.0 + 1j]))),
    # recurrence (chapter 4)
    "linear_recurrence": (rec.linear_recurrence, dict(lam=LAM, u=U2, x0=np.zeros(2))),
    "unroll_closed_form": (rec.unroll_closed_form, dict(lam=LAM, u=U2, x0=np.zeros(2))),
    "convolution_kernel": (rec.convolution_kernel, dict(lam=LAM, B=np.ones((2, 1)), C=np.ones((1, 2)), L=5)),
    "causal_convolution": (rec.causal_convolution, dict(K=np.ones((3, 1, 1)), u=np.ones((5, 1)))),
    "recurrence_step": (rec.recurrence_step, dict(lam=LAM, x=np.zeros(2), bu=np.ones(2))),
    "attention_step": (rec.attention_step, dict(q=np.ones(2), keys=np.ones((3, 2)), values=np.ones((3, 2)))),
    # propagation (chapter 4)
    "aa_vs_ab": (prop.aa_vs_ab, dict(nu=0.1, theta=1.0, spacing=5.0)),
    "pulse_response": (prop.pulse_response, dict(nu=0.1, theta=1.0, t=np.linspace(0, 5, 11), onset=1.0)),
    "pulse_sequence": (prop.pulse_sequence, dict(tokens="ab", spacing=5.0, dt=0.1, width=1.0)),
    "propagation_regime": (prop.propagation_regime, dict(nu=0.1, spacing=10.0, survival=0.1)),
    # rnn (chapter 5)
    "linear_rnn_jacobian": (rnn.linear_rnn_jacobian, dict(lam=0.9, L=5)),
    "linear_rnn_loss_and_grads": (rnn.linear_rnn_loss_and_grads, dict(lam=0.9, u=np.ones(5), x0=1.0)),
    "one_neuron_step": (rnn.one_neuron_step, dict(x=0.1, w=2.0, b=0.1)),
    "one_neuron_iterate": (rnn.one_neuron_iterate, dict(w=2.0, b=0.1, x0=0.1, T=5)),
    "fixed_points": (rnn.fixed_points, dict(w=2.0, b=0.1, tol=1e-12)),
    "fold_points": (rnn.fold_points, dict(w=2.0)),
    "bifurcation_diagram": (rnn.bifurcation_diagram, dict(w=2.0, b_values=np.linspace(-1, 1, 5))),
    "gradient_wrt_b": (rnn.gradient_wrt_b, dict(w=2.0, b=0.1, x0=0.1, T=5)),
    "basin_of_attraction": (rnn.basin_of_attraction, dict(w=2.0, b=0.1, x0_values=np.linspace(-1, 1, 5))),
    "hopf_rhs": (rnn.hopf_rhs, dict(z=0.5 + 0j, mu=0.1, a=1.0)),
    "hopf_equilibrium_radii": (rnn.hopf_equilibrium_radii, dict(mu=-0.1, a=1.0)),
    "hopf_normal_form": (rnn.hopf_normal_form, dict(mu=-0.1, a=1.0, z0=0.5 + 0j, t=np.linspace(0, 1, 5))),
    # koopman (chapter 6)
    "dmd": (kp.dmd, dict(X=X2[:, :-1], Y=X2[:, 1:], rank=2)),
    "DMDResult.predict": (kp.dmd(X2[:, :-1], X2[:, 1:]).predict, dict(x0=np.ones(2), steps=3)),
    "edmd": (kp.edmd, dict(X=X2[:, :-1].T, Y=X2[:, 1:].T, dictionary=kp.polynomial_dictionary(2))),
    "polynomial_dictionary": (kp.polynomial_dictionary, dict(degree=2, state_dim=2)),
    "monomial_dictionary": (kp.monomial_dictionary, dict(exponents=[[1, 0], [0, 1]])),
    "slow_manifold_system": (kp.slow_manifold_system, dict(mu=-0.1, lam=-1.0)),
    # diagonalization (chapter 7)
    "diagonalize": (dg.diagonalize, dict(A=np.diag([1.0, 2.0]), tol=1e-8)),
    "eigenvector_condition_number": (dg.eigenvector_condition_number, dict(A=np.diag([1.0, 2.0]))),
    "hippo_legs": (dg.hippo_legs, dict(N=4)),
    "compare_diagonalizations": (dg.compare_diagonalizations, dict(Ns=[2, 3], eps=1e-6, rng=0)),
    "perturb_then_diagonalize": (dg.perturb_then_diagonalize, dict(A=np.eye(2), eps=1e-6, rng=0)),
    "to_diagonal_ssm": (dg.to_diagonal_ssm, dict(A=np.diag([-1.0, -2.0]), B=np.ones((2, 1)), C=np.ones((1, 2)))),
    # parameterization (chapter 7)
    "lambda_from_params": (par.lambda_from_params, dict(nu_log=np.zeros(2), theta=np.ones(2))),
    "params_from_lambda": (par.params_from_lambda, dict(lam=LAM)),
    "sample_ring": (par.sample_ring, dict(n=4, r_min=0.5, r_max=0.9, rng=0)),
    # diagrams (matplotlib only; each call's figure is closed)
    "spring_mass_damper_diagram": (_closing(dgm.spring.spring_mass_damper_diagram),
                                   dict(force=True, displacement=True, height=2.6)),
    "hillis_steele_diagram": (_closing(dgm.scans.hillis_steele_diagram), dict(n=8)),
    "blelloch_diagram": (_closing(dgm.scans.blelloch_diagram), dict(n=8)),
    "chunked_scan_diagram": (_closing(dgm.scans.chunked_scan_diagram), dict(length=16, chunk=4)),
    "lru_block_diagram": (_closing(dgm.network.lru_block_diagram), dict(norm="layer")),
    "lru_network_diagram": (_closing(dgm.network.lru_network_diagram), dict(n_layers=2, tokens=True)),
    "ring_init_diagram": (_closing(dgm.network.ring_init_diagram),
                          dict(r_min=0.5, r_max=0.9, max_phase=1.0, n_samples=60, seed=0)),
    "s4d_views_diagram": (_closing(dgm.family.s4d_views_diagram), dict(steps=3, height=3.4)),
    "selective_ssm_diagram": (_closing(dgm.family.selective_ssm_diagram), dict(height=3.0)),
    "token_tasks_diagram": (_closing(dgm.tasks.token_tasks_diagram), dict(seed=2, max_tokens=16)),
    "image_tasks_diagram": (_closing(dgm.tasks.image_tasks_diagram), dict(seed=0)),
    # scan schedules (chapter 8; torch-free)
    "hillis_steele_schedule": (sched.hillis_steele_schedule, dict(n=8)),
    "blelloch_schedule": (sched.blelloch_schedule, dict(n=8)),
    "scan_steps": (_scan_steps, dict(algorithm="blelloch", n=8)),
    # synthetic data
    "generate_recall": (lengthgen.generate_recall, dict(n=4, length=8, n_classes=4, n_noise=8, seed=0)),
    "recall_vocab_size": (lengthgen.recall_vocab_size, dict(n_classes=4, n_noise=8)),
    "selective_copying": (selcopy.selective_copying,
                          dict(batch=2, length=24, n_tokens=4, vocab_size=8, variable=True, rng=0)),
    "induction_recall": (selcopy.induction_recall, dict(batch=2, length=16, vocab_size=8, rng=0)),
    "copying_accuracy": (selcopy.copying_accuracy,
                         dict(pred=np.array([[1, 2], [3, 4]]), y=np.array([[1, 2], [3, 5]]))),
}

#: (case, argument, bad kind) combinations where the bad value is legitimately accepted
#: with a result that is not required to be finite, or is a documented default.
ALLOWED = {
    ("StateSpace.simulate", "u", "none"), ("StateSpace.simulate", "x0", "none"),
    ("DiscreteStateSpace.simulate", "x0", "none"),
    ("linear_recurrence", "x0", "none"), ("unroll_closed_form", "x0", "none"),
    ("dmd", "rank", "none"), ("perturb_then_diagonalize", "rng", "none"),
    ("sample_ring", "rng", "none"),
}


def _all_finite(obj: Any, depth: int = 0) -> bool:
    if depth > 3:
        return True
    if isinstance(obj, (bool, str)) or obj is None:
        return True
    if isinstance(obj, (int, float, complex, np.number)):
        return bool(np.isfinite(obj))
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind not in "fc" or bool(np.all(np.isfinite(obj)))
    if isinstance(obj, (tuple, list)):
        return all(_all_finite(o, depth + 1) for o in obj)
    if is_dataclass(obj):
        return all(_all_finite(getattr(obj, f.name), depth + 1) for f in fields(obj))
    return True


def _walk():
    for case, (fn, good) in CASES.items():
        for arg, value in good.items():
            for kind, bad in _bad_values(value):
                if (case, arg, kind) in ALLOWED:
                    continue
                yield pytest.param(case, arg, kind, bad, id=f"{case}-{arg}-{kind}")


@pytest.mark.parametrize("case", list(CASES))
def test_good_calls_work(case):
    fn, good = CASES[case]
    result = fn(**good)
    if case != "bifurcation_diagram":  # NaN marks "no such branch" there (documented)
        assert _all_finite(result)


@pytest.mark.parametrize("case, arg, kind, bad", list(_walk()))
def test_bad_argument_is_named_or_harmless(case, arg, kind, bad):
    fn, good = CASES[case]
    kwargs = dict(good, **{arg: bad})
    try:
        with np.errstate(all="ignore"):
            result = fn(**kwargs)
    except (ValueError, TypeError) as exc:
        assert arg in str(exc), f"{case}({arg}={kind}): message does not name {arg!r}: {exc}"
        return
    if case != "bifurcation_diagram":
        assert _all_finite(result), f"{case}({arg}={kind}) returned a non-finite result"


# --- torch side: scans, the LRU, data, training ------------------------------------------------
torch = pytest.importorskip("torch")

from ssmlib import scan as scan_fn  # noqa: E402
from ssmlib import train as T  # noqa: E402
from ssmlib.data import listops as lo  # noqa: E402
from ssmlib.data import pathfinder as pf  # noqa: E402
from ssmlib.data import ListOpsDataset, PathfinderDataset, pad_collate  # noqa: E402
from ssmlib.lru import LRU, LRUBlock, LRUClassifier, lru_param_groups, masked_mean  # noqa: E402

_LAM_T = torch.full((3,), 0.5 + 0.1j, dtype=torch.complex64)
_B_T = torch.ones(2, 4, 3, dtype=torch.complex64)

TORCH_CASES: list[tuple[str, Callable[[], Any], type, str]] = [
    ("scan nan b", lambda: scan_fn(_LAM_T, _B_T * NAN), ValueError, "b"),
    ("scan inf x0", lambda: scan_fn(_LAM_T, _B_T, torch.full((2, 3), INF, dtype=torch.complex64)),
     ValueError, "x0"),
    ("scan numpy b", lambda: scan_fn(_LAM_T, _B_T.numpy()), TypeError, "b"),
    ("scan backend", lambda: scan_fn(_LAM_T, _B_T, backend="gpu"), ValueError, "backend"),
    ("scan lam shape", lambda: scan_fn(_LAM_T[:2], _B_T), ValueError, "lam"),
    ("LRU d_model 0", lambda: LRU(0, 4), ValueError, "d_model"),
    ("LRU d_state str", lambda: LRU(4, "4"), TypeError, "d_state"),
    ("LRU r_min nan", lambda: LRU(4, 4, r_min=NAN), ValueError, "r_min"),
    ("LRU u wrong width", lambda: LRU(4, 4)(torch.zeros(1, 3, 5)), ValueError, "u"),
    ("LRU u 2d", lambda: LRU(4, 4)(torch.zeros(3, 4)), ValueError, "u"),
    ("LRU u nan", lambda: LRU(4, 4)(torch.full((1, 3, 4), NAN)), ValueError, "u"),
    ("LRU state shape", lambda: LRU(4, 4)(torch.zeros(1, 3, 4), state=torch.zeros(2, 4)),
     ValueError, "state"),
    ("classifier n_classes 1", lambda: LRUClassifier(1, 4, 4, vocab_size=5), ValueError, "n_classes"),
    ("classifier token id", lambda: LRUClassifier(2, 4, 4, vocab_size=5)(torch.tensor([[7]])),
     ValueError, "vocab_size=5"),
    ("classifier float tokens", lambda: LRUClassifier(2, 4, 4, vocab_size=5)(torch.zeros(1, 3)),
     TypeError, "x"),
    ("param groups lr inf", lambda: lru_param_groups(LRU(2, 2), INF), ValueError, "lr"),
    ("transformer n_heads 0", lambda: T.TransformerClassifier(2, 8, 1, 0, vocab_size=5),
     ValueError, "n_heads"),
    ("transformer d_model", lambda: T.TransformerClassifier(2, 10, 1, 4, vocab_size=5),
     ValueError, "n_heads"),
    ("transformer pad_id", lambda: T.TransformerClassifier(2, 8, 1, 2, vocab_size=5, pad_id=9),
     ValueError, "pad_id"),
    ("transformer position", lambda: T.TransformerClassifier(2, 8, 1, 2, vocab_size=5, max_len=4)
     .step(torch.tensor([1]), position=4), ValueError, "position"),
    ("cosine total 0", lambda: T.cosine_warmup(0, 0, 0), ValueError, "total"),
    ("cosine step -1", lambda: T.cosine_warmup(-1, 10, 1), ValueError, "step"),
    ("cosine warmup > total", lambda: T.cosine_warmup(0, 10, 11), ValueError, "warmup"),
    ("cosine float step", lambda: T.cosine_warmup(1.5, 10, 1), TypeError, "step"),
    ("select_device bogus", lambda: T.select_device("bogus"), ValueError, "device"),
    ("select_device int", lambda: T.select_device(3), TypeError, "device"),
    ("evaluate_model model", lambda: T.evaluate_model("m", [], "cpu"), TypeError, "model"),
    ("build_model cfg", lambda: T.build_model({"task": "listops"}, {}), TypeError, "cfg"),
    ("build_datasets cfg", lambda: T.build_datasets("listops"), TypeError, "cfg"),
    ("benchmark lengths", lambda: T.benchmark_inference([]), TypeError, "lengths"),
    ("benchmark length 0", lambda: T.benchmark_inference([0]), ValueError, "lengths"),
    ("benchmark repeats", lambda: T.benchmark_inference([4], repeats=0), ValueError, "repeats"),
    ("benchmark heads", lambda: T.benchmark_inference([4], d_model=10, n_heads=4), ValueError, "n_heads"),
    ("train str config", lambda: T.train("listops"), TypeError, "config"),
    ("train unknown override", lambda: T.train(d_modle=3), TypeError, "d_modle"),
    ("generate_listops max_tries", lambda: lo.generate_listops(1, max_tries=0), ValueError, "max_tries"),
    ("decode -1", lambda: lo.ListOpsTokenizer().decode([-1]), ValueError, "vocab_size"),
    ("split_indices n", lambda: pf.split_indices(-1), ValueError, "n"),
    ("generate_pathfinder seed", lambda: pf.generate_pathfinder(2, seed=-1), ValueError, "seed"),
    ("load_pathfinder root", lambda: pf.load_pathfinder(3), TypeError, "root"),
]

_TOK = torch.tensor([[1, 2, 3]])
_U = torch.randn(2, 3, 4)

TORCH_WALK: dict[str, tuple[Callable, dict[str, Any]]] = {
    "LRU": (LRU, dict(d_model=4, d_state=3, r_min=0.1, r_max=0.9, max_phase=1.0)),
    "LRU.forward": (LRU(4, 3).forward, dict(u=_U, state=torch.zeros(2, 3, dtype=torch.complex64))),
    "LRU.step": (LRU(4, 3).step, dict(u_t=_U[:, 0], state=torch.zeros(2, 3, dtype=torch.complex64))),
    "LRUBlock": (LRUBlock, dict(d_model=4, d_state=3, dropout=0.1, norm="layer")),
    "LRUBlock.forward": (LRUBlock(4, 3).forward, dict(x=_U)),
    "LRUClassifier": (LRUClassifier, dict(n_classes=3, d_model=4, d_state=3, n_layers=1,
                                          vocab_size=5, pad_id=0)),
    "LRUClassifier.forward": (LRUClassifier(3, 4, 3, 1, vocab_size=5).forward,
                              dict(x=_TOK, mask=torch.ones(1, 3, dtype=torch.bool))),
    "masked_mean": (masked_mean, dict(x=_U, mask=torch.ones(2, 3, dtype=torch.bool))),
    "TransformerClassifier": (T.TransformerClassifier, dict(n_classes=3, d_model=4, n_layers=1,
                                                          n_heads=2, vocab_size=5, max_len=8)),
    "cosine_warmup": (T.cosine_warmup, dict(step=3, total=10, warmup=2)),
    "select_device": (T.select_device, dict(device="cpu")),
    "benchmark_inference": (T.benchmark_inference, dict(lengths=[4], d_model=4, d_state=2,
                                                        n_layers=1, n_heads=1, batch=1,
                                                        vocab_size=5, repeats=1, seed=0)),
    "generate_listops": (lo.generate_listops, dict(n=2, min_length=3, max_length=12, max_depth=3,
                                                  max_args=3, operator_prob=0.5, seed=0)),
    "ListOpsTokenizer.encode": (lo.ListOpsTokenizer().encode, dict(source="[MAX 1 2 ]")),
    "ListOpsTokenizer.decode": (lo.ListOpsTokenizer().decode, dict(ids=[1, 2])),
    "evaluate": (lo.evaluate, dict(source="[MAX 1 2 ]")),
    "ListOpsDataset": (ListOpsDataset, dict(samples=[("[MAX 1 2 ]", 2)], max_len=10)),
    "generate_pathfinder": (pf.generate_pathfinder, dict(n=2, resolution=16, seed=0)),
    "PathfinderConfig": (pf.PathfinderConfig, dict(resolution=16, n_paddles=5, paddle_length=1.5,
                                                   gap=1.0, n_distractors=2)),
    "split_indices": (pf.split_indices, dict(n=10, fractions=(0.8, 0.1, 0.1), seed=0)),
    "PathfinderDataset": (PathfinderDataset, dict(images=np.zeros((2, 8, 8), np.uint8),
                                                   labels=np.array([0, 1]))),
    "pad_collate": (pad_collate, dict(batch=[(torch.tensor([1, 2]), 1)], pad_value=0)),
}
TORCH_ALLOWED = {
    ("LRU.forward", "state", "none"), ("LRU.step", "state", "none"),
    ("LRUClassifier.forward", "mask", "none"), ("masked_mean", "mask", "none"),
    ("LRUClassifier", "d_input", "none"), ("TransformerClassifier", "d_input", "none"),
    ("generate_listops", "seed", "none"), ("generate_pathfinder", "seed", "none"),
    ("split_indices", "seed", "none"), ("ListOpsDataset", "max_len", "none"),
}


def _torch_walk():
    for case, (fn, good) in TORCH_WALK.items():
        for arg, value in good.items():
            if isinstance(value, torch.Tensor):
                bads = [("str", "abc"), ("none", None), ("numpy", value.numpy()),
                        ("3d-wrong", torch.zeros(2, 2, 2, 2, dtype=value.dtype))]
                if value.dtype.is_floating_point or value.dtype.is_complex:
                    bads += [("nan", torch.full_like(value, NAN)), ("inf", torch.full_like(value, INF))]
            else:
                bads = _bad_values(value)
            for kind, bad in bads:
                if (case, arg, kind) not in TORCH_ALLOWED:
                    yield pytest.param(case, arg, kind, bad, id=f"{case}-{arg}-{kind}")


@pytest.mark.parametrize("case, arg, kind, bad", list(_torch_walk()))
def test_torch_side_bad_argument_is_named_or_harmless(case, arg, kind, bad):
    fn, good = TORCH_WALK[case]
    try:
        result = fn(**dict(good, **{arg: bad}))
    except (ValueError, TypeError) as exc:
        assert arg in str(exc), f"{case}({arg}={kind}): message does not name {arg!r}: {exc}"
        return
    if isinstance(result, torch.Tensor):
        result = result.detach()
        assert torch.isfinite(torch.view_as_real(result) if result.is_complex() else result).all()


#: TrainConfig fields and a bad value for each: validate() must name the field.
CONFIG_BAD = [
    ("grad_clip", -1.0), ("grad_clip", 0.0), ("lr", INF), ("lr", 0.0), ("lr_factor", 0.0),
    ("weight_decay", -0.1), ("max_steps", 0), ("time_limit_s", -1.0), ("num_threads", 0),
    ("device", "gpu7"), ("device", 0), ("norm", "group"), ("r_min", 1.0), ("r_max", 1.5),
    ("max_phase", 0.0), ("dropout", 1.0), ("max_length", 3), ("max_depth", 0),
    ("resolution", 4), ("data_dir", 3), ("out_dir", 3), ("seed", -1), ("seed", "0"),
    ("n_train", 0), ("n_val", -1), ("epochs", 1.5), ("progress", "yes"), ("warmup_frac", 1.0),
    ("batch_size", True), ("task", "imdb"), ("model", "rnn"),
]


@pytest.mark.parametrize("name, call, exc, match", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_torch_side_errors_name_the_argument(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("field, value", CONFIG_BAD, ids=[f"{f}={v!r}" for f, v in CONFIG_BAD])
def test_train_config_validates_every_field(field, value):
    with pytest.raises((ValueError, TypeError), match=field.split("_")[0]):
        T.TrainConfig(**{field: value}).validate()


# --- property-based tests -----------------------------------------------------------------------
try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # hypothesis is a test requirement; without it these checks are skipped
    given = None


if given is None:
    def test_property_based_checks_need_hypothesis():
        pytest.skip("hypothesis is not installed")
else:
    _floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


    @settings(max_examples=60, deadline=None)
    @given(eigs=st.lists(st.complex_numbers(allow_nan=True, allow_infinity=True), max_size=4),
           dt=_floats, method=st.sampled_from(["zoh", "bilinear", "euler", "rk4"]))
    def test_map_eigenvalues_is_finite_or_names_the_problem(eigs, dt, method):
        try:
            with np.errstate(all="ignore"):
                out = stab.map_eigenvalues(eigs, dt, method)
        except (ValueError, TypeError) as exc:
            assert any(k in str(exc) for k in ("eigs", "dt", "method", "map_eigenvalues"))
        else:
            assert np.all(np.isfinite(out))


    @settings(max_examples=40, deadline=None)
    @given(lam=st.complex_numbers(max_magnitude=1e3, allow_nan=False),
           L=st.integers(min_value=0, max_value=50))
    def test_linear_recurrence_is_finite_or_reports_overflow(lam, L):
        try:
            x = rec.linear_recurrence([lam], np.ones((L, 1)))
        except ValueError as exc:
            assert "overflow" in str(exc) or "u" in str(exc)
        else:
            assert np.all(np.isfinite(x))


    @settings(max_examples=40, deadline=None)
    @given(step=st.integers(-5, 200), total=st.integers(-2, 200), warmup=st.integers(-2, 200))
    def test_cosine_warmup_in_unit_interval_or_named_error(step, total, warmup):
        try:
            f = T.cosine_warmup(step, total, warmup)
        except ValueError as exc:
            assert any(k in str(exc) for k in ("step", "total", "warmup"))
        else:
            assert 0.0 <= f <= 1.0 and math.isfinite(f)
