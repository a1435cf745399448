"""A blocked scan for the CPU (chapter 8, "the chunked algorithm").

Split the time axis into ``C`` chunks of ``T`` steps. Then

1. inside every chunk, run the recurrence from a zero state, for all chunks at
   once: ``T`` vectorized steps over a ``(B, C, N)`` slice, and the running
   products ``P_{c,t} = lam_{c,0} ... lam_{c,t}`` (chapter 8, chunk-local scan);
2. across chunks, propagate the carries ``h_c = P_{c,T-1} h_{c-1} + s_c``,
   where ``s_c`` is chunk ``c``'s local final state: ``C`` steps over a
   ``(B, N)`` slice (chapter 8, carries between chunks);
3. correct every element: ``x_{c,t} = s_{c,t} + P_{c,t} h_{c-1}``, one
   vectorized multiply-add (chapter 8, the fix-up).

With ``T ~ sqrt(L)`` there are ``O(sqrt L)`` Python-level steps instead of
``L``, each over a large slice, and ``O(L)`` work: about two passes over
memory more than the sequential loop. The same algorithm, with a chunk held in
registers and the carry passed from one chunk to the next, is the Triton
kernel.
"""

from __future__ import annotations

import functools
import math

import torch

from .._validation import check_int
from .parallel import _lam_powers, _run_checked

__all__ = ["scan_chunked", "default_chunk"]


def default_chunk(length: int) -> int:
    """Chunk size ``T = ceil(sqrt(L))``, balancing the two sequential loops.

    Parameters
    ----------
    length : int
        The sequence length ``L >= 1`` (any size: integer arithmetic, no allocation).

    Returns
    -------
    int
        ``ceil(sqrt(length))``, at least 1.

    Raises
    ------
    TypeError
        If ``length`` is not an int.
    ValueError
        If ``length < 1``.
    """
    length = check_int(length, "length", minimum=1)
    if length > 2**52:  # beyond float64's exact integers: the exact integer square root
        return math.isqrt(length - 1) + 1
    return _default_chunk(length)


def _default_chunk(length: int) -> int:
    """:func:`default_chunk` for a validated ``length`` (float arithmetic: exact for
    ``length <= 2**52``, and traceable by torch.compile for a symbolic length)."""
    return max(1, int(math.ceil(math.sqrt(max(length, 1)))))


def scan_chunked(
    lam: torch.Tensor, b: torch.Tensor, chunk: int | None = None, *,
    check_finite: bool = True,
) -> torch.Tensor:
    """Inclusive scan of ``x_k = lam_k x_{k-1} + b_k`` (``x_{-1} = 0``) in chunks.

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N)
        Coefficients, time-invariant (one per channel) or time-varying; same dtype
        and device as ``b``.
    b : Tensor, shape (B, L, N), complex64, complex128, float32 or float64
        Inputs, channel-last (batch, time, channel).
    chunk : int, optional
        Chunk length ``T >= 1`` (default ``ceil(sqrt(L))``, :func:`default_chunk`).
        A chunk longer than the sequence is the whole sequence (``T = L``), so the
        padded buffers stay below twice the input's size whatever ``chunk``.
    check_finite : bool
        Check the result's values (one reduction): a NaN or inf input raises
        ``ValueError`` naming it, and so does a non-finite result from finite inputs
        (an overflow, ``|lam| > 1``). ``False`` returns the values as computed.

    Returns
    -------
    Tensor, shape (B, L, N)

    Raises
    ------
    TypeError
        If ``lam`` or ``b`` is not a tensor or has the wrong dtype, ``chunk`` is not
        an int (or None), or ``check_finite`` is not a bool.
    ValueError
        For mismatched shapes or devices, ``chunk < 1``, and (``check_finite=True``)
        non-finite values.

    Notes
    -----
    Forward written in place into private buffers, so not traced by autograd: when
    ``lam`` or ``b`` requires grad (and grad mode is on) it gets the hand-written
    backward pass that :func:`ssmlib.scan` (``backend="chunked"``) uses too, the
    reversed scan (with the same ``chunk``).
    """
    if chunk is not None:
        chunk = check_int(chunk, "chunk", minimum=1)
    return _run_checked(functools.partial(_scan_chunked, chunk=chunk), lam, b, check_finite,
                        native_grad=False, name="scan_chunked")


def _scan_chunked(
    lam: torch.Tensor, b: torch.Tensor, chunk: int | None = None
) -> torch.Tensor:
    """:func:`scan_chunked` without checks (``chunk`` None or an int ``>= 1``)."""
    batch, length, n = b.shape
    if length == 0:
        return b.clone()
    # a chunk longer than the sequence is the sequence (same values, no padding)
    t_len = _default_chunk(length) if chunk is None else min(chunk, length)
    n_chunks = -(-length // t_len)
    padded = n_chunks * t_len
    time_varying = lam.ndim == 3

    # local states s (B, C, T, N), computed in place in the output buffer
    s = torch.zeros(batch, padded, n, dtype=b.dtype, device=b.device)
    s[:, :length] = b
    s = s.view(batch, n_chunks, t_len, n)
    if time_varying:
        p = torch.ones(batch, padded, n, dtype=b.dtype, device=b.device)
        p[:, :length] = lam
        p = p.view(batch, n_chunks, t_len, n)
        for t in range(1, t_len):  # chunk-local scan, all chunks at once
            s[:, :, t].addcmul_(p[:, :, t], s[:, :, t - 1])
        p = torch.cumprod(p, dim=2)  # P_{c,t}
    else:
        for t in range(1, t_len):
            s[:, :, t].addcmul_(lam, s[:, :, t - 1])
        # P_t = lam^(t+1), (T, N), each power rounded once (a cumulative product's
        # error would grow with t and be repeated by every carry step)
        p = _lam_powers(lam, torch.arange(1, t_len + 1, device=lam.device))

    if n_chunks > 1:
        # carries h_c = P_{c,T-1} h_{c-1} + s_{c,T-1}, sequential over chunks
        last = s[:, :, -1]
        p_last = p[:, :, -1] if time_varying else p[-1]
        h = torch.empty(batch, n_chunks - 1, n, dtype=b.dtype, device=b.device)
        h[:, 0] = last[:, 0]
        for c in range(1, n_chunks - 1):  # carries between chunks
            pc = p_last[:, c] if time_varying else p_last
            torch.addcmul(last[:, c], pc, h[:, c - 1], out=h[:, c])
        # x_{c,t} = s_{c,t} + P_{c,t} h_{c-1} (the fix-up)
        p_rest = p[:, 1:] if time_varying else p
        s[:, 1:].addcmul_(p_rest, h[:, :, None, :])
    return s.view(batch, padded, n)[:, :length]
