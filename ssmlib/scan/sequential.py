"""The reference scan: a plain loop over time in torch ops (chapter 8).

It is slow (one Python iteration per step) but obviously correct, and it is
differentiated by torch's own autograd, so it is an independent oracle for the
hand-written backward passes of the other backends.
"""

from __future__ import annotations

import torch

from ._checks import check_flag, check_scan_args, check_scan_result

__all__ = ["scan_sequential"]


def scan_sequential(
    lam: torch.Tensor,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    *,
    check_finite: bool = True,
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
    check_finite : bool
        Check the result's values (one reduction): a NaN or inf input raises
        ``ValueError`` naming it, states that overflow the dtype raise too.
        ``False`` returns the values as computed.

    Returns
    -------
    Tensor, shape (B, L, N)
        The states ``x_0, ..., x_{L-1}`` (``x[:, k]`` is the state after input ``k``).

    Raises
    ------
    TypeError
        If ``lam``, ``b`` or ``x0`` is not a tensor or has the wrong dtype (all share
        one of complex64, complex128, float32, float64), or ``check_finite`` is not a bool.
    ValueError
        For mismatched shapes or devices, and (``check_finite=True``) non-finite values.

    Notes
    -----
    The same checks as :func:`ssmlib.scan` (``backend="sequential"``), which calls the
    unchecked loop after validating. Autograd is torch's own, through every step of
    the loop.
    """
    check_finite = check_flag(check_finite)
    check_scan_args(lam, b, x0)
    out = _scan_sequential(lam, b, x0)
    return check_scan_result(out, lam, b, x0) if check_finite else out


def _scan_sequential(
    lam: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None
) -> torch.Tensor:
    """:func:`scan_sequential` without checks (for validated input)."""
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
