"""Slider for chapter 4: the "aa" versus "ab" information-propagation test."""

from __future__ import annotations

import math

import numpy as np

from ..propagation import aa_vs_ab
from ..widgets import Explorer, Param
from ._style import COLORS, DPI, RC, WIDTH, check_real

__all__ = ["aa_ab_explorer", "MAX_STEPS"]

#: Largest number of recurrence steps per frame (``2 * spacing / dt``): a frame must render
#: in well under a second, and the static page holds 32 of them.
MAX_STEPS = 100_000


def aa_ab_explorer(spacing: float = 10.0, dt: float = 0.1) -> Explorer:
    """Chapter 4: trajectories of "aa" and "ab" through :math:`\\dot x = s x + u`, :math:`s = -\\alpha + i\\omega`.

    Three panels: the real parts :math:`\\operatorname{Re} x(t)` of both trajectories (top),
    both trajectories and final states in the complex plane (bottom left), and their distance
    :math:`|x_{aa}(t) - x_{ab}(t)|` on a log scale (bottom right). The title gives the
    per-step factor :math:`|\\lambda| = e^{-\\alpha\\Delta}` of the zero-order-hold recurrence
    (:math:`\\lambda = e^{s\\Delta}`), the regime (:func:`ssmlib.propagation.propagation_regime`)
    and the final distance. Controls ``alpha`` (damping rate :math:`\\alpha`, 1/s) and ``omega``
    (angular frequency :math:`\\omega`, rad/s), passed to :func:`ssmlib.propagation.aa_vs_ab` as
    its first two arguments. Live: continuous sliders for :math:`\\alpha \\in [-0.05, 1]` and
    :math:`\\omega \\in [0, 2]`; static grid 8 x 4 = 32 frames.

    Parameters
    ----------
    spacing : float, in [1, 1000]
        Seconds between the tokens (each token is a pulse 1 s wide).
    dt : float, in (0, 1]
        Discretization step :math:`\\Delta` (zero-order hold). ``2 * spacing / dt`` steps are
        run per frame, at most :data:`MAX_STEPS`.

    Returns
    -------
    Explorer
        Axes 0: real parts over time; axes 1: complex plane (final states in ``lines[2:4]``);
        axes 2: distance over time.
    """
    spacing = check_real(spacing, "spacing", lo=1.0)
    dt = check_real(dt, "dt", lo=0.0, lo_open=True, hi=1.0)
    n_steps = 2.0 * spacing / dt
    if n_steps > MAX_STEPS:
        raise ValueError(
            f"spacing / dt = {spacing:g} / {dt:g} gives {n_steps:.0f} steps per frame, more "
            f"than {MAX_STEPS}; use a larger dt or a smaller spacing"
        )
    # alpha reaches -0.05/s: the state grows like e^{0.05 * 2 spacing}; keep it far from overflow
    spacing = check_real(spacing, "spacing", hi=1000.0)

    import matplotlib
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(RC):
        fig = plt.figure(figsize=(WIDTH, 4.7), layout="constrained")
        gs = fig.add_gridspec(2, 2, height_ratios=[1, 1.25])
        ax_t = fig.add_subplot(gs[0, :])
        ax_c = fig.add_subplot(gs[1, 0])
        ax_d = fig.add_subplot(gs[1, 1])
    (re_aa,) = ax_t.plot([], [], color=COLORS["blue"], label='"aa"')
    (re_ab,) = ax_t.plot([], [], color=COLORS["orange"], ls="--", label='"ab"')
    for k in (0, 1):
        ax_t.axvline(k * spacing, color="0.6", lw=0.8, ls=":")
    ax_t.set(xlabel="time $t$ (s)", ylabel=r"Re $x(t)$", xlim=(0, 2 * spacing))
    ax_t.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), handlelength=1.8, borderaxespad=0.2)
    (c_aa,) = ax_c.plot([], [], color=COLORS["blue"], lw=1)
    (c_ab,) = ax_c.plot([], [], color=COLORS["orange"], lw=1, ls="--")
    (end_aa,) = ax_c.plot([], [], "o", color=COLORS["blue"], ms=7, label='final "aa"')
    (end_ab,) = ax_c.plot([], [], "s", color=COLORS["orange"], ms=7, label='final "ab"')
    (gap,) = ax_c.plot([], [], color=COLORS["red"], lw=2, label="distance")
    ax_c.axhline(0, color="0.7", lw=0.8)
    ax_c.axvline(0, color="0.7", lw=0.8)
    ax_c.set(xlabel=r"Re $x$", ylabel=r"Im $x$")
    ax_c.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, handlelength=1.2,
                borderaxespad=0.2)
    (dist,) = ax_d.semilogy([], [], color=COLORS["red"])
    ax_d.set(xlabel="time $t$ (s)", ylabel=r"$|x_{aa}(t) - x_{ab}(t)|$", ylim=(1e-5, 1e2),
             xlim=(spacing, 2 * spacing))
    title = fig.suptitle("")

    def update(alpha: float, omega: float) -> None:
        res = aa_vs_ab(alpha, omega, spacing=spacing, dt=dt)
        re_aa.set_data(res.t, res.x_aa.real)
        re_ab.set_data(res.t, res.x_ab.real)
        c_aa.set_data(res.x_aa.real, res.x_aa.imag)
        c_ab.set_data(res.x_ab.real, res.x_ab.imag)
        end_aa.set_data([res.final_aa.real], [res.final_aa.imag])
        end_ab.set_data([res.final_ab.real], [res.final_ab.imag])
        gap.set_data([res.final_aa.real, res.final_ab.real], [res.final_aa.imag, res.final_ab.imag])
        after = res.t > spacing
        dist.set_data(res.t[after], np.maximum(res.distance_trajectory[after], 1e-300))
        for ax in (ax_t, ax_c):
            ax.relim()
            ax.autoscale_view()
        ax_t.set_xlim(0, res.t[-1])
        ax_c.set_aspect("equal", adjustable="datalim")
        factor = math.exp(-alpha * dt)  # |lambda| = |e^{s dt}| = e^{-alpha dt}
        title.set_text(
            f"$\\alpha$ = {alpha:.3g}/s, $\\omega$ = {omega:.3g} rad/s:  "
            f"$|\\lambda| = e^{{-\\alpha\\Delta}}$ = "
            f"{factor:.4f} per step\n{res.regime};  final distance {res.distance:.3g}"
        )

    params = [
        Param("alpha", [-0.05, 0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0], default=0.05,
              label="damping rate α (1/s)", step=0.005),
        Param("omega", [0.0, 0.6, 1.2, 2.0], default=0.6, label="frequency ω (rad/s)",
              step=0.01),
    ]
    return Explorer(
        fig, update, params, dpi=DPI, rc=RC,
        caption=f'Tokens a = +1 then a or b = -1, {spacing:g} s apart; state read {spacing:g} s '
                "after the second token.",
    )
