"""The exponential parameterization of stable diagonal recurrences (chapters 7 and 9).

A diagonal recurrence :math:`x_k = \\Lambda x_{k-1} + B u_k` is stable when every
:math:`|\\lambda_n| < 1`. Instead of learning :math:`\\lambda` directly (a gradient step
can push it out of the unit disk), the Linear Recurrent Unit
:cite:p:`orvieto2023resurrecting` learns two real numbers per
eigenvalue and maps them to the open unit disk:

.. math::

    \\lambda = \\exp\\bigl(-\\exp(\\nu^{\\log}) + i\\,\\theta\\bigr),
    \\qquad |\\lambda| = \\exp(-\\exp(\\nu^{\\log})) \\in (0, 1)

for *every* real :math:`\\nu^{\\log}` (chapter 7, the exponential parameterization).
In the LRU the phase is itself stored as a log, :math:`\\theta = \\exp(\\theta^{\\log})`.
In code these parameters are ``nu_log`` and ``theta_log``.

The *ring initialization* draws :math:`\\lambda` uniformly on the annulus
:math:`r_{\\min} \\le |\\lambda| \\le r_{\\max}` restricted to phases in
:math:`[0, \\theta_{\\max}]`: uniform in area means :math:`|\\lambda|^2` uniform on
:math:`[r_{\\min}^2, r_{\\max}^2]` and the phase uniform on :math:`[0, \\theta_{\\max}]`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import as_array, as_rng, check_bool, check_finite_scalar

__all__ = ["lambda_from_params", "params_from_lambda", "sample_ring"]


def lambda_from_params(nu_log: Any, theta: Any) -> np.ndarray:
    """Map unconstrained real parameters to eigenvalues inside the unit disk.

    .. math:: \\lambda = \\exp(-\\exp(\\nu^{\\log}) + i\\theta)

    Parameters
    ----------
    nu_log : array_like of float, any shape
        :math:`\\nu^{\\log}`, the log of the decay rate :math:`\\nu = -\\log|\\lambda| > 0`.
        Any finite real value gives :math:`|\\lambda| < 1` (mathematically; in float64,
        once ``nu_log`` is below about -36 the computed :math:`|\\lambda|` equals 1 up to
        rounding, and can come out as exactly 1 or one ulp above it).
    theta : array_like of float, broadcastable with ``nu_log``
        Phase :math:`\\theta = \\arg\\lambda` in radians. (The LRU stores
        :math:`\\theta = \\exp(\\theta^{\\log})`; pass ``np.exp(theta_log)`` then.)

    Returns
    -------
    lam : ndarray, complex128, broadcast shape of the inputs
        The eigenvalues. A scalar input gives a 0-d array.

    Raises
    ------
    TypeError
        If an input is complex or not numeric.
    ValueError
        If an input is not finite or the shapes do not broadcast.

    Examples
    --------
    >>> lam = lambda_from_params([-2.0, 0.0, 3.0], [0.0, 1.0, 2.0])
    >>> bool(np.all(np.abs(lam) < 1))
    True
    """
    nu_log = as_array(nu_log, "nu_log", complex_ok=False)
    theta = as_array(theta, "theta", complex_ok=False)
    try:
        np.broadcast_shapes(nu_log.shape, theta.shape)
    except ValueError as exc:
        raise ValueError(
            f"nu_log (shape {nu_log.shape}) and theta (shape {theta.shape}) must broadcast"
        ) from exc
    # exp(-nu) * (cos theta + i sin theta); written via exp of a complex number.
    return np.exp(-np.exp(nu_log) + 1j * theta)


def params_from_lambda(lam: Any) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`lambda_from_params` for :math:`0 < |\\lambda| < 1`.

    Parameters
    ----------
    lam : array_like, complex, any shape
        Eigenvalues strictly inside the unit disk and different from 0.

    Returns
    -------
    nu_log : ndarray, float64, same shape as ``lam``
        :math:`\\nu^{\\log} = \\log(-\\log|\\lambda|)`.
    theta : ndarray, float64, same shape as ``lam``
        :math:`\\arg\\lambda \\in (-\\pi, \\pi]`.

    Raises
    ------
    ValueError
        If some :math:`|\\lambda| \\ge 1` (no real ``nu_log`` exists) or
        :math:`\\lambda = 0` (``nu_log`` would be :math:`+\\infty`).
    """
    lam = as_array(lam, "lam").astype(np.complex128)
    r = np.abs(lam)
    if np.any(r >= 1):
        raise ValueError(
            f"lam must lie strictly inside the unit disk (|lam| < 1); max |lam| = {r.max():.6g}"
        )
    if np.any(r == 0):
        raise ValueError("lam must be non-zero (nu_log = log(-log|lam|) is infinite at 0)")
    nu_log = np.log(-np.log(r))
    theta = np.angle(lam)
    return nu_log, theta


def sample_ring(
    n: int,
    r_min: float = 0.0,
    r_max: float = 1.0,
    max_phase: float = 2 * np.pi,
    rng: np.random.Generator | int | None = None,
    *,
    return_params: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw eigenvalues uniformly on a ring of the unit disk (LRU initialization).

    With :math:`u_1, u_2 \\sim U(0, 1)` :cite:p:`orvieto2023resurrecting`:

    .. math::

        \\nu^{\\log} = \\log\\bigl(-\\tfrac12 \\log(u_1 (r_{\\max}^2 - r_{\\min}^2) + r_{\\min}^2)\\bigr),
        \\qquad \\theta^{\\log} = \\log(\\theta_{\\max} u_2),

    so :math:`|\\lambda|^2 = u_1 (r_{\\max}^2 - r_{\\min}^2) + r_{\\min}^2` is uniform on
    :math:`[r_{\\min}^2, r_{\\max}^2]` (uniform density in area on the ring) and the phase
    :math:`\\theta = \\theta_{\\max} u_2` is uniform on :math:`[0, \\theta_{\\max}]`.

    Parameters
    ----------
    n : int, >= 1
        Number of eigenvalues.
    r_min, r_max : float
        Ring radii, ``0 <= r_min < r_max <= 1``.
    max_phase : float
        Largest phase :math:`\\theta_{\\max}`, in ``(0, 2 pi]`` radians.
    rng : numpy.random.Generator or int or None
        Random generator or seed.
    return_params : bool
        Also return ``(nu_log, theta_log)``.

    Returns
    -------
    lam : ndarray, shape (n,), complex128
        The eigenvalues, :math:`\\lambda = \\exp(-\\exp(\\nu^{\\log}) + i \\exp(\\theta^{\\log}))`.
    nu_log, theta_log : ndarray, shape (n,), float64
        Only with ``return_params=True``. With ``r_max = 1`` and :math:`u_1` close to 1,
        ``nu_log`` can be very negative (:math:`|\\lambda|` rounds to 1 in float64); with
        ``r_min = 0`` and :math:`u_1 = 0` (probability :math:`2^{-53}`) it is ``+inf`` and
        :math:`\\lambda = 0`.

    Raises
    ------
    ValueError
        For ``n < 1``, radii outside ``0 <= r_min < r_max <= 1`` or ``max_phase``
        outside ``(0, 2 pi]``.
    TypeError
        For a non-integer ``n`` or a ``return_params`` that is not True or False.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if n > 10**8:
        raise ValueError(f"n must be <= 10**8 (memory), got {n}")
    r_min = check_finite_scalar(r_min, "r_min")
    r_max = check_finite_scalar(r_max, "r_max")
    max_phase = check_finite_scalar(max_phase, "max_phase")
    if not (0.0 <= r_min < r_max <= 1.0):
        raise ValueError(
            f"r_min and r_max must satisfy 0 <= r_min < r_max <= 1, got r_min={r_min}, r_max={r_max}"
        )
    if not (0.0 < max_phase <= 2 * np.pi + 1e-12):
        raise ValueError(f"max_phase must be in (0, 2*pi], got {max_phase}")
    return_params = check_bool(return_params, "return_params")
    rng = as_rng(rng, "rng")
    u1 = rng.random(n)
    u2 = rng.random(n)
    radius_sq = u1 * (r_max**2 - r_min**2) + r_min**2
    with np.errstate(divide="ignore"):
        # u1 = 0 with r_min = 0 gives |lambda| = 0: nu_log = +inf, lambda = 0 exactly.
        nu_log = np.log(-0.5 * np.log(radius_sq))
        theta_log = np.log(max_phase * u2)
    lam = np.exp(-np.exp(nu_log) + 1j * np.exp(theta_log))
    if return_params:
        return lam, nu_log, theta_log
    return lam
