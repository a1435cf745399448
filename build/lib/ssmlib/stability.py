"""Eigenvalues and stability of continuous and discrete linear systems (chapters 2-3).

A continuous-time system :math:`\\dot x = A x` is asymptotically stable when every
eigenvalue :math:`s` of :math:`A` lies in the open left half-plane,
:math:`\\operatorname{Re} s < 0`. A discrete-time system :math:`x_k = \\bar A x_{k-1}` is
asymptotically stable when every eigenvalue :math:`\\lambda` of :math:`\\bar A` lies inside
the open unit disk, :math:`|\\lambda| < 1`.

Discretizing with step :math:`\\Delta` maps each continuous eigenvalue :math:`s` to a
discrete one :math:`\\lambda` (chapter 3):

* zero-order hold: :math:`\\lambda = e^{s\\Delta}`,
* bilinear (Tustin): :math:`\\lambda = (1 + s\\Delta/2) / (1 - s\\Delta/2)`,
* forward Euler: :math:`\\lambda = 1 + s\\Delta`.

The first two map the left half-plane into the unit disk for every :math:`\\Delta > 0`;
forward Euler maps a stable :math:`s` inside only when
:math:`\\Delta < -2\\operatorname{Re} s / |s|^2` (:func:`euler_stable_step`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import as_array, as_square_matrix, check_positive, check_result

__all__ = [
    "is_stable_continuous",
    "is_stable_discrete",
    "spectral_radius",
    "map_eigenvalues",
    "euler_stable_step",
    "DISCRETIZATION_METHODS",
]

#: The canonical method names of :func:`map_eigenvalues` and :func:`ssmlib.discretize`
#: (both also accept any case and scipy's aliases, see
#: :data:`ssmlib.discretize.METHOD_ALIASES`).
DISCRETIZATION_METHODS = ("zoh", "bilinear", "euler")


def _eigs(eigs: Any, name: str = "eigs") -> np.ndarray:
    """Validate a vector of eigenvalues: 1-D (a scalar is promoted), finite, complex."""
    arr = as_array(eigs, name, ndim=(0, 1))
    if arr.size == 0:
        raise ValueError(f"{name} must contain at least one eigenvalue, got an empty array")
    return np.atleast_1d(arr).astype(np.complex128)


def is_stable_continuous(eigs: Any, *, tol: float = 0.0) -> bool:
    """True when every eigenvalue has a strictly negative real part.

    Parameters
    ----------
    eigs : array_like, shape (N,), complex
        Eigenvalues :math:`s` of a continuous-time state matrix :math:`A`.
    tol : float, >= 0
        Margin: require :math:`\\operatorname{Re} s < -\\text{tol}`. With the default 0 a
        purely imaginary eigenvalue (an undamped oscillator) is *not* asymptotically stable.

    Returns
    -------
    bool
    """
    lam = _eigs(eigs)
    tol = check_positive(tol, "tol", allow_zero=True)
    return bool(np.all(lam.real < -tol))


def is_stable_discrete(eigs: Any, *, tol: float = 0.0) -> bool:
    """True when every eigenvalue lies strictly inside the unit circle.

    Parameters
    ----------
    eigs : array_like, shape (N,), complex
        Eigenvalues :math:`\\lambda` of a discrete-time state matrix :math:`\\bar A`.
    tol : float, >= 0
        Margin: require :math:`|\\lambda| < 1 - \\text{tol}`.

    Returns
    -------
    bool
    """
    lam = _eigs(eigs)
    tol = check_positive(tol, "tol", allow_zero=True)
    return bool(np.all(np.abs(lam) < 1.0 - tol))


def spectral_radius(A: Any) -> float:
    """The largest eigenvalue modulus :math:`\\rho(A) = \\max_n |\\lambda_n(A)|` (not a norm).

    Parameters
    ----------
    A : array_like, shape (N, N)
        Square matrix with finite entries.

    Returns
    -------
    float
    """
    A = as_square_matrix(A, "A")
    return float(np.max(np.abs(np.linalg.eigvals(A))))


def map_eigenvalues(eigs: Any, dt: float, method: str = "zoh") -> np.ndarray:
    """Map continuous-time eigenvalues :math:`s` to discrete-time eigenvalues :math:`\\lambda`.

    Parameters
    ----------
    eigs : array_like, shape (N,), complex
        Continuous-time eigenvalues :math:`s`.
    dt : float, > 0
        Step :math:`\\Delta`.
    method : {"zoh", "bilinear", "euler"}
        ``"zoh"``: :math:`\\lambda = e^{s\\Delta}`; ``"bilinear"``:
        :math:`\\lambda = (1+s\\Delta/2)/(1-s\\Delta/2)`; ``"euler"``:
        :math:`\\lambda = 1+s\\Delta`. The same names as :func:`ssmlib.discretize`: any case,
        and scipy's aliases ``"tustin"`` (bilinear) and ``"forward_diff"`` (Euler).

    Returns
    -------
    ndarray, shape (N,), complex128
        The eigenvalues :math:`\\lambda` of the discretized state matrix :math:`\\bar A`.

    Raises
    ------
    ValueError
        For ``dt <= 0``, an unknown ``method``, or a bilinear pole
        (:math:`s\\Delta = 2`, where :math:`I - A\\Delta/2` is singular).
    TypeError
        If ``method`` is not a string.
    """
    # Imported here: ssmlib.discretize imports ssmlib.statespace, which imports this module.
    from .discretize import canonical_method

    lam = _eigs(eigs)
    dt = check_positive(dt, "dt")
    method = canonical_method(method)
    hint = "use a smaller dt (or eigenvalues of smaller modulus)"
    with np.errstate(over="ignore", invalid="ignore"):
        z = lam * dt
        check_result(z, "eigs * dt", hint)
        if method == "zoh":
            return check_result(np.exp(z), "map_eigenvalues(method='zoh'): exp(eigs * dt)", hint)
        if method == "bilinear":
            den = 1.0 - z / 2.0
            if np.any(den == 0):
                raise ValueError("eigs: an eigenvalue s with s * dt = 2 is a pole of the "
                                 "bilinear map")
            return check_result((1.0 + z / 2.0) / den,
                                "map_eigenvalues(method='bilinear')", hint)
        return check_result(1.0 + z, "map_eigenvalues(method='euler')", hint)


def euler_stable_step(eigs: Any) -> float:
    """The largest step for which forward Euler keeps every eigenvalue in the unit disk.

    For a continuous-time eigenvalue :math:`s`,
    :math:`|1 + s\\Delta|^2 = 1 + 2\\Delta\\operatorname{Re} s + \\Delta^2|s|^2 < 1`
    holds exactly when :math:`0 < \\Delta < -2\\operatorname{Re} s/|s|^2`, so the answer
    is the minimum of that bound over the eigenvalues. Every step *strictly below* the
    returned value is stable; the value itself puts an eigenvalue on the unit circle.

    Parameters
    ----------
    eigs : array_like, shape (N,), complex
        Continuous-time eigenvalues :math:`s`.

    Returns
    -------
    float
        The bound (``0.0`` when some eigenvalue has :math:`\\operatorname{Re} s \\ge 0`:
        then no step is stable).
    """
    lam = _eigs(eigs)
    if np.any(lam.real >= 0):
        return 0.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        bound = float(np.min(-2.0 * lam.real / np.abs(lam) ** 2))
    return float(check_result(np.asarray(bound), "euler_stable_step(eigs)",
                              "the eigenvalues are too small or too large to square in float64"))
