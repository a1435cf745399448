"""Sliders for chapters 1-2: the spring-mass-damper response and its eigenvalues."""

from __future__ import annotations

import numpy as np

from ..mechanics import SpringMassDamper
from ..widgets import Explorer, Param
from ._style import COLORS, DPI, RC, check_int, check_real, subplots

__all__ = ["spring_mass_damper_explorer", "root_locus_explorer"]


def _check_x0(x0: object) -> tuple[float, float]:
    try:
        arr = np.asarray(x0, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"x0 must be a pair (position, velocity) of numbers, got {x0!r}") from None
    if arr.shape != (2,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"x0 must be a finite pair (position, velocity), got {x0!r}")
    return float(arr[0]), float(arr[1])


def _envelope_amplitude(smd: SpringMassDamper, x0: tuple[float, float]) -> float | None:
    """Amplitude :math:`A` of the envelope :math:`\\pm A e^{\\operatorname{Re}(s) t}` of an
    oscillating free response (complex eigenvalues :math:`s, s^*`), else None.

    With :math:`x(t) = a e^{st} + a^* e^{s^* t}` and :math:`a = (v_0 - s^* x_0)/(s - s^*)`,
    :math:`|x(t)| \\le 2|a| e^{\\operatorname{Re}(s) t}` with equality once per half period.
    From rest, :math:`2|a| = x_0/\\sqrt{1 - \\zeta^2}` (the factor a plain
    :math:`x_0 e^{-\\zeta\\omega_n t}` would miss).
    """
    s = smd.eigenvalues()
    if abs(s[0].imag) == 0.0:
        return None
    a = (x0[1] - s[1] * x0[0]) / (s[0] - s[1])
    return 2.0 * abs(a)


def spring_mass_damper_explorer(
    t_max: float = 20.0, n_points: int = 600, x0: tuple[float, float] = (1.0, 0.0)
) -> Explorer:
    """Chapter 1: position :math:`x(t)` and energy :math:`E(t)` as ``m``, ``c``, ``k`` change.

    Free response from ``x0``; the title gives the damping ratio :math:`\\zeta`, the natural
    frequency :math:`\\omega_n` and the regime. When the response oscillates (complex
    eigenvalues :math:`s, s^*`), the dotted curves are its exact envelope
    :math:`\\pm A e^{\\operatorname{Re}(s)\\,t}`, where :math:`A = x_0/\\sqrt{1-\\zeta^2}` from
    rest (:math:`A = \\sqrt{x_0^2 + ((v_0 + \\zeta\\omega_n x_0)/\\omega_d)^2}` in general);
    otherwise no envelope is drawn. Live: continuous sliders
    (:math:`0.25 \\le m \\le 2`, :math:`0 \\le c \\le 4`, :math:`0.25 \\le k \\le 4`); static grid
    3 x 5 x 4 = 60 frames.

    Parameters
    ----------
    t_max : float, > 0
        Length of the simulated window (s).
    n_points : int, in [2, 100000]
        Number of time samples.
    x0 : (float, float)
        Initial position and velocity.

    Returns
    -------
    Explorer
        Axes 0: :math:`x(t)` in ``lines[0]``, envelope in ``lines[1:3]``; axes 1:
        :math:`E(t)/E(0)` in ``lines[0]``.
    """
    t_max = check_real(t_max, "t_max", lo=0.0, lo_open=True)
    n_points = check_int(n_points, "n_points", 2, 100_000)
    x0 = _check_x0(x0)
    if x0 == (0.0, 0.0):
        raise ValueError("x0 must not be (0, 0): the free response would be identically zero")

    t = np.linspace(0.0, t_max, n_points)
    fig, (ax_x, ax_e) = subplots(1, 2, height=2.9)
    (line_x,) = ax_x.plot(t, np.zeros_like(t), color=COLORS["blue"], label="$x(t)$")
    (env_hi,) = ax_x.plot(t, np.zeros_like(t), color="0.45", ls=":", lw=1.2,
                          label=r"envelope $\pm A e^{\mathrm{Re}(s)\,t}$")
    (env_lo,) = ax_x.plot(t, np.zeros_like(t), color="0.45", ls=":", lw=1.2)
    amp0 = max(abs(x0[0]), 1e-12)
    ax_x.set(xlabel="time $t$ (s)", ylabel="position $x(t)$", xlim=(0, t_max))
    env_text = ax_x.legend(loc="lower right", ncols=2, fontsize=9, handlelength=1.5,
                           columnspacing=1.0).get_texts()[1]
    (line_e,) = ax_e.plot(t, np.zeros_like(t), color=COLORS["orange"])
    ax_e.set(xlabel="time $t$ (s)", ylabel="energy $E(t)/E(0)$", ylim=(0, 1.05), xlim=(0, t_max))
    title = fig.suptitle("")

    def update(m: float, c: float, k: float) -> None:
        smd = SpringMassDamper(m, c, k)
        states = smd.simulate(t, x0=x0)
        energy = smd.energy(states)
        line_x.set_ydata(states[:, 0])
        amp = _envelope_amplitude(smd, x0)
        if amp is None:
            env_hi.set_ydata(np.full_like(t, np.nan))
            env_lo.set_ydata(np.full_like(t, np.nan))
            env_text.set_text("(real $s$: no envelope)")
        else:
            env = amp * np.exp(smd.eigenvalues()[0].real * t)
            env_hi.set_ydata(env)
            env_lo.set_ydata(-env)
            env_text.set_text(r"envelope $\pm A e^{\mathrm{Re}(s)\,t}$")
        top = max(1.6 * amp0, 1.15 * float(np.max(np.abs(states[:, 0]))))
        ax_x.set_ylim(-top, top)
        line_e.set_ydata(energy / energy[0])
        title.set_text(
            f"$m$ = {m:.3g}, $c$ = {c:.3g}, $k$ = {k:.3g}:   $\\zeta$ = {smd.damping_ratio:.2f},"
            f"  $\\omega_n$ = {smd.natural_frequency:.2f} rad/s,  {smd.regime}"
        )

    params = [
        Param("m", [0.5, 1.0, 2.0], default=1.0, label="mass m", step=0.01),
        Param("c", [0.0, 0.25, 1.0, 2.0, 4.0], default=0.25, label="damping c", step=0.01),
        Param("k", [0.5, 1.0, 2.0, 4.0], default=1.0, label="stiffness k", step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption=f"Free response from x(0) = {x0[0]:g}, ẋ(0) = {x0[1]:g}.")


def root_locus_explorer(m: float = 1.0, t_max: float = 15.0, n_points: int = 500) -> Explorer:
    """Chapter 2: eigenvalues :math:`s` in the complex plane next to the response.

    The grey curve is the root locus (both eigenvalues as ``c`` sweeps from -1 to 5 at the
    current ``k``); the dots are the current eigenvalues :math:`s_{1,2}`; the right panel is
    :math:`x(t)` from rest at ``x = 1``. Negative ``c`` moves the eigenvalues into the right
    half-plane and the response explodes. Live: continuous sliders
    (:math:`-0.5 \\le c \\le 4`, :math:`0.5 \\le k \\le 4`); static grid 11 x 4 = 44 frames.

    Parameters
    ----------
    m : float, > 0
        The (fixed) mass.
    t_max : float, > 0
        Length of the simulated window (s).
    n_points : int, in [2, 100000]
        Number of time samples.

    Returns
    -------
    Explorer
        Axes 0: the s-plane (eigenvalues are the two points of ``axes[0].lines[-1]``, the
        locus is ``lines[-2]``); axes 1: :math:`x(t)` in ``axes[1].lines[0]``.
    """
    m = check_real(m, "m", lo=0.0, lo_open=True)
    t_max = check_real(t_max, "t_max", lo=0.0, lo_open=True)
    n_points = check_int(n_points, "n_points", 2, 100_000)

    t = np.linspace(0.0, t_max, n_points)
    c_sweep = np.linspace(-1.0, 5.0, 601)
    fig, (ax_s, ax_x) = subplots(1, 2, height=3.0, width_ratios=[1, 1.25])
    ax_s.axvspan(0, 3, color=COLORS["red"], alpha=0.08, lw=0)
    ax_s.axhline(0, color="0.6", lw=0.8)
    ax_s.axvline(0, color="0.6", lw=0.8)
    ax_s.text(1.05, 0.0, "unstable", color=COLORS["red"], fontsize=9, va="center", ha="center",
              rotation=90)
    (locus,) = ax_s.plot([], [], ".", color="0.65", ms=1.5)
    (eigs,) = ax_s.plot([], [], "o", color=COLORS["blue"], ms=7, zorder=3)
    ax_s.set(xlabel=r"Re $s$", ylabel=r"Im $s$", xlim=(-5.5, 1.5), ylim=(-2.5, 2.5))
    ax_s.set_title("s-plane: eigenvalues $s_1, s_2$")
    (line_x,) = ax_x.plot(t, np.zeros_like(t), color=COLORS["blue"])
    ax_x.set(xlabel="time $t$ (s)", ylabel="$x(t)$", ylim=(-2.5, 2.5), xlim=(0, t_max))
    ax_x.set_title("free response from $x(0) = 1$")
    title = fig.suptitle("")

    def update(c: float, k: float) -> None:
        locus_pts = np.concatenate([SpringMassDamper(m, ci, k).eigenvalues() for ci in c_sweep])
        locus.set_data(locus_pts.real, locus_pts.imag)
        smd = SpringMassDamper(m, c, k)
        s = smd.eigenvalues()
        eigs.set_data(s.real, s.imag)
        line_x.set_ydata(smd.simulate(t)[:, 0])
        title.set_text(
            f"$m$ = {m:g}, $c$ = {c:.3g}, $k$ = {k:.3g}:   $s$ = {_fmt_pair(s)}"
            f"   ({smd.regime})"
        )

    params = [
        Param("c", [-0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0], default=0.5,
              label="damping c", step=0.01),
        Param("k", [0.5, 1.0, 2.0, 4.0], default=1.0, label="stiffness k", step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption=f"m = {m:g}; free response from x(0) = 1 at rest.")


def _fmt(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) < 1e-12:
        return f"{z.real:.2f}"
    return f"{z.real:.2f}{z.imag:+.2f}i"


def _fmt_pair(s: np.ndarray) -> str:
    """The two eigenvalues: ``a ± bi`` for a conjugate pair, ``a, b`` for real ones."""
    if abs(s[0].imag) >= 1e-12:
        return f"{s[0].real:.2f} ± {abs(s[0].imag):.2f}i"
    return f"{_fmt(s[0])}, {_fmt(s[1])}"
