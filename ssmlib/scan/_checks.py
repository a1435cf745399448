"""Argument and value checks shared by :func:`ssmlib.scan` and the public scan primitives.

:func:`ssmlib.scan` validates its arguments once and then calls the private, unchecked
primitives (``_scan_chunked``, ...); the public names (:func:`~ssmlib.scan.scan_chunked`,
...) are thin wrappers that run the same checks first. Both use the helpers here, so the
messages are the same wherever a scan is called. This module imports no other module of
the package (the primitives import it, and the package imports the primitives).
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import check_bool, check_tensor

#: The dtypes every scan accepts (``lam``, ``b`` and ``x0`` share one).
SCAN_DTYPES = (torch.complex64, torch.complex128, torch.float32, torch.float64)


def _compiling() -> bool:
    return getattr(torch.compiler, "is_compiling", lambda: False)()


def check_scan_args(lam, b, x0=None) -> None:
    """Check types, dtypes, shapes and devices of the scan's ``lam``, ``b`` and ``x0``.

    ``b`` is ``(B, L, N)``; ``lam`` is ``(N,)`` or ``(B, L, N)``; ``x0`` (optional) is
    ``(B, N)``; all of one dtype (complex64, complex128, float32 or float64) and on one
    device. No value is read. Raises ``TypeError`` (not a tensor, wrong dtype) or
    ``ValueError`` (shape or device), naming the argument.
    """
    check_tensor(b, "b", ndim=3, dtypes=SCAN_DTYPES, finite=False)
    check_tensor(lam, "lam", ndim=(1, 3), dtypes=SCAN_DTYPES, finite=False)
    if lam.dtype != b.dtype:
        raise TypeError(f"lam must have the same dtype as b ({b.dtype}), got {lam.dtype}")
    if lam.device != b.device:
        raise ValueError(f"lam must be on the same device as b ({b.device}), got {lam.device}")
    batch, length, n = b.shape
    if lam.ndim == 1 and lam.shape[0] != n:
        raise ValueError(
            f"lam of shape (N,) must match the channel axis of b (N={n}), got shape {tuple(lam.shape)}"
        )
    if lam.ndim == 3 and lam.shape != b.shape:
        raise ValueError(
            f"time-varying lam must have the shape of b {tuple(b.shape)}, got {tuple(lam.shape)}"
        )
    if x0 is not None:
        check_tensor(x0, "x0", ndim=2, dtypes=SCAN_DTYPES, finite=False)
        if x0.dtype != b.dtype:
            raise TypeError(f"x0 must have the same dtype as b ({b.dtype}), got {x0.dtype}")
        if x0.device != b.device:
            raise ValueError(f"x0 must be on the same device as b ({b.device}), got {x0.device}")
        if tuple(x0.shape) != (batch, n):
            raise ValueError(f"x0 must have shape (B, N) = {(batch, n)}, got {tuple(x0.shape)}")


def check_flag(check_finite) -> bool:
    """``check_finite`` as a bool (a TypeError naming it otherwise)."""
    return check_bool(check_finite, "check_finite")


def unseen_coefficients(lam: torch.Tensor, x0: torch.Tensor | None) -> torch.Tensor | None:
    """The coefficients no output depends on: ``lam`` (N,) (for ``L = 1``), or ``lam[:, 0]``
    (B, N) when ``x0`` is omitted (it multiplies the zero state)."""
    return lam if lam.ndim == 1 else (lam[:, 0] if x0 is None else None)


def check_scan_result(out: torch.Tensor, lam: torch.Tensor, b: torch.Tensor,
                      x0: torch.Tensor | None = None, *, name: str | None = None,
                      loop=None) -> torch.Tensor:
    """Return ``out`` if it (and every input) is finite; else raise ``ValueError`` naming
    the input with a NaN or inf entry, or reporting the overflow. The value check of
    :func:`ssmlib.scan` (one reduction and one host read for finite values); skipped
    while torch.compile traces.

    For a log-depth primitive ``name``, whose running products of ``lam`` overflow for
    ``|lam| > 1`` long before the states do, ``loop()`` (the sequential loop's values)
    tells the two apart on the error path: finite states get an error saying so."""
    if _compiling():
        return out
    if out.numel() == 0:
        _check_inputs_finite(lam, b, x0)  # no output to look at: the (small) inputs
        return out
    if _all_finite(out, unseen_coefficients(lam, x0)):
        return out
    _check_inputs_finite(lam, b, x0)
    if loop is not None:
        ref = loop()
        if _all_finite(ref):
            with torch.no_grad():
                lam_max = float(lam.abs().max())
            raise ValueError(
                f"{name}: the running products of lam overflow {out.dtype} (max |lam| = "
                f"{lam_max:.6g} > 1) although the states are finite; ssmlib.scan returns "
                "them (it falls back to the sequential loop), as does scan_sequential"
            )
        out = ref
    _check_overflow(out, lam)
    return out


def _all_finite(x: torch.Tensor, extra: torch.Tensor | None = None) -> bool:
    """True when every entry of ``x`` (and of ``extra``) is finite: one host read."""
    with torch.no_grad():
        # One reduction: NaN and inf propagate into the sum. A finite sum proves every
        # entry finite; a non-finite one (possibly an overflow of the sum itself) gets
        # the exact element-wise check.
        total = x.sum()
        if extra is not None and extra.numel():
            total = total + extra.sum()
        if bool(torch.isfinite(torch.view_as_real(total) if total.is_complex() else total).all()):
            return True
        return all(bool(torch.isfinite(torch.view_as_real(t) if t.is_complex() else t).all())
                   for t in (x, extra) if t is not None)


def _all_finite_cpu(x: torch.Tensor) -> bool:
    """:func:`_all_finite` for a small CPU tensor, in numpy: a torch reduction right after
    a compiled kernel costs 0.1-0.3 ms on one thread (measured, torch 2.13), numpy
    microseconds."""
    return bool(np.isfinite(x.detach().resolve_conj().resolve_neg().numpy()).all())


def _check_inputs_finite(lam: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None) -> None:
    """The error path: name the input (b, lam, x0) with a NaN or inf entry, if any."""
    for name, t in (("b", b), ("lam", lam), ("x0", x0)):
        if t is not None and t.numel():
            check_tensor(t, name, finite=True)


def _check_overflow(x: torch.Tensor, lam: torch.Tensor) -> None:
    """Raise a clear error when the recurrence itself leaves the range of the dtype."""
    if _all_finite(x):
        return
    with torch.no_grad():
        bad = ~torch.isfinite(torch.view_as_real(x) if x.is_complex() else x)
        if x.is_complex():
            bad = bad.any(-1)
        step = int(bad.any(dim=0).any(dim=-1).nonzero()[0, 0])
        lam_max = float(lam.abs().max())
    raise ValueError(
        f"the recurrence overflows the range of {x.dtype} at step k={step} of L={x.shape[1]} "
        f"(max |lam| = {lam_max:.6g}, b finite): the states grow without bound. "
        "Use |lam| <= 1, a shorter sequence, smaller b, or a wider dtype (float64/complex128)"
    )
