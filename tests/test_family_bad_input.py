"""Bad input to the S4 / S4D / selective-scan modules: an error naming the argument, or a finite result.

The same contract as ``tests/test_bad_input.py`` (one good call per function; one argument at a
time replaced by a bad value), over the public names of ``ssmlib.s4_kernel``, ``ssmlib.s4d`` and
``ssmlib.selective_scan``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ssmlib as sl  # noqa: E402

NAN, INF = float("nan"), float("inf")
HUGE = 10**12

torch.manual_seed(0)
_N = 4
_LAM, _P, _B, _Cn = sl.hippo_legs_nplr(_N)
_Q = _P
_C = torch.randn(_N, dtype=torch.complex128)
_A = sl.s4d_init(4, "lin")
_U = torch.randn(1, 3, 2)  # (batch, D, L)
_DELTA = torch.rand(1, 3, 2)
_AS = -torch.rand(3, 2)
_BS = torch.randn(1, 2, 2)
_CS = torch.randn(1, 2, 2)

CASES: dict[str, tuple[Callable, dict[str, Any]]] = {
    "hippo_legs_nplr": (sl.hippo_legs_nplr, dict(N=4)),
    "cauchy_kernel": (sl.cauchy_kernel, dict(v=torch.randn(3, dtype=torch.complex128),
                                             omega=torch.randn(5, dtype=torch.complex128),
                                             lam=torch.randn(3, dtype=torch.complex128))),
    "dplr_kernel": (sl.dplr_kernel, dict(Lambda=_LAM, P=_P, Q=_Q, B=_B, C=_C, dt=0.1, L=8)),
    "dplr_kernel_powers": (sl.dplr_kernel_powers, dict(Lambda=_LAM, P=_P, Q=_Q, B=_B, C=_C,
                                                       dt=0.1, L=8)),
    "dplr_truncated_C": (sl.dplr_truncated_C, dict(Lambda=_LAM, P=_P, Q=_Q, C=_C, dt=0.1, L=8)),
    "s4d_init": (sl.s4d_init, dict(N=8, init="inv")),
    "s4d_discretize": (sl.s4d_discretize, dict(A=_A, dt=0.1, method="zoh")),
    "s4d_kernel": (sl.s4d_kernel, dict(A=_A, C=torch.randn(2, dtype=torch.complex64), dt=0.1, L=6,
                                       method="bilinear")),
    "fft_causal_conv": (sl.fft_causal_conv, dict(u=torch.randn(1, 6, 2), K=torch.randn(2, 6))),
    "S4DKernel": (sl.S4DKernel, dict(d_model=2, N=4, dt_min=0.001, dt_max=0.1, init="lin")),
    "S4DKernel.forward": (sl.S4DKernel(2, 4).forward, dict(L=5)),
    "S4D": (sl.S4D, dict(d_model=2, d_state=4, dropout=0.0)),
    "S4D.forward": (sl.S4D(2, 4).forward, dict(u=torch.randn(1, 5, 2), mode="recurrence")),
    "selective_scan": (sl.selective_scan.selective_scan,
                       dict(u=_U, delta=_DELTA, A=_AS, B=_BS, C=_CS, D=torch.ones(3),
                            delta_softplus=True)),
    "SelectiveSSM": (sl.SelectiveSSM, dict(d_model=3, d_state=2, dt_min=0.001, dt_max=0.1)),
    "SelectiveSSM.forward": (sl.SelectiveSSM(3, 2).forward, dict(u=torch.randn(1, 4, 3))),
    "MambaBlock": (sl.MambaBlock, dict(d_model=3, d_state=2, expand=2, d_conv=3)),
    "MambaBlock.forward": (sl.MambaBlock(3, 2).forward, dict(u=torch.randn(1, 4, 3))),
}


def _bads(value: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [("str", "abc"), ("object", object())]
    if isinstance(value, torch.Tensor):
        out += [("numpy", value.numpy()), ("none", None),
                ("wrong-ndim", torch.zeros((2,) * (value.ndim + 2), dtype=value.dtype))]
        if value.dtype.is_floating_point or value.dtype.is_complex:
            out += [("nan", torch.full_like(value, NAN)), ("inf", torch.full_like(value, INF))]
        return out
    if isinstance(value, bool):
        return out
    if isinstance(value, int):
        return out + [("none", None), ("negative", -3), ("float", 2.5), ("huge", HUGE)]
    if isinstance(value, float):
        return out + [("none", None), ("nan", NAN), ("inf", INF), ("negative", -1.0)]
    return out + [("none", None)]


def _walk():
    for case, (_, good) in CASES.items():
        for arg, value in good.items():
            for kind, bad in _bads(value):
                yield pytest.param(case, arg, kind, bad, id=f"{case}-{arg}-{kind}")


@pytest.mark.parametrize("case", list(CASES))
def test_good_call_works(case):
    fn, good = CASES[case]
    fn(**good)


def _finite(x: Any) -> bool:
    if isinstance(x, torch.Tensor):
        x = x.detach()
        return bool(torch.isfinite(torch.view_as_real(x) if x.is_complex() else x).all())
    if isinstance(x, (tuple, list)):
        return all(_finite(v) for v in x)
    if isinstance(x, np.ndarray):
        return bool(np.isfinite(x).all())
    return True


@pytest.mark.parametrize("case, arg, kind, bad", list(_walk()))
def test_bad_argument_is_named_or_harmless(case, arg, kind, bad):
    fn, good = CASES[case]
    try:
        result = fn(**dict(good, **{arg: bad}))
    except (ValueError, TypeError) as exc:
        assert arg in str(exc), f"{case}({arg}={kind}): the message does not name {arg!r}: {exc}"
        return
    assert _finite(result), f"{case}({arg}={kind}) returned a non-finite result"
