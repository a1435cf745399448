"""Sliders for chapters 1-2: the spring-mass-damper response and its eigenvalues."""

from __future__ import annotations

import numpy as np

from ..mechanics import SpringMassDamper
from ..plotting import COLORS
from ..widgets import Explorer, Param

__all__ = ["spring_mass_damper_explorer", "root_locus_explorer"]


def spring_mass_damper_explorer(
    t_max: float = 20.0, n_points: int = 600, x0: tuple[float, float] = (1.0, 0.0)
) -> Explorer:
    """Chapter 1: position :math:`x(t)` and energy :math:`E(t)` as ``m``, ``c``, ``k`` change.

    Free response from ``x0``; the title gives the damping ratio and the regime. The static
    grid has 3 x 5 x 4 = 60 frames.

    Parameters
    ----------
    t_max : float
        Length of the simulated window (s).
    n_points : int
        Number of time samples.
    x0 : (float, float)
        Initial position and velocity.

    Returns
    -------
    Explorer
        Axes 0: :math:`x(t)`; axes 1: :math:`E(t)/E(0)`.
    """
    import matplotlib.pyplot as plt

    t = np.linspace(0.0, t_max, n_points)
    fig, (ax_x, ax_e) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    (line_x,) = ax_x.plot(t, np.zeros_like(t), color=COLORS["blue"])
    (line_env,) = ax_x.plot(t, np.zeros_like(t), color="0.6", ls=":", lw=1,
                            label="slowest mode's envelope")
    ax_x.set(xlabel="time t (s)", ylabel="position x(t)", ylim=(-1.6, 1.6), xlim=(0, t_max))
    ax_x.legend(loc="lower right", fontsize=8)
    (line_e,) = ax_e.plot(t, np.zeros_like(t), color=COLORS["orange"])
    ax_e.set(xlabel="time t (s)", ylabel="energy E(t) / E(0)", ylim=(0, 1.6), xlim=(0, t_max))
    title = fig.suptitle("")

    def update(m: float, c: float, k: float) -> None:
        smd = SpringMassDamper(m, c, k)
        states = smd.simulate(t, x0=x0)
        energy = smd.energy(states)
        line_x.set_ydata(states[:, 0])
        # Decay envelope exp(Re(lambda_max) t) of the slowest mode (scaled by |x0|).
        envelope = np.abs(x0[0]) * np.exp(smd.eigenvalues()[0].real * t)
        line_env.set_ydata(envelope)
        line_e.set_ydata(energy / energy[0])
        title.set_text(
            f"m={m:g}, c={c:g}, k={k:g}:  zeta={smd.damping_ratio:.2f}, "
            f"omega_n={smd.natural_frequency:.2f} rad/s, {smd.regime}"
        )

    params = [
        Param("m", [0.5, 1.0, 2.0], default=1.0, label="mass m"),
        Param("c", [0.0, 0.25, 1.0, 2.0, 4.0], default=0.25, label="damping c"),
        Param("k", [0.5, 1.0, 2.0, 4.0], default=1.0, label="stiffness k"),
    ]
    return Explorer(fig, update, params, caption="Free response from x(0)=1, x'(0)=0.")


def root_locus_explorer(m: float = 1.0, t_max: float = 15.0, n_points: int = 500) -> Explorer:
    """Chapter 2: eigenvalues in the complex plane next to the response, as ``c`` and ``k`` change.

    The grey curve is the root locus (both eigenvalues as ``c`` sweeps from -1 to 5 at the
    current ``k``); the dots are the current eigenvalues; the right panel is :math:`x(t)`
    from rest at ``x = 1``. Negative ``c`` moves the eigenvalues into the right half-plane
    and the response explodes. The static grid has 11 x 4 = 44 frames.

    Parameters
    ----------
    m : float
        The (fixed) mass.
    t_max : float
        Length of the simulated window (s).
    n_points : int
        Number of time samples.

    Returns
    -------
    Explorer
        Axes 0: the s-plane (eigenvalues are the two points of ``axes[0].lines[1]``);
        axes 1: :math:`x(t)` in ``axes[1].lines[0]``.
    """
    import matplotlib.pyplot as plt

    t = np.linspace(0.0, t_max, n_points)
    c_sweep = np.linspace(-1.0, 5.0, 601)
    fig, (ax_s, ax_x) = plt.subplots(1, 2, figsize=(9.0, 3.6), gridspec_kw={"width_ratios": [1, 1.3]})
    ax_s.axvspan(0, 3, color=COLORS["red"], alpha=0.07, lw=0)
    ax_s.axhline(0, color="0.6", lw=0.8)
    ax_s.axvline(0, color="0.6", lw=0.8)
    (locus,) = ax_s.plot([], [], ".", color="0.7", ms=1.5)
    (eigs,) = ax_s.plot([], [], "o", color=COLORS["blue"], ms=8, zorder=3)
    ax_s.set(xlabel="Re(lambda)", ylabel="Im(lambda)", xlim=(-5.5, 1.5), ylim=(-2.5, 2.5))
    ax_s.set_title("s-plane (shaded: unstable)")
    (line_x,) = ax_x.plot(t, np.zeros_like(t), color=COLORS["blue"])
    ax_x.set(xlabel="time t (s)", ylabel="x(t)", ylim=(-2.5, 2.5), xlim=(0, t_max))
    ax_x.set_title("response")
    fig.subplots_adjust(top=0.8, wspace=0.3)
    title = fig.suptitle("")

    def update(c: float, k: float) -> None:
        locus_pts = np.concatenate([SpringMassDamper(m, ci, k).eigenvalues() for ci in c_sweep])
        locus.set_data(locus_pts.real, locus_pts.imag)
        smd = SpringMassDamper(m, c, k)
        lam = smd.eigenvalues()
        eigs.set_data(lam.real, lam.imag)
        line_x.set_ydata(smd.simulate(t)[:, 0])
        title.set_text(
            f"m={m:g}, c={c:g}, k={k:g}:  lambda = {_fmt(lam[0])}, {_fmt(lam[1])}  ({smd.regime})"
        )

    params = [
        Param("c", [-0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0], default=0.5,
              label="damping c"),
        Param("k", [0.5, 1.0, 2.0, 4.0], default=1.0, label="stiffness k"),
    ]
    return Explorer(fig, update, params, caption=f"m = {m:g}; free response from x(0)=1.")


def _fmt(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) < 1e-12:
        return f"{z.real:.2f}"
    return f"{z.real:.2f}{z.imag:+.2f}i"
