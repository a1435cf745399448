"""The reference scan: a plain loop over time in torch ops (chapter 8).

It is slow (one Python iteration per step) but obviously correct, and it is
differentiated by torch's own autograd, so it is an independent oracle for the
hand-written backward passes of the other backends.
"""

from __future__ import annotations

import torch

__all__ = ["scan_sequential"]


def scan_sequential(
    lam: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None
) -> torch.Tensor:
    """Run ``x_k = lam_k * x_{k-1} + b_k`` step by step.

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N)
        Time-invariant (one coefficient per channel) or time-varying coefficients.
    b : Tensor, shape (B, L, N)
        Inputs, channel-last: batch, time, channel.
    x0 : Tensor, shape (B, N), optional
        State before the first step (zero if omitted).

    Returns
    -------
    Tensor, shape (B, L, N)
        The states ``x_0, ..., x_{L-1}`` (``x[:, k]`` is the state after input ``k``).

    Notes
    -----
    No input checks: call it through :func:`ssmlib.scan` for validated input.
    Autograd is torch's own, through every step of the loop.
    """
    batch, length, n = b.shape
    x = x0 if x0 is not None else torch.zeros(batch, n, dtype=b.dtype, device=b.device)
    # unbind (not b[:, k]): its backward stacks the L slice gradients once, whereas
    # each indexing op's backward would materialize a full (B, L, N) zero tensor
    b_steps = b.unbind(1)
    lam_steps = lam.unbind(1) if lam.ndim == 3 else [lam] * length
    xs = []
    for a, u in zip(lam_steps, b_steps):
        x = a * x + u  # x_k = lam_k x_{k-1} + b_k
        xs.append(x)
    if not xs:
        return b.new_zeros(b.shape)
    return torch.stack(xs, dim=1)
