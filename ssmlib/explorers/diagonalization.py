"""Slider for chapter 7: the LRU ring initialization of a diagonal recurrence."""

from __future__ import annotations

import numpy as np

from ..parameterization import sample_ring
from ..widgets import Explorer, Param
from ._style import COLORS, DPI, RC, check_int, subplots, unit_circle

__all__ = ["ring_init_explorer"]


def ring_init_explorer(n: int = 256, length: int = 150, n_shown: int = 3, seed: int = 0) -> Explorer:
    """Chapter 7: eigenvalues drawn by ``sample_ring`` and the impulse responses they give.

    Sliders on ``r_min``, ``r_max`` and ``max_phase``. The uniform draws behind the
    eigenvalues are fixed (same seed for every frame), so moving a slider moves the same
    points. Left: the ``n`` eigenvalues in the unit disk with the ring
    :math:`r_{\\min} \\le |\\lambda| \\le r_{\\max}` shaded. Right: :math:`\\operatorname{Re}\\lambda^k`
    (each channel's impulse response, :math:`k = 0, \\dots,` ``length - 1``) for ``n_shown``
    of them, at evenly spaced ranks of :math:`|\\lambda|` (the slowest first), and the
    envelope :math:`(\\max|\\lambda_j|)^k` (black). The title gives the slowest memory
    :math:`1/\\nu = 1/(-\\log\\max|\\lambda_j|)` in steps. Live: continuous sliders
    (:math:`0 \\le r_{\\min} \\le 0.9`, :math:`0.95 \\le r_{\\max} \\le 0.999`,
    :math:`\\pi/10 \\le \\theta_{\\max} \\le 2\\pi`); static grid 3 x 3 x 3 = 27 frames.

    Parameters
    ----------
    n : int, in [1, 10000]
        Number of eigenvalues drawn.
    length : int, in [2, 10000]
        Number of lags of the impulse responses.
    n_shown : int, in [1, min(n, 5)]
        Number of impulse responses drawn.
    seed : int, >= 0
        Seed of the uniform draws.

    Returns
    -------
    Explorer
        Axes 0: eigenvalues in ``axes[0].lines[-1]``; axes 1: responses in
        ``axes[1].lines[:n_shown]``, envelope in ``axes[1].lines[n_shown]``.
    """
    n = check_int(n, "n", 1, 10_000)
    length = check_int(length, "length", 2, 10_000)
    n_shown = check_int(n_shown, "n_shown", 1, min(n, 5))
    seed = check_int(seed, "seed", 0)

    k = np.arange(length)
    fig, (ax_d, ax_k) = subplots(1, 2, height=3.1, width_ratios=[1, 1.5])
    unit_circle(ax_d)
    ring = [None]
    (cloud,) = ax_d.plot([], [], ".", color=COLORS["blue"], ms=4, zorder=3)
    ax_d.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), xlabel="Re $\\lambda$", ylabel="Im $\\lambda$")
    palette = [COLORS["orange"], COLORS["green"], COLORS["red"], COLORS["purple"], COLORS["sky"]]
    resp = [ax_k.plot([], [], lw=1.1, color=palette[i % len(palette)])[0] for i in range(n_shown)]
    (envelope,) = ax_k.plot([], [], color="k", lw=1.5, label="$(\\max|\\lambda_j|)^k$")
    ax_k.set(xlim=(0, length - 1), ylim=(-1.05, 1.45), xlabel="lag $k$",
             ylabel="Re $\\lambda^k$ (impulse response)")
    ax_k.legend(loc="upper right", fontsize=9)  # in the band above the curves (|Re| <= 1)
    title = fig.suptitle("")

    def update(r_min: float, r_max: float, max_phase: float) -> None:
        lam = sample_ring(n, r_min, r_max, max_phase, rng=np.random.default_rng(seed))
        cloud.set_data(lam.real, lam.imag)
        if ring[0] is not None:
            ring[0].remove()
        phi = np.linspace(0, max_phase, 200)
        xs = np.concatenate([r_max * np.cos(phi), r_min * np.cos(phi[::-1])])
        ys = np.concatenate([r_max * np.sin(phi), r_min * np.sin(phi[::-1])])
        ring[0] = ax_d.fill(xs, ys, color=COLORS["sky"], alpha=0.25, lw=0)[0]
        # channels at evenly spaced ranks of |lambda|, slowest first (same channels in every
        # frame: |lambda|^2 is monotone in the fixed uniform draw u1)
        order = np.argsort(-np.abs(lam))
        chosen = order[np.linspace(0, n - 1, n_shown).round().astype(int)]
        powers = lam[chosen, None] ** k[None, :]  # (n_shown, length)
        for line, p in zip(resp, powers):
            line.set_data(k, p.real)
        envelope.set_data(k, np.max(np.abs(lam)) ** k)
        # effective memory: lags until the slowest mode decays below 1/e
        rho = float(np.max(np.abs(lam)))
        memory = np.inf if rho >= 1 else -1.0 / np.log(rho)
        title.set_text(
            f"$r_{{\\min}}$ = {r_min:.3g}, $r_{{\\max}}$ = {r_max:.4g}, "
            f"$\\theta_{{\\max}}$ = {max_phase / np.pi:.3g}$\\pi$:  "
            f"$\\max|\\lambda_j|$ = {rho:.4f}\n"
            f"slowest memory $1/\\nu = 1/(-\\log\\max|\\lambda_j|)$ = {memory:.3g} steps"
        )

    params = [
        Param("r_min", [0.0, 0.5, 0.9], default=0.5, label="r_min", step=0.005),
        Param("r_max", [0.95, 0.99, 0.999], default=0.99, label="r_max", step=0.001,
              fmt="{:.3f}"),
        Param("max_phase", [np.pi / 10, np.pi, 2 * np.pi], default=2 * np.pi,
              label="max_phase θ_max (rad)", fmt="{:.3f}", step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption=f"{n} eigenvalues from sample_ring (seed {seed}); "
                            f"impulse responses of {n_shown} of them.")
