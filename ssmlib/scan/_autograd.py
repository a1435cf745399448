"""The backward pass shared by the chunked and parallel backends.

For ``x_t = lam_t x_{t-1} + b_t`` (``x_{-1} = 0``) and an upstream gradient
``dy_t = dL/dx_t`` (torch's convention: the conjugate Wirtinger derivative),
the adjoint state ``g_t = dL/db_t`` obeys the *reversed* recurrence
(the backward recursion of chapter 8)

    g_{L-1} = dy_{L-1},     g_t = dy_t + conj(lam_{t+1}) g_{t+1},

and the coefficient gradient is ``dlam_t = g_t conj(x_{t-1})`` (summed over
batch and time when ``lam`` is time-invariant). The backward pass is therefore
itself a scan: the forward primitive run on the time-reversed sequence.
"""

from __future__ import annotations

from typing import Callable

import torch

Primitive = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def adjoint_coefficients(lam: torch.Tensor) -> torch.Tensor:
    """Coefficients of the reversed scan: ``conj(lam)`` or ``conj(lam_{t+1})`` (last step 0)."""
    if lam.ndim == 1:
        return lam.conj().resolve_conj()
    shifted = torch.zeros_like(lam)
    shifted[:, :-1] = lam[:, 1:].conj()
    return shifted


def lam_gradient(lam: torch.Tensor, g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``dlam_t = g_t conj(x_{t-1})`` with ``x_{-1} = 0``; summed over (B, L) if ``lam`` is (N,)."""
    if lam.ndim == 1:
        return (g[:, 1:] * x[:, :-1].conj()).sum(dim=(0, 1))
    dlam = torch.zeros_like(g)
    dlam[:, 1:] = g[:, 1:] * x[:, :-1].conj()
    return dlam


def _finite(x: torch.Tensor) -> bool:
    return bool(torch.isfinite(torch.view_as_real(x) if x.is_complex() else x).all())


class LinearScan(torch.autograd.Function):
    """``x = scan(lam, b)`` with a zero initial state, for a forward primitive.

    The backward pass runs the same primitive on the reversed sequence
    (the backward recursion of chapter 8); only ``lam`` and ``x`` are saved.
    """

    @staticmethod
    def forward(ctx, lam: torch.Tensor, b: torch.Tensor, primitive: Primitive) -> torch.Tensor:  # type: ignore[override]
        x = primitive(lam, b)
        ctx.primitive = primitive
        ctx.save_for_backward(lam, x)
        return x

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dy: torch.Tensor):  # type: ignore[override]
        lam, x = ctx.saved_tensors
        coeff = adjoint_coefficients(lam)
        if coeff.ndim == 3:
            coeff = coeff.flip(1)
        g = ctx.primitive(coeff, dy.flip(1)).flip(1)
        if not _finite(g):
            # |lam| > 1: the running products of the parallel schedules overflow
            # (inf * 0 = NaN) where the plain loop does not; use the loop's values.
            from .sequential import _scan_sequential

            g = _scan_sequential(coeff, dy.flip(1)).flip(1)
        dlam = lam_gradient(lam, g, x) if ctx.needs_input_grad[0] else None
        db = g if ctx.needs_input_grad[1] else None
        return dlam, db, None
