"""Slider for chapter 6: EDMD on the slow-manifold system with a choice of dictionary."""

from __future__ import annotations

import numpy as np

from ..koopman import Dictionary, edmd, monomial_dictionary, polynomial_dictionary, slow_manifold_system
from ..plotting import COLORS
from ..widgets import Explorer, Param

__all__ = ["koopman_explorer", "KOOPMAN_DICTIONARIES"]

#: Slider value -> (short label, dictionary). Code 1 is the exact Koopman embedding.
KOOPMAN_DICTIONARIES: dict[int, tuple[str, Dictionary]] = {
    0: ("x1, x2 (plain DMD)", polynomial_dictionary(1, constant=False)),
    1: ("x1, x2, x1^2 (Koopman-invariant)", monomial_dictionary([(1, 0), (0, 1), (2, 0)])),
    2: ("all monomials of degree <= 2", polynomial_dictionary(2)),
    3: ("all monomials of degree <= 3", polynomial_dictionary(3)),
}


def koopman_explorer(
    mu: float = -0.1, dt: float = 0.1, n_samples: int = 200, steps: int = 60, seed: int = 0
) -> Explorer:
    """Chapter 6: EDMD fits of :math:`\\dot x_1 = \\mu x_1,\\ \\dot x_2 = \\lambda(x_2 - x_1^2)`.

    For each dictionary (slider ``dictionary``: 0 = :math:`(x_1, x_2)`, i.e. plain DMD;
    1 = :math:`(x_1, x_2, x_1^2)`; 2, 3 = all monomials up to degree 2, 3) and each
    :math:`\\lambda` (slider ``lam``), EDMD is fitted on ``n_samples`` pairs
    :math:`(x, \\varphi^{\\Delta t}(x))` drawn uniformly from :math:`[-1, 1]^2` (fixed seed).
    Left: true trajectories (solid) from three initial states and the EDMD predictions
    :math:`\\psi(x_0) K^k C` (dashed), with the slow manifold
    :math:`x_2 = \\frac{\\lambda}{\\lambda - 2\\mu}x_1^2` (grey). Right: the continuous-time
    eigenvalues :math:`\\log(\\text{eig}\\,K)/\\Delta t` found (dots) against the true
    :math:`\\mu, \\lambda, 2\\mu` (vertical lines). Static grid: 4 x 6 = 24 frames.

    Parameters
    ----------
    mu : float
        The slow rate :math:`\\mu` (fixed).
    dt : float
        Sampling step :math:`\\Delta t`.
    n_samples : int
        Number of snapshot pairs.
    steps : int
        Prediction horizon in steps.
    seed : int
        Seed of the sample states.

    Returns
    -------
    Explorer
        Axes 0: phase plane, predicted trajectories are ``axes[0].lines[4:7]``; axes 1:
        eigenvalues found in ``axes[1].lines[0]``.
    """
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    x0s = np.array([[1.0, 1.0], [-0.9, -0.5], [0.6, -1.0]])
    t = dt * np.arange(steps + 1)
    colors = [COLORS["blue"], COLORS["orange"], COLORS["green"]]
    xs = np.linspace(-1.1, 1.1, 200)

    fig, (ax_p, ax_e) = plt.subplots(1, 2, figsize=(9.5, 3.9), gridspec_kw={"width_ratios": [1.2, 1]})
    (manifold,) = ax_p.plot([], [], color="0.6", lw=3, alpha=0.5, label="slow manifold")
    true_lines = [ax_p.plot([], [], color=c, lw=1.6)[0] for c in colors]
    pred_lines = [ax_p.plot([], [], "--", color=c, lw=1.6)[0] for c in colors]
    ax_p.plot([], [], color="0.3", lw=1.6, label="true")
    ax_p.plot([], [], "--", color="0.3", lw=1.6, label="EDMD prediction")
    ax_p.set(xlim=(-1.1, 1.1), ylim=(-1.2, 1.5), xlabel="$x_1$", ylabel="$x_2$")
    ax_p.legend(loc="lower right", fontsize=8)

    (found,) = ax_e.plot([], [], "o", color=COLORS["red"], ms=7, zorder=3, label="EDMD")
    true_vlines = [ax_e.axvline(0, color=c, lw=1.2, ls=":") for c in ("k", "k", "k")]
    ax_e.set(xlabel="Re (continuous time)", ylabel="Im", xlim=(-5.0, 0.5), ylim=(-1.0, 1.0))
    ax_e.legend(loc="upper left", fontsize=8)
    title = fig.suptitle("")

    def update(dictionary: float, lam: float) -> None:
        label, dic = KOOPMAN_DICTIONARIES[int(round(dictionary))]
        system = slow_manifold_system(mu, lam)
        res = edmd(X, system.flow(X, dt), dic)
        b = lam / (lam - 2 * mu)
        manifold.set_data(xs, b * xs**2)
        errs = []
        for x0, lt, lp in zip(x0s, true_lines, pred_lines):
            true = system.flow(x0, t)
            pred = res.predict(x0, steps)
            lt.set_data(true[:, 0], true[:, 1])
            lp.set_data(pred[:, 0], pred[:, 1])
            errs.append(np.max(np.abs(pred - true)))
        ct = res.continuous_eigenvalues(dt)
        ct = ct[np.isfinite(ct)]
        found.set_data(ct.real, ct.imag)
        for v, value in zip(true_vlines, (mu, lam, 2 * mu)):
            v.set_xdata([value, value])
        ax_e.set_title(f"eigenvalues (dotted: mu={mu:g}, lam={lam:g}, 2mu={2 * mu:g})", fontsize=9)
        title.set_text(f"dictionary: {label};  max prediction error {max(errs):.2g}")

    params = [
        Param("dictionary", [0, 1, 2, 3], default=0,
              label="dictionary (0 lin, 1 Koopman, 2 deg 2, 3 deg 3)", fmt="{:.0f}"),
        Param("lam", [-4.0, -2.0, -1.0, -0.5, -0.3, -0.05], default=-1.0, label="lambda"),
    ]
    return Explorer(fig, update, params,
                    caption=f"mu={mu:g}, dt={dt:g}, {n_samples} snapshot pairs from [-1,1]^2.")
