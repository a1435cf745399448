"""Slider for chapter 5: the one-neuron RNN's bifurcation diagram, cobweb and gradient."""

from __future__ import annotations

import numpy as np

from ..rnn import bifurcation_diagram, fixed_points, gradient_wrt_b, is_stable_fixed_point, one_neuron_iterate
from ..widgets import Explorer, Param
from ._style import COLORS, DPI, RC, check_int, check_real, subplots

__all__ = ["bifurcation_explorer"]


def bifurcation_explorer(w: float = 3.0, T: int = 30, b_max: float = 2.25, *,
                         L: int | None = None) -> Explorer:
    """Chapter 5: :math:`x_k = w\\tanh x_{k-1} + b` as the bias ``b`` moves.

    Three panels:

    * the bifurcation diagram over ``b`` (stable branches solid, unstable dashed, the two fold
      points marked) with the current ``b`` as a vertical line and its fixed points as dots;
    * the cobweb plot of the iteration from ``x0`` at the current ``b``;
    * :math:`|\\partial x_L / \\partial b|` over ``b`` from the same ``x0`` (log scale), with the
      current ``b`` marked. It spikes just past a fold (slow passage near the vanished fixed
      point) and at the ``b`` where ``x0`` sits on the basin boundary; the latter spike is only
      about :math:`f'(x_u)^{-L}` wide, so the curve is evaluated on a grid refined
      geometrically around these values of ``b``.

    Live: continuous sliders for ``b`` in ``[-b_max, b_max]`` and ``x0`` in [-2, 2]; static
    grid 15 values of ``b`` times 3 of ``x0`` (-2, 0.2, 2) = 45 frames.

    Parameters
    ----------
    w : float, in [-10, 10]
        Recurrent weight (> 1 for two stable branches).
    T : int, in [1, 1000]
        Number of steps :math:`L` for the cobweb and the gradient.
    L : int, optional
        Same as ``T`` (the chapter's name for the number of steps); give one of them.
    b_max : float, in (0, 10]
        The slider spans ``[-b_max, b_max]``.

    Returns
    -------
    Explorer
        Axes 0: bifurcation diagram; axes 1: cobweb; axes 2: gradient magnitude.
    """
    w = check_real(w, "w", lo=-10.0, hi=10.0)
    if L is not None:
        L = check_int(L, "L", 1, 1000)
        if T != 30 and T != L:
            raise ValueError(f"give the number of steps once: T={T!r} and L={L!r} differ")
        T = L
    T = check_int(T, "T", 1, 1000)
    b_max = check_real(b_max, "b_max", lo=0.0, lo_open=True, hi=10.0)

    b_fine = np.linspace(-b_max, b_max, 401)
    diag = bifurcation_diagram(w, b_fine)
    x_lim = (-abs(w) - b_max - 0.3, abs(w) + b_max + 0.3)

    fig, (ax_b, ax_c, ax_g) = subplots(1, 3, height=3.0)
    for branch, stable in ((diag.lower, diag.lower_stable), (diag.upper, diag.upper_stable)):
        ax_b.plot(b_fine, np.where(stable, branch, np.nan), color=COLORS["blue"], lw=2)
    ax_b.plot(b_fine, diag.middle, color=COLORS["red"], ls="--", lw=1.2, label="unstable")
    if diag.b_fold.size:
        ax_b.plot(diag.b_fold, diag.x_fold, "x", color="k", ms=8, mew=2, label="folds")
    b_line = ax_b.axvline(0.0, color=COLORS["orange"], lw=1.5)
    (fp_dots,) = ax_b.plot([], [], "o", color=COLORS["orange"], ms=6)
    ax_b.set(xlabel="bias $b$", ylabel="fixed points $x^\\star$", ylim=x_lim)
    ax_b.legend(loc="upper left", fontsize=9, handlelength=1.5)

    grid = np.linspace(*x_lim, 300)
    (f_line,) = ax_c.plot(grid, np.zeros_like(grid), color=COLORS["blue"], label="$f(x)$")
    ax_c.plot(grid, grid, color="0.5", lw=1, label="$x$")
    (cob,) = ax_c.plot([], [], color=COLORS["orange"], lw=1)
    (start,) = ax_c.plot([], [], "o", color=COLORS["green"], ms=6, label="$x_0$")
    ax_c.set(xlabel="$x_{k-1}$", ylabel="$x_k$", xlim=x_lim, ylim=x_lim)
    ax_c.legend(loc="upper left", fontsize=9, handlelength=1.5)

    (g_line,) = ax_g.semilogy([], [], color=COLORS["purple"])
    (g_dot,) = ax_g.plot([], [], "o", color=COLORS["orange"], ms=7)
    ax_g.set(xlabel="bias $b$", ylabel=f"$|\\partial x_L/\\partial b|$, $L$ = {T}",
             xlim=(-b_max, b_max))
    title = fig.suptitle("")

    cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    offsets = np.geomspace(1e-15, 0.3, 80)

    def _gradient_grid(x0: float) -> np.ndarray:
        """b_fine plus points clustered (geometrically) around the values of b where the
        gradient spikes: the folds, and the b at which x0 is the unstable fixed point
        (x0 = w tanh x0 + b, i.e. x0 sits on the basin boundary)."""
        centers = list(diag.b_fold)
        if w > 1 and abs(x0) < np.arctanh(np.sqrt(1 - 1 / w)):
            centers.append(x0 - w * np.tanh(x0))
        pts = [b_fine] + [c + sgn * offsets for c in centers for sgn in (-1.0, 1.0)]
        grid_all = np.unique(np.concatenate(pts))
        return grid_all[(grid_all >= -b_max) & (grid_all <= b_max)]

    def update(b: float, x0: float) -> None:
        b_line.set_xdata([b, b])
        roots = fixed_points(w, b)
        fp_dots.set_data(np.full(roots.shape, b), roots)
        f_line.set_ydata(w * np.tanh(grid) + b)
        traj = one_neuron_iterate(w, b, x0, T)
        # cobweb: (x0, x0) -> (x0, x1) -> (x1, x1) -> (x1, x2) -> ...
        xs = np.repeat(traj, 2)[:-1]
        ys = np.concatenate([[traj[0]], np.repeat(traj[1:], 2)])
        cob.set_data(xs, ys)
        start.set_data([x0], [x0])
        if x0 not in cache:  # the gradient curve over b depends only on x0
            if len(cache) > 16:  # live sliders visit many x0: keep the cache small
                cache.clear()
            bg = _gradient_grid(x0)
            cache[x0] = (bg, np.abs(np.array([gradient_wrt_b(w, bb, x0, T) for bb in bg])))
        b_grad, grads = cache[x0]
        g_line.set_data(b_grad, np.maximum(grads, 1e-300))
        ax_g.set_ylim(0.1, max(10.0, float(np.nanmax(grads)) * 3))
        here = float(abs(gradient_wrt_b(w, b, x0, T)))
        g_dot.set_data([b], [max(here, 1e-300)])
        n_stable = int(np.sum(is_stable_fixed_point(w, roots)))
        title.set_text(
            f"$w$ = {w:g}, $b$ = {b:.2f}, $x_0$ = {x0:.3g}: {roots.size} fixed point(s), "
            f"{n_stable} stable\n$x_L$ = {traj[-1]:.3f},  $|\\partial x_L/\\partial b|$ = {here:.3g}"
        )

    params = [
        Param("b", np.round(np.linspace(-b_max, b_max, 15), 6), default=0.0, label="bias b",
              step=0.01),
        Param("x0", [-2.0, 0.2, 2.0], default=-2.0, label="initial state x_0", step=0.01),
    ]
    return Explorer(fig, update, params,
                    dpi=DPI, rc=RC, caption=f"One-neuron RNN: xₖ = {w:g} tanh(xₖ₋₁) + b, {T} steps.")
