"""Slider for chapter 3: discretization step and method, eigenvalues and trajectories."""

from __future__ import annotations

import numpy as np

from ..discretize import discretize
from ..mechanics import SpringMassDamper
from ..stability import map_eigenvalues
from ..widgets import Choice, Explorer, Param
from ._style import COLORS, DPI, RC, check_real, subplots, unit_circle

__all__ = ["discretization_explorer", "METHODS", "METHOD_CODES"]

#: The method buttons: (label shown, name passed to :func:`ssmlib.discretize`).
METHODS = [("ZOH", "zoh"), ("bilinear (Tustin)", "bilinear"), ("forward Euler", "euler")]

#: Old numeric codes of the method slider (kept for code written against them).
METHOD_CODES = {0: "zoh", 1: "bilinear", 2: "euler"}


def discretization_explorer(
    m: float = 1.0, c: float = 1.0, k: float = 4.0, t_max: float = 12.0
) -> Explorer:
    """Chapter 3: discrete-time eigenvalues :math:`\\lambda` and discrete vs exact trajectories.

    The spring-mass-damper (default eigenvalues :math:`s = -0.5 \\pm 1.94i`, so forward Euler,
    :math:`\\lambda = 1 + s\\Delta`, is stable only for
    :math:`\\Delta < -2\\operatorname{Re}s/|s|^2 = 0.25`) is discretized with step ``dt``
    (:math:`\\Delta`) and the method chosen with the buttons (``"zoh"``:
    :math:`\\lambda = e^{s\\Delta}`, ``"bilinear"``, ``"euler"``). Left: the unit circle, the
    path of :math:`\\lambda_1` (the eigenvalue with :math:`\\operatorname{Im} s > 0`) as
    :math:`\\Delta` grows from 0 to 2.5 (grey; it starts at 1), and the current pair
    :math:`\\lambda, \\lambda^*` (dots). Right: the exact free response and the recurrence's
    samples :math:`x_k`. Live: a continuous (logarithmic) slider for :math:`\\Delta` in
    [0.05, 2.5]; static grid 10 steps x 3 methods = 30 frames.

    Parameters
    ----------
    m, c, k : float
        The spring-mass-damper (``m > 0``, ``k >= 0``).
    t_max : float, in (0, 1000]
        Length of the simulated window (s).

    Returns
    -------
    Explorer
        Parameters ``dt`` (a :class:`~ssmlib.widgets.Param`) and ``method`` (a
        :class:`~ssmlib.widgets.Choice` of ``"zoh"``, ``"bilinear"``, ``"euler"``).
        Axes 0: eigenvalues, current ones in ``axes[0].lines[-1]``; axes 1: exact response
        in ``lines[0]``, discrete samples in ``lines[1]``.
    """
    smd = SpringMassDamper(m, c, k)
    t_max = check_real(t_max, "t_max", lo=0.0, lo_open=True, hi=1000.0)
    sys = smd.state_space()
    s = smd.eigenvalues()
    s1 = s[np.argmax(s.imag)]  # the eigenvalue whose path is drawn
    x0 = np.array([1.0, 0.0])
    t_fine = np.linspace(0.0, t_max, 600)
    x_exact = smd.simulate(t_fine, x0=x0)[:, 0]
    dt_path = np.linspace(1e-3, 2.5, 500)

    fig, (ax_z, ax_t) = subplots(1, 2, height=3.1, width_ratios=[1, 1.45])
    unit_circle(ax_z)
    (path,) = ax_z.plot([], [], color="0.55", lw=1.2)
    (zeig,) = ax_z.plot([], [], "o", color=COLORS["red"], ms=7, zorder=3)
    ax_z.set(xlabel=r"Re $\lambda$", ylabel=r"Im $\lambda$")
    ax_z.set_title("dots: $\\lambda, \\lambda^*$; grey: $\\lambda_1$ as $\\Delta$ grows", fontsize=9)
    (line_exact,) = ax_t.plot(t_fine, x_exact, color="0.4", lw=1.2, label="exact $x(t)$")
    (line_disc,) = ax_t.plot([], [], "o-", color=COLORS["red"], ms=3.5, lw=0.8,
                             label="recurrence $x_k$")
    ax_t.set(xlabel="time $t$ (s)", ylabel="position", xlim=(0, 1.03 * t_max), ylim=(-1.6, 1.6))
    ax_t.legend(loc="upper right", fontsize=9)
    title = fig.suptitle("")
    names = dict((value, label) for label, value in METHODS)

    def update(dt: float, method: str) -> None:
        zpath = map_eigenvalues(s1 * dt_path, 1.0, method)  # each map depends on s * dt only
        path.set_data(zpath.real, zpath.imag)
        dsys = discretize(sys, dt, method)
        z = dsys.eigenvalues()
        zeig.set_data(z.real, z.imag)
        lim = max(1.25, 1.12 * float(np.max(np.abs(z))))
        ax_z.set(xlim=(-lim, lim), ylim=(-lim, lim))
        L = int(np.floor(t_max / dt)) + 1
        _, xd = dsys.simulate(np.zeros(L), x0)
        line_disc.set_data(dt * np.arange(L), np.clip(xd[:, 0], -1e3, 1e3))
        rho = float(np.max(np.abs(z)))
        verdict = "stable" if rho < 1 else "UNSTABLE"
        title.set_text(f"{names[method]}, $\\Delta$ = {dt:.3g} s:   spectral radius "
                       f"$\\rho(\\bar A)$ = {rho:.3f} ({verdict})")

    params = [
        Param("dt", [0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 1.6, 2.0, 2.5], default=0.2,
              label="step Δ (s)", scale="log", step=0.005),
        Choice("method", METHODS, default="zoh", label="method"),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption=f"m = {m:g}, c = {c:g}, k = {k:g}; free response from x(0) = 1.")
