"""Slider for chapter 4: the "aa" versus "ab" information-propagation test."""

from __future__ import annotations

import numpy as np

from ..plotting import COLORS
from ..propagation import aa_vs_ab
from ..widgets import Explorer, Param

__all__ = ["aa_ab_explorer"]


def aa_ab_explorer(spacing: float = 10.0, dt: float = 0.1) -> Explorer:
    """Chapter 4: trajectories of "aa" and "ab" through :math:`\\lambda = -\\nu + i\\theta`.

    Three panels: the real parts :math:`\\operatorname{Re} x(t)` of both trajectories (the
    position of the damped oscillator), both trajectories and final states in the complex
    plane, and their distance :math:`|x_{aa}(t) - x_{ab}(t)|` on a log scale. The title gives
    the regime (:func:`ssmlib.propagation.propagation_regime`) and the final distance. The static grid has
    8 x 4 = 32 frames.

    Parameters
    ----------
    spacing : float
        Seconds between the tokens.
    dt : float
        Discretization step (zero-order hold).

    Returns
    -------
    Explorer
        Axes 0: real parts over time; axes 1: complex plane; axes 2: distance over time.
    """
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_c, ax_d) = plt.subplots(1, 3, figsize=(10.0, 3.3))
    (re_aa,) = ax_t.plot([], [], color=COLORS["blue"], label='"aa"')
    (re_ab,) = ax_t.plot([], [], color=COLORS["orange"], ls="--", label='"ab"')
    for k in (0, 1):
        ax_t.axvline(k * spacing, color="0.6", lw=0.8, ls=":")
    ax_t.set(xlabel="time t (s)", ylabel="Re x(t)")
    ax_t.legend(loc="upper right")
    (c_aa,) = ax_c.plot([], [], color=COLORS["blue"], lw=1)
    (c_ab,) = ax_c.plot([], [], color=COLORS["orange"], lw=1, ls="--")
    (end_aa,) = ax_c.plot([], [], "o", color=COLORS["blue"], ms=7, label="final aa")
    (end_ab,) = ax_c.plot([], [], "s", color=COLORS["orange"], ms=7, label="final ab")
    (gap,) = ax_c.plot([], [], color=COLORS["red"], lw=2, label="distance")
    ax_c.axhline(0, color="0.7", lw=0.8)
    ax_c.axvline(0, color="0.7", lw=0.8)
    ax_c.set(xlabel="Re x", ylabel="Im x")
    ax_c.legend(loc="upper right", fontsize=8)
    (dist,) = ax_d.semilogy([], [], color=COLORS["red"])
    ax_d.axvline(spacing, color="0.6", lw=0.8, ls=":")
    ax_d.set(xlabel="time t (s)", ylabel="|x_aa(t) - x_ab(t)|", ylim=(1e-5, 1e2))
    title = fig.suptitle("")
    fig.tight_layout()

    def update(nu: float, theta: float) -> None:
        res = aa_vs_ab(nu, theta, spacing=spacing, dt=dt)
        re_aa.set_data(res.t, res.x_aa.real)
        re_ab.set_data(res.t, res.x_ab.real)
        c_aa.set_data(res.x_aa.real, res.x_aa.imag)
        c_ab.set_data(res.x_ab.real, res.x_ab.imag)
        end_aa.set_data([res.final_aa.real], [res.final_aa.imag])
        end_ab.set_data([res.final_ab.real], [res.final_ab.imag])
        gap.set_data([res.final_aa.real, res.final_ab.real], [res.final_aa.imag, res.final_ab.imag])
        after = res.t > spacing
        dist.set_data(res.t[after], np.maximum(res.distance_trajectory[after], 1e-300))
        ax_d.set_xlim(0, res.t[-1])
        for ax in (ax_t, ax_c):
            ax.relim()
            ax.autoscale_view()
        ax_c.set_aspect("equal", adjustable="datalim")
        title.set_text(
            f"nu={nu:g}, theta={theta:g}:  |lambda_bar|={abs(res.lam_bar):.4f} per step, "
            f"{res.regime};  final distance {res.distance:.3g}"
        )

    params = [
        Param("nu", [-0.05, 0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0], default=0.05,
              label="damping nu", step=0.01),
        Param("theta", [0.0, 0.6, 1.2, 2.0], default=0.6, label="frequency theta",
              step=0.05),
    ]
    return Explorer(
        fig, update, params,
        caption=f'Tokens a=+1 then a or b=-1, {spacing:g} s apart; state read {spacing:g} s '
                "after the second token.",
    )
