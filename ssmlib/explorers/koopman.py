"""Slider for chapter 6: EDMD on the slow-manifold system with a choice of dictionary."""

from __future__ import annotations

import numpy as np

from .._validation import check_choice
from ..koopman import Dictionary, edmd, monomial_dictionary, polynomial_dictionary, slow_manifold_system
from ..widgets import Choice, Explorer, Param
from ._style import COLORS, DPI, RC, check_int, check_real, subplots

__all__ = ["koopman_explorer", "KOOPMAN_DICTIONARIES", "koopman_frame"]

#: Option value -> (button label, dictionary). ``"invariant"`` is the exact Koopman embedding.
KOOPMAN_DICTIONARIES: dict[str, tuple[str, Dictionary]] = {
    "linear": ("x1, x2 (plain DMD)", polynomial_dictionary(1, constant=False)),
    "invariant": ("x1, x2, x1² (invariant)", monomial_dictionary([(1, 0), (0, 1), (2, 0)])),
    "degree2": ("degree ≤ 2", polynomial_dictionary(2)),
    "degree3": ("degree ≤ 3", polynomial_dictionary(3)),
}

#: Initial states of the three trajectories drawn (and scored) by the explorer.
X0S = np.array([[1.0, 1.0], [-0.9, -0.5], [0.6, -1.0]])


def _is_resonant(mu: float, lam: float) -> bool:
    """:math:`\\lambda = 2\\mu` up to rounding: no slow manifold (a Jordan block)."""
    return bool(np.isclose(lam, 2 * mu, rtol=1e-9, atol=1e-12))


def koopman_frame(dictionary: str, lam: float, mu: float = -0.1, dt: float = 0.1,
                  n_samples: int = 200, steps: int = 60, seed: int = 0) -> dict:
    """What one frame of :func:`koopman_explorer` computes, as numbers.

    Parameters
    ----------
    dictionary : str
        A key of :data:`KOOPMAN_DICTIONARIES`.
    lam, mu, dt, n_samples, steps, seed
        As in :func:`koopman_explorer` (``lam`` is the fast rate :math:`\\lambda`).

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``dictionary`` not a key of :data:`KOOPMAN_DICTIONARIES`;
        ``lam`` or ``mu`` so large that the trajectories (or the predictions) overflow.

    Returns
    -------
    dict
        ``fit`` (the :class:`~ssmlib.koopman.EDMDResult`), ``true`` and ``pred``
        (arrays of shape (3, steps + 1, 2): the exact and predicted trajectories from
        :data:`X0S`), ``error`` (max absolute prediction error over them),
        ``continuous_eigenvalues`` (:math:`\\log(\\mathrm{eig}\\,K)/\\Delta`, finite ones),
        ``resonant`` (:math:`\\lambda = 2\\mu`) and ``b`` (slow-manifold slope
        :math:`\\lambda/(\\lambda - 2\\mu)`, ``None`` at resonance).
    """
    dictionary = check_choice(dictionary, "dictionary", tuple(KOOPMAN_DICTIONARIES))
    lam = check_real(lam, "lam")
    mu = check_real(mu, "mu")
    dt = check_real(dt, "dt", lo=0.0, lo_open=True)
    n_samples = check_int(n_samples, "n_samples", 10, 100_000)
    steps = check_int(steps, "steps", 1, 10_000)
    seed = check_int(seed, "seed", 0)
    X = np.random.default_rng(seed).uniform(-1.0, 1.0, (n_samples, 2))
    system = slow_manifold_system(mu, lam)
    t = dt * np.arange(steps + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        Y = system.flow(X, dt)
        true = np.stack([system.flow(x0, t) for x0 in X0S])
    if not (np.all(np.isfinite(Y)) and np.all(np.isfinite(true))):
        raise ValueError(
            f"lam = {lam:g} and mu = {mu:g} (with dt = {dt:g}, steps = {steps}) make the "
            "trajectories overflow float64 (non-finite states): use rates of moderate size "
            "(e.g. |lam|, |mu| <= 100 / (dt * steps))")
    fit = edmd(X, Y, KOOPMAN_DICTIONARIES[dictionary][1])
    with np.errstate(over="ignore", invalid="ignore"):
        pred = np.stack([fit.predict(x0, steps) for x0 in X0S])
    if not np.all(np.isfinite(pred)):
        raise ValueError(
            f"the EDMD predictions overflow float64 for lam = {lam:g}, mu = {mu:g}, dt = {dt:g} "
            f"and steps = {steps}: use rates of moderate size or fewer steps")
    ct = fit.continuous_eigenvalues(dt)
    resonant = _is_resonant(mu, lam)
    return dict(fit=fit, true=true, pred=pred, error=float(np.max(np.abs(pred - true))),
                continuous_eigenvalues=ct[np.isfinite(ct)], resonant=resonant,
                b=None if resonant else lam / (lam - 2 * mu))


def koopman_explorer(
    mu: float = -0.1, dt: float = 0.1, n_samples: int = 200, steps: int = 60, seed: int = 0
) -> Explorer:
    """Chapter 6: EDMD fits of :math:`\\dot x_1 = \\mu x_1,\\ \\dot x_2 = \\lambda(x_2 - x_1^2)`.

    (:math:`\\mu` and :math:`\\lambda` are this system's continuous-time rates, the names of
    its source.) For each dictionary (buttons: ``"linear"`` = :math:`(x_1, x_2)`, plain DMD;
    ``"invariant"`` = :math:`(x_1, x_2, x_1^2)`; ``"degree2"``, ``"degree3"`` = all monomials
    up to degree 2, 3) and each :math:`\\lambda` (slider ``lam``), EDMD is fitted on
    ``n_samples`` pairs :math:`(x, \\varphi^{\\Delta}(x))` drawn uniformly from
    :math:`[-1, 1]^2` (fixed seed). Left: true trajectories (solid) from three initial states
    and the EDMD predictions :math:`\\psi(x_0) K^k C` (dashed), with the slow manifold
    :math:`x_2 = \\frac{\\lambda}{\\lambda - 2\\mu}x_1^2` (grey; at the resonance
    :math:`\\lambda = 2\\mu` there is none, and the title says so). Right: the
    continuous-time eigenvalues :math:`\\log(\\mathrm{eig}\\,K)/\\Delta` found (dots) against
    the true :math:`\\mu, 2\\mu, \\lambda` (vertical lines). Live: a continuous slider for
    :math:`\\lambda` in [-4, -0.05]; static grid 4 x 7 = 28 frames (the grid holds
    the resonance :math:`\\lambda = -0.2 = 2\\mu` for the default :math:`\\mu`).

    Parameters
    ----------
    mu : float, in [-1, 0)
        The slow rate :math:`\\mu` (fixed).
    dt : float, in (0, 1]
        Sampling step :math:`\\Delta`.
    n_samples : int, in [10, 100000]
        Number of snapshot pairs.
    steps : int, in [1, 10000]
        Prediction horizon in steps.
    seed : int, >= 0
        Seed of the sample states.

    Returns
    -------
    Explorer
        Parameters ``dictionary`` (a :class:`~ssmlib.widgets.Choice`, keys of
        :data:`KOOPMAN_DICTIONARIES`) and ``lam``. Axes 0: phase plane, true trajectories
        ``axes[0].lines[1:4]``, predictions ``axes[0].lines[4:7]``; axes 1: eigenvalues
        found in ``axes[1].lines[0]``.
    """
    mu = check_real(mu, "mu", lo=-1.0, hi=0.0)
    if mu == 0:
        raise ValueError("mu must be < 0 (a decaying slow mode), got 0")
    dt = check_real(dt, "dt", lo=0.0, lo_open=True, hi=1.0)
    n_samples = check_int(n_samples, "n_samples", 10, 100_000)
    steps = check_int(steps, "steps", 1, 10_000)
    seed = check_int(seed, "seed", 0)

    colors = [COLORS["blue"], COLORS["orange"], COLORS["green"]]
    xs = np.linspace(-1.1, 1.1, 200)
    fig, (ax_p, ax_e) = subplots(1, 2, height=3.3, width_ratios=[1.15, 1])
    (manifold,) = ax_p.plot([], [], color="0.6", lw=3, alpha=0.5, label="slow manifold")
    true_lines = [ax_p.plot([], [], color=c, lw=1.6)[0] for c in colors]
    pred_lines = [ax_p.plot([], [], "--", color=c, lw=1.6)[0] for c in colors]
    ax_p.plot([], [], color="0.3", lw=1.6, label="true")
    ax_p.plot([], [], "--", color="0.3", lw=1.6, label="EDMD")
    ax_p.set(xlim=(-1.1, 1.1), ylim=(-1.2, 1.5), xlabel="$x_1$", ylabel="$x_2$")
    legend_texts = ax_p.legend(loc="upper center", fontsize=9, handlelength=1.8).get_texts()

    (found,) = ax_e.plot([], [], "o", color=COLORS["red"], ms=6, zorder=3, label="EDMD")
    v_mu = ax_e.axvline(mu, color=COLORS["blue"], lw=1.3, ls=":", label=r"$\mu$")
    v_2mu = ax_e.axvline(2 * mu, color=COLORS["purple"], lw=1.3, ls="--", label=r"$2\mu$")
    v_lam = ax_e.axvline(-1.0, color=COLORS["orange"], lw=1.3, ls="-.", label=r"$\lambda$")
    ax_e.set(xlabel=r"Re $\log(\mathrm{eig}\,K)/\Delta$", ylabel="Im", xlim=(-4.5, 0.4),
             ylim=(-1.0, 1.0))
    ax_e.legend(loc="upper left", fontsize=9, ncols=2, handlelength=1.8, columnspacing=1.0)
    ax_e.set_title("eigenvalues found", fontsize=10)
    title = fig.suptitle("")

    def update(dictionary: str, lam: float) -> None:
        label = KOOPMAN_DICTIONARIES[dictionary][0]
        res = koopman_frame(dictionary, lam, mu, dt, n_samples, steps, seed)
        if res["resonant"]:
            manifold.set_data([], [])
        else:
            manifold.set_data(xs, res["b"] * xs**2)
        # x2 = b x1^2 is invariant for every lam != 2 mu, but it attracts (a slow manifold)
        # only when the distance to it, which decays like e^{lam t}, dies faster than x1^2
        # (e^{2 mu t}) moves along it: lam < 2 mu.
        if res["resonant"]:
            legend_texts[0].set_text("(no slow manifold)")
        elif lam < 2 * mu:
            legend_texts[0].set_text("slow manifold")
        else:
            legend_texts[0].set_text(r"$x_2 = b x_1^2$ (not attracting)")
        for true, pred, lt, lp in zip(res["true"], res["pred"], true_lines, pred_lines):
            lt.set_data(true[:, 0], true[:, 1])
            lp.set_data(pred[:, 0], pred[:, 1])
        ct = res["continuous_eigenvalues"]
        found.set_data(ct.real, ct.imag)
        v_lam.set_xdata([lam, lam])
        if res["resonant"]:
            where = r"resonance $\lambda = 2\mu$, no slow manifold"
        elif lam < 2 * mu:
            where = r"$\lambda < 2\mu$, the slow manifold attracts"
        elif lam < mu:
            where = r"$2\mu < \lambda < \mu$, the parabola does not attract"
        else:
            where = r"$\mu \leq \lambda$, $\lambda$ is the slowest rate"
        title.set_text(f"$\\mu$ = {mu:g}, $\\lambda$ = {lam:.3g}  ({where})")
        ax_p.set_title(f"{label}: max error {res['error']:.2g}", fontsize=10)

    params = [
        Choice("dictionary", [(lab, key) for key, (lab, _) in KOOPMAN_DICTIONARIES.items()],
               default="linear", label="dictionary"),
        Param("lam", [-4.0, -2.0, -1.0, -0.5, -0.3, -0.2, -0.05], default=-1.0, label="fast rate λ",
              step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption=f"μ = {mu:g}, Δ = {dt:g}; EDMD on {n_samples} snapshot pairs "
                            "drawn from [−1, 1]².")
