"""The LRU block, the full LRU network and the ring of initial eigenvalues (chapter 9).

The block and the network are drawn from what :class:`ssmlib.LRUBlock` and
:class:`ssmlib.LRUClassifier` compute (``ssmlib/lru.py``), box for box:

* block: ``h -> norm -> LRU -> GELU -> dropout -> GLU -> dropout -> + h``, with
  GLU(z) = :math:`W_1 z \\odot \\sigma(W_2 z)`;
* network: encoder (embedding for tokens, linear map for real inputs) -> ``n_layers``
  blocks -> mean over the real (non-padding) steps -> linear decoder.

The ring is the region of :func:`ssmlib.sample_ring`:
:math:`r_{\\min} \\le |\\lambda| \\le r_{\\max}`, :math:`0 \\le \\arg\\lambda \\le \\theta_{\\max}`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["lru_block_diagram", "lru_network_diagram", "ring_init_diagram"]

#: Font size (points) of the box labels: the figures are drawn at page width, so >= 9 pt holds.
LABEL_SIZE = 10
NOTE_SIZE = 9.5
_INK = "0.15"
_RECURRENT = "#fde2c4"  # the only part that mixes information across steps
_POSITIONWISE = "#dbe8f6"  # acts on each step separately
_PLAIN = "#eeeeee"


def _box(ax: Any, x: float, y: float, w: float, h: float, text: str, *, color: str,
         gid: str, size: float = LABEL_SIZE) -> None:
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                           boxstyle="round,pad=0.02,rounding_size=0.08",
                           fc=color, ec=_INK, lw=1.1, gid=gid)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color=_INK)


def _arrow(ax: Any, p0: tuple[float, float], p1: tuple[float, float], *, gid: str | None = None,
           connectionstyle: str = "arc3") -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(p0, p1, arrowstyle="-|>", mutation_scale=11, lw=1.1,
                                 color=_INK, shrinkA=0, shrinkB=0, gid=gid,
                                 connectionstyle=connectionstyle))


def _figure(height: float):
    import matplotlib.pyplot as plt

    from ..explorers._style import WIDTH

    fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
    ax.set_axis_off()
    return fig, ax


def lru_block_diagram(norm: str = "layer") -> Any:
    """Draw one LRU block (:class:`ssmlib.LRUBlock`), top to bottom, with a note per box.

    Parameters
    ----------
    norm : {"layer", "batch"}
        The pre-normalization named in the first box (the block's ``norm`` argument).

    Returns
    -------
    matplotlib.figure.Figure
        One axes without ticks. Boxes are patches with ``gid`` ``"norm"``, ``"lru"``,
        ``"gelu"``, ``"glu"``, ``"dropout"``; the residual connection is the arrow with
        ``gid="residual"`` and the sum the circle with ``gid="sum"``.

    Raises
    ------
    ValueError, TypeError
        ``norm`` not ``"layer"`` or ``"batch"``.
    """
    from matplotlib.patches import Circle

    from ..explorers._style import RC
    from ..widgets import style_context

    if not isinstance(norm, str) or norm not in ("layer", "batch"):
        raise ValueError(f"norm must be 'layer' or 'batch', got {norm!r}")
    norm_label = "LayerNorm" if norm == "layer" else "BatchNorm"
    with style_context(RC):
        fig, ax = _figure(4.6)
        ax.set_xlim(0.0, 10.0)
        ax.set_ylim(-0.35, 8.35)
        xc, w, h = 2.2, 2.4, 0.62
        rows = [  # (y, label, color, gid, note)
            (6.55, norm_label, _POSITIONWISE, "norm",
             "normalizes the $H$ features of each step"),
            (5.45, "LRU", _RECURRENT, "lru",
             "$x_k = \\Lambda x_{k-1} + \\gamma \\odot (B u_k)$,  "
             "$y_k = \\mathrm{Re}(C x_k) + D \\odot u_k$\nthe only part that mixes steps"),
            (4.35, "GELU, dropout", _POSITIONWISE, "gelu", "element-wise nonlinearity"),
            (3.25, "GLU", _POSITIONWISE, "glu",
             "$W_1 z \\odot \\sigma(W_2 z)$: gated linear unit, one step at a time"),
            (2.15, "dropout", _POSITIONWISE, "dropout", "element-wise (training only)"),
        ]
        ax.text(xc, 7.95, "$h$  (batch, L, H)", ha="center", va="center", fontsize=LABEL_SIZE)
        _arrow(ax, (xc, 7.7), (xc, rows[0][0] + h / 2))
        for i, (y, label, color, gid, note) in enumerate(rows):
            _box(ax, xc, y, w, h, label, color=color, gid=gid)
            ax.text(xc + w / 2 + 0.35, y, note, ha="left", va="center", fontsize=NOTE_SIZE,
                    color=_INK, linespacing=1.3)
            nxt = rows[i + 1][0] + h / 2 if i + 1 < len(rows) else 1.05 + 0.25
            _arrow(ax, (xc, y - h / 2), (xc, nxt))
        ax.add_patch(Circle((xc, 1.05), 0.25, fc="white", ec=_INK, lw=1.1, gid="sum"))
        ax.text(xc, 1.05, "+", ha="center", va="center", fontsize=12, color=_INK)
        # Residual: from the input, around the left of the boxes, into the sum.
        x_res = xc - w / 2 - 0.55
        ax.plot([xc, x_res, x_res], [7.45, 7.45, 1.05], color=_INK, lw=1.1)
        _arrow(ax, (x_res, 1.05), (xc - 0.25, 1.05), gid="residual")
        ax.text(x_res - 0.1, 4.3, "residual", rotation=90, ha="right", va="center",
                fontsize=NOTE_SIZE, color=_INK)
        _arrow(ax, (xc, 0.8), (xc, 0.2))
        ax.text(xc, -0.05, "$h'$  (batch, L, H)", ha="center", va="center", fontsize=LABEL_SIZE)
        ax.text(xc + w / 2 + 0.35, 1.05, "$h' = h + \\mathrm{block}(h)$", ha="left", va="center",
                fontsize=NOTE_SIZE, color=_INK)
    return fig


def lru_network_diagram(n_layers: int = 2, tokens: bool = True) -> Any:
    """Draw the full network (:class:`ssmlib.LRUClassifier`), top to bottom, with shapes.

    Parameters
    ----------
    n_layers : int, in [1, 12]
        Number of LRU blocks, written in the stacked box.
    tokens : bool
        Token input (an embedding encoder, input shape (batch, L)) or real input (a linear
        encoder, input shape (batch, L, d_input)).

    Returns
    -------
    matplotlib.figure.Figure
        One axes without ticks. Boxes are patches with ``gid`` ``"encoder"``,
        ``"blocks"``, ``"pooling"``, ``"decoder"``, from top to bottom; the tensor shape
        between two parts is written beside the arrow that joins them.

    Raises
    ------
    TypeError, ValueError
        ``n_layers`` not an int in [1, 12]; ``tokens`` not a bool.
    """
    from matplotlib.patches import FancyBboxPatch

    from ..explorers._style import RC, check_int
    from ..widgets import style_context

    n_layers = check_int(n_layers, "n_layers", 1, 12)
    if not isinstance(tokens, (bool, np.bool_)):
        raise TypeError(f"tokens must be True or False, got {type(tokens).__name__}")
    with style_context(RC):
        fig, ax = _figure(4.4)
        ax.set_xlim(0.0, 10.0)
        ax.set_ylim(0.0, 8.4)
        xc, w, h = 2.3, 3.3, 0.72
        rows = [  # (y, label, color, gid, note)
            (6.85, "encoder: embedding" if tokens else "encoder: linear", _POSITIONWISE,
             "encoder", "each token id becomes $H$ features" if tokens
             else "each step's $d_{in}$ inputs become $H$ features"),
            (5.2, f"LRU block $\\times$ {n_layers}", _RECURRENT, "blocks",
             "the block above, stacked" if n_layers > 1 else "the block above"),
            (3.55, "mean over real steps", _PLAIN, "pooling",
             "average over the non-padding steps"),
            (1.9, "decoder: linear", _POSITIONWISE, "decoder",
             "$H$ features $\\to$ one score per class"),
        ]
        shapes = ["(batch, L)" if tokens else "(batch, L, $d_{in}$)", "(batch, L, H)",
                  "(batch, L, H)", "(batch, H)", "(batch, classes)"]
        if n_layers > 1:  # a shadow box behind the blocks: a stack
            y_b = rows[1][0]
            ax.add_patch(FancyBboxPatch((xc - w / 2 + 0.12, y_b - h / 2 + 0.14), w, h,
                                        boxstyle="round,pad=0.02,rounding_size=0.08",
                                        fc=_RECURRENT, ec=_INK, lw=1.0, zorder=0.5))
        for y, label, color, gid, note in rows:
            _box(ax, xc, y, w, h, label, color=color, gid=gid)
            ax.text(xc + w / 2 + 0.45, y, note, ha="left", va="center", fontsize=NOTE_SIZE,
                    color=_INK)
        # Arrows between the parts, each with the shape it carries written to its right.
        tops = [8.2] + [y - h / 2 for y, *_ in rows]
        bottoms = [y + h / 2 + (0.14 if gid == "blocks" and n_layers > 1 else 0.0)
                   for y, _l, _c, gid, _n in rows] + [0.55]
        ax.text(xc, 8.2, "input", ha="center", va="bottom", fontsize=LABEL_SIZE, color=_INK)
        for y0, y1, shape in zip(tops, bottoms, shapes):
            _arrow(ax, (xc, y0 - 0.02 if y0 == 8.2 else y0), (xc, y1))
            ax.text(xc + 0.2, (y0 + y1) / 2, shape, ha="left", va="center", fontsize=9,
                    color="0.3")
        ax.text(xc, 0.5, "logits", ha="center", va="top", fontsize=LABEL_SIZE, color=_INK)
        ax.text(9.9, 0.15, "L: steps, H: width\norange: recurrence over the steps\n"
                "blue: each step alone; grey: all steps at once", ha="right", va="bottom",
                fontsize=NOTE_SIZE, color="0.3", linespacing=1.3)
    return fig


def _pi_fraction(angle: float) -> str:
    """``angle`` as a multiple of pi in TeX: a simple fraction (pi/3, 2pi) when it is one."""
    from fractions import Fraction

    q = Fraction(angle / math.pi).limit_denominator(12)
    if abs(float(q) * math.pi - angle) > 1e-9 * max(1.0, angle):
        return f"{angle / math.pi:.3g}$\\pi$"
    num = "" if q.numerator == 1 else str(q.numerator)
    return f"${num}\\pi$" if q.denominator == 1 else f"${num}\\pi/{q.denominator}$"


def ring_init_diagram(r_min: float = 0.5, r_max: float = 0.9, max_phase: float = math.pi / 3,
                      n_samples: int = 60, seed: int = 0) -> Any:
    """Draw the ring initialization's region in the unit disk, with sampled eigenvalues.

    The shaded region is :math:`r_{\\min} \\le |\\lambda| \\le r_{\\max}`,
    :math:`0 \\le \\arg\\lambda \\le \\theta_{\\max}` (the wedge of
    :func:`ssmlib.sample_ring`), annotated with :math:`r_{\\min}`, :math:`r_{\\max}` and
    :math:`\\theta_{\\max}`; ``n_samples`` eigenvalues drawn by
    ``sample_ring(n_samples, r_min, r_max, max_phase, rng=seed)`` are the dots.

    Parameters
    ----------
    r_min, r_max : float
        ``0 <= r_min < r_max <= 1``.
    max_phase : float, in (0, 2 pi]
        :math:`\\theta_{\\max}`.
    n_samples : int, in [0, 5000]
    seed : int, >= 0

    Returns
    -------
    matplotlib.figure.Figure
        One axes. The wedge is the patch with ``gid="wedge"``; the samples the line with
        ``gid="samples"``; the texts include ``"$r_{\\min}$"``, ``"$r_{\\max}$"`` and
        ``"$\\theta_{\\max}$"``.

    Raises
    ------
    TypeError, ValueError
        An argument of the wrong type or out of range; the message names it.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Arc, Wedge

    from ..explorers._style import RC, WIDTH, check_int, check_real, unit_circle
    from ..parameterization import sample_ring
    from ..widgets import style_context

    r_min = check_real(r_min, "r_min", lo=0.0, hi=1.0)
    r_max = check_real(r_max, "r_max", lo=0.0, hi=1.0)
    if not r_min < r_max:
        raise ValueError(f"r_min must be < r_max, got r_min={r_min:g}, r_max={r_max:g}")
    max_phase = check_real(max_phase, "max_phase", lo=0.0, lo_open=True, hi=2 * math.pi)
    n_samples = check_int(n_samples, "n_samples", 0, 5000)
    seed = check_int(seed, "seed", 0)
    with style_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH, 3.6), layout="constrained")
        unit_circle(ax)
        deg = math.degrees(max_phase)
        ax.add_patch(Wedge((0, 0), r_max, 0.0, deg, width=r_max - r_min, fc="#fde2c4",
                           ec="#d9822b", lw=1.2, gid="wedge", zorder=1))
        if n_samples:
            lam = sample_ring(n_samples, r_min, r_max, max_phase, rng=seed)
            ax.plot(lam.real, lam.imag, ".", color="#1f5fa8", ms=5, zorder=3, gid="samples")
        # Radii along the real axis (phase 0 edge).
        ax.annotate("", xy=(r_min, -0.1), xytext=(0, -0.1),
                    arrowprops=dict(arrowstyle="<->", color=_INK, lw=1.0))
        ax.text(r_min / 2, -0.14, "$r_{\\min}$", ha="center", va="top", fontsize=LABEL_SIZE)
        ax.annotate("", xy=(r_max, -0.38), xytext=(0, -0.38),
                    arrowprops=dict(arrowstyle="<->", color=_INK, lw=1.0))
        ax.text(r_max / 2, -0.42, "$r_{\\max}$", ha="center", va="top", fontsize=LABEL_SIZE)
        # The phase arc.
        r_arc = 0.3 * r_min if r_min > 0.2 else 0.25
        ax.add_patch(Arc((0, 0), 2 * r_arc, 2 * r_arc, theta1=0.0, theta2=deg, color=_INK,
                         lw=1.0))
        ax.plot([0, math.cos(max_phase)], [0, math.sin(max_phase)], color=_INK, lw=0.8, ls=":")
        # The label outside the arc, clear of the arc and the ray, on the bisector.
        mid = max_phase / 2
        r_lab = r_arc + 0.06
        ax.text(r_lab * math.cos(mid), r_lab * math.sin(mid), "$\\theta_{\\max}$",
                ha="left" if math.cos(mid) >= 0 else "right",
                va="bottom" if math.sin(mid) >= 0 else "top", fontsize=LABEL_SIZE)
        ax.set(xlim=(-1.15, 1.15), ylim=(-1.15, 1.15), xlabel="Re $\\lambda$",
               ylabel="Im $\\lambda$")
        ax.set_title(f"$r_{{\\min}}$ = {r_min:g}, $r_{{\\max}}$ = {r_max:g}, "
                     f"$\\theta_{{\\max}}$ = {_pi_fraction(max_phase)}"
                     + (f"; {n_samples} samples" if n_samples else ""), fontsize=LABEL_SIZE)
    return fig
