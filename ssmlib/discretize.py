"""From continuous to discrete time: zero-order hold, bilinear and forward Euler (chapter 3).

For :math:`\\dot x = A x + B u` sampled with step :math:`\\Delta`:

* **zero-order hold** (exact when :math:`u` is constant on each step, eq. ``eq-disc-zoh``)

  .. math:: \\bar A = e^{A\\Delta}, \\qquad \\bar B = \\int_0^{\\Delta} e^{As}\\,ds\\;B
            = A^{-1}(e^{A\\Delta} - I) B

  computed for any (even singular) :math:`A` from one block exponential
  :math:`\\exp\\big(\\Delta\\,[\\begin{smallmatrix}A & B\\\\ 0 & 0\\end{smallmatrix}]\\big)`;
* **bilinear** / Tustin (trapezoidal rule, eq. ``eq-disc-bilinear``)

  .. math:: \\bar A = (I - \\tfrac{\\Delta}{2}A)^{-1}(I + \\tfrac{\\Delta}{2}A), \\qquad
            \\bar B = (I - \\tfrac{\\Delta}{2}A)^{-1}\\Delta B;

* **forward Euler**: :math:`\\bar A = I + \\Delta A`, :math:`\\bar B = \\Delta B`.

:func:`discretize` also transforms ``C`` and ``D`` with the convention of
``scipy.signal.cont2discrete``: unchanged for ZOH and Euler; for bilinear
:math:`\\bar C = C (I - \\tfrac{\\Delta}{2}A)^{-1}` and :math:`\\bar D = D + \\tfrac12 C \\bar B`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import expm

from ._validation import as_array, as_square_matrix, check_positive
from .stability import DISCRETIZATION_METHODS
from .statespace import DiscreteStateSpace, StateSpace

__all__ = ["zoh", "bilinear", "euler", "discretize", "zoh_diagonal"]


def _check_AB(A: Any, B: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate A (n, n) and B (n, m) or (n,); return 2-D B and whether B was 1-D."""
    A = as_square_matrix(A, "A")
    B = as_array(B, "B", ndim=(1, 2))
    vector = B.ndim == 1
    B2 = B.reshape(-1, 1) if vector else B
    if B2.shape[0] != A.shape[0]:
        raise ValueError(f"B must have n={A.shape[0]} rows (one per state), got shape {B.shape}")
    return A, B2, vector


def _check_dt(dt: Any) -> float:
    return check_positive(dt, "dt")


def zoh(A: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Zero-order-hold discretization, exact for inputs held constant over each step.

    Parameters
    ----------
    A : array_like, shape (n, n)
    B : array_like, shape (n, m) or (n,)
    dt : float, > 0
        Step :math:`\\Delta`.

    Returns
    -------
    Ad : ndarray, shape (n, n)
        :math:`e^{A\\Delta}`.
    Bd : ndarray, same shape as ``B``
        :math:`\\int_0^\\Delta e^{As} ds\\, B`.
    """
    A, B2, vector = _check_AB(A, B)
    dt = _check_dt(dt)
    n, m = B2.shape
    M = np.zeros((n + m, n + m), dtype=np.result_type(A, B2))
    M[:n, :n] = A
    M[:n, n:] = B2
    E = expm(dt * M)
    Ad, Bd = E[:n, :n], E[:n, n:]
    return Ad, (Bd[:, 0] if vector else Bd)


def _gbt(A: np.ndarray, B: np.ndarray, dt: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Generalized bilinear transform (alpha=0: forward Euler, 1/2: bilinear)."""
    n = A.shape[0]
    I = np.eye(n)
    ima = I - alpha * dt * A
    Ad = np.linalg.solve(ima, I + (1.0 - alpha) * dt * A)
    Bd = np.linalg.solve(ima, dt * B)
    return Ad, Bd


def bilinear(A: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear (Tustin, trapezoidal) discretization.

    Parameters
    ----------
    A : array_like, shape (n, n)
    B : array_like, shape (n, m) or (n,)
    dt : float, > 0

    Returns
    -------
    Ad : ndarray, shape (n, n)
        :math:`(I - \\tfrac{\\Delta}{2}A)^{-1}(I + \\tfrac{\\Delta}{2}A)`.
    Bd : ndarray, same shape as ``B``
        :math:`(I - \\tfrac{\\Delta}{2}A)^{-1}\\Delta B`.

    Raises
    ------
    ValueError
        When :math:`I - \\tfrac{\\Delta}{2}A` is singular (an eigenvalue :math:`\\lambda = 2/\\Delta`).
    """
    A, B2, vector = _check_AB(A, B)
    dt = _check_dt(dt)
    try:
        Ad, Bd = _gbt(A, B2, dt, 0.5)
    except np.linalg.LinAlgError as exc:
        raise ValueError("A: I - dt/2 A is singular (an eigenvalue equals 2/dt)") from exc
    return Ad, (Bd[:, 0] if vector else Bd)


def euler(A: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward Euler discretization: :math:`\\bar A = I + \\Delta A`, :math:`\\bar B = \\Delta B`.

    Parameters
    ----------
    A : array_like, shape (n, n)
    B : array_like, shape (n, m) or (n,)
    dt : float, > 0

    Returns
    -------
    Ad : ndarray, shape (n, n)
    Bd : ndarray, same shape as ``B``
    """
    A, B2, vector = _check_AB(A, B)
    dt = _check_dt(dt)
    Ad = np.eye(A.shape[0]) + dt * A
    Bd = dt * B2
    return Ad, (Bd[:, 0] if vector else Bd)


def discretize(system: StateSpace, dt: float, method: str = "zoh") -> DiscreteStateSpace:
    """Discretize a continuous :class:`~ssmlib.StateSpace` with step ``dt``.

    Parameters
    ----------
    system : StateSpace
        The continuous-time system.
    dt : float, > 0
        Step :math:`\\Delta`.
    method : {"zoh", "bilinear", "euler"}
        See the module docstring. ``C`` and ``D`` follow ``scipy.signal.cont2discrete``.

    Returns
    -------
    DiscreteStateSpace
        With ``dt`` recorded.
    """
    if not isinstance(system, StateSpace):
        raise TypeError(f"system must be a StateSpace, got {type(system).__name__}")
    dt = _check_dt(dt)
    A, B, C, D = system.A, system.B, system.C, system.D
    if method == "zoh":
        Ad, Bd = zoh(A, B, dt)
        Cd, Dd = C, D
    elif method == "bilinear":
        Ad, Bd = bilinear(A, B, dt)
        # Output equation: C_d = C (I - dt/2 A)^{-1}, D_d = D + C B_d / 2 (scipy's convention).
        ima = np.eye(system.n) - 0.5 * dt * A
        Cd = np.linalg.solve(ima.T, C.T).T
        Dd = D + 0.5 * (C @ Bd)
    elif method == "euler":
        Ad, Bd = euler(A, B, dt)
        Cd, Dd = C, D
    else:
        raise ValueError(f"method must be one of {DISCRETIZATION_METHODS}, got {method!r}")
    return DiscreteStateSpace(Ad, Bd, Cd, Dd, dt)


def zoh_diagonal(lam: Any, B: Any, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Zero-order hold for a diagonal system :math:`\\dot x_i = \\lambda_i x_i + (Bu)_i`.

    Elementwise, :math:`\\bar\\lambda_i = e^{\\lambda_i\\Delta}` and
    :math:`\\bar B_i = \\frac{e^{\\lambda_i\\Delta} - 1}{\\lambda_i} B_i`, with the limit
    :math:`\\Delta B_i` at :math:`\\lambda_i = 0`. The factor is evaluated as
    :math:`\\Delta\\,\\mathrm{expm1}(\\lambda\\Delta)/(\\lambda\\Delta)` so it stays accurate when
    :math:`|\\lambda\\Delta|` is tiny.

    Parameters
    ----------
    lam : array_like, shape (n,), complex
        Diagonal of :math:`A`.
    B : array_like, shape (n,) or (n, m)
        Input matrix (or vector).
    dt : float, > 0

    Returns
    -------
    lam_bar : ndarray, shape (n,), complex128
    B_bar : ndarray, same shape as ``B``, complex128
    """
    lam = as_array(lam, "lam", ndim=1).astype(np.complex128)
    B = as_array(B, "B", ndim=(1, 2))
    if B.shape[0] != lam.shape[0]:
        raise ValueError(f"B must have n={lam.shape[0]} rows (one per eigenvalue), got shape {B.shape}")
    dt = _check_dt(dt)
    z = lam * dt
    small = z == 0
    safe = np.where(small, 1.0, z)
    factor = np.where(small, dt, dt * np.expm1(safe) / safe)  # (e^{lam dt} - 1) / lam
    lam_bar = np.exp(z)
    B_bar = (factor[:, None] * B) if B.ndim == 2 else factor * B
    return lam_bar, B_bar.astype(np.complex128)
