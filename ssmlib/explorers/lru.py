"""Chapter 9 slider: the LRU's ring initialization and what it does to the layer's memory."""

from __future__ import annotations

import math

import numpy as np

from ..widgets import Explorer, Param
from ._style import COLORS, DPI, RC, check_int, subplots, unit_circle

__all__ = ["lru_init_explorer", "damper_lru_explorer"]


def lru_init_explorer(d_state: int = 64, length: int = 400, seed: int = 0) -> Explorer:
    """Eigenvalues of a freshly initialized :class:`ssmlib.LRU` and its impulse response.

    Sliders on ``r_min`` (with ``r_max = 1``) and ``max_phase``. For each setting an
    ``LRU(1, d_state, r_min, 1, max_phase)`` is built with the same torch seed, so
    the same uniform draws move with the sliders. Left: the eigenvalues in the
    unit disk. Middle: the layer's response :math:`y_k` to a unit impulse :math:`u_1 = 1`
    (skip term ``D`` removed). Right: the memory profile
    :math:`\\frac1N\\sum_n |\\gamma_n \\lambda_n^j|^2`, the mean energy a channel still
    holds ``j`` steps after the impulse (log scale): with :math:`\\gamma`
    normalization each channel starts at :math:`1-|\\lambda_n|^2` and sums to 1
    over all lags. Live: continuous sliders (:math:`0 \\le r_{\\min} \\le 0.999`, and a
    logarithmic one for :math:`\\pi/50 \\le \\theta_{\\max} \\le 2\\pi`); static grid
    5 x 5 = 25 frames.

    Parameters
    ----------
    d_state : int, in [1, 4096]
        Number of complex channels :math:`N`.
    length : int, in [2, 10000]
        Number of steps shown.
    seed : int, >= 0
        Torch seed of the initialization.

    Returns
    -------
    Explorer
        ``fig.axes[0].lines[-1]``: eigenvalues; ``fig.axes[1].lines[0]``: impulse
        response; ``fig.axes[2].lines[0]``: memory profile.
    """
    import torch

    from ..lru import LRU

    d_state = check_int(d_state, "d_state", 1, 4096)
    length = check_int(length, "length", 2, 10_000)
    seed = check_int(seed, "seed", 0)

    k = np.arange(1, length + 1)  # steps k = 1..L (the impulse is u_1)
    lag = np.arange(length)  # lags j = 0..L-1
    fig, (ax_d, ax_y, ax_m) = subplots(1, 3, height=2.9, width_ratios=[1, 1.25, 1.25])
    unit_circle(ax_d)
    (cloud,) = ax_d.plot([], [], ".", color=COLORS["blue"], ms=4, zorder=3)
    ax_d.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), xlabel="Re $\\lambda$", ylabel="Im $\\lambda$")
    (resp,) = ax_y.plot([], [], color=COLORS["orange"], lw=1.0)
    ax_y.set(xlim=(1, length), xlabel="step $k$", ylabel="$y_k$")
    ax_y.set_title("response to $u_1 = 1$", fontsize=10)
    (mem,) = ax_m.semilogy([], [], color=COLORS["green"], lw=1.5)
    ax_m.set(xlim=(0, length - 1), ylim=(1e-8, 1.0), xlabel="lag $j$",
             ylabel="mean $|\\gamma_n\\lambda_n^j|^2$")
    ax_m.set_title("memory profile", fontsize=10)
    ax_d.set_title("eigenvalues $\\lambda_n$", fontsize=10)
    title = fig.suptitle("")

    def update(r_min: float, max_phase: float) -> None:
        torch.manual_seed(seed)
        layer = LRU(1, d_state, r_min=r_min, r_max=1.0, max_phase=max_phase).double()
        with torch.no_grad():
            layer.D.zero_()
            lam = layer.lam().numpy()
            gamma = layer.gamma().numpy()
            u = torch.zeros(1, length, 1, dtype=torch.float64)
            u[0, 0, 0] = 1.0
            y = layer(u)[0, :, 0].numpy()
        cloud.set_data(lam.real, lam.imag)
        resp.set_data(k, y)
        lim = 1.05 * max(1e-6, float(np.abs(y).max()))
        ax_y.set_ylim(-lim, lim)
        energy = np.mean((gamma[:, None] * np.abs(lam)[:, None] ** lag[None, :]) ** 2, axis=0)
        mem.set_data(lag, np.maximum(energy, 1e-12))
        title.set_text(f"$r_{{\\min}}$ = {r_min:.4g}, $r_{{\\max}}$ = 1, "
                       f"$\\theta_{{\\max}}$ = {max_phase / math.pi:.3g}$\\pi$")

    params = [
        Param("r_min", [0.0, 0.5, 0.9, 0.99, 0.999], default=0.9, label="r_min", step=0.001,
              fmt="{:.3f}"),
        Param("max_phase", [math.pi / 50, math.pi / 10, math.pi / 2, math.pi, 2 * math.pi],
              default=2 * math.pi, label="max_phase θ_max (rad)", fmt="{:.3f}", scale="log",
              step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption="A fresh LRU layer: eigenvalues, impulse response, memory profile.")


def damper_lru_explorer(max_steps: int = 20_000) -> Explorer:
    """A spring-mass-damper read as one LRU channel: sliders on zeta, omega_n and the step.

    The underdamped oscillator :math:`\\ddot x + 2\\zeta\\omega_n \\dot x + \\omega_n^2 x = f/m`
    has :math:`s = -\\zeta\\omega_n + i\\omega_d` with the damped frequency
    :math:`\\omega_d = \\omega_n\\sqrt{1-\\zeta^2}`; the zero-order hold with step
    :math:`\\Delta` gives :math:`\\lambda = e^{s\\Delta}`
    (:func:`ssmlib.mechanics.damping_to_eigenvalue`), an LRU eigenvalue with
    :math:`\\nu = \\zeta\\omega_n\\Delta` and
    :math:`\\theta = \\omega_d\\Delta`. Left: :math:`\\lambda` and
    :math:`\\lambda^*` in the unit disk. Middle: the damper's
    response :math:`\\operatorname{Im} e^{st} =
    e^{-\\zeta\\omega_n t}\\sin(\\omega_d t)`
    (its displacement after a unit velocity kick, times the damped frequency) as a line, and
    the channel's :math:`\\operatorname{Im}\\lambda^k` at :math:`t = k\\Delta` as dots: the samples
    lie on the line (when :math:`\\theta > \\pi` they alias to a slower oscillation). Right:
    the memory :math:`|\\lambda|^k` (log scale) with the memory length
    :math:`1/(1-|\\lambda|)` and the step where :math:`|\\lambda|^k` falls below 0.01. The
    title reads :math:`\\lambda` back as :math:`(\\zeta, \\omega_n)` with
    :func:`ssmlib.mechanics.eigenvalue_to_damping`. Live: continuous log sliders
    :math:`0.025 \\le \\zeta \\le 0.75`, :math:`0.5 \\le \\omega_n \\le 20` rad/s,
    :math:`0.01 \\le \\Delta \\le 0.3` s; static grid 4 x 5 x 3 = 60 frames. It opens on the
    damper carried through the book (:math:`m = 1`, :math:`c = 0.3`, :math:`k = 4`, so
    :math:`\\zeta = 0.075`, :math:`\\omega_n = 2` rad/s) at :math:`\\Delta = 0.1` s.

    Parameters
    ----------
    max_steps : int, in [20, 100000]
        Most steps drawn. The middle panel shows four time constants
        :math:`1/(\\zeta\\omega_n)` or three periods, whichever is shorter (at most 200
        samples drawn as dots, evenly spaced); the right panel shows until
        :math:`|\\lambda|^k` falls to about :math:`10^{-3}`.

    Returns
    -------
    Explorer
        ``fig.axes[0].lines[-1]``: :math:`\\lambda, \\lambda^*`; ``fig.axes[1].lines[0]``:
        the continuous response, ``fig.axes[1].lines[1]``: the samples;
        ``fig.axes[2].lines[0]``: :math:`|\\lambda|^k`.
    """
    from ..mechanics import damping_to_eigenvalue, eigenvalue_to_damping

    max_steps = check_int(max_steps, "max_steps", 20, 100_000)
    fig, (ax_d, ax_y, ax_m) = subplots(1, 3, height=3.4, width_ratios=[1, 1.3, 1.2])
    unit_circle(ax_d)
    (pair,) = ax_d.plot([], [], "o", color=COLORS["blue"], ms=6, zorder=3)
    ax_d.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), xlabel="Re $\\lambda$", ylabel="Im $\\lambda$")
    ax_d.set_title("$\\lambda = e^{s\\Delta}$, $\\lambda^*$", fontsize=10)
    (cont,) = ax_y.plot([], [], color=COLORS["orange"], lw=1.2, label="damper")
    (samp,) = ax_y.plot([], [], ".", color=COLORS["blue"], ms=4, label="LRU channel")
    ax_y.set(xlabel="time $t = k\\Delta$ (s)", ylabel="Im $e^{st}$, Im $\\lambda^k$",
             ylim=(-1.1, 1.75), yticks=[-1, 0, 1])
    ax_y.legend(loc="upper center", ncol=2, handletextpad=0.3, columnspacing=0.8)
    ax_y.set_title("response to a kick", fontsize=10)
    (env,) = ax_m.semilogy([], [], color=COLORS["green"], lw=1.5)
    ax_m.set_ylim(1e-3, 1.2)
    ax_m.axhline(0.01, color="0.5", lw=0.8, ls=":")
    mem_line = ax_m.axvline(1.0, color=COLORS["blue"], lw=1.0, ls="--",
                            label="$1/(1-|\\lambda|)$")
    ax_m.set(xlabel="step $k$", ylabel="$|\\lambda|^k$", ylim=(1e-3, 1.2))
    ax_m.legend(loc="lower left")
    ax_m.set_title("memory", fontsize=10)
    title = fig.suptitle("")

    def update(zeta: float, omega_n: float, dt: float) -> None:
        lam = complex(damping_to_eigenvalue(zeta, omega_n, dt))
        pair.set_data([lam.real, lam.real], [lam.imag, -lam.imag])
        nu = -math.log(abs(lam))
        omega_d = omega_n * math.sqrt(1.0 - zeta * zeta)
        t_show = min(4.0 / (zeta * omega_n), 3 * 2 * math.pi / omega_d)
        n_show = int(min(max_steps, max(20, math.ceil(t_show / dt))))
        k = np.arange(0, n_show + 1, max(1, n_show // 200))  # at most ~200 dots
        t = np.linspace(0.0, n_show * dt, 1000)
        s = complex(-zeta * omega_n, omega_d)
        cont.set_data(t, np.exp(s * t).imag)
        samp.set_data(k * dt, (lam ** k).imag)
        samp.set_markersize(4 if len(k) <= 100 else 2.5)
        ax_y.set_xlim(0.0, n_show * dt)
        n_mem = int(min(max_steps, max(20, math.ceil(math.log(1000.0) / nu))))
        km = np.linspace(0, n_mem, 400)
        env.set_data(km, np.abs(lam) ** km)
        mem = 1.0 / (1.0 - abs(lam))
        mem_line.set_xdata([mem, mem])
        ax_m.set_xlim(0, n_mem)
        z_back, w_back = eigenvalue_to_damping(lam, dt)
        k01 = math.log(100.0) / nu
        aliased = omega_d * dt > math.pi
        theta = math.atan2(lam.imag, lam.real) % (2 * math.pi)  # the LRU's phase, in [0, 2 pi)
        title.set_text(
            f"$\\zeta$ = {zeta:.3g}, $\\omega_n$ = {omega_n:.3g} rad/s, $\\Delta$ = {dt:.3g} s"
            f"  $\\to$  $\\nu$ = {nu:.3g}, $\\theta$ = {theta:.3g} rad\n"
            f"memory $1/(1-|\\lambda|)$ = {mem:.3g} steps; $|\\lambda|^k < 0.01$ after "
            f"{k01:.3g} steps\n"
            f"read back from $\\lambda$: $\\zeta$ = {float(z_back):.3g}, "
            f"$\\omega_n$ = {float(w_back):.3g} rad/s"
            + ("  (aliased: $\\omega_d\\Delta > \\pi$)" if aliased else ""))

    params = [
        Param("zeta", [0.025, 0.075, 0.25, 0.75], default=0.075, label="damping ratio ζ",
              fmt="{:.3f}", scale="log", step=0.01),
        Param("omega_n", [0.5, 1.0, 2.0, 5.0, 20.0], default=2.0, label="ω_n (rad/s)",
              fmt="{:.3g}", scale="log", step=0.01),
        Param("dt", [0.01, 0.1, 0.3], default=0.1, label="step Δ (s)", fmt="{:.3g}",
              scale="log", step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption="A spring-mass-damper sampled with step Δ is one LRU channel.")
