"""Triton kernels for the scan (chapter 8), imported lazily by :mod:`ssmlib.scan.triton_kernel`.

``triton.jit`` (and triton's own library functions) pick compiled or
interpreted mode when they are decorated, so ``TRITON_INTERPRET=1`` must be set
before triton is first imported in the process.

Layout
------
Complex tensors are passed as their real views (``torch.view_as_real``, a
trailing axis of 2: real, imaginary), real tensors as they are. Element
``(b, t, n)`` sits at ``b * s_b + t * s_l + n * s_n`` (+1 for the imaginary
part). A complex tile is loaded as one ``(BLOCK_L, BLOCK_N, 2)`` block of
consecutive addresses (coalesced: neighbouring threads read neighbouring
words) and split into its real and imaginary parts in registers
(``tl.split``); results are joined back (``tl.join``) and stored the same way.

The time-parallel scan (three phases)
-------------------------------------
The time axis is cut into chunks of ``CHUNK_L`` steps; the grid is
``(B, cdiv(N, BLOCK_N), cdiv(L, CHUNK_L))``, so even one long sequence
(``B = 1``) gives many programs. One kernel, :func:`chunk_scan_kernel`, runs
phases (i) and (iii); phase (ii) is the same kernel again, one level up:

(i) ``PHASE=0``: each program scans its chunk from a zero state, in tiles of
    ``BLOCK_L`` steps (``tl.associative_scan`` with the operator
    ``(a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2)`` inside a tile, a carry in
    registers from tile to tile), and writes only the chunk's summary: the
    product ``A_c`` of its coefficients and its final state ``S_c``.
(ii) the summaries form a shorter recurrence ``h_c = A_c h_{c-1} + S_c`` with
    time-varying coefficients: it is solved by the same scan (recursively,
    until one chunk covers it), giving the state ``h_{c-1}`` entering chunk ``c``.
(iii) ``PHASE=1``: each program re-scans its chunk starting from ``h_{c-1}``
    and writes the states (the "recompute" variant: ``b`` is read twice, ``x``
    written once, no read-modify-write pass over ``x``).

Backward (``BACKWARD=True``) is the same scan run backwards in time with
coefficients ``conj(lam)`` (time-invariant) or ``conj(lam_{t+1})`` (time-varying,
0 after the last step) on the output gradient; the final pass also forms
``dlam_t = g_t conj(x_{t-1})``: stored per element for time-varying ``lam``,
summed over the chunk in registers (one partial sum per (b, chunk, n), summed
by the caller) for time-invariant ``lam``. Chunk summaries are indexed in scan
order, so phase (ii) is always a forward scan.

Precision: arithmetic in the storage precision (fp32 for complex64/float32).
Rounding errors add up along the longest chain of dependent operations: about
``CHUNK_L / BLOCK_L + log2(BLOCK_L)`` steps inside a chunk plus the chain of the
summary scan (``L / CHUNK_L`` steps, itself chunked), instead of ``L`` for a
sequential walk. For time-invariant ``lam`` the caller replaces the chunk products
``A_c`` by ``lam^T`` computed in float64 and rounded once, so that the carries do
not repeat the rounding error of a ``CHUNK_L``-fold product. Measured in the
interpreter (complex64 against a complex128 loop, max error / max |x|): 1.7e-6,
3.1e-6, 3.5e-6 at L = 4096, 16384, 65536 for |lam| = 0.9999 (the error saturates
with the recurrence's memory of ~1e4 steps); 4.8e-7 and 5.8e-7 at L = 1024 and
32768 for |lam| = 0.99.

Interpreter: Triton's interpreter runs a user-defined ``tl.associative_scan``
one element at a time in Python; :func:`_tree_scan` replaces that (in the
interpreter only) by a vectorized log-depth tree over the same combine function.
"""

import os

import triton
import triton.language as tl

INTERPRET = os.environ.get("TRITON_INTERPRET", "0") not in ("", "0", "false", "False")


def _tree_scan(self, inputs):
    """Interpreter only: ``tl.associative_scan`` with a user combine as a log-depth tree.

    Triton's interpreter runs a user-defined ``associative_scan`` one element at a
    time (a Python call per element: milliseconds per tile row on a shared CPU).
    This replacement applies the same combine function to whole shifted tiles,
    Hillis-Steele style (``ceil(log2 BLOCK_L)`` vectorized calls), which is also
    closer to what the compiled scan does on a GPU: a tree, so a combine that
    were not associative would fail the tests here too.
    """
    import numpy as np

    axis = self.axis
    acc = [np.array(arg.handle.data, copy=True) for arg in inputs]
    dtypes = [arg.dtype for arg in inputs]
    length = acc[0].shape[axis]
    keep = [slice(None)] * acc[0].ndim
    shift = 1
    while shift < length:
        # combine(acc[i - shift], acc[i]) for i >= shift; tiles keep their power-of-two
        # shape (np.roll), and the wrapped-around rows i < shift are discarded
        keep[axis] = slice(shift, length)
        hi = tuple(keep)
        left = [self.to_tensor(np.roll(a, shift, axis=axis), d) for a, d in zip(acc, dtypes)]
        right = [self.to_tensor(a.copy(), d) for a, d in zip(acc, dtypes)]
        with np.errstate(all="ignore"):
            out = self.combine_fn.fn(*left, *right)
        out = out if isinstance(out, tuple) else (out,)
        new = [a.copy() for a in acc]
        for a, o in zip(new, out):
            a[hi] = o.handle.data[hi]
        acc = new
        shift *= 2
    return [self.to_tensor(a, d) for a, d in zip(acc, dtypes)]


if INTERPRET:  # pragma: no branch - decided once per process
    from triton.runtime import interpreter as _interpreter

    if hasattr(_interpreter, "ScanOps") and hasattr(_interpreter.ScanOps, "generic_scan"):
        _interpreter.ScanOps.generic_scan = _tree_scan


@triton.jit
def _combine_complex(a1r, a1i, b1r, b1i, a2r, a2i, b2r, b2i):
    # (a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2) (chapter 8)
    ar = a1r * a2r - a1i * a2i
    ai = a1r * a2i + a1i * a2r
    br = a2r * b1r - a2i * b1i + b2r
    bi = a2r * b1i + a2i * b1r + b2i
    return ar, ai, br, bi


@triton.jit
def _combine_real(a1, b1, a2, b2):
    return a1 * a2, a2 * b1 + b2


@triton.jit
def _last_row(v, rows, BLOCK_L: tl.constexpr):
    return tl.sum(tl.where((rows == BLOCK_L - 1)[:, None], v, 0.0), axis=0)


@triton.jit
def chunk_scan_kernel(
    lam_ptr,
    src_ptr,
    dst_ptr,
    x_ptr,
    dlam_ptr,
    sum_a_ptr,
    sum_s_ptr,
    init_ptr,
    L,
    N,
    n_chunks,
    s_b,
    s_l,
    s_n,
    IS_COMPLEX: tl.constexpr,
    TIME_VARYING: tl.constexpr,
    BACKWARD: tl.constexpr,
    PHASE: tl.constexpr,
    HAS_INIT: tl.constexpr,
    CHUNK_L: tl.constexpr,
    BLOCK_L: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """One chunk of the scan: summaries (PHASE 0) or states from an initial carry (PHASE 1).

    Forward: ``x_t = lam_t x_{t-1} + src_t``. Backward: ``g_t = src_t + conj(lam_{t+1}) g_{t+1}``
    (in scan order: reversed time) and, in PHASE 1, ``dlam_t = g_t conj(x_{t-1})``.

    lam: the layout of src when TIME_VARYING, else (N[, 2]) with stride s_n.
    sum_a, sum_s, init and the time-invariant dlam partial sums: (B, n_chunks, N[, 2]),
    contiguous; init[c - 1] is the state entering chunk c (HAS_INIT).
    """
    pid_b = tl.program_id(0)
    pid_n = tl.program_id(1)
    pid_c = tl.program_id(2)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask_n = offs_n < N
    rows = tl.arange(0, BLOCK_L)
    two = tl.arange(0, 2)
    dtype = src_ptr.dtype.element_ty
    base = pid_b.to(tl.int64) * s_b
    c_start = pid_c * CHUNK_L  # first step of this chunk, in scan order
    c_end = tl.minimum(c_start + CHUNK_L, L)
    # row of this chunk in the (B, n_chunks, N) summary arrays
    sum_off = ((pid_b.to(tl.int64) * n_chunks + pid_c) * N + offs_n) * s_n

    # time-invariant coefficients: one row, conjugated for the backward scan
    if not TIME_VARYING:
        if IS_COMPLEX:
            lam_pair = tl.load(lam_ptr + (offs_n * s_n)[:, None] + two[None, :],
                               mask=mask_n[:, None], other=0.0)
            lam_r, lam_i = tl.split(lam_pair)
            if BACKWARD:
                lam_i = -lam_i
        else:
            lam_r = tl.load(lam_ptr + offs_n * s_n, mask=mask_n, other=0.0)

    carry_r = tl.zeros([BLOCK_N], dtype=dtype)
    carry_i = tl.zeros([BLOCK_N], dtype=dtype)
    if HAS_INIT:  # the state entering this chunk (zero for the first chunk)
        init_off = sum_off - N * s_n  # row c - 1
        mask_init = mask_n & ((offs_n * 0 + pid_c) > 0)
        carry_r = tl.load(init_ptr + init_off, mask=mask_init, other=0.0)
        if IS_COMPLEX:
            carry_i = tl.load(init_ptr + init_off + 1, mask=mask_init, other=0.0)
    prod_r = tl.full([BLOCK_N], 1.0, dtype=dtype)
    prod_i = tl.zeros([BLOCK_N], dtype=dtype)
    acc_r = tl.zeros([BLOCK_N], dtype=dtype)
    acc_i = tl.zeros([BLOCK_N], dtype=dtype)

    for j in range(c_start, c_end, BLOCK_L):
        t = j + rows  # position in scan order
        if BACKWARD:
            tm = L - 1 - t  # memory position: the backward scan runs in reverse time
        else:
            tm = t
        mask = (t < c_end)[:, None] & mask_n[None, :]
        off = base + tm[:, None].to(tl.int64) * s_l + (offs_n * s_n)[None, :]
        # padding rows and channels: coefficient 1, input 0 (the state passes unchanged,
        # so the last row of the tile holds the chunk's last valid state)
        if IS_COMPLEX:
            off2 = off[:, :, None] + two[None, None, :]
            mask2 = mask[:, :, None] & (two >= 0)[None, None, :]
            br, bi = tl.split(tl.load(src_ptr + off2, mask=mask2, other=0.0))
            if TIME_VARYING:
                if BACKWARD:
                    # coefficient conj(lam_{t+1}); 0 after the last step
                    mask_a = mask & ((tm + 1) < L)[:, None]
                    mask_a2 = mask_a[:, :, None] & (two >= 0)[None, None, :]
                    ar, ai = tl.split(tl.load(lam_ptr + off2 + s_l, mask=mask_a2, other=0.0))
                    ai = -ai
                    ar = tl.where(mask, ar, 1.0)
                else:
                    ar, ai = tl.split(tl.load(lam_ptr + off2, mask=mask2, other=0.0))
                    ar = tl.where(mask, ar, 1.0)
            else:
                ar = tl.where(mask, tl.broadcast_to(lam_r[None, :], (BLOCK_L, BLOCK_N)), 1.0)
                ai = tl.where(mask, tl.broadcast_to(lam_i[None, :], (BLOCK_L, BLOCK_N)), 0.0)
            pr, pi, sr, si = tl.associative_scan((ar, ai, br, bi), 0, _combine_complex)
            xr = sr + pr * carry_r[None, :] - pi * carry_i[None, :]
            xi = si + pr * carry_i[None, :] + pi * carry_r[None, :]
            carry_r = _last_row(xr, rows, BLOCK_L)
            carry_i = _last_row(xi, rows, BLOCK_L)
            if PHASE == 0:
                tr = _last_row(pr, rows, BLOCK_L)
                ti = _last_row(pi, rows, BLOCK_L)
                prod_r, prod_i = tr * prod_r - ti * prod_i, tr * prod_i + ti * prod_r
            else:
                tl.store(dst_ptr + off2, tl.join(xr, xi), mask=mask2)
                if BACKWARD:
                    # dlam_t = g_t conj(x_{t-1}), with x_{-1} = 0
                    mask_x2 = mask2 & (tm >= 1)[:, None, None]
                    qr, qi = tl.split(tl.load(x_ptr + off2 - s_l, mask=mask_x2, other=0.0))
                    dr = xr * qr + xi * qi
                    di = xi * qr - xr * qi
                    if TIME_VARYING:
                        tl.store(dlam_ptr + off2, tl.join(dr, di), mask=mask2)
                    else:
                        acc_r += tl.sum(tl.where(mask, dr, 0.0), axis=0)
                        acc_i += tl.sum(tl.where(mask, di, 0.0), axis=0)
        else:
            br = tl.load(src_ptr + off, mask=mask, other=0.0)
            if TIME_VARYING:
                if BACKWARD:
                    mask_a = mask & ((tm + 1) < L)[:, None]
                    ar = tl.load(lam_ptr + off + s_l, mask=mask_a, other=0.0)
                    ar = tl.where(mask, ar, 1.0)
                else:
                    ar = tl.load(lam_ptr + off, mask=mask, other=1.0)
            else:
                ar = tl.where(mask, tl.broadcast_to(lam_r[None, :], (BLOCK_L, BLOCK_N)), 1.0)
            pr, sr = tl.associative_scan((ar, br), 0, _combine_real)
            xr = sr + pr * carry_r[None, :]
            carry_r = _last_row(xr, rows, BLOCK_L)
            if PHASE == 0:
                prod_r = _last_row(pr, rows, BLOCK_L) * prod_r
            else:
                tl.store(dst_ptr + off, xr, mask=mask)
                if BACKWARD:
                    mask_x = mask & (tm >= 1)[:, None]
                    dr = xr * tl.load(x_ptr + off - s_l, mask=mask_x, other=0.0)
                    if TIME_VARYING:
                        tl.store(dlam_ptr + off, dr, mask=mask)
                    else:
                        acc_r += tl.sum(tl.where(mask, dr, 0.0), axis=0)

    if PHASE == 0:
        tl.store(sum_a_ptr + sum_off, prod_r, mask=mask_n)
        tl.store(sum_s_ptr + sum_off, carry_r, mask=mask_n)
        if IS_COMPLEX:
            tl.store(sum_a_ptr + sum_off + 1, prod_i, mask=mask_n)
            tl.store(sum_s_ptr + sum_off + 1, carry_i, mask=mask_n)
    else:
        if BACKWARD:
            if not TIME_VARYING:
                tl.store(dlam_ptr + sum_off, acc_r, mask=mask_n)
                if IS_COMPLEX:
                    tl.store(dlam_ptr + sum_off + 1, acc_i, mask=mask_n)


def _autotune_configs():
    """A few tile shapes around one 256-byte complex64 row per step (compiling each costs seconds)."""
    shapes = [(32, 64, 4), (64, 32, 4), (16, 64, 2), (64, 64, 8)]
    return [triton.Config({"BLOCK_N": bn, "BLOCK_L": bl}, num_warps=w) for bn, bl, w in shapes]


#: The same kernel with (BLOCK_N, BLOCK_L, num_warps) autotuned per problem on a GPU.
#: CHUNK_L is chosen by the caller: it fixes the number of chunks, hence the size of
#: the summary arrays and the grid of every phase, which must agree.
#: Every phase only stores (no accumulation into its outputs), so re-running it
#: while timing configurations is harmless.
chunk_scan_autotuned = triton.autotune(
    configs=_autotune_configs(),
    key=["L", "N", "n_chunks", "IS_COMPLEX", "TIME_VARYING", "BACKWARD", "PHASE", "HAS_INIT", "CHUNK_L"],
)(chunk_scan_kernel) if not INTERPRET else None
