"""A compiled CPU scan: serial loops over time, compiled by numba (chapter 8).

The recurrence ``x_k = lam_k x_{k-1} + b_k`` is, on a CPU, fastest as what it
looks like: one pass over time per channel, keeping the state in a register.
The loops here run over time serially and over a block of neighbouring
channels in the innermost loop (contiguous in the channel-last layout, so the
compiler vectorizes it), and, for inputs of at least :data:`PARALLEL_MIN`
elements, in parallel (numba ``prange``) over the independent (batch element,
channel block) pairs: whole rows when the batch gives every thread work, else
each row's channels split among the threads.

Accuracy. The state is carried in double precision (complex128 for complex64
input, float64 for float32) and rounded once when stored, so the only errors
of a complex64 result are the rounding of each stored value and of the inputs
themselves: they do not grow with ``L`` beyond what the recurrence amplifies
in the inputs' rounding.

Backward. For an upstream gradient ``dy`` the adjoint ``g_t = dL/db_t`` solves
the reversed recurrence ``g_t = dy_t + conj(lam_{t+1}) g_{t+1}`` and the
coefficient gradient is ``dlam_t = g_t conj(x_{t-1})`` (summed over batch and
time for a time-invariant ``lam``): one fused reverse loop computes both.

numba is optional (``pip install numba``): :func:`numba_available` says
whether it imports. The kernels are compiled on first use for each dtype,
layout and threading variant and cached on disk (``cache=True``, next to this
file or in numba's user cache folder). Measured on a shared 2-core machine
(numba 0.68): the first call in a process costs about 1 s (importing numba,
0.4 s, and loading the cached code); where nothing is cached yet, compiling
adds 1-3 s per dtype, layout and variant used. Later calls cost the loop.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import platform
from functools import lru_cache

import numpy as np
import torch

from ._checks import (
    _all_finite_cpu,
    _check_inputs_finite,
    _check_overflow,
    check_flag,
    check_scan_args,
    unseen_coefficients,
)

__all__ = ["scan_compiled", "numba_available", "PARALLEL_MIN"]


@lru_cache(maxsize=None)
def numba_available() -> bool:
    """True when numba can be imported (the ``"compiled"`` backend needs it)."""
    if importlib.util.find_spec("numba") is None:
        return False
    try:
        import numba  # noqa: F401
    except Exception:  # pragma: no cover - a broken install
        return False
    return True


#: Smallest B * L * N run on several threads: below it starting the threads costs more
#: than the loop (and on a busy machine a parallel region can wait milliseconds).
PARALLEL_MIN = 1 << 18


@lru_cache(maxsize=None)
def _kernels(parallel: bool = True):
    """The numba kernels (multi-threaded or serial), compiled or loaded from the on-disk
    cache once per process: forward (time-invariant and time-varying lam), backward
    (both), and the forward for complex input in split real/imaginary form (both)."""
    if not numba_available():
        raise _numba_missing("backend='compiled'", "backend='chunked'")
    import numba as nb

    opts = dict(parallel=parallel, cache=True, nogil=True)
    # A closure variable, so the on-disk cache keys of the two variants differ (numba
    # hashes the closure's contents, not the compile flags, into the cache key).
    jobs = nb.prange if parallel else range

    # One job = one batch element and one block of ``nblock`` neighbouring channels,
    # walked over the whole time axis; the innermost loop runs over the block's
    # channels (contiguous in memory). ``x0`` (B, N) is the state before step 0,
    # already in the wide dtype. Job ``k`` writes to ``sums[k]`` the magnitude of its
    # final state and, with ``check`` (the per-element check), also the sum of
    # |Re x| + |Im x| over every state it computed (in double precision): it is below the
    # largest finite value of the output dtype only if every stored value is finite (a
    # NaN makes it NaN), and then the value check of ``ssmlib.scan`` needs no second
    # pass over the output (a false alarm only sends it to the exact check). When the
    # per-element check is not needed, see _forward.

    @nb.njit(**opts)
    def fwd_invariant(lam, b, out, x0, nblock, check, sums):  # pragma: no cover - compiled
        batch, length, n = b.shape
        nb_n = (n + nblock - 1) // nblock
        for job in jobs(batch * nb_n):
            i = job // nb_n
            n0 = (job % nb_n) * nblock
            n1 = min(n, n0 + nblock)
            x = x0[i, n0:n1].copy()
            acc = np.zeros(n1 - n0)
            lw = lam[n0:n1]
            for t in range(length):
                bt = b[i, t, n0:n1]
                ot = out[i, t, n0:n1]
                if check:
                    for j in range(n1 - n0):
                        v = lw[j] * x[j] + bt[j]
                        x[j] = v
                        ot[j] = v
                        acc[j] += abs(v.real) + abs(v.imag)
                else:
                    for j in range(n1 - n0):
                        x[j] = lw[j] * x[j] + bt[j]
                        ot[j] = x[j]
            sums[job] = acc.sum() + np.abs(x).sum()  # the final state: see _forward

    @nb.njit(**opts)
    def fwd_varying(lam, b, out, x0, nblock, check, sums):  # pragma: no cover - compiled
        batch, length, n = b.shape
        nb_n = (n + nblock - 1) // nblock
        for job in jobs(batch * nb_n):
            i = job // nb_n
            n0 = (job % nb_n) * nblock
            n1 = min(n, n0 + nblock)
            x = x0[i, n0:n1].copy()
            acc = np.zeros(n1 - n0)
            for t in range(length):
                lt = lam[i, t, n0:n1]
                bt = b[i, t, n0:n1]
                ot = out[i, t, n0:n1]
                if check:
                    for j in range(n1 - n0):
                        v = lt[j] * x[j] + bt[j]
                        x[j] = v
                        ot[j] = v
                        acc[j] += abs(v.real) + abs(v.imag)
                else:
                    for j in range(n1 - n0):
                        x[j] = lt[j] * x[j] + bt[j]
                        ot[j] = x[j]
            sums[job] = acc.sum() + np.abs(x).sum()

    @nb.njit(**opts)
    def bwd_invariant(lam_c, dy, x, db, dlam_part, x0, nblock):  # pragma: no cover
        # g_t = dy_t + conj(lam) g_{t+1};  dlam = sum_t g_t conj(x_{t-1}), x_{-1} = x0
        batch, length, n = dy.shape
        nb_n = (n + nblock - 1) // nblock
        for job in jobs(batch * nb_n):
            i = job // nb_n
            n0 = (job % nb_n) * nblock
            n1 = min(n, n0 + nblock)
            m = n1 - n0
            g = np.zeros_like(x0[i, n0:n1])
            acc = np.zeros_like(g)
            lw = lam_c[n0:n1]
            for t in range(length - 1, 0, -1):
                dt = dy[i, t, n0:n1]
                gt = db[i, t, n0:n1]
                xp = x[i, t - 1, n0:n1]
                for j in range(m):
                    g[j] = lw[j] * g[j] + dt[j]
                    gt[j] = g[j]
                    acc[j] += g[j] * np.conj(xp[j])
            dt = dy[i, 0, n0:n1]
            gt = db[i, 0, n0:n1]
            xp = x0[i, n0:n1]
            for j in range(m):
                g[j] = lw[j] * g[j] + dt[j]
                gt[j] = g[j]
                acc[j] += g[j] * np.conj(xp[j])
                dlam_part[i, n0 + j] = acc[j]

    @nb.njit(**opts)
    def bwd_varying(lam_c, dy, x, db, dlam, x0, nblock):  # pragma: no cover
        # g_t = dy_t + conj(lam_{t+1}) g_{t+1};  dlam_t = g_t conj(x_{t-1}), x_{-1} = x0
        batch, length, n = dy.shape
        nb_n = (n + nblock - 1) // nblock
        for job in jobs(batch * nb_n):
            i = job // nb_n
            n0 = (job % nb_n) * nblock
            n1 = min(n, n0 + nblock)
            m = n1 - n0
            g = np.zeros_like(x0[i, n0:n1])
            for t in range(length - 1, -1, -1):
                dt = dy[i, t, n0:n1]
                gt = db[i, t, n0:n1]
                lt = dlam[i, t, n0:n1]
                if t < length - 1:
                    ln = lam_c[i, t + 1, n0:n1]
                    for j in range(m):
                        g[j] = ln[j] * g[j] + dt[j]
                else:
                    for j in range(m):
                        g[j] = dt[j]
                if t > 0:
                    xp = x[i, t - 1, n0:n1]
                    for j in range(m):
                        gt[j] = g[j]
                        lt[j] = g[j] * np.conj(xp[j])
                else:
                    xp0 = x0[i, n0:n1]
                    for j in range(m):
                        gt[j] = g[j]
                        lt[j] = g[j] * np.conj(xp0[j])

    # Complex input, forward: the same loops with the state's real and imaginary parts
    # in two double arrays (xr, xi) and the complex input and output read as interleaved
    # reals, ``b`` and ``out`` of shape (B, L, 2N). The arithmetic is that of the loops
    # above (same products, same order: identical results), laid out so that the
    # compiler vectorizes it without complex shuffles (measured 1.1-1.3x faster).

    @nb.njit(**opts)
    def fwd_invariant_c(lam_re, lam_im, b, out, x0, nblock, check, sums):  # pragma: no cover
        batch, length, n2 = b.shape
        n = n2 // 2
        nb_n = (n + nblock - 1) // nblock
        for job in jobs(batch * nb_n):
            i = job // nb_n
            n0 = (job % nb_n) * nblock
            n1 = min(n, n0 + nblock)
            m = n1 - n0
            xr = x0[i, n0:n1].real.copy()
            xi = x0[i, n0:n1].imag.copy()
            acc = np.zeros(m)
            lr = lam_re[n0:n1]
            li = lam_im[n0:n1]
            if check:
                for t in range(length):
                    bt = b[i, t, 2 * n0:2 * n1]
                    ot = out[i, t, 2 * n0:2 * n1]
                    for j in range(m):
                        r = lr[j] * xr[j] - li[j] * xi[j] + bt[2 * j]
                        q = lr[j] * xi[j] + li[j] * xr[j] + bt[2 * j + 1]
                        xr[j] = r
                        xi[j] = q
                        ot[2 * j] = r
                        ot[2 * j + 1] = q
                        acc[j] += abs(r) + abs(q)
            else:
                for t in range(length):
                    bt = b[i, t, 2 * n0:2 * n1]
                    ot = out[i, t, 2 * n0:2 * n1]
                    for j in range(m):
                        r = lr[j] * xr[j] - li[j] * xi[j] + bt[2 * j]
                        q = lr[j] * xi[j] + li[j] * xr[j] + bt[2 * j + 1]
                        xr[j] = r
                        xi[j] = q
                        ot[2 * j] = r
                        ot[2 * j + 1] = q
            sums[job] = acc.sum() + np.abs(xr).sum() + np.abs(xi).sum()

    @nb.njit(**opts)
    def fwd_varying_c(lam, b, out, x0, nblock, check, sums):  # pragma: no cover - compiled
        # lam, b, out: (B, L, 2N) interleaved reals
        batch, length, n2 = b.shape
        n = n2 // 2
        nb_n = (n + nblock - 1) // nblock
        for job in jobs(batch * nb_n):
            i = job // nb_n
            n0 = (job % nb_n) * nblock
            n1 = min(n, n0 + nblock)
            m = n1 - n0
            xr = x0[i, n0:n1].real.copy()
            xi = x0[i, n0:n1].imag.copy()
            acc = np.zeros(m)
            for t in range(length):
                lt = lam[i, t, 2 * n0:2 * n1]
                bt = b[i, t, 2 * n0:2 * n1]
                ot = out[i, t, 2 * n0:2 * n1]
                for j in range(m):
                    lr = np.float64(lt[2 * j])
                    li = np.float64(lt[2 * j + 1])
                    r = lr * xr[j] - li * xi[j] + bt[2 * j]
                    q = lr * xi[j] + li * xr[j] + bt[2 * j + 1]
                    xr[j] = r
                    xi[j] = q
                    ot[2 * j] = r
                    ot[2 * j + 1] = q
                    if check:
                        acc[j] += abs(r) + abs(q)
            sums[job] = acc.sum() + np.abs(xr).sum() + np.abs(xi).sum()

    return fwd_invariant, fwd_varying, bwd_invariant, bwd_varying, fwd_invariant_c, fwd_varying_c


def _wide(dtype: torch.dtype) -> np.dtype:
    return np.dtype(np.complex128) if dtype.is_complex else np.dtype(np.float64)


def _np(t: torch.Tensor) -> np.ndarray:
    """A numpy view of a contiguous CPU tensor (no copy when already contiguous)."""
    return t.detach().resolve_conj().resolve_neg().contiguous().numpy()


def _plan(b: torch.Tensor) -> tuple[bool, int]:
    """(multi-threaded?, channels per job) for input ``b`` (B, L, N)."""
    batch, _, n = b.shape
    parallel = b.numel() >= PARALLEL_MIN and _num_threads() > 1
    return parallel, (_block(batch, n) if parallel else max(n, 1))


def _block(batch: int, n: int) -> int:
    """Channels per job: whole rows (contiguous streams) when the batch alone gives
    every thread work, else the channels split among the threads a batch element gets."""
    threads = max(1, _num_threads())
    per_row = -(-threads // batch)  # jobs wanted per batch element
    if per_row <= 1:
        return max(n, 1)
    block = -(-n // per_row)
    return min(n, max(16, -(-block // 16) * 16))  # whole 16-channel groups


def _num_threads() -> int:
    """Threads the kernels may use: numba's, but no more than torch's (a caller who set
    ``torch.set_num_threads(1)`` gets the serial kernels)."""
    import numba

    return min(numba.get_num_threads(), torch.get_num_threads())


def _launch(kernel, parallel: bool, *args) -> None:
    """Run a kernel. numba's OpenMP threading layer shares the OpenMP runtime with
    torch, and a parallel launch resets the thread count torch reports: it is put
    back, so calling the scan never changes ``torch.get_num_threads()``."""
    if not parallel:
        kernel(*args)
        return
    threads = torch.get_num_threads()
    try:
        kernel(*args)
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def _x0_wide(x0: torch.Tensor | None, batch: int, n: int, dtype: torch.dtype) -> np.ndarray:
    wide = _wide(dtype)
    if x0 is None:
        return np.zeros((batch, n), dtype=wide)
    return _np(x0).astype(wide)


def _forward(lam: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None,
             check: bool = False) -> tuple[torch.Tensor, bool]:
    """(x, finite): with ``check``, ``finite`` True guarantees that every stored value
    is finite, without a second pass over ``x`` (False may be a false alarm for huge
    finite values); without ``check``, True.

    How. A non-finite value of the double-precision state persists to the end of its
    sequence (NaN stays NaN, inf times a coefficient is inf or NaN, ``0 * inf`` is NaN),
    so the final states reveal every NaN or inf input and every overflow of the state
    itself. For complex128/float64 output the stored values are the states: the final
    states are the whole check. For complex64/float32 output a state above float32's
    largest value overflows when it is rounded for storage, and may shrink again later;
    the rounding then raises the processor's sticky overflow flag, read after the loop
    (:func:`_overflow_flag`, one C call, single-threaded kernels on Linux), or else the
    kernels add up every state's magnitude (the per-element check: 10-20% of the loop).
    """
    parallel, block = _plan(b)
    fwd_invariant, fwd_varying, _, _, fwd_invariant_c, fwd_varying_c = _kernels(parallel)
    batch, _, n = b.shape
    out = torch.empty(b.shape, dtype=b.dtype)
    xw = _x0_wide(x0, batch, n, b.dtype)
    sums = np.zeros(batch * (-(-n // block)), dtype=np.float64)
    single = b.dtype in (torch.complex64, torch.float32)
    flag = _overflow_flag() if (check and single and not parallel) else None
    per_element = check and single and flag is None
    if flag is not None:
        flag.clear()
    if b.dtype.is_complex:  # interleaved real views of b and out: (B, L, 2N), no copies
        real = np.float32 if b.dtype == torch.complex64 else np.float64
        b_re, out_re = _np(b).view(real), out.numpy().view(real)
        if lam.ndim == 1:
            lam_w = _np(lam).astype(np.complex128)
            _launch(fwd_invariant_c, parallel, lam_w.real.copy(), lam_w.imag.copy(), b_re,
                    out_re, xw, block, per_element, sums)
        else:
            _launch(fwd_varying_c, parallel, _np(lam).view(real), b_re, out_re, xw, block,
                    per_element, sums)
    elif lam.ndim == 1:
        _launch(fwd_invariant, parallel, _np(lam).astype(_wide(b.dtype)), _np(b), out.numpy(),
                xw, block, per_element, sums)
    else:
        _launch(fwd_varying, parallel, _np(lam), _np(b), out.numpy(), xw, block, per_element,
                sums)
    if not check:
        return out, True
    overflowed = flag is not None and flag.raised()
    limit = float(np.finfo(np.float32).max) if single else float("inf")
    return out, bool(sums.sum() < limit) and not overflowed  # NaN < limit is False


class _Flag:
    """The C library's floating-point overflow flag (``<fenv.h>``), through ctypes."""

    def __init__(self, lib, fe_overflow: int) -> None:
        self._clear, self._test, self._bit = lib.feclearexcept, lib.fetestexcept, fe_overflow
        for f in (self._clear, self._test):
            f.argtypes, f.restype = [ctypes.c_int], ctypes.c_int

    def clear(self) -> None:
        self._clear(self._bit)

    def raised(self) -> bool:
        return bool(self._test(self._bit))


#: FE_OVERFLOW of glibc's <fenv.h> by processor (bits/fenv.h of each architecture).
_FE_OVERFLOW = {"x86_64": 0x08, "AMD64": 0x08, "aarch64": 0x04, "arm64": 0x04}


@lru_cache(maxsize=None)
def _overflow_flag() -> _Flag | None:
    """The overflow flag of the calling thread, or None where it is not known to work
    (then the kernels check every value). Linux only, x86-64 and AArch64, and only after
    a self-test: rounding a too-large double to float32 must raise the flag, and
    clearing must lower it."""
    bit = _FE_OVERFLOW.get(platform.machine())
    if platform.system() != "Linux" or bit is None:
        return None
    try:
        flag = _Flag(ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6"), bit)
        flag.clear()
        if flag.raised():
            return None
        with np.errstate(over="ignore"):
            np.array([1e300]).astype(np.float32)  # rounds to inf: overflow
        raised = flag.raised()
        flag.clear()
        return flag if raised and not flag.raised() else None
    except (OSError, AttributeError):  # pragma: no cover - no C math library
        return None


def _backward(lam: torch.Tensor, x: torch.Tensor, dy: torch.Tensor,
              x0: torch.Tensor | None = None, need_lam: bool = True):
    """(dlam, db, dx0) for the upstream gradient ``dy``."""
    parallel, block = _plan(dy)
    _, _, bwd_invariant, bwd_varying, _, _ = _kernels(parallel)
    batch, _, n = dy.shape
    db = torch.empty(dy.shape, dtype=dy.dtype)
    xw = _x0_wide(x0, batch, n, dy.dtype)
    lam_c = lam.detach().conj()
    if lam.ndim == 1:
        part = np.empty((batch, n), dtype=xw.dtype)
        _launch(bwd_invariant, parallel, _np(lam_c).astype(xw.dtype), _np(dy), _np(x),
                db.numpy(), part, xw, block)
        dlam = torch.from_numpy(part.sum(axis=0)).to(lam.dtype) if need_lam else None
        lam0_c = lam_c
    else:
        dlam = torch.empty(dy.shape, dtype=dy.dtype)
        _launch(bwd_varying, parallel, _np(lam_c), _np(dy), _np(x), db.numpy(), dlam.numpy(),
                xw, block)
        dlam = dlam if need_lam else None
        lam0_c = lam_c[:, 0]
    dx0 = None if x0 is None else lam0_c * db[:, 0]  # dL/dx0 = conj(lam_0) g_0
    return dlam, db, dx0


class CompiledScan(torch.autograd.Function):
    """``x = scan(lam, b, x0)`` with the compiled forward and backward."""

    @staticmethod
    def forward(ctx, lam: torch.Tensor, b: torch.Tensor,  # type: ignore[override]
                x0: torch.Tensor | None = None, report: list | None = None) -> torch.Tensor:
        x, finite = _forward(lam, b, x0, check=report is not None)
        if report is not None:
            report.append(finite)
        ctx.has_x0 = x0 is not None
        ctx.save_for_backward(lam, x, *((x0,) if x0 is not None else ()))
        return x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dy: torch.Tensor):  # type: ignore[override]
        lam, x, *rest = ctx.saved_tensors
        x0 = rest[0] if ctx.has_x0 else None
        dlam, db, dx0 = _backward(lam, x, dy, x0, ctx.needs_input_grad[0])
        return (dlam, db if ctx.needs_input_grad[1] else None,
                dx0 if ctx.needs_input_grad[2] else None, None)


def scan_compiled(lam: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None,
                  report: list | None = None, *, check_finite: bool = True) -> torch.Tensor:
    """Inclusive scan of ``x_k = lam_k x_{k-1} + b_k`` from ``x_{-1} = x0``, compiled loops.

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N), CPU
    b : Tensor, shape (B, L, N), CPU, same dtype as ``lam``
        complex64, complex128, float32 or float64.
    x0 : Tensor, shape (B, N), optional
        Initial state (zero if omitted), same dtype.
    report : list, optional
        If given, ``True`` is appended when every value of the result is
        guaranteed finite, ``False`` otherwise (a non-finite value, or a false
        alarm when the sum of ``|Re x| + |Im x|`` reaches the dtype's largest value), found
        by the kernel while it writes them: no second pass over the result. The
        caller then judges the values: nothing is raised for them, whatever
        ``check_finite``.
    check_finite : bool
        Without ``report``: check the result's values as :func:`ssmlib.scan` does
        (the kernel's running sums, no second pass over the result): a NaN or inf
        input raises ``ValueError`` naming it, and so do states that overflow the
        dtype. ``False`` returns the values as computed.

    Returns
    -------
    Tensor, shape (B, L, N)
        Differentiable with respect to ``lam``, ``b`` and ``x0`` (compiled backward).

    Raises
    ------
    TypeError
        If ``lam``, ``b`` or ``x0`` is not a tensor or has the wrong dtype, ``report``
        is not None or a list, or ``check_finite`` is not a bool.
    ValueError
        For mismatched shapes or devices, tensors not on the CPU, no numba, and
        (``check_finite=True``, no ``report``) non-finite values.

    Notes
    -----
    Needs numba. :func:`ssmlib.scan` (``backend="compiled"``) runs the same checks and
    then the unchecked kernels.
    """
    check_finite = _check_compiled_args(lam, b, x0, report, check_finite)
    if report is not None or not check_finite:
        return _scan_compiled(lam, b, x0, report)
    # the value check of ssmlib.scan: the kernel's report, and the coefficients no
    # output depends on (lam (N,) when L = 1, lam[:, 0] when x0 is omitted)
    found: list = []
    out = _scan_compiled(lam, b, x0, found)
    if b.shape[1] == 0:
        _check_inputs_finite(lam, b, x0)  # no state computed: the inputs themselves
        return out
    unseen = unseen_coefficients(lam, x0)
    if found[0] and (unseen is None or _all_finite_cpu(unseen)):
        return out
    _check_inputs_finite(lam, b, x0)
    _check_overflow(out, lam)
    return out


def _check_compiled_args(lam, b, x0, report, check_finite) -> bool:
    """The argument checks of :func:`scan_compiled` (no value is read); returns
    ``check_finite`` as a bool."""
    check_finite = check_flag(check_finite)
    check_scan_args(lam, b, x0)
    if report is not None and not isinstance(report, list):
        raise TypeError(f"report must be None or a list, got {type(report).__name__}")
    _require_compiled(b, "scan_compiled", "ssmlib.scan.scan_chunked")
    return check_finite


def _require_compiled(b: torch.Tensor, what: str, alternative: str) -> None:
    """The compiled backend's preconditions: ``b`` on the CPU and numba importable;
    else a ValueError saying so, naming the caller's entry point ``what`` and the pure
    torch ``alternative``."""
    if b.device.type != "cpu":
        raise ValueError(f"{what} runs on CPU tensors; b is on {b.device}")
    if not numba_available():
        raise _numba_missing(what, alternative)


def _numba_missing(what: str, alternative: str) -> ValueError:
    return ValueError(f"{what} needs the numba package (pip install numba, or the ssmlib "
                      f"'accel' extra); use {alternative} (pure torch) without it")


def _scan_compiled(lam: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None,
                   report: list | None = None) -> torch.Tensor:
    """:func:`scan_compiled` without checks (for validated input; ``report`` as there)."""
    if not (torch.is_grad_enabled() and any(
            t is not None and t.requires_grad for t in (lam, b, x0))):
        x, finite = _forward(lam, b, x0, check=report is not None)  # no graph to record
        if report is not None:
            report.append(finite)
        return x
    return CompiledScan.apply(lam, b, x0, report)
