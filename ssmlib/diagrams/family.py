"""Diagrams of chapter 10: the two views of an S4D layer and the selective SSM.

* :func:`s4d_views_diagram`: one diagonal SSM computed two ways, as a convolution with the
  kernel :math:`K` through the FFT (training, the whole sequence at once) and as the
  recurrence :math:`x_k = \\lambda \\odot x_{k-1} + \\bar B u_k` (inference, one step at a time).
* :func:`selective_ssm_diagram`: one step of Mamba's selective SSM, where :math:`\\Delta_k`,
  :math:`B_k` and :math:`C_k` are computed from the input :math:`u_k`.

Boxes are :class:`matplotlib.patches.FancyBboxPatch` with a ``gid`` naming them (the tests
find them by it); every label is at least 9 pt at the figure's width of 7 inches.
"""

from __future__ import annotations

from typing import Any

from ..explorers._style import RC, WIDTH, check_int
from ..plotting import COLORS

__all__ = ["s4d_views_diagram", "selective_ssm_diagram"]

_FONT = 10


def _check_height(height: Any, lo: float = 1.5, hi: float = 8.0) -> float:
    if isinstance(height, bool) or not isinstance(height, (int, float)):
        raise TypeError(f"height must be a number (inches), got {type(height).__name__}")
    h = float(height)
    if not lo <= h <= hi:
        raise ValueError(f"height must be in [{lo}, {hi}] inches, got {h}")
    return h


def _box(ax: Any, x: float, y: float, text: str, gid: str, *, w: float = 1.6, h: float = 0.7,
         color: str = COLORS["blue"], fontsize: float = _FONT) -> tuple[float, float, float, float]:
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                           facecolor=color, alpha=0.18, edgecolor=color, lw=1.4, gid=gid)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, gid=gid + ":label")
    return (x, y, w, h)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], gid: str,
           label: str | None = None, label_at: tuple[float, float] | None = None,
           color: str = "0.25", style: str = "-|>", rad: float = 0.0) -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color, lw=1.2,
                                 gid=gid, shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}"))
    if label is not None:
        lx, ly = label_at if label_at is not None else ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.22)
        ax.text(lx, ly, label, ha="center", va="center", fontsize=_FONT - 1, gid=gid + ":label")


def _right(b):
    return (b[0] + b[2] / 2, b[1])


def _left(b):
    return (b[0] - b[2] / 2, b[1])


def _top(b):
    return (b[0], b[1] + b[3] / 2)


def _bottom(b):
    return (b[0], b[1] - b[3] / 2)


def _figure(height: float, ncols: int = 1):
    import matplotlib.pyplot as plt

    from ..widgets import style_context

    with style_context(RC):
        fig, axes = plt.subplots(1, ncols, figsize=(WIDTH, height), layout="constrained")
    axes = [axes] if ncols == 1 else list(axes)
    for ax in axes:
        ax.set_axis_off()
        ax.grid(False)
    return fig, axes


def s4d_views_diagram(steps: int = 3, height: float = 3.4) -> Any:
    """The S4D layer's two views of one diagonal SSM.

    Top: **convolution** (training). The kernel :math:`K_l = 2\\operatorname{Re}\\sum_n C_n
    \\bar B_n \\lambda_n^{l}` is formed once (a Vandermonde product), and
    :math:`y = K * u` is computed for the whole sequence with FFTs in :math:`O(L \\log L)`.
    Bottom: **recurrence** (inference). ``steps`` copies of the step
    :math:`x_k = \\lambda \\odot x_{k-1} + \\bar B u_k`, :math:`y_k = 2\\operatorname{Re}(C x_k)`,
    each costing :math:`O(N)` whatever :math:`k`.

    Parameters
    ----------
    steps : int, in [2, 5]
        Number of recurrence steps drawn.
    height : float, in [1.5, 8] inches

    Returns
    -------
    matplotlib.figure.Figure
        One axes; boxes with gids ``"u"``, ``"kernel"``, ``"fft"``, ``"y"`` (top) and
        ``"step1"`` ... (bottom), arrows with gids starting with ``"arrow"``.
    """
    steps = check_int(steps, "steps", 2, 5)
    height = _check_height(height)
    fig, (ax,) = _figure(height)
    ax.set(xlim=(0, 10), ylim=(0, 5))
    blue, orange, green = COLORS["blue"], COLORS["orange"], COLORS["green"]

    ax.text(0.1, 4.7, "convolution view (training: all $L$ steps at once)", fontsize=_FONT,
            ha="left", va="center", weight="bold", gid="title:conv")
    bu = _box(ax, 1.1, 3.7, "$u_1, \\dots, u_L$", "u", w=1.8, color=blue)
    bk = _box(ax, 3.9, 3.7, "kernel $K_0, \\dots, K_{L-1}$\nfrom $\\lambda_n, \\bar B_n, C_n$", "kernel",
              w=2.5, h=0.85, color=orange)
    bf = _box(ax, 6.6, 3.7, "$y = K * u$\nFFT, $O(L \\log L)$", "fft", w=2.0, h=0.85, color=orange)
    by = _box(ax, 9.0, 3.7, "$y_1, \\dots, y_L$", "y", w=1.6, color=green)
    _arrow(ax, _bottom(bu), (bf[0] - bf[2] / 2 + 0.3, bf[1] - bf[3] / 2), "arrow:u-fft", rad=0.2)
    _arrow(ax, _right(bk), _left(bf), "arrow:kernel-fft")
    _arrow(ax, _right(bf), _left(by), "arrow:fft-y")

    ax.plot([0.1, 9.9], [2.45, 2.45], color="0.6", lw=0.8, ls=":", gid="separator")
    ax.text(0.1, 2.15, "recurrence view (inference: one step at a time, $O(N)$ each)", fontsize=_FONT,
            ha="left", va="center", weight="bold", gid="title:rec")
    xs = [1.2 + i * (8.0 / steps) for i in range(steps)]
    prev = None
    for i, x in enumerate(xs, start=1):
        k = "k" if i == steps else f"k-{steps - i}"
        b = _box(ax, x + 1.1, 1.0, f"$x_{{{k}}}$", f"step{i}", w=1.0, h=0.6, color=blue)
        _arrow(ax, (x + 1.1, 0.0 + 0.1), _bottom(b), f"arrow:u{i}",
               label=f"$\\bar B u_{{{k}}}$", label_at=(x + 0.55, 0.25))
        _arrow(ax, _top(b), (x + 1.1, 1.95), f"arrow:y{i}", label=f"$y_{{{k}}}$",
               label_at=(x + 1.55, 1.75))
        if prev is None:
            _arrow(ax, (x - 0.1, 1.0), _left(b), "arrow:x0", label="$\\cdots$", label_at=(x - 0.35, 1.0))
        else:
            _arrow(ax, _right(prev), _left(b), f"arrow:lam{i}", label="$\\lambda\\,\\odot$")
        prev = b
    return fig


def selective_ssm_diagram(height: float = 3.0) -> Any:
    """One step of the selective SSM (Mamba's S6), for one channel.

    The input :math:`u_k` feeds three projections, :math:`\\Delta_k =
    \\operatorname{softplus}(W_\\Delta u_k + b_\\Delta)`, :math:`B_k = W_B u_k`,
    :math:`C_k = W_C u_k`; the state update :math:`x_k = e^{\\Delta_k A} x_{k-1} + \\Delta_k B_k u_k`
    and the readout :math:`y_k = C_k^\\top x_k + D u_k` use them. A large :math:`\\Delta_k` resets the
    state to the current input, a small one keeps it.

    Parameters
    ----------
    height : float, in [1.5, 8] inches

    Returns
    -------
    matplotlib.figure.Figure
        One axes; boxes with gids ``"u"``, ``"delta"``, ``"B"``, ``"C"``, ``"decay"``,
        ``"state"``, ``"y"``.
    """
    height = _check_height(height)
    fig, (ax,) = _figure(height)
    ax.set(xlim=(0, 10), ylim=(0, 4.4))
    blue, orange, green, purple = COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"]

    bu = _box(ax, 0.9, 2.2, "$u_k$", "u", w=1.0, color=blue)
    bd = _box(ax, 3.5, 3.7, "$\\Delta_k = \\mathrm{softplus}(W_\\Delta u_k + b_\\Delta)$", "delta",
              w=3.3, h=0.6, color=purple)
    bb = _box(ax, 3.5, 2.2, "$B_k = W_B u_k$", "B", w=1.9, h=0.6, color=purple)
    bc = _box(ax, 3.5, 0.7, "$C_k = W_C u_k$", "C", w=1.9, h=0.6, color=purple)
    for b, name in ((bd, "delta"), (bb, "B"), (bc, "C")):
        _arrow(ax, _right(bu), _left(b), f"arrow:u-{name}")
    bdec = _box(ax, 6.6, 3.7, "$\\bar A_k = e^{\\Delta_k A}$", "decay", w=2.0, h=0.6, color=orange)
    bx = _box(ax, 6.6, 2.2, "$x_k = \\bar A_k x_{k-1}$\n$+ \\Delta_k B_k u_k$", "state", w=2.3, h=0.85,
              color=blue)
    by = _box(ax, 9.0, 0.7, "$y_k = C_k^\\top x_k$\n$+ D u_k$", "y", w=1.7, h=0.85, color=green)
    _arrow(ax, _right(bd), _left(bdec), "arrow:delta-decay")
    _arrow(ax, _bottom(bdec), _top(bx), "arrow:decay-state")
    _arrow(ax, _right(bb), _left(bx), "arrow:B-state")
    _arrow(ax, (bx[0] + bx[2] / 2, bx[1] - 0.2), _top(by), "arrow:state-y", rad=-0.3)
    _arrow(ax, _right(bc), _left(by), "arrow:C-y")
    ax.text(8.95, 2.85, "large $\\Delta_k$: reset to $u_k$\nsmall $\\Delta_k$: keep $x_{k-1}$",
            fontsize=_FONT - 1, ha="center", va="center", gid="note:delta")
    return fig
