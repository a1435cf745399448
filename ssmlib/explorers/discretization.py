"""Slider for chapter 3: discretization step and method, z-plane and trajectories."""

from __future__ import annotations

import numpy as np

from ..discretize import discretize
from ..mechanics import SpringMassDamper
from ..plotting import COLORS, unit_circle
from ..stability import map_eigenvalues
from ..widgets import Explorer, Param

__all__ = ["discretization_explorer", "METHOD_CODES"]

#: Slider value -> method name (sliders carry numbers).
METHOD_CODES = {0: "zoh", 1: "bilinear", 2: "euler"}


def discretization_explorer(
    m: float = 1.0, c: float = 1.0, k: float = 4.0, t_max: float = 12.0
) -> Explorer:
    """Chapter 3: eigenvalues in the z-plane and discrete vs exact trajectories.

    The spring-mass-damper (default :math:`\\lambda = -0.5 \\pm 1.94i`, so forward Euler is
    stable only for :math:`\\Delta < -2\\operatorname{Re}\\lambda/|\\lambda|^2 = 0.25`) is
    discretized with step ``dt`` and method ``method`` (0 = ZOH, 1 = bilinear, 2 = forward
    Euler). Left: the unit circle, the path of :math:`\\bar\\lambda` as :math:`\\Delta` grows
    (grey) and the current :math:`\\bar\\lambda` (dots). Right: the exact free response and the
    discrete recurrence's samples. Static grid: 10 x 3 = 30 frames.

    Returns
    -------
    Explorer
        Axes 0: z-plane, current eigenvalues in ``axes[0].lines[-1]``; axes 1: exact
        response in ``lines[0]``, discrete samples in ``lines[1]``.
    """
    import matplotlib.pyplot as plt

    smd = SpringMassDamper(m, c, k)
    sys = smd.state_space()
    lam = smd.eigenvalues()
    x0 = np.array([1.0, 0.0])
    t_fine = np.linspace(0.0, t_max, 600)
    x_exact = smd.simulate(t_fine, x0=x0)[:, 0]
    dt_path = np.geomspace(1e-3, 4.0, 400)

    fig, (ax_z, ax_t) = plt.subplots(1, 2, figsize=(9.0, 3.8), gridspec_kw={"width_ratios": [1, 1.4]})
    unit_circle(ax_z)
    (path,) = ax_z.plot([], [], ".", color="0.7", ms=1.5)
    (zeig,) = ax_z.plot([], [], "o", color=COLORS["red"], ms=8, zorder=3)
    ax_z.set(xlim=(-1.6, 1.6), ylim=(-1.6, 1.6), xlabel="Re(z)", ylabel="Im(z)")
    (line_exact,) = ax_t.plot(t_fine, x_exact, color="0.4", lw=1.2, label="exact x(t)")
    (line_disc,) = ax_t.plot([], [], "o-", color=COLORS["red"], ms=3.5, lw=0.8, label="discrete x_k")
    ax_t.set(xlabel="time t", ylabel="position", xlim=(0, t_max), ylim=(-2.0, 2.0))
    ax_t.legend(loc="upper right")
    title = fig.suptitle("")

    def update(dt: float, method: float) -> None:
        name = METHOD_CODES[int(round(method))]
        zpath = np.concatenate([map_eigenvalues(lam, h, name) for h in dt_path])
        path.set_data(zpath.real, zpath.imag)
        dsys = discretize(sys, dt, name)
        z = dsys.eigenvalues()
        zeig.set_data(z.real, z.imag)
        L = int(np.floor(t_max / dt)) + 1
        _, xd = dsys.simulate(np.zeros(L), x0)
        line_disc.set_data(dt * np.arange(L), np.clip(xd[:, 0], -1e3, 1e3))
        rho = float(np.max(np.abs(z)))
        verdict = "stable" if rho < 1 else "UNSTABLE"
        title.set_text(f"{name}, dt={dt:g}: spectral radius {rho:.3f} ({verdict})")
        ax_z.set_title(f"z-plane: {name}")

    params = [
        Param("dt", [0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 1.6, 2.0, 2.5], default=0.2,
              label="step dt"),
        Param("method", [0, 1, 2], default=0, label="method (0 zoh, 1 bilinear, 2 euler)",
              fmt="{:.0f}"),
    ]
    return Explorer(fig, update, params,
                    caption=f"m={m:g}, c={c:g}, k={k:g}; free response from x(0)=1.")
