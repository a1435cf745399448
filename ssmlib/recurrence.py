"""Diagonal linear recurrences, their closed form and their convolution kernel (chapter 4).

A discrete-time linear state space model with a diagonal (complex) state matrix
:math:`\\Lambda = \\operatorname{diag}(\\lambda_1, \\dots, \\lambda_N)` is the recurrence

.. math::

    x_k = \\Lambda x_{k-1} + B u_k, \\qquad y_k = C x_k, \\qquad k = 1, \\dots, L,

started from the initial state :math:`x_0` (zero by default). Unrolling it gives the
closed form (chapter 4)

.. math::

    x_k = \\sum_{j=0}^{k-1} \\Lambda^j B u_{k-j} + \\Lambda^k x_0,

and, when :math:`x_0 = 0`, the output is a causal convolution of the input with the kernel
:math:`K_j = C \\Lambda^j B`:

.. math::

    y_k = \\sum_{j=0}^{k-1} K_j u_{k-j}.

**Conventions used throughout ssmlib.**

* **time axis first, channels last**: an input sequence has shape ``(L, H)``, a state
  trajectory ``(L, N)``, an output ``(L, P)``;
* arrays are indexed from 0: ``u[k-1]`` holds :math:`u_k` and ``x[k-1]`` holds
  :math:`x_k`, the state *after* reading :math:`u_k`; the optional argument ``x0`` is
  :math:`x_0`, the state *before* the first input, so ``x[0] = lam * x0 + B u[0]``;
* ``lam`` holds the diagonal of :math:`\\Lambda`, shape ``(N,)``; ``B`` has shape ``(N, H)``,
  ``C`` shape ``(P, N)``. When ``B`` is omitted it is the identity (``H = N``): the input is
  added to the state channel by channel.

Every function here is plain numpy and meant for teaching and as a test oracle; the fast
parallel scans of chapter 8 live in :mod:`ssmlib.scan`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import as_array, check_choice, check_result

__all__ = [
    "linear_recurrence",
    "unroll_closed_form",
    "convolution_kernel",
    "causal_convolution",
    "recurrence_step",
    "attention_step",
]


def _lam(lam: Any) -> np.ndarray:
    arr = np.atleast_1d(as_array(lam, "lam", ndim=(0, 1)))
    if arr.size == 0:
        raise ValueError("lam must hold at least one eigenvalue, got shape (0,)")
    return arr.astype(np.complex128)


def _inputs(lam: np.ndarray, u: Any, B: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``u`` and ``B`` and return ``(Bu, B)`` with ``Bu`` of shape (L, N)."""
    n = lam.shape[0]
    if B is None:
        u_arr = as_array(u, "u", ndim=(1, 2))
        if u_arr.ndim == 1:  # a scalar state: u of shape (L,) is accepted when N == 1
            if n != 1:
                raise ValueError(
                    f"u must have shape (L, N) = (L, {n}) when B is None (N = len(lam)), "
                    f"got shape {u_arr.shape}"
                )
            u_arr = u_arr[:, None]
        if u_arr.shape[1] != n:
            raise ValueError(
                f"u must have shape (L, N) = (L, {n}) when B is None (N = len(lam)), "
                f"got shape {u_arr.shape}"
            )
        return u_arr.astype(np.complex128), np.eye(n, dtype=np.complex128)
    B_arr = as_array(B, "B", ndim=2)
    if B_arr.shape[0] != n:
        raise ValueError(f"B must have shape (N, H) with N = len(lam) = {n} rows, "
                         f"got shape {B_arr.shape}")
    u_arr = as_array(u, "u", ndim=(1, 2))
    if u_arr.ndim == 1:
        if B_arr.shape[1] != 1:
            raise ValueError(
                f"u must have shape (L, H) = (L, {B_arr.shape[1]}), got shape {u_arr.shape}"
            )
        u_arr = u_arr[:, None]
    if u_arr.shape[1] != B_arr.shape[1]:
        raise ValueError(
            f"u must have shape (L, H) = (L, {B_arr.shape[1]}) to match B, got shape {u_arr.shape}"
        )
    return u_arr @ B_arr.T.astype(np.complex128), B_arr.astype(np.complex128)


def _x0(x0: Any, n: int) -> np.ndarray:
    if x0 is None:
        return np.zeros(n, dtype=np.complex128)
    arr = np.atleast_1d(as_array(x0, "x0", ndim=(0, 1)))
    if arr.shape != (n,):
        raise ValueError(f"x0 must have shape (N,) = ({n},), got shape {arr.shape}")
    return arr.astype(np.complex128)


def linear_recurrence(lam: Any, u: Any, x0: Any = None, B: Any = None) -> np.ndarray:
    """Run the diagonal linear recurrence :math:`x_k = \\Lambda x_{k-1} + B u_k`.

    For :math:`k = 1, \\dots, L`, as a plain sequential loop, O(L N) work: the reference
    every faster method is tested against.

    Parameters
    ----------
    lam : array_like, shape (N,), complex
        Diagonal of the discrete state matrix :math:`\\Lambda`.
    u : array_like, shape (L, N) if ``B`` is None, else shape (L, H)
        Input sequence, time axis first (``u[k-1]`` is :math:`u_k`). For a single channel
        ``(L,)`` is accepted.
    x0 : array_like, shape (N,), optional
        Initial state :math:`x_0`, before the first input; zero by default.
    B : array_like, shape (N, H), optional
        Input matrix; the identity when omitted.

    Returns
    -------
    x : ndarray, shape (L, N), complex
        ``x[k-1]`` holds :math:`x_k`, the state after reading ``u[k-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> linear_recurrence([0.5], np.ones((3, 1)))[:, 0].real
    array([1.  , 1.5 , 1.75])
    """
    lam_arr = _lam(lam)
    bu, _ = _inputs(lam_arr, u, B)
    state = _x0(x0, lam_arr.shape[0])
    x = np.empty_like(bu)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(bu.shape[0]):
            state = lam_arr * state + bu[k]  # x_{k+1} = Lambda x_k + B u_{k+1}, book indices
            x[k] = state
    return check_result(x, "linear_recurrence: the state x_k",
                        "|lam| > 1 (or huge u, B) makes it grow past float64; "
                        "shorten u or use |lam| <= 1")


def unroll_closed_form(lam: Any, u: Any, x0: Any = None, B: Any = None) -> np.ndarray:
    """The unrolled recurrence :math:`x_k = \\sum_{j=0}^{k-1} \\Lambda^j B u_{k-j} + \\Lambda^k x_0`.

    Computes every state :math:`x_k`, :math:`k = 1, \\dots, L`, directly from the inputs
    (the closed form of chapter 4), with no recursion: O(L^2 N) work, for teaching and for
    testing :func:`linear_recurrence`. Same conventions and shapes as
    :func:`linear_recurrence`: ``x0`` is :math:`x_0`, the state *before* ``u[0]``, and
    ``x[k-1]`` holds :math:`x_k`.

    Parameters
    ----------
    lam : array_like, shape (N,), complex
    u : array_like, shape (L, N) or (L, H)
    x0 : array_like, shape (N,), optional
    B : array_like, shape (N, H), optional

    Returns
    -------
    x : ndarray, shape (L, N), complex
    """
    lam_arr = _lam(lam)
    bu, _ = _inputs(lam_arr, u, B)
    state0 = _x0(x0, lam_arr.shape[0])
    length = bu.shape[0]
    x = np.empty_like(bu)
    for k in range(length):
        j = np.arange(k + 1)
        powers = lam_arr[None, :] ** j[:, None]  # (k+1, N): Lambda^j
        x[k] = np.sum(powers * bu[k - j], axis=0) + lam_arr ** (k + 1) * state0
    return x


def convolution_kernel(lam: Any, B: Any, C: Any, L: int) -> np.ndarray:
    """The convolution kernel :math:`K_j = C \\Lambda^j B`, :math:`j = 0, \\dots, L-1`.

    Parameters
    ----------
    lam : array_like, shape (N,), complex
    B : array_like, shape (N, H)
    C : array_like, shape (P, N)
    L : int, >= 1
        Number of kernel taps (the sequence length).

    Returns
    -------
    K : ndarray, shape (L, P, H), complex
        ``K[j]`` is :math:`K_j`.
    """
    lam_arr = _lam(lam)
    n = lam_arr.shape[0]
    B_arr = as_array(B, "B", ndim=2)
    if B_arr.shape[0] != n:
        raise ValueError(f"B must have shape (N, H) with N = len(lam) = {n} rows, "
                         f"got shape {B_arr.shape}")
    C_arr = as_array(C, "C", ndim=2)
    if C_arr.shape[1] != n:
        raise ValueError(f"C must have shape (P, N) with N = len(lam) = {n} columns, "
                         f"got shape {C_arr.shape}")
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L must be a positive integer, got {L!r}")
    if L * n * max(B_arr.shape[1], 1) * max(C_arr.shape[0], 1) > 10**8:
        raise ValueError(f"L={L} gives a kernel of more than 10**8 entries "
                         f"(L x P x H with N={n}); use a smaller L")
    powers = lam_arr[None, :] ** np.arange(int(L))[:, None]  # (L, N)
    return np.einsum("pn,ln,nh->lph", C_arr, powers, B_arr)


def causal_convolution(K: Any, u: Any, *, method: str = "fft") -> np.ndarray:
    """Causal convolution :math:`y_k = \\sum_{j=0}^{k-1} K_j u_{k-j}`, :math:`k = 1, \\dots, L`.

    With 0-based arrays: ``y[k] = sum(K[j] @ u[k - j] for j in range(k + 1))``.

    Parameters
    ----------
    K : array_like, shape (L_K, P, H)
        Kernel taps; taps beyond the input length are ignored, missing taps count as zero.
    u : array_like, shape (L, H)
        Input sequence.
    method : {"fft", "direct"}
        ``"fft"``: zero-padded FFT, O(L log L) per channel pair; ``"direct"``: the double sum,
        O(L^2), for checking.

    Returns
    -------
    y : ndarray, shape (L, P)
        Complex if ``K`` or ``u`` is complex, real otherwise.
    """
    K_arr = as_array(K, "K", ndim=3)
    u_arr = as_array(u, "u", ndim=2)
    if K_arr.shape[2] != u_arr.shape[1]:
        raise ValueError(
            f"u must have shape (L, H) with H = {K_arr.shape[2]} (from K), got shape {u_arr.shape}"
        )
    method = check_choice(method, "method", ("fft", "direct"))
    length = u_arr.shape[0]
    is_complex = np.iscomplexobj(K_arr) or np.iscomplexobj(u_arr)
    taps = K_arr[:length]
    if method == "direct":
        y = np.zeros((length, K_arr.shape[1]), dtype=np.complex128 if is_complex else float)
        for k in range(length):
            for j in range(min(k + 1, taps.shape[0])):
                y[k] += taps[j] @ u_arr[k - j]
        return y
    n_fft = 1 << int(np.ceil(np.log2(max(2 * length - 1, 1))))
    k_f = np.fft.fft(taps, n=n_fft, axis=0)  # (n, P, H)
    u_f = np.fft.fft(u_arr, n=n_fft, axis=0)  # (n, H)
    y = np.fft.ifft(np.einsum("nph,nh->np", k_f, u_f), axis=0)[:length]
    return y if is_complex else y.real


def recurrence_step(lam: Any, x: Any, bu: Any) -> np.ndarray:
    """One step of inference, :math:`x_k = \\Lambda x_{k-1} + B u_k`: O(N), whatever k is.

    Parameters
    ----------
    lam : array_like, shape (N,), complex
    x : array_like, shape (N,)
        Previous state :math:`x_{k-1}`.
    bu : array_like, shape (N,)
        The projected input :math:`B u_k`.

    Returns
    -------
    ndarray, shape (N,), complex
    """
    lam_arr = _lam(lam)
    x_arr = np.atleast_1d(as_array(x, "x", ndim=(0, 1)))
    bu_arr = np.atleast_1d(as_array(bu, "bu", ndim=(0, 1)))
    if x_arr.shape != lam_arr.shape:
        raise ValueError(f"x must have shape {lam_arr.shape} like lam, got {x_arr.shape}")
    if bu_arr.shape != lam_arr.shape:
        raise ValueError(f"bu must have shape {lam_arr.shape} like lam, got {bu_arr.shape}")
    return lam_arr * x_arr + bu_arr


def attention_step(q: Any, keys: Any, values: Any) -> np.ndarray:
    """One step of causal softmax attention over the whole context: O(k d) at step k.

    :math:`\\operatorname{softmax}(K q / \\sqrt{d})^\\top V`, the readout a Transformer computes
    for a new token from the keys and values of *all* previous tokens
    :cite:p:`vaswani2017attention`. Its cost grows with the context length, unlike
    :func:`recurrence_step`.

    Parameters
    ----------
    q : array_like, shape (d,)
        Query of the new token.
    keys : array_like, shape (k, d)
        Keys of the k tokens seen so far.
    values : array_like, shape (k, d_v)

    Returns
    -------
    ndarray, shape (d_v,)
    """
    q_arr = as_array(q, "q", ndim=1, complex_ok=False)
    k_arr = as_array(keys, "keys", ndim=2, complex_ok=False)
    v_arr = as_array(values, "values", ndim=2, complex_ok=False)
    if q_arr.shape[0] == 0:
        raise ValueError("q must be a non-empty vector, got shape (0,)")
    if k_arr.shape[0] == 0:
        raise ValueError(f"keys must hold at least one token (k >= 1), got shape {k_arr.shape}")
    if k_arr.shape[1] != q_arr.shape[0]:
        raise ValueError(f"keys must have shape (k, {q_arr.shape[0]}) to match q of shape "
                         f"{q_arr.shape}, got {k_arr.shape}")
    if v_arr.shape[0] != k_arr.shape[0] or k_arr.shape[0] == 0:
        raise ValueError(
            f"values must have shape (k, d_v) with k = {k_arr.shape[0]} >= 1, got {v_arr.shape}"
        )
    # einsum without `optimize` runs numpy's own single-threaded loops (no multi-threaded BLAS),
    # so that timings reflect the O(k d) operation count, like those of recurrence_step.
    scores = np.einsum("kd,d->k", k_arr, q_arr) / np.sqrt(q_arr.shape[0])
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return np.einsum("k,kv->v", weights, v_arr)
