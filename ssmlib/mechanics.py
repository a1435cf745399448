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

Sampled with a step :math:`\\Delta` by the zero-order hold (chapter 3), each eigenvalue becomes
:math:`\\lambda = e^{s\\Delta}`; for an underdamped system the pair
:math:`\\lambda, \\lambda^*` is one complex channel of a diagonal recurrence (chapters 7 and 9),
with decay :math:`\\nu = -\\log|\\lambda| = \\zeta\\omega_n\\Delta` and phase
:math:`\\theta = \\arg\\lambda = \\omega_n\\sqrt{1-\\zeta^2}\\,\\Delta`.
:func:`damping_to_eigenvalue` and :func:`eigenvalue_to_damping` map between
:math:`(\\zeta, \\omega_n)` and :math:`\\lambda`; :meth:`SpringMassDamper.lru_channel` and
:meth:`SpringMassDamper.from_eigenvalue` do the same for a system :math:`(m, c, k)`.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ._validation import as_array, check_finite_scalar, check_positive
from .statespace import StateSpace

__all__ = ["SpringMassDamper", "REGIMES", "damping_to_eigenvalue", "eigenvalue_to_damping"]

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

    # -- sampled: one channel of a diagonal recurrence (chapters 3, 7, 9) ---------
    def lru_channel(self, dt: float) -> tuple[complex, float, float]:
        """The sampled eigenvalue :math:`\\lambda = e^{s_+\\Delta}` and its LRU parameters.

        The zero-order hold with step :math:`\\Delta` maps the eigenvalues :math:`s_\\pm` of
        ``A`` to :math:`e^{s_\\pm\\Delta}` (chapter 3). For an underdamped system the two are
        complex conjugates, so one of them, with the real part taken at the output, is one
        channel of a complex diagonal recurrence (chapter 7), parameterized like an LRU
        eigenvalue (chapter 9) by

        * the decay per step :math:`\\nu = -\\log|\\lambda| = \\zeta\\omega_n\\Delta`
          (:math:`= c\\Delta/(2m)`);
        * the phase per step :math:`\\theta = \\arg\\lambda = \\omega_n\\sqrt{1-\\zeta^2}\\,\\Delta`
          (the damped frequency times the step), as long as this is below :math:`\\pi`; a
          larger value is aliased into :math:`(-\\pi, \\pi]` (the step is too coarse to see
          the oscillation).

        Parameters
        ----------
        dt : float, > 0
            Sampling step :math:`\\Delta` (s).

        Returns
        -------
        lam : complex
            :math:`\\lambda = e^{s_+\\Delta}`, with :math:`s_+` the first entry of
            :meth:`eigenvalues` (the root with :math:`\\operatorname{Im} s \\ge 0`; for real
            roots, the larger, i.e. slower-decaying, one).
        nu : float
            :math:`\\nu = -\\log|\\lambda| = -\\operatorname{Re}(s_+)\\,\\Delta`
            (dimensionless, per step; negative for an unstable system).
        theta : float
            :math:`\\theta = \\arg\\lambda \\in (-\\pi, \\pi]` (rad per step); 0 when the
            roots are real (critically damped or overdamped: no oscillation).

        Raises
        ------
        ValueError, TypeError
            ``dt`` not a finite positive number; the message names ``dt``.
        """
        dt = check_positive(dt, "dt")
        s = complex(self.eigenvalues()[0])
        lam = complex(np.exp(s * dt))
        if lam == 0 or not np.isfinite(lam):
            raise ValueError(
                f"dt = {dt:g} s makes lambda = exp(s dt) under- or overflow (s = {s:.3g}); "
                "use a smaller dt"
            )
        nu = -s.real * dt  # = -log|lambda| exactly; this form avoids log of a rounded modulus
        theta = math.atan2(lam.imag, lam.real)
        return lam, nu, theta

    @classmethod
    def from_eigenvalue(cls, lam: complex, dt: float, m: float = 1.0) -> "SpringMassDamper":
        """The spring-mass-damper whose sampled eigenvalues are :math:`\\lambda, \\lambda^*`.

        The inverse of :meth:`lru_channel`: with :math:`s = \\log(\\lambda)/\\Delta` (principal
        logarithm, :math:`|\\arg\\lambda|` used so that :math:`\\lambda` and
        :math:`\\lambda^*` give the same system), the continuous-time pair
        :math:`s, s^*` is the root pair of :math:`m s^2 + c s + k` for

        .. math:: c = -2m\\operatorname{Re}s = \\frac{2m\\nu}{\\Delta}, \\\\
                  k = m|s|^2 = \\frac{m(\\nu^2 + \\theta^2)}{\\Delta^2},

        that is :math:`\\omega_n = |s|` and :math:`\\zeta = -\\operatorname{Re}s/|s|`
        (:func:`eigenvalue_to_damping`). ``SpringMassDamper.from_eigenvalue(lam, dt, m)
        .lru_channel(dt)[0]`` gives back :math:`\\lambda` (or :math:`\\lambda^*`) for any
        :math:`\\lambda` with :math:`\\operatorname{Im}\\lambda \\ne 0`. A real
        :math:`\\lambda > 0` gives the critically damped system with the double root
        :math:`s = \\log(\\lambda)/\\Delta`; a real :math:`\\lambda < 0` gives
        :math:`\\theta = \\pi`, an oscillation at the Nyquist frequency :math:`\\pi/\\Delta`.

        Parameters
        ----------
        lam : complex, nonzero
            A discrete-time eigenvalue :math:`\\lambda` (dimensionless).
        dt : float, > 0
            Sampling step :math:`\\Delta` (s).
        m : float, > 0
            The mass (kg); it only scales :math:`c` and :math:`k`, the eigenvalues depend on
            :math:`c/m` and :math:`k/m`.

        Returns
        -------
        SpringMassDamper
            With :math:`c < 0` (negative damping) when :math:`|\\lambda| > 1`.

        Raises
        ------
        ValueError, TypeError
            ``lam`` zero, not finite or not a number, ``dt`` or ``m`` not finite and
            positive; the message names the argument.
        """
        lam_arr = as_array(lam, "lam")
        if lam_arr.ndim != 0:
            raise ValueError(f"lam must be a single number, got shape {lam_arr.shape}")
        dt = check_positive(dt, "dt")
        m = check_positive(m, "m")
        s = _continuous_eigenvalue(lam_arr, dt)[()]
        return cls(m, -2.0 * m * s.real, m * abs(s) ** 2)

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


# -- the map between (zeta, omega_n) and a sampled eigenvalue (chapters 3, 7, 9) --------
def _continuous_eigenvalue(lam: np.ndarray, dt: float) -> np.ndarray:
    """:math:`s = (\\log|\\lambda| + i|\\arg\\lambda|)/\\Delta` for a validated array ``lam``."""
    if np.any(lam == 0):
        raise ValueError("lam must be nonzero (log(0) is -inf: no finite system gives lambda = 0)")
    return (np.log(np.abs(lam)) + 1j * np.abs(np.angle(lam))) / dt


def damping_to_eigenvalue(zeta: Any, omega_n: Any, dt: float) -> np.ndarray | complex:
    """The sampled eigenvalue :math:`\\lambda = e^{s_+\\Delta}` of a damped oscillator.

    The oscillator :math:`\\ddot x + 2\\zeta\\omega_n\\dot x + \\omega_n^2 x = f/m` (chapter 1)
    has the eigenvalues :math:`s_\\pm = \\omega_n(-\\zeta \\pm \\sqrt{\\zeta^2 - 1})`; the
    zero-order hold with step :math:`\\Delta` maps them to :math:`e^{s_\\pm\\Delta}`
    (chapter 3). This returns the one of :math:`s_+`: for :math:`|\\zeta| < 1`,

    .. math:: \\lambda = e^{-\\zeta\\omega_n\\Delta}\\,e^{i\\omega_n\\sqrt{1-\\zeta^2}\\,\\Delta},
              \\\\
              \\nu = -\\log|\\lambda| = \\zeta\\omega_n\\Delta, \\quad
              \\theta = \\arg\\lambda = \\omega_n\\sqrt{1-\\zeta^2}\\,\\Delta

    (:math:`\\theta` up to a multiple of :math:`2\\pi`); for :math:`|\\zeta| \\ge 1` the
    roots are real and :math:`s_+` is the larger (slower-decaying) one.
    :func:`eigenvalue_to_damping` is the inverse for :math:`|\\zeta| \\le 1` and
    :math:`\\omega_n\\sqrt{1-\\zeta^2}\\,\\Delta < \\pi`.

    Parameters
    ----------
    zeta : array_like of float
        Damping ratio :math:`\\zeta` (dimensionless); negative values are negative damping.
    omega_n : array_like of float, >= 0
        Natural frequency :math:`\\omega_n` (rad/s). Broadcast against ``zeta``.
    dt : float, > 0
        Sampling step :math:`\\Delta` (s).

    Returns
    -------
    ndarray, complex128, the broadcast shape of ``zeta`` and ``omega_n``
        :math:`\\lambda` (a complex scalar when both inputs are scalars).

    Raises
    ------
    ValueError, TypeError
        Non-finite or non-real ``zeta``/``omega_n``, negative ``omega_n``, shapes that do not
        broadcast, ``dt`` not finite and positive, or a :math:`\\lambda` that over- or
        underflows; the message names the argument.
    """
    z = as_array(zeta, "zeta", complex_ok=False)
    w = as_array(omega_n, "omega_n", complex_ok=False)
    if np.any(w < 0):
        raise ValueError("omega_n must be >= 0 (a natural frequency sqrt(k/m))")
    dt = check_positive(dt, "dt")
    try:
        z, w = np.broadcast_arrays(z, w)
    except ValueError as exc:
        raise ValueError(
            f"zeta and omega_n must broadcast together, got shapes {z.shape} and {w.shape}"
        ) from exc
    root = np.sqrt(np.abs(z * z - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(
            np.abs(z) < 1.0,
            w * (-z + 1j * root),
            # Real roots: the larger one. For zeta >= 1 the form -w / (zeta + root) avoids the
            # cancellation of -zeta + root when zeta >> 1 (product of the roots = w^2).
            np.where(z >= 1.0, -w / (z + root), w * (-z + root)),
        )
    s = np.where(w == 0, 0.0, s).astype(np.complex128)
    with np.errstate(over="ignore", under="ignore"):
        lam = np.exp(s * dt)
    if not np.all(np.isfinite(lam)) or np.any(lam == 0):
        raise ValueError("dt is too large for these zeta, omega_n: lambda = exp(s dt) over- or underflows")
    return lam[()]


def eigenvalue_to_damping(lam: Any, dt: float) -> tuple[Any, Any]:
    """The damping ratio and natural frequency of a sampled eigenvalue :math:`\\lambda`.

    Reads a discrete-time eigenvalue (of a discretized system, or of an LRU, chapter 9) as a
    damped oscillator sampled with step :math:`\\Delta`: with the principal logarithm,
    :math:`s = (\\log|\\lambda| + i|\\arg\\lambda|)/\\Delta = (-\\nu + i|\\theta|)/\\Delta`,

    .. math:: \\omega_n = |s| = \\frac{\\sqrt{\\nu^2 + \\theta^2}}{\\Delta}, \\\\
              \\zeta = -\\frac{\\operatorname{Re}s}{|s|} = \\frac{\\nu}{\\sqrt{\\nu^2 + \\theta^2}} .

    The inverse of :func:`damping_to_eigenvalue` for :math:`|\\zeta| \\le 1` and
    :math:`\\omega_n\\sqrt{1-\\zeta^2}\\,\\Delta < \\pi` (the oscillation is slower than the
    Nyquist frequency :math:`\\pi/\\Delta`). :math:`\\lambda` and :math:`\\lambda^*` give the
    same pair; a real :math:`\\lambda > 0` gives :math:`|\\zeta| = 1` (the double root of a
    critically damped system), and :math:`\\lambda = 1` gives :math:`\\omega_n = 0`,
    :math:`\\zeta = 0`.

    Parameters
    ----------
    lam : array_like, complex, nonzero
        Discrete-time eigenvalues :math:`\\lambda`.
    dt : float, > 0
        Sampling step :math:`\\Delta` (s).

    Returns
    -------
    zeta : ndarray of float, shape of ``lam``
        Damping ratio (dimensionless; :math:`\\zeta < 0` where :math:`|\\lambda| > 1`).
    omega_n : ndarray of float, shape of ``lam``
        Natural frequency (rad/s). Floats when ``lam`` is a scalar.

    Raises
    ------
    ValueError, TypeError
        ``lam`` zero, non-finite or non-numeric, ``dt`` not finite and positive; the message
        names the argument.
    """
    lam_arr = as_array(lam, "lam")
    dt = check_positive(dt, "dt")
    s = _continuous_eigenvalue(lam_arr, dt)
    omega_n = np.abs(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        zeta = np.where(omega_n > 0, -s.real / np.where(omega_n > 0, omega_n, 1.0), 0.0)
    return zeta[()], omega_n[()]
