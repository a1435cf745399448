"""Triton kernels for the scan (chapter 8), imported lazily by :mod:`ssmlib.scan.triton_kernel`.

``triton.jit`` (and triton's own library functions) pick compiled or
interpreted mode when they are decorated, so ``TRITON_INTERPRET=1`` must be set
before triton is first imported in the process.

Layout: complex tensors are passed as their real views (``torch.view_as_real``,
trailing axis of 2: real, imaginary), real tensors as they are. Element
``(b, t, n)`` sits at ``b * s_b + t * s_l + n * s_n`` (+1 for the imaginary
part).

One program handles one batch element ``b`` and a tile of ``BLOCK_N`` channels
(grid ``(B, cdiv(N, BLOCK_N))``). It walks over time in chunks of ``BLOCK_L``
steps: it loads a ``(BLOCK_L, BLOCK_N)`` tile, scans it along time with
``tl.associative_scan`` and the operator ``(a1, b1) o (a2, b2) = (a1 a2,
a2 b1 + b2)``, adds ``P_t h`` where ``h`` is the carried state (kept in
registers) and ``P_t`` the scanned coefficient products, stores the tile, and
keeps its last row as the next carry. Arithmetic is in the storage precision
(fp32 for complex64/float32, fp64 for complex128/float64).
"""

import triton
import triton.language as tl


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
def linear_scan_kernel(
    lam_ptr,
    src_ptr,
    dst_ptr,
    x_ptr,
    dlam_ptr,
    L,
    N,
    s_b,
    s_l,
    s_n,
    IS_COMPLEX: tl.constexpr,
    TIME_VARYING: tl.constexpr,
    BACKWARD: tl.constexpr,
    BLOCK_L: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """Forward: dst = scan(lam, src). Backward: dst = g with g_t = src_t + conj(lam_{t+1}) g_{t+1},
    and dlam (g_t conj(x_{t-1})): per (b, n) partial sums if not TIME_VARYING, else per element.

    lam has the layout of src when TIME_VARYING, else shape (N[, 2]) with stride s_n.
    dlam: (B, N[, 2]) contiguous partial sums (time-invariant) or the layout of src.
    """
    pid_b = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask_n = offs_n < N
    rows = tl.arange(0, BLOCK_L)
    dtype = dst_ptr.dtype.element_ty
    base = pid_b.to(tl.int64) * s_b

    if not TIME_VARYING:
        lam_r = tl.load(lam_ptr + offs_n * s_n, mask=mask_n, other=0.0).to(dtype)
        lam_r2 = tl.broadcast_to(lam_r[None, :], (BLOCK_L, BLOCK_N))
        if IS_COMPLEX:
            lam_i = tl.load(lam_ptr + offs_n * s_n + 1, mask=mask_n, other=0.0).to(dtype)
            if BACKWARD:
                lam_i = -lam_i  # conj(lam)
            lam_i2 = tl.broadcast_to(lam_i[None, :], (BLOCK_L, BLOCK_N))

    carry_r = tl.zeros([BLOCK_N], dtype=dtype)
    carry_i = tl.zeros([BLOCK_N], dtype=dtype)
    acc_r = tl.zeros([BLOCK_N], dtype=dtype)
    acc_i = tl.zeros([BLOCK_N], dtype=dtype)

    for c in range(0, tl.cdiv(L, BLOCK_L)):
        t = c * BLOCK_L + rows  # position in scan order
        if BACKWARD:
            tm = L - 1 - t  # memory position: the backward scan runs in reverse time
        else:
            tm = t
        mask_t = t < L
        mask = mask_t[:, None] & mask_n[None, :]
        off = base + tm[:, None].to(tl.int64) * s_l + offs_n[None, :] * s_n
        br = tl.load(src_ptr + off, mask=mask, other=0.0).to(dtype)
        if IS_COMPLEX:
            bi = tl.load(src_ptr + off + 1, mask=mask, other=0.0).to(dtype)

        # coefficients a_t of this chunk
        if TIME_VARYING:
            if BACKWARD:
                # g_t = dy_t + conj(lam_{t+1}) g_{t+1}: coefficient read one step later
                mask_a = mask & ((tm + 1) < L)[:, None]
                ar = tl.load(lam_ptr + off + s_l, mask=mask_a, other=0.0).to(dtype)
                if IS_COMPLEX:
                    ai = -tl.load(lam_ptr + off + s_l + 1, mask=mask_a, other=0.0).to(dtype)
            else:
                ar = tl.load(lam_ptr + off, mask=mask, other=1.0).to(dtype)
                if IS_COMPLEX:
                    ai = tl.load(lam_ptr + off + 1, mask=mask, other=0.0).to(dtype)
        else:
            ar = lam_r2
            if IS_COMPLEX:
                ai = lam_i2

        # scan the chunk from a zero state, then add P_t * carry
        if IS_COMPLEX:
            pr, pi, sr, si = tl.associative_scan((ar, ai, br, bi), 0, _combine_complex)
            xr = sr + pr * carry_r[None, :] - pi * carry_i[None, :]
            xi = si + pr * carry_i[None, :] + pi * carry_r[None, :]
            tl.store(dst_ptr + off, xr, mask=mask)
            tl.store(dst_ptr + off + 1, xi, mask=mask)
        else:
            pr, sr = tl.associative_scan((ar, br), 0, _combine_real)
            xr = sr + pr * carry_r[None, :]
            tl.store(dst_ptr + off, xr, mask=mask)

        # next carry: the last valid row of this chunk
        last = tl.minimum(L - c * BLOCK_L, BLOCK_L) - 1
        sel = (rows == last)[:, None]
        carry_r = tl.sum(tl.where(sel, xr, 0.0), axis=0)
        if IS_COMPLEX:
            carry_i = tl.sum(tl.where(sel, xi, 0.0), axis=0)

        if BACKWARD:
            # dlam_t = g_t conj(x_{t-1}), with x_{-1} = 0
            mask_x = mask & (tm >= 1)[:, None]
            pr_ = tl.load(x_ptr + off - s_l, mask=mask_x, other=0.0).to(dtype)
            if IS_COMPLEX:
                pi_ = tl.load(x_ptr + off - s_l + 1, mask=mask_x, other=0.0).to(dtype)
                dr = xr * pr_ + xi * pi_
                di = xi * pr_ - xr * pi_
            else:
                dr = xr * pr_
            if TIME_VARYING:
                tl.store(dlam_ptr + off, dr, mask=mask)
                if IS_COMPLEX:
                    tl.store(dlam_ptr + off + 1, di, mask=mask)
            else:
                acc_r += tl.sum(tl.where(mask, dr, 0.0), axis=0)
                if IS_COMPLEX:
                    acc_i += tl.sum(tl.where(mask, di, 0.0), axis=0)

    if BACKWARD:
        if not TIME_VARYING:
            off_d = (pid_b * N + offs_n) * s_n
            tl.store(dlam_ptr + off_d, acc_r, mask=mask_n)
            if IS_COMPLEX:
                tl.store(dlam_ptr + off_d + 1, acc_i, mask=mask_n)
