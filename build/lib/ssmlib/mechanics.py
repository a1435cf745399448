"""The spring-mass-damper system (chapter 1).

Newton's second law for a mass :math:`m` on a spring of stiffness :math:`k` with a viscous
damper :math:`c`, driven by an external force :math:`f(t)` (chapter 1, Newton's law):

.. math:: m\\ddot x + c\\dot x + k x = f(t).

With the state :math:`\\mathbf{x} = [x, \\dot x]^\\top` it becomes the first-order system
(chapter 1, the state space form)

.. math::
    \\dot{\\mathbf{x}} = \\underbrace{\\begin{bmatrix} 0 & 1 \\\\ -k/m & -c/m \\end{bmatrix}}_{A}
    \\mathbf{x} + \\underbrace{\\begin{bmatrix} 0 \\\\ 1/m \\end{bmatrix}}_{B} f,
    \\qquad y = \\underbrace{\\begin{bmatrix} 1 & 0 \\end{bmatrix}}_{C} \\mathbf{x}.

The eigenvalues of :math:`A` are the roots of the characteristic equation
:math:`m s^2 + c s + k = 0` (chapter 2):
:math:`s_\\pm = (-c \\pm \\sqrt{c^2 - 4mk})/(2m)`.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ._validation import as_array, check_finite_scalar, check_positive
from .statespace import StateSpace

__all__ = ["SpringMassDamper", "REGIMES"]

#: The possible values of :attr:`SpringMassDamper.regime`.
REGIMES = ("underdamped", "critically damped", "overdamped", "undamped", "unstable")


class SpringMassDamper:
    """The mass-spring-damper :math:`m\\ddot x + c\\dot x + kx = f(t)`.

    Parameters
    ----------
    m : float, > 0
        Mass (kg).
    c : float
        Damping coefficient (N s/m). Negative values model *negative damping* (energy is
        pumped in) and give the ``"unstable"`` regime.
    k : float, >= 0
        Spring stiffness (N/m).

    Raises
    ------
    ValueError
        ``m <= 0``, ``k < 0`` or a non-finite value; the message names the argument.
    TypeError
        A non-numeric argument.
    """

    #: Relative tolerance on :math:`|\\zeta - 1|` under which the regime is "critically damped".
    #: Critical damping :math:`c = 2\\sqrt{mk}` is a single point; in floating point,
    #: :math:`\\zeta` computed from rounded inputs misses 1 by a few ulps, so an exact test would
    #: almost never fire. 1e-9 is far above rounding (~1e-16) and far below any damping a
    #: reader would call "different".
    CRITICAL_RTOL: float = 1e-9

    def __init__(self, m: float, c: float, k: float) -> None:
        self.m = check_positive(m, "m")
        self.c = check_finite_scalar(c, "c")
        self.k = check_positive(k, "k", allow_zero=True)

    def __repr__(self) -> str:
        return f"SpringMassDamper(m={self.m:g}, c={self.c:g}, k={self.k:g})"

    # -- characteristic quantities ---------------------------------------------
    @property
    def natural_frequency(self) -> float:
        """Undamped natural frequency :math:`\\omega_n = \\sqrt{k/m}` (rad/s)."""
        return math.sqrt(self.k / self.m)

    @property
    def damping_ratio(self) -> float:
        """Damping ratio :math:`\\zeta = c / (2\\sqrt{mk})` (dimensionless).

        With no spring (``k = 0``) the ratio is ``inf`` for ``c > 0``, ``-inf`` for ``c < 0``
        and ``0`` for ``c = 0``.
        """
        if self.k == 0:
            return 0.0 if self.c == 0 else math.copysign(math.inf, self.c)
        return self.c / (2.0 * math.sqrt(self.m * self.k))

    @property
    def regime(self) -> str:
        """One of :data:`REGIMES`.

        * ``"unstable"``: ``c < 0`` (negative damping: the response grows);
        * ``"undamped"``: ``c = 0`` (energy is conserved, :math:`\\zeta = 0`);
        * ``"critically damped"``: :math:`|\\zeta - 1| \\le` :attr:`CRITICAL_RTOL`;
        * ``"underdamped"``: :math:`0 < \\zeta < 1` (complex eigenvalues, oscillation);
        * ``"overdamped"``: :math:`\\zeta > 1` (two distinct real eigenvalues).
        """
        if self.c < 0:
            return "unstable"
        if self.c == 0:
            return "undamped"
        zeta = self.damping_ratio
        if abs(zeta - 1.0) <= self.CRITICAL_RTOL:
            return "critically damped"
        return "underdamped" if zeta < 1.0 else "overdamped"

    def eigenvalues(self) -> np.ndarray:
        """The two roots :math:`s_\\pm` of :math:`m s^2 + c s + k = 0` (eigenvalues of ``A``).

        Returns
        -------
        ndarray, shape (2,), complex128
            :math:`[s_+, s_-]` with
            :math:`s_\\pm = (-c \\pm \\sqrt{c^2 - 4mk})/(2m)`. For real roots the smaller
            one in magnitude is computed as :math:`k/(m s)` from the other root :math:`s`
            (product of roots :math:`= k/m`) to avoid cancellation when
            :math:`c^2 \\gg 4mk`.
        """
        m, c, k = self.m, self.c, self.k
        disc = c * c - 4.0 * m * k
        if disc < 0:
            s = math.sqrt(-disc)
            return np.array([complex(-c, s) / (2 * m), complex(-c, -s) / (2 * m)])
        s = math.sqrt(disc)
        q = -(c + math.copysign(s, c)) / 2.0  # the root of larger magnitude is q / m
        if q == 0.0:  # c = 0 and k = 0: double root at 0
            return np.zeros(2, dtype=np.complex128)
        r1, r2 = q / m, k / q
        plus, minus = max(r1, r2), min(r1, r2)
        return np.array([plus, minus], dtype=np.complex128)

    # -- energy ----------------------------------------------------------------
    def energy(self, state: Any) -> np.ndarray | float:
        """Mechanical energy :math:`E = \\tfrac12 m\\dot x^2 + \\tfrac12 k x^2` (J).

        :math:`dE/dt = -c\\dot x^2 + f\\dot x`: conserved for ``c = 0, f = 0``,
        non-increasing for ``c > 0, f = 0``.

        Parameters
        ----------
        state : array_like, shape (..., 2)
            States :math:`[x, \\dot x]`, e.g. the (L, 2) trajectory from :meth:`simulate`.

        Returns
        -------
        ndarray, shape (...)
            (A float for a single state.)
        """
        s = as_array(state, "state", complex_ok=False)
        if s.ndim == 0 or s.shape[-1] != 2:
            raise ValueError(f"state must have shape (..., 2) = [x, x'], got shape {s.shape}")
        x, v = s[..., 0], s[..., 1]
        E = 0.5 * self.m * v**2 + 0.5 * self.k * x**2
        return float(E) if E.ndim == 0 else E

    # -- state space -------------------------------------------------------------
    def state_space(self) -> StateSpace:
        """The first-order (state space) form of chapter 1, input :math:`f`, output :math:`x`."""
        m, c, k = self.m, self.c, self.k
        A = np.array([[0.0, 1.0], [-k / m, -c / m]])
        B = np.array([[0.0], [1.0 / m]])
        C = np.array([[1.0, 0.0]])
        return StateSpace(A, B, C, 0.0)

    def simulate(
        self,
        t: Any,
        f: Callable[[np.ndarray], Any] | Any = None,
        x0: Any = (1.0, 0.0),
    ) -> np.ndarray:
        """Trajectory of the state :math:`[x, \\dot x]` at the times ``t``.

        The force is held constant between samples (zero-order hold), and the response is
        then exact (:meth:`StateSpace.simulate`); the free response (``f=None``) is exact for
        any grid.

        Parameters
        ----------
        t : array_like, shape (L,)
            Strictly increasing times (s).
        f : callable, array_like of shape (L,), or None
            External force: a function of time evaluated on ``t``, samples on ``t``, or
            ``None`` for no force.
        x0 : array_like, shape (2,)
            Initial position and velocity; default: released from ``x = 1`` at rest.

        Returns
        -------
        ndarray, shape (L, 2)
            Position ``[:, 0]`` and velocity ``[:, 1]``.
        """
        t_arr = as_array(t, "t", ndim=1, complex_ok=False)
        if callable(f):
            u = np.broadcast_to(np.asarray(f(t_arr), dtype=float), t_arr.shape)
            u = as_array(u, "f", ndim=1, complex_ok=False)
        elif f is None:
            u = None
        else:
            u = as_array(f, "f", ndim=1, complex_ok=False)
            if u.shape != t_arr.shape:
                raise ValueError(f"f must have the shape of t {t_arr.shape}, got {u.shape}")
        _, x = self.state_space().simulate(t_arr, u, x0)
        return x
