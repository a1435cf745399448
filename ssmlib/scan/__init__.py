"""Parallel scans of the diagonal linear recurrence (chapter 8).

:func:`scan` computes, for every batch element and channel,

    x_k = lam_k * x_{k-1} + b_k,    k = 0, ..., L-1,    x_{-1} = x0 (default 0),

on torch tensors, with autograd with respect to ``lam``, ``b`` and ``x0``.
Layout is channel-last: ``b`` has shape ``(B, L, N)`` (batch, time, channel).

Backends (``SCAN_BACKENDS``):

``"sequential"``
    A plain loop over time, differentiated by torch autograd: the reference.
``"parallel"``
    Hillis-Steele log-depth scan in torch ops (any device).
``"blelloch"``
    Blelloch's work-efficient scan in torch ops (any device).
``"chunked"``
    Blocked scan: sequential inside chunks, vectorized across them, then a carry
    pass (pure torch: the default on CPU when numba is not installed).
``"compiled"``
    Serial loops over time compiled by numba, parallel over batch and channel
    blocks, forward and backward, the state carried in double precision
    (:mod:`ssmlib.scan.compiled`; the default on CPU when numba is installed).
``"triton"``
    A Triton GPU kernel, forward and backward (the default on CUDA when Triton
    is installed). Runs on CPU tensors under ``TRITON_INTERPRET=1`` (slow; for
    tests).

``parallel``, ``blelloch`` and ``chunked`` share one backward pass (the reversed
scan, :mod:`ssmlib.scan._autograd`); the Triton and compiled backends have their
own backward kernels.

The primitives behind the backends are public too (:func:`scan_sequential`,
:func:`scan_hillis_steele`, :func:`scan_blelloch`, :func:`scan_chunked`,
:func:`scan_compiled`): they run the same checks of types, dtypes, shapes and devices,
and a value check (``check_finite=True``). :func:`scan` checks once and then calls
their unchecked versions.
"""

from __future__ import annotations

import importlib.util
import os

from .._lazy import require_torch

torch = require_torch("ssmlib.scan")  # without torch: ImportError naming ssmlib[torch]

from ._autograd import LinearScan
# The checks shared with the public primitives (ssmlib/scan/_checks.py); scan() calls
# them by these names (a test may replace one here, e.g. ``_all_finite``).
from ._checks import (  # noqa: F401 (_DTYPES: the old name of SCAN_DTYPES, kept)
    SCAN_DTYPES as _DTYPES,
    _all_finite,
    _all_finite_cpu,
    _check_inputs_finite,
    _check_overflow,
    _compiling,
    check_scan_args,
)
from .chunked import _scan_chunked, default_chunk, scan_chunked
from .compiled import _require_compiled, _scan_compiled, numba_available, scan_compiled
from ..schedules import blelloch_schedule, hillis_steele_schedule  # noqa: F401 (moved there)
from .parallel import (
    _scan_blelloch,
    _scan_hillis_steele,
    combine,
    scan_blelloch,
    scan_hillis_steele,
)
from .sequential import _scan_sequential, scan_sequential
# ``scan_triton`` (ssmlib.scan.triton_kernel) registers its torch.library operators on
# import, which imports torch._dynamo and torch._inductor (about 1.4 s): it is imported on
# first use, by ``scan(..., backend="triton")`` or ``ssmlib.scan.scan_triton``.

__all__ = [
    "scan",
    "SCAN_BACKENDS",
    "triton_available",
    "scan_sequential",
    "scan_hillis_steele",
    "scan_blelloch",
    "scan_chunked",
    "scan_triton",
    "scan_compiled",
    "numba_available",
    "default_chunk",
    "combine",
]

#: Names accepted by ``scan(..., backend=...)`` besides ``"auto"``.
SCAN_BACKENDS = ("sequential", "parallel", "blelloch", "chunked", "compiled", "triton")

# scan() validates its arguments once, then calls the unchecked primitives (the public
# names are checked wrappers of these).
_PRIMITIVES = {
    "parallel": _scan_hillis_steele,
    "blelloch": _scan_blelloch,
    "chunked": _scan_chunked,
}

def _constant(fn):
    """``torch.compiler.assume_constant_result(fn)``, without importing torch._dynamo.

    That decorator only sets this attribute (torch/_dynamo/decorators.py), but importing
    it imports TorchDynamo, about 1.7 s on every ``import ssmlib.scan``.
    """
    fn._dynamo_marked_constant = True
    return fn


@_constant
def _interpret_mode() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0", "false", "False")


@_constant
def _triton_importable() -> bool:
    return importlib.util.find_spec("triton") is not None


def triton_available(device: torch.device | str | None = None) -> bool:
    """True when the Triton backend can run on ``device``.

    That needs the ``triton`` package and either a CUDA device or the
    interpreter (``TRITON_INTERPRET=1``, any device, slow).
    """
    dev = None
    if device is not None:
        if not isinstance(device, (str, torch.device)):
            raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(
                f"device must name a torch device (e.g. 'cpu', 'cuda:0'), got {device!r}"
            ) from exc
    if not _triton_importable():
        return False
    if _interpret_mode():
        return True
    if dev is None:
        return torch.cuda.is_available()
    return dev.type == "cuda"


def _validate(lam, b, x0, backend):
    if not isinstance(backend, str) or backend not in ("auto", *SCAN_BACKENDS):
        raise ValueError(
            f"backend must be 'auto' or one of {SCAN_BACKENDS}, got {backend!r}"
        )
    # Values are not read here: a NaN or inf in an input shows up in the output, whose
    # finiteness scan() checks anyway (one reduction) to catch overflow; only then are
    # the inputs read, to name the culprit (_check_inputs_finite). Types, dtypes, shapes
    # and devices: the checks of the public primitives too (ssmlib/scan/_checks.py).
    check_scan_args(lam, b, x0)
    if backend == "auto":
        if b.is_cuda and triton_available(b.device):
            backend = "triton"
        elif (b.device.type == "cpu" and not _compiling() and numba_available()):
            backend = "compiled"
        else:
            backend = "chunked"
    if backend == "compiled":
        _require_compiled(b, "backend='compiled'", "backend='chunked'")
    if backend == "triton" and not triton_available(b.device):
        raise ValueError(
            "backend='triton' needs the triton package and a CUDA tensor "
            "(or TRITON_INTERPRET=1 to run the kernel in the CPU interpreter); "
            f"b is on {b.device}"
        )
    return backend


def _expand_lam(lam: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return lam.expand_as(b) if lam.ndim == 1 else lam


def scan(
    lam: torch.Tensor,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    backend: str = "auto",
    check_finite: bool = True,
) -> torch.Tensor:
    """Solve ``x_k = lam_k x_{k-1} + b_k`` for all ``k``.

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N)
        Coefficients: one per channel (time-invariant, as in the LRU) or one
        per batch element, step and channel (time-varying). Same dtype and
        device as ``b``. ``|lam| >= 1`` is allowed (the states then grow).
    b : Tensor, shape (B, L, N), complex64, complex128, float32 or float64
        Inputs, channel-last (batch, time, channel).
    x0 : Tensor, shape (B, N), optional
        Initial state ``x_{-1}``; zero if omitted.
    backend : str
        ``"auto"`` (Triton on CUDA when available; on CPU ``"compiled"`` when
        numba is installed, else ``"chunked"``) or one of :data:`SCAN_BACKENDS`.
    check_finite : bool
        Check the result's values (one reduction and one host read; with the
        compiled CPU backend, the kernel's final states and the processor's
        overflow flag, no pass over the result): a NaN or inf input raises
        ``ValueError`` naming it, an overflow of the states raises, and where a log-depth backend's running products of ``lam``
        overflow (``|lam| > 1``) the finite values of the plain loop are
        returned. ``False`` skips it (no pass over the values and no device
        synchronization: the hot path of training, e.g. :class:`ssmlib.lru.LRU`);
        shapes, dtypes and devices are always checked.

    Returns
    -------
    Tensor, shape (B, L, N), dtype of ``b``
        ``x[:, k]`` is the state after input ``k``. For ``L = 0`` an empty
        ``(B, 0, N)`` tensor, connected to autograd (zero gradients).
        Wherever the sequential loop is finite every backend returns its
        (finite) values, also for ``|lam| > 1``.

    Raises
    ------
    TypeError
        If an argument is not a tensor or has the wrong dtype.
    ValueError
        For shape or device mismatch, an unknown backend, an unavailable
        Triton or compiled backend, and (``check_finite=True``) non-finite
        values or states that overflow the dtype (``|lam| > 1`` over many steps).

    Examples
    --------
    >>> import torch, ssmlib as sl
    >>> lam = torch.tensor([0.5 + 0.0j])
    >>> b = torch.ones(1, 3, 1, dtype=torch.complex64)
    >>> sl.scan(lam, b)[0, :, 0].real
    tensor([1.0000, 1.5000, 1.7500])
    """
    if not isinstance(check_finite, bool):
        raise TypeError(f"check_finite must be a bool, got {type(check_finite).__name__}")
    backend = _validate(lam, b, x0, backend)
    # no value check while torch.compile traces (data-dependent) or when not asked for
    skip_check = _compiling() or not check_finite
    if b.shape[1] == 0:
        # Empty time axis: an empty (B, 0, N) result, connected to autograd through
        # every input (their gradients are zero), for every backend.
        if not skip_check:
            _check_inputs_finite(lam, b, x0)  # tiny: lam (N,) and x0 (B, N)
        out = b + _expand_lam(lam, b) * 0
        if x0 is not None:
            out = out + x0[:, None, :].expand_as(b) * 0
        return out
    # The coefficients no output depends on: lam (N,) when L = 1, lam[:, 0] (B, N) when
    # x0 is omitted. Their finiteness joins the output's in one reduction.
    unseen = lam if lam.ndim == 1 else (lam[:, 0] if x0 is None else None)
    if backend == "sequential":
        out = _scan_sequential(lam, b, x0)
        if not skip_check and not _all_finite(out, unseen):
            _check_inputs_finite(lam, b, x0)
            _check_overflow(out, lam)
        return out
    if backend == "compiled":
        # x0 handled by the kernels (no fold, no copy); the value check is the kernels'
        # (final states, overflow flag; no second pass over the output) and the few
        # unseen coefficients. Validated above: the unchecked entry point.
        report: list | None = None if skip_check else []
        out = _scan_compiled(lam, b, x0, report)
        if skip_check or (report[0] and (unseen is None or _all_finite_cpu(unseen))):
            return out
        _check_inputs_finite(lam, b, x0)
        _check_overflow(out, lam)
        return out
    b_in, x0_in = b, x0
    if x0 is not None:
        # fold the initial state into the first input: b_0 <- b_0 + lam_0 x0
        lam0 = lam if lam.ndim == 1 else lam[:, 0]
        b = torch.cat([(b[:, 0] + lam0 * x0).unsqueeze(1), b[:, 1:]], dim=1)
    if backend == "triton":
        from .triton_kernel import scan_triton

        out = scan_triton(lam, b)
    else:
        out = LinearScan.apply(lam, b, _PRIMITIVES[backend])
    if skip_check or _all_finite(out, unseen):
        return out
    _check_inputs_finite(lam, b_in, x0_in)  # a NaN/inf input, named; else an overflow
    # The parallel schedules multiply running products of lam, which overflow to
    # inf for |lam| > 1 long before the states do (inf * 0 = NaN in the combine).
    # Where that happens, the reference loop (differentiated by torch autograd)
    # gives the finite answer; if the loop overflows too, say so.
    out = _scan_sequential(lam, b)
    _check_overflow(out, lam)
    return out


def __getattr__(name: str):
    # PEP 562: ``ssmlib.scan.scan_triton`` imports the Triton module on first use.
    if name == "scan_triton":
        from .triton_kernel import scan_triton

        globals()["scan_triton"] = scan_triton
        return scan_triton
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ``import ssmlib.scan as S`` gives this module; calling it, ``sl.scan(lam, b)``,
# calls the function :func:`scan` (the subpackage and the function share a name).
from .._lazy import make_callable as _make_callable  # noqa: E402

_make_callable(__name__)
