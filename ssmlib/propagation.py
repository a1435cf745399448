"""Information propagation through a linear recurrence: the "aa" versus "ab" test (chapter 4).

Two tokens are embedded as pulses, ``a -> +1`` and ``b -> -1``, and fed ``spacing`` seconds
apart into the scalar complex system

.. math::

    \\dot x(t) = s\\, x(t) + u(t), \\qquad s = -\\alpha + i\\omega,

a damped oscillator written in its diagonal (modal) coordinate (chapter 4): :math:`\\alpha` is
the damping rate (1/s) and :math:`\\omega` the angular frequency (rad/s). The system is
discretized with the zero-order hold of chapter 3 (:func:`ssmlib.discretize.zoh_diagonal`),
:math:`\\lambda = e^{s\\Delta}`, so that per step the decay is :math:`\\nu = \\alpha\\Delta` and the
phase :math:`\\theta = \\omega\\Delta`; the hold is exact for the piecewise-constant pulses used
here, and the result is run as the recurrence of :func:`ssmlib.recurrence.linear_recurrence`.

:func:`aa_vs_ab`, :func:`pulse_response` and :func:`propagation_regime` take :math:`\\alpha`
and :math:`\\omega` as their arguments ``nu`` and ``theta`` (names kept for backward
compatibility): in this module ``nu`` is the rate :math:`\\alpha` in 1/s and ``theta`` the
frequency :math:`\\omega` in rad/s, not the per-step :math:`\\nu`, :math:`\\theta` of the LRU.

Because the system is linear, the two final states differ only by the response to the
difference of the last tokens, :math:`a - b`. How large that difference still is a time
:math:`\\tau` after the pulse is governed by :math:`|e^{s\\tau}| = e^{-\\alpha\\tau}`:
the three regimes of :func:`propagation_regime`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ._validation import as_array, check_finite_scalar, check_positive
from .discretize import zoh_diagonal
from .recurrence import linear_recurrence

__all__ = [
    "DEFAULT_EMBEDDING",
    "pulse_sequence",
    "AaAbResult",
    "aa_vs_ab",
    "pulse_response",
    "propagation_regime",
    "REGIMES",
]

#: The embedding of the seed experiment: token a is +1, token b is -1.
DEFAULT_EMBEDDING: dict[str, float] = {"a": 1.0, "b": -1.0}

#: Names returned by :func:`propagation_regime`.
REGIMES = ("negative damping", "low damping", "high damping")


#: Longest signal :func:`pulse_sequence` builds (the recurrence then runs in a Python loop).
_MAX_SAMPLES = 200_000


def pulse_sequence(
    tokens: Sequence[str] | str,
    embedding: Mapping[str, Any] | None = None,
    spacing: float = 10.0,
    *,
    dt: float = 0.1,
    width: float = 1.0,
    duration: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn tokens into a piecewise-constant input signal, one pulse every ``spacing`` seconds.

    Token ``i`` is a rectangular pulse of height ``embedding[token]`` on
    :math:`[i\\,\\text{spacing},\\ i\\,\\text{spacing} + \\text{width})`. The signal is sampled
    on the grid ``t[k] = k * dt`` and ``u[k]`` is its (constant) value from ``t[k]`` to
    ``t[k+1]``: in the book's notation ``u[k]`` is :math:`u_{k+1}`, held over
    :math:`(t_k, t_{k+1}]`, the zero-order-hold convention. Onsets and widths are rounded to
    the nearest grid point.

    Parameters
    ----------
    tokens : str or sequence of str
        E.g. ``"ab"`` or ``["a", "b"]``.
    embedding : mapping from token to float or array of shape (H,), optional
        Defaults to :data:`DEFAULT_EMBEDDING` (``a -> +1``, ``b -> -1``). All values must have
        the same shape.
    spacing : float, > 0
        Time between two token onsets (seconds).
    dt : float, > 0
        Sampling step (seconds).
    width : float, > 0
        Pulse duration (seconds); at least one sample and at most ``spacing``.
    duration : float, optional
        Length of the signal (seconds); defaults to ``len(tokens) * spacing``, so the signal ends
        one spacing after the last onset.

    Returns
    -------
    t : ndarray, shape (L,)
        Sample times ``t[k] = k * dt``, where the sample ``u[k]`` starts.
    u : ndarray, shape (L, H)
        The signal, time axis first (``H = 1`` for scalar embeddings).
    """
    if isinstance(tokens, str):
        tokens = list(tokens)
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(s, str) for s in tokens):
        raise TypeError("tokens must be a string or a sequence of strings")
    if len(tokens) == 0:
        raise ValueError("tokens must not be empty")
    embedding = DEFAULT_EMBEDDING if embedding is None else embedding
    if not isinstance(embedding, Mapping):
        raise TypeError(f"embedding must be a mapping token -> value, got {type(embedding).__name__}")
    missing = sorted(set(tokens) - set(embedding))
    if missing:
        raise ValueError(f"tokens contain {missing}, which have no entry in embedding")
    vectors = {s: np.atleast_1d(as_array(embedding[s], f"embedding[{s!r}]", ndim=(0, 1)))
               for s in set(tokens)}
    shapes = {v.shape for v in vectors.values()}
    if len(shapes) != 1:
        raise ValueError(f"embedding values must all have the same shape, got {sorted(shapes)}")
    spacing = check_positive(spacing, "spacing")
    dt = check_positive(dt, "dt")
    width = check_positive(width, "width")
    if width > spacing:
        raise ValueError(f"width must be <= spacing = {spacing}, got {width}")
    n_width = int(round(width / dt))
    if n_width < 1:
        raise ValueError(f"width must be at least one step dt = {dt}, got {width}")
    duration = len(tokens) * spacing if duration is None else check_positive(duration, "duration")
    if duration / dt > _MAX_SAMPLES:
        raise ValueError(
            f"duration / dt = {duration / dt:.3g} samples (spacing={spacing}, dt={dt}) is more than "
            f"{_MAX_SAMPLES}: use a shorter spacing or duration, or a larger dt")
    length = int(round(duration / dt))
    onsets = [int(round(i * spacing / dt)) for i in range(len(tokens))]
    if onsets[-1] + n_width > length:
        raise ValueError(
            f"duration = {duration} is too short for {len(tokens)} tokens spaced {spacing} apart"
        )
    (shape,) = shapes
    dtype = np.result_type(*vectors.values())
    u = np.zeros((length, shape[0]), dtype=dtype)
    for onset, token in zip(onsets, tokens):
        u[onset : onset + n_width] += vectors[token]
    return dt * np.arange(length), u


@dataclass(frozen=True)
class AaAbResult:
    """Result of :func:`aa_vs_ab`.

    Attributes
    ----------
    t : ndarray, shape (L + 1,)
        Times of the states, :math:`0, \\Delta, \\dots, L\\Delta` with :math:`\\Delta` = ``dt``
        (the first is the initial state).
    x_aa, x_ab : ndarray, shape (L + 1,), complex
        State trajectories :math:`x_0, \\dots, x_L` for the inputs "aa" and "ab".
    final_aa, final_ab : complex
        The final states :math:`x(T)`, :math:`T = L\\Delta`.
    distance : float
        :math:`|x_{aa}(T) - x_{ab}(T)|`.
    lam : complex
        The continuous-time eigenvalue :math:`s = -\\alpha + i\\omega` (attribute name kept
        for backward compatibility).
    lam_bar : complex
        The discrete-time eigenvalue :math:`\\lambda = e^{s\\Delta}`.
    regime : str
        One of :data:`REGIMES` (see :func:`propagation_regime`).
    """

    t: np.ndarray
    x_aa: np.ndarray
    x_ab: np.ndarray
    final_aa: complex
    final_ab: complex
    distance: float
    lam: complex
    lam_bar: complex
    regime: str

    @property
    def distance_trajectory(self) -> np.ndarray:
        """:math:`|x_{aa}(t) - x_{ab}(t)|` at every time, shape (L + 1,)."""
        return np.abs(self.x_aa - self.x_ab)


def aa_vs_ab(
    nu: float,
    theta: float,
    spacing: float = 10.0,
    *,
    dt: float = 0.1,
    width: float = 1.0,
    duration: float | None = None,
    embedding: Mapping[str, Any] | None = None,
    survival: float = 0.1,
) -> AaAbResult:
    """Feed "aa" and "ab" to :math:`\\dot x = (-\\alpha + i\\omega) x + u`; compare the final states.

    The tokens are pulses built by :func:`pulse_sequence` (first onset at 0, second at
    ``spacing``); the system is discretized by zero-order hold with step ``dt`` (exact for
    these pulses) and started from :math:`x(0) = 0`.

    Parameters
    ----------
    nu : float
        The damping rate :math:`\\alpha` (1/s). Positive: decaying; negative: growing.
    theta : float
        The angular frequency :math:`\\omega` (rad/s).
    spacing : float, > 0
        Seconds between the two tokens (10 in the seed experiment).
    dt, width, duration, embedding
        As in :func:`pulse_sequence`; by default the signal lasts ``2 * spacing``, so the
        final state is read ``spacing`` seconds after the second onset.
    survival : float in (0, 1)
        Threshold used by :func:`propagation_regime`.

    Returns
    -------
    AaAbResult
    """
    nu = check_finite_scalar(nu, "nu")
    theta = check_finite_scalar(theta, "theta")
    t_in, u_aa = pulse_sequence("aa", embedding, spacing, dt=dt, width=width, duration=duration)
    _, u_ab = pulse_sequence("ab", embedding, spacing, dt=dt, width=width, duration=duration)
    if u_aa.shape[1] != 1:
        raise ValueError("embedding values must be scalars for the scalar system of aa_vs_ab")
    lam = complex(-nu, theta)
    lam_bar, B_bar = zoh_diagonal(np.array([lam]), np.ones((1, 1)), dt)
    if not np.all(np.isfinite(lam_bar)) or not np.all(np.isfinite(B_bar)):
        raise ValueError(f"nu={nu}, dt={dt}: exp(-nu dt) overflows float64; use a larger nu "
                         "or a smaller dt")
    try:
        x_aa = linear_recurrence(lam_bar, u_aa, B=B_bar)[:, 0]
        x_ab = linear_recurrence(lam_bar, u_ab, B=B_bar)[:, 0]
    except ValueError as exc:
        if "overflows" not in str(exc):
            raise
        raise ValueError(
            f"nu={nu}: the state grows like exp(-nu t) and overflows float64 within "
            f"{len(t_in) * dt:g} s; use a larger nu (less growth) or a shorter spacing") from None
    # prepend the initial state x(0) = 0: x[k] of the recurrence is the state at t_{k+1}
    x_aa = np.concatenate([[0.0 + 0.0j], x_aa])
    x_ab = np.concatenate([[0.0 + 0.0j], x_ab])
    t = dt * np.arange(len(t_in) + 1)
    return AaAbResult(
        t=t,
        x_aa=x_aa,
        x_ab=x_ab,
        final_aa=complex(x_aa[-1]),
        final_ab=complex(x_ab[-1]),
        distance=float(abs(x_aa[-1] - x_ab[-1])),
        lam=lam,
        lam_bar=complex(lam_bar[0]),
        regime=propagation_regime(nu, spacing, survival=survival),
    )


def pulse_response(
    nu: float, theta: float, t: Any, *, onset: float, width: float = 1.0, height: float = 2.0
) -> np.ndarray:
    """Exact continuous-time response of :math:`\\dot x = s x + u` to one rectangular pulse.

    For a pulse of height :math:`h` on :math:`[t_1, t_1 + w)` and :math:`x(t_1) = 0`,

    .. math::

        x(t) = h\\,\\frac{e^{s (t - t_1)} - 1}{s} \\ (t_1 \\le t \\le t_1 + w),

        x(t) = h\\,\\frac{e^{s (t - t_1)} - e^{s (t - t_1 - w)}}{s}
        \\ (t > t_1 + w),

    and zero before :math:`t_1`. With ``height = a - b = 2`` this is
    :math:`x_{aa}(t) - x_{ab}(t)` in :func:`aa_vs_ab` (linearity): the information carried by
    the second token alone.

    Parameters
    ----------
    nu, theta : float
        The damping rate :math:`\\alpha` (1/s) and angular frequency :math:`\\omega` (rad/s):
        :math:`s = -\\alpha + i\\omega`, with :math:`s \\ne 0`.
    t : array_like, shape (M,)
        Times (seconds).
    onset, width, height : float
        :math:`t_1` (seconds), :math:`w` (seconds, > 0) and :math:`h`.

    Returns
    -------
    ndarray, shape (M,), complex
    """
    nu = check_finite_scalar(nu, "nu")
    theta = check_finite_scalar(theta, "theta")
    lam = complex(-nu, theta)
    if lam == 0:
        raise ValueError("nu and theta must not both be zero (lambda = 0)")
    t_arr = np.atleast_1d(as_array(t, "t", ndim=(0, 1), complex_ok=False))
    onset = check_finite_scalar(onset, "onset")
    width = check_positive(width, "width")
    height = check_finite_scalar(height, "height")
    s = t_arr - onset
    during = height * np.expm1(lam * np.clip(s, 0, width)) / lam
    after = height * (np.exp(lam * s) - np.exp(lam * (s - width))) / lam
    return np.where(s <= 0, 0.0, np.where(s <= width, during, after))


def propagation_regime(nu: float, spacing: float = 10.0, *, survival: float = 0.1) -> str:
    """Classify the damping rate :math:`\\alpha` by how much of a token survives one spacing.

    The fraction of a state's magnitude left after :math:`\\tau` = ``spacing`` seconds is the
    survival factor :math:`q = |e^{s\\tau}| = e^{-\\alpha\\tau}`. Then

    * ``"negative damping"`` if :math:`\\alpha < 0` (:math:`q > 1`: old tokens are amplified
      and the state eventually explodes);
    * ``"low damping"`` if :math:`\\alpha \\ge 0` and :math:`q \\ge` ``survival`` (the
      previous token is still clearly present when the next one arrives);
    * ``"high damping"`` if :math:`q <` ``survival`` (the previous token is forgotten).

    With the defaults (spacing 10 s, survival 0.1) the boundary between low and high damping is
    :math:`\\alpha = \\ln 10 / 10 \\approx 0.23` 1/s.

    Parameters
    ----------
    nu : float
        The damping rate :math:`\\alpha` (1/s).
    spacing : float, > 0
        The time :math:`\\tau` between two tokens (seconds).
    survival : float in (0, 1)
        Threshold on :math:`q`.

    Returns
    -------
    str
        One of :data:`REGIMES`.
    """
    nu = check_finite_scalar(nu, "nu")
    spacing = check_positive(spacing, "spacing")
    survival = check_finite_scalar(survival, "survival")
    if not 0.0 < survival < 1.0:
        raise ValueError(f"survival must be in (0, 1), got {survival}")
    if nu < 0:
        return "negative damping"
    return "low damping" if np.exp(-nu * spacing) >= survival else "high damping"
