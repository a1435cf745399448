"""The Triton backend of :func:`ssmlib.scan` (chapter 8, "the scan on a GPU").

Two ``torch.library`` operators wrap the kernel of :mod:`ssmlib.scan._triton_kernels`:

* ``ssmlib::linear_scan(lam, b, block_l, block_n, num_warps) -> x``, the forward
  scan with a zero initial state;
* ``ssmlib::linear_scan_backward(lam, x, dy, ...) -> (g, dlam)``, the reversed
  scan ``g_t = dy_t + conj(lam_{t+1}) g_{t+1}`` with ``dlam_t = g_t conj(x_{t-1})``
  fused into the same pass (summed over time in registers when ``lam`` is
  time-invariant, over the batch afterwards).

They are registered with ``torch.library.triton_op`` (``custom_op`` on torch
older than 2.6), so ``torch.compile`` traces through them without a graph break
(with ``triton_op`` Inductor even sees the kernel launch), and the backward is
attached with ``torch.library.register_autograd``.

On CPU tensors the kernels run in Triton's interpreter when ``TRITON_INTERPRET=1``
is set (slow, for tests). Set it before triton is first imported in the process:
triton fixes the mode of every ``@triton.jit`` function, its own library
functions included, when it decorates them.
"""

from __future__ import annotations

import os
from types import ModuleType

import torch

__all__ = ["scan_triton", "default_blocks"]


def _interpret_mode() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0", "false", "False")


def _kernels() -> ModuleType:
    """The kernel module, imported on first use (so importing ssmlib never imports triton)."""
    from . import _triton_kernels

    return _triton_kernels


def default_blocks(length: int, n: int, device: torch.device) -> tuple[int, int, int]:
    """Tile sizes ``(BLOCK_L, BLOCK_N, num_warps)`` for a problem of ``L`` steps and ``N`` channels.

    On a GPU: 64 steps by up to 32 channels (one 256-byte row of complex64 per
    time step), 4 warps. In the interpreter: small tiles, since every element
    costs Python time.
    """
    if device.type != "cuda":
        return 16, 8, 1
    block_n = 32 if n >= 32 else max(1, 1 << max(0, (n - 1).bit_length()))
    block_l = 64 if length >= 64 else max(16, 1 << max(0, (length - 1).bit_length()))
    return block_l, block_n, 4


def _real_view(t: torch.Tensor) -> torch.Tensor:
    t = t.resolve_conj().contiguous()
    return torch.view_as_real(t) if t.is_complex() else t


def _strides(b: torch.Tensor) -> tuple[int, int, int]:
    _, length, n = b.shape
    part = 2 if b.is_complex() else 1
    return length * n * part, n * part, part


def _launch(kernel, grid, args, meta, num_warps):
    if _interpret_mode():
        kernel[grid](*args, **meta)
    else:
        from torch.library import wrap_triton

        wrap_triton(kernel)[grid](*args, **meta, num_warps=num_warps)


def _forward_impl(lam: torch.Tensor, b: torch.Tensor, block_l: int, block_n: int, num_warps: int) -> torch.Tensor:
    batch, length, n = b.shape
    real_dtype = b.real.dtype if b.is_complex() else b.dtype
    out_shape = (batch, length, n, 2) if b.is_complex() else (batch, length, n)
    out = torch.empty(out_shape, dtype=real_dtype, device=b.device)
    if b.numel() > 0:
        k = _kernels()
        s_b, s_l, s_n = _strides(b)
        grid = (batch, _cdiv(n, block_n))
        lam_r = _real_view(lam)
        src = _real_view(b)
        meta = dict(
            IS_COMPLEX=b.is_complex(), TIME_VARYING=lam.ndim == 3, BACKWARD=False,
            BLOCK_L=block_l, BLOCK_N=block_n,
        )
        _launch(k.linear_scan_kernel, grid,
                (lam_r, src, out, src, out, length, n, s_b, s_l, s_n), meta, num_warps)
    return torch.view_as_complex(out) if b.is_complex() else out


def _backward_impl(
    lam: torch.Tensor, x: torch.Tensor, dy: torch.Tensor, block_l: int, block_n: int, num_warps: int
) -> tuple[torch.Tensor, torch.Tensor]:
    batch, length, n = x.shape
    cplx = x.is_complex()
    real_dtype = x.real.dtype if cplx else x.dtype
    tail = (2,) if cplx else ()
    g = torch.empty((batch, length, n, *tail), dtype=real_dtype, device=x.device)
    time_varying = lam.ndim == 3
    if time_varying:
        dlam = torch.empty((batch, length, n, *tail), dtype=real_dtype, device=x.device)
    else:
        dlam = torch.zeros((batch, n, *tail), dtype=real_dtype, device=x.device)
    if x.numel() > 0:
        k = _kernels()
        s_b, s_l, s_n = _strides(x)
        grid = (batch, _cdiv(n, block_n))
        meta = dict(
            IS_COMPLEX=cplx, TIME_VARYING=time_varying, BACKWARD=True,
            BLOCK_L=block_l, BLOCK_N=block_n,
        )
        _launch(k.linear_scan_kernel, grid,
                (_real_view(lam), _real_view(dy), g, _real_view(x), dlam,
                 length, n, s_b, s_l, s_n), meta, num_warps)
    if not time_varying:
        dlam = dlam.sum(dim=0)
    if cplx:
        return torch.view_as_complex(g), torch.view_as_complex(dlam)
    return g, dlam


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


# --- torch.library registration ---------------------------------------------
try:  # torch >= 2.6
    from torch.library import triton_op as _op_decorator
except ImportError:  # pragma: no cover - older torch
    from torch.library import custom_op as _op_decorator


@_op_decorator("ssmlib::linear_scan", mutates_args=())
def _linear_scan_op(lam: torch.Tensor, b: torch.Tensor, block_l: int, block_n: int, num_warps: int) -> torch.Tensor:
    return _forward_impl(lam, b, block_l, block_n, num_warps)


@_op_decorator("ssmlib::linear_scan_backward", mutates_args=())
def _linear_scan_backward_op(
    lam: torch.Tensor, x: torch.Tensor, dy: torch.Tensor, block_l: int, block_n: int, num_warps: int
) -> tuple[torch.Tensor, torch.Tensor]:
    return _backward_impl(lam, x, dy, block_l, block_n, num_warps)


def _setup_context(ctx, inputs, output) -> None:
    lam, _b, block_l, block_n, num_warps = inputs
    ctx.save_for_backward(lam, output)
    ctx.blocks = (block_l, block_n, num_warps)


def _backward(ctx, dy: torch.Tensor):
    lam, x = ctx.saved_tensors
    g, dlam = torch.ops.ssmlib.linear_scan_backward(lam, x, dy, *ctx.blocks)
    return (
        dlam if ctx.needs_input_grad[0] else None,
        g if ctx.needs_input_grad[1] else None,
        None, None, None,
    )


torch.library.register_autograd("ssmlib::linear_scan", _backward, setup_context=_setup_context)


def scan_triton(
    lam: torch.Tensor,
    b: torch.Tensor,
    block_l: int | None = None,
    block_n: int | None = None,
    num_warps: int | None = None,
) -> torch.Tensor:
    """Inclusive scan ``x_k = lam_k x_{k-1} + b_k`` (``x_{-1} = 0``) with the Triton kernel.

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N)
    b : Tensor, shape (B, L, N), complex64/complex128/float32/float64
    block_l, block_n : int, optional
        Tile size over time and channels (powers of two); defaults from
        :func:`default_blocks`.
    num_warps : int, optional
        Warps per program (GPU only).

    Returns
    -------
    Tensor, shape (B, L, N)
        Differentiable with respect to ``lam`` and ``b`` (Triton backward kernel).

    Notes
    -----
    No input checks: call it through :func:`ssmlib.scan` for validated input.
    """
    bl, bn, nw = default_blocks(b.shape[1], b.shape[2], b.device)
    block_l = bl if block_l is None else int(block_l)
    block_n = bn if block_n is None else int(block_n)
    num_warps = nw if num_warps is None else int(num_warps)
    for name, v in (("block_l", block_l), ("block_n", block_n)):
        if v < 1 or v & (v - 1):
            raise ValueError(f"{name} must be a positive power of two, got {v}")
    return torch.ops.ssmlib.linear_scan(lam.resolve_conj(), b.resolve_conj(), block_l, block_n, num_warps)
