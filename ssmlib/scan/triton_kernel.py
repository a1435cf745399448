"""The Triton backend of :func:`ssmlib.scan` (chapter 8, "the scan on a GPU").

The scan is time-parallel: the time axis is cut into chunks of ``CHUNK_L`` steps
handled by different programs, grid ``(B, cdiv(N, BLOCK_N), cdiv(L, CHUNK_L))``,
in three phases (see :mod:`ssmlib.scan._triton_kernels`): (i) every chunk's
summary, the product ``A_c`` of its coefficients and its final state ``S_c`` from
a zero state; (ii) the recurrence over the summaries, ``h_c = A_c h_{c-1} + S_c``,
solved by the same scan one level up (recursively, until one chunk covers it);
(iii) every chunk again from the state ``h_{c-1}`` entering it, writing ``x``.
For time-invariant ``lam`` the chunk products ``A_c = lam^T`` are computed once in
float64 and rounded (:func:`ssmlib.scan.parallel.lam_powers`), so the carries do
not repeat a running product's rounding error.

Two ``torch.library`` operators wrap the kernel:

* ``ssmlib::linear_scan(lam, b, chunk_l, block_l, block_n, num_warps) -> x``, the
  forward scan with a zero initial state (0 for a size: the default, or autotuned);
* ``ssmlib::linear_scan_backward(lam, x, dy, ...) -> (g, dlam)``, the reversed
  scan ``g_t = dy_t + conj(lam_{t+1}) g_{t+1}`` (the same three phases backwards in
  time) with ``dlam_t = g_t conj(x_{t-1})`` fused into its final pass (per element
  for time-varying ``lam``; for time-invariant ``lam`` summed over each chunk in
  registers, then over chunks and batch).

On a GPU they are registered with ``torch.library.triton_op`` (``custom_op`` on
torch older than 2.6) and launch through ``wrap_triton``, so ``torch.compile``
traces through them without a graph break and Inductor sees the kernel launches;
the backward is attached with ``torch.library.register_autograd``.

On CPU tensors the kernels run in Triton's interpreter when ``TRITON_INTERPRET=1``
is set (slow, for tests). Set it before triton is first imported in the process:
triton fixes the mode of every ``@triton.jit`` function, its own library
functions included, when it decorates them; this module reads it at import too
(in the interpreter the operators are opaque ``custom_op``s with shape rules).
"""

from __future__ import annotations

import os
from types import ModuleType

import torch

__all__ = ["scan_triton", "default_blocks", "default_triton_chunk"]


def _interpret_mode() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0", "false", "False")


def _kernels() -> ModuleType:
    """The kernel module, imported on first use (so importing ssmlib never imports triton)."""
    from . import _triton_kernels

    return _triton_kernels


def default_blocks(length: int, n: int, device: torch.device) -> tuple[int, int, int]:
    """Fixed tile sizes ``(BLOCK_L, BLOCK_N, num_warps)``, used where nothing is autotuned.

    On a GPU the kernel autotunes these (:data:`_triton_kernels.chunk_scan_autotuned`)
    unless the caller fixes them; this fallback is 64 steps by up to 32 channels (one
    256-byte row of complex64 per time step), 4 warps. In the interpreter: small
    tiles, since every element costs Python time.
    """
    if device.type != "cuda":
        return 16, 8, 1
    block_n = 32 if n >= 32 else max(1, 1 << max(0, (n - 1).bit_length()))
    block_l = 64 if length >= 64 else max(16, 1 << max(0, (length - 1).bit_length()))
    return block_l, block_n, 4


def default_triton_chunk(batch: int, length: int, n: int, device: torch.device) -> int:
    """Steps per chunk ``CHUNK_L`` (a power of two): enough chunks to fill the device.

    On a GPU, aim at about four programs per streaming multiprocessor over the
    grid ``(B, cdiv(N, 32), cdiv(L, CHUNK_L))``, with ``256 <= CHUNK_L <= 8192``
    (short chunks make the summary scan longer; long ones leave SMs idle).
    In the interpreter: 64 steps, so that short test sequences already have
    several chunks.
    """
    if device.type != "cuda":
        return 64
    sms = torch.cuda.get_device_properties(device).multi_processor_count
    lanes = max(1, batch * _cdiv(n, 32))
    chunks = max(1, _cdiv(4 * sms, lanes))
    chunk = 1 << max(0, (_cdiv(length, chunks) - 1).bit_length())
    return int(min(max(chunk, 256), 8192))


def _real_view(t: torch.Tensor) -> torch.Tensor:
    t = t.resolve_conj().contiguous()
    return torch.view_as_real(t) if t.is_complex() else t


def _launch(k, grid3, args, meta, blocks):
    """Run ``chunk_scan_kernel``; ``blocks = (block_l, block_n, num_warps)``, 0 = autotune."""
    block_l, block_n, num_warps = blocks
    tuned = not _interpret_mode() and (block_l == 0 or block_n == 0)
    kernel = k.chunk_scan_autotuned if tuned else k.chunk_scan_kernel
    if not _OPAQUE:
        from torch.library import wrap_triton

        kernel = wrap_triton(kernel)
    batch, n, n_chunks = grid3
    if tuned:
        kernel[lambda m: (batch, _cdiv(n, m["BLOCK_N"]), n_chunks)](*args, **meta)
    elif _interpret_mode():
        kernel[(batch, _cdiv(n, block_n), n_chunks)](*args, **meta, BLOCK_L=block_l, BLOCK_N=block_n)
    else:
        kernel[(batch, _cdiv(n, block_n), n_chunks)](
            *args, **meta, BLOCK_L=block_l, BLOCK_N=block_n, num_warps=num_warps)


def _scan_real(lam_r, src_r, shape, cplx, time_varying, backward, x_r, chunk_l, blocks,
               dst=None, dlam=None):
    """The three phases on real views; returns (states or adjoint states, dlam or None).

    ``shape = (B, L, N)``; ``chunk_l = 0`` picks :func:`default_triton_chunk`. For the
    backward scan, ``src_r`` is the output gradient and ``x_r`` the forward states;
    the returned dlam is per element (time-varying) or (B, n_chunks, N[, 2]) partial sums.
    ``dst`` (and, backward and time-varying, ``dlam``): real views of preallocated outputs
    (so that the operator returns tensors of its own, not views of internal buffers).
    """
    batch, length, n = shape
    part = 2 if cplx else 1
    tail = (2,) if cplx else ()
    device = src_r.device
    chunk = chunk_l or default_triton_chunk(batch, length, n, device)
    n_chunks = _cdiv(length, chunk)
    if dst is None:
        dst = torch.empty_like(src_r)
    if backward and (dlam is None or not time_varying):
        dlam = torch.empty_like(src_r) if time_varying else torch.empty(
            (batch, n_chunks, n, *tail), dtype=src_r.dtype, device=device)
    strides = (length * n * part, n * part, part)
    common = dict(IS_COMPLEX=cplx, TIME_VARYING=time_varying, BACKWARD=backward, CHUNK_L=chunk)
    init = dst  # placeholder pointer when there is no initial carry
    if n_chunks > 1:
        # (i) chunk summaries
        sum_a = torch.empty((batch, n_chunks, n, *tail), dtype=src_r.dtype, device=device)
        sum_s = torch.empty_like(sum_a)
        args = (lam_r, src_r, dst, src_r, src_r, sum_a, sum_s, sum_a, length, n, n_chunks, *strides)
        _launch(_kernels(), (batch, n, n_chunks), args, dict(common, PHASE=0, HAS_INIT=False), blocks)
        if not time_varying:
            # A_c = lam^(length of chunk c), from float64 and rounded once (lam_powers):
            # the kernel's running product rounds CHUNK_L times, and every carry repeats
            # that error (at |lam| = 0.9999, L = 65536 in complex64: 1.2e-5 relative
            # error against 1e-6 with exact powers)
            from .parallel import _lam_powers as lam_powers  # unchecked: values checked by scan()

            lam_c = torch.view_as_complex(lam_r) if cplx else lam_r
            if backward:
                lam_c = lam_c.conj().resolve_conj()
            counts = torch.full((n_chunks,), chunk, dtype=torch.int64, device=device)
            counts[-1] = length - (n_chunks - 1) * chunk
            powers = lam_powers(lam_c, counts)  # (n_chunks, N)
            sum_a.copy_((torch.view_as_real(powers) if cplx else powers).expand_as(sum_a))
        # (ii) the recurrence over chunks, h_c = A_c h_{c-1} + S_c: the same scan, one level up
        init, _ = _scan_real(sum_a, sum_s, (batch, n_chunks, n), cplx, True, False, None, 0, blocks)
    # (iii) every chunk again, from the state entering it
    args = (lam_r, src_r, dst, x_r if backward else src_r, dlam if backward else dst,
            dst, dst, init, length, n, n_chunks, *strides)
    _launch(_kernels(), (batch, n, n_chunks), args, dict(common, PHASE=1, HAS_INIT=n_chunks > 1), blocks)
    return dst, dlam


def _blocks(b: torch.Tensor, block_l: int, block_n: int, num_warps: int) -> tuple[int, int, int]:
    """Tile sizes to launch with; (0, 0, 0) on a GPU means autotune."""
    if _interpret_mode() or b.device.type != "cuda":
        bl, bn, nw = default_blocks(b.shape[1], b.shape[2], b.device)
        return block_l or bl, block_n or bn, num_warps or nw
    if block_l == 0 and block_n == 0:
        return 0, 0, 0
    bl, bn, nw = default_blocks(b.shape[1], b.shape[2], b.device)
    return block_l or bl, block_n or bn, num_warps or nw


def _forward_impl(lam, b, chunk_l, block_l, block_n, num_warps):
    cplx = b.is_complex()
    if b.numel() == 0:
        return torch.empty_like(b)
    out = torch.empty(b.shape, dtype=b.dtype, device=b.device)
    _scan_real(_real_view(lam), _real_view(b), tuple(b.shape), cplx, lam.ndim == 3, False,
               None, chunk_l, _blocks(b, block_l, block_n, num_warps), dst=_real_view(out))
    return out


def _backward_impl(lam, x, dy, chunk_l, block_l, block_n, num_warps):
    cplx = x.is_complex()
    time_varying = lam.ndim == 3
    if x.numel() == 0:
        return torch.zeros_like(x), torch.zeros_like(lam)
    g = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    dlam = torch.empty(x.shape, dtype=x.dtype, device=x.device) if time_varying else None
    _, partial = _scan_real(_real_view(lam), _real_view(dy), tuple(x.shape), cplx, time_varying, True,
                            _real_view(x), chunk_l, _blocks(x, block_l, block_n, num_warps),
                            dst=_real_view(g), dlam=None if dlam is None else _real_view(dlam))
    if not time_varying:
        dlam = partial.sum(dim=(0, 1))  # (B, n_chunks, N[, 2]) partial sums
        dlam = torch.view_as_complex(dlam) if cplx else dlam
    return g, dlam


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


# --- torch.library registration ---------------------------------------------
# Compiled Triton: ``triton_op`` (torch >= 2.6), whose launches go through
# ``wrap_triton`` so that torch.compile traces into the operator and Inductor sees
# the kernels. In the interpreter (TRITON_INTERPRET=1, read at import, like triton
# itself does) the kernels read host data pointers, which tracing cannot follow:
# there the operators are opaque ``custom_op``s with a registered fake (shape) rule,
# which torch.compile also keeps in one graph.
_OPAQUE = _interpret_mode()
try:  # torch >= 2.6
    from torch.library import triton_op as _triton_op
except ImportError:  # pragma: no cover - older torch
    _triton_op = None
    _OPAQUE = True
if _OPAQUE:
    from torch.library import custom_op as _op_decorator
else:
    _op_decorator = _triton_op


@_op_decorator("ssmlib::linear_scan", mutates_args=())
def _linear_scan_op(
    lam: torch.Tensor, b: torch.Tensor, chunk_l: int, block_l: int, block_n: int, num_warps: int
) -> torch.Tensor:
    return _forward_impl(lam, b, chunk_l, block_l, block_n, num_warps)


@_op_decorator("ssmlib::linear_scan_backward", mutates_args=())
def _linear_scan_backward_op(
    lam: torch.Tensor, x: torch.Tensor, dy: torch.Tensor,
    chunk_l: int, block_l: int, block_n: int, num_warps: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    return _backward_impl(lam, x, dy, chunk_l, block_l, block_n, num_warps)


if _OPAQUE:

    @torch.library.register_fake("ssmlib::linear_scan")
    def _linear_scan_fake(lam, b, chunk_l, block_l, block_n, num_warps):
        return torch.empty_like(b)

    @torch.library.register_fake("ssmlib::linear_scan_backward")
    def _linear_scan_backward_fake(lam, x, dy, chunk_l, block_l, block_n, num_warps):
        return torch.empty_like(x), torch.empty_like(lam)


def _setup_context(ctx, inputs, output) -> None:
    lam, _b, *config = inputs
    ctx.save_for_backward(lam, output)
    ctx.config = tuple(config)


def _backward(ctx, dy: torch.Tensor):
    lam, x = ctx.saved_tensors
    g, dlam = torch.ops.ssmlib.linear_scan_backward(lam, x, dy.contiguous(), *ctx.config)
    return (
        dlam if ctx.needs_input_grad[0] else None,
        g if ctx.needs_input_grad[1] else None,
        None, None, None, None,
    )


torch.library.register_autograd("ssmlib::linear_scan", _backward, setup_context=_setup_context)


def scan_triton(
    lam: torch.Tensor,
    b: torch.Tensor,
    block_l: int | None = None,
    block_n: int | None = None,
    num_warps: int | None = None,
    chunk_l: int | None = None,
) -> torch.Tensor:
    """Inclusive scan ``x_k = lam_k x_{k-1} + b_k`` (``x_{-1} = 0``) with the Triton kernel.

    The time axis is split into chunks of ``chunk_l`` steps scanned by different
    programs (grid ``(B, cdiv(N, block_n), cdiv(L, chunk_l))``): chunk summaries,
    a scan over the summaries, and a final pass (see
    :mod:`ssmlib.scan._triton_kernels`).

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N)
    b : Tensor, shape (B, L, N), complex64/complex128/float32/float64
    block_l, block_n : int, optional
        Tile size over time and channels (powers of two). On a GPU both are
        autotuned (with the number of warps) when neither is given; in the
        interpreter the defaults of :func:`default_blocks` are used.
    num_warps : int, optional
        Warps per program (GPU only; autotuned unless a tile size is given).
    chunk_l : int, optional
        Steps per chunk (a power of two); default :func:`default_triton_chunk`.

    Returns
    -------
    Tensor, shape (B, L, N)
        Differentiable with respect to ``lam`` and ``b`` (Triton backward kernel).

    Raises
    ------
    ValueError
        If ``block_l``, ``block_n`` or ``chunk_l`` is not a positive power of two,
        or ``num_warps`` is not positive.

    Notes
    -----
    No checks of ``lam`` and ``b``: call it through :func:`ssmlib.scan` for validated input.
    """
    config = []
    for name, v in (("chunk_l", chunk_l), ("block_l", block_l), ("block_n", block_n), ("num_warps", num_warps)):
        if v is None:
            config.append(0)
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if v < 1 or (name != "num_warps" and v & (v - 1)):
            raise ValueError(f"{name} must be a positive {'power of two' if name != 'num_warps' else 'int'}, got {v}")
        config.append(int(v))
    if chunk_l is not None and block_l is not None and chunk_l < block_l:
        raise ValueError(f"chunk_l ({chunk_l}) must be at least block_l ({block_l})")
    chunk, bl, bn, nw = config
    return torch.ops.ssmlib.linear_scan(lam.resolve_conj(), b.resolve_conj(), chunk, bl, bn, nw)
