"""Chapter 9 slider: the LRU's ring initialization and what it does to the layer's memory."""

from __future__ import annotations

import math

import numpy as np

from ..widgets import Explorer, Param
from ._style import COLORS, DPI, RC, check_int, subplots, unit_circle

__all__ = ["lru_init_explorer"]


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
