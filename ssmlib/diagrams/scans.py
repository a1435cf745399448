"""Diagrams of chapter 8: the Hillis-Steele and Blelloch scan trees and the chunked scan.

Elements are numbered as in the text, from 1: a node labelled ``a:b`` holds the
composition :math:`e_a \\bullet \\dots \\bullet e_b` of the inputs ``a`` to ``b``
(``-`` for the identity :math:`(1, 0)`). The schedules and what each node holds
after each level come from :mod:`ssmlib.schedules` (through
:func:`ssmlib.explorers.scan.scan_steps`, the chapter's slider): plain indices, so
that the diagrams need matplotlib only.
"""

from __future__ import annotations

from typing import Any

from ..explorers._style import DPI, RC, WIDTH, check_int
from ..explorers.scan import scan_steps
from ..plotting import COLORS
from ..schedules import Span

__all__ = ["hillis_steele_diagram", "blelloch_diagram", "chunked_scan_diagram"]

_COMBINE = COLORS["red"]     # an arrow into a combine
_KEEP = "0.6"                # a value carried down unchanged
_COPY = COLORS["blue"]       # Blelloch's down-sweep copy
_CHUNK_COLORS = [COLORS["sky"], COLORS["orange"], COLORS["green"], COLORS["purple"],
                 COLORS["yellow"], COLORS["blue"], COLORS["red"], "0.6"]


def _check_power_of_two(value: Any, name: str, lo: int, hi: int) -> int:
    n = check_int(value, name, lo, hi)
    if n & (n - 1):
        raise ValueError(f"{name} must be a power of two, got {n}")
    return n


def _label(span: Span) -> str:
    if span is None:
        return "-"
    a, b = span[0] + 1, span[1] + 1  # the text numbers elements from 1
    return f"{a}" if a == b else f"{a}:{b}"


def _figure(height: float):
    import matplotlib.pyplot as plt

    from ..widgets import style_context

    with style_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    ax.set_axis_off()
    return fig, ax


def _node(ax: Any, x: float, y: float, text: str, *, filled: float, n: int,
          width: float = 0.78, height: float = 0.52, fontsize: float = 9.5) -> None:
    """A box at (x, y) shaded by the fraction ``filled`` of the inputs it holds."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    cmap = plt.get_cmap("Blues")
    shade = cmap(0.12 + 0.7 * filled)
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=shade, edgecolor="0.3", lw=0.8, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3,
            color="white" if filled > 0.6 else "black")


def _arrow(ax: Any, x0: float, y0: float, x1: float, y1: float, color: str, *,
           lw: float = 1.1, ls: str = "-") -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, ls=ls,
                                shrinkA=0, shrinkB=0, mutation_scale=9))


def _row_label(ax: Any, y: float, text: str) -> None:
    ax.text(-0.75, y, text, ha="right", va="center", fontsize=9.5)


def hillis_steele_diagram(n: int = 8):
    """The Hillis-Steele scan on ``n`` elements, one row per level.

    Row 0 holds the inputs :math:`e_1, \\dots, e_n`; at level ``j`` every element
    ``k > 2^{j-1}`` combines with element ``k - 2^{j-1}`` of the row above (red
    arrows: :math:`e_{k-2^{j-1}} \\bullet e_k`), all at once; grey arrows carry a
    value down unchanged. The title gives the depth (levels) and the work
    (combines).

    Parameters
    ----------
    n : int
        Number of elements, a power of two in [2, 8] (so that the labels stay legible; the
        chapter's slider steps through 16).

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = _check_power_of_two(n, "n", 2, 8)
    steps = scan_steps("hillis-steele", n)
    rows = [step["spans"] for step in steps]
    levels = [step["pairs"] for step in steps[1:]]
    depth, work = len(levels), steps[-1]["work"]

    fontsize = 9.5
    fig, ax = _figure(0.75 + 0.62 * (depth + 1))
    for j, row in enumerate(rows):
        y = -j
        for k, span in enumerate(row):
            size = span[1] - span[0] + 1
            _node(ax, k, y, _label(span), filled=size / n, n=n, fontsize=fontsize,
                  width=0.8)
        if j == 0:
            _row_label(ax, y, "input")
            continue
        _row_label(ax, y, f"level {j}: $d = {2 ** (j - 1)}$")
        combined = {dst for _, dst in levels[j - 1]}
        for k in range(n):
            color = _COMBINE if k in combined else _KEEP
            _arrow(ax, k, y + 1 - 0.27, k, y + 0.27, color)
        for src, dst in levels[j - 1]:
            _arrow(ax, src, y + 1 - 0.27, dst - 0.12, y + 0.27, _COMBINE)
    ax.set_xlim(-3.0, n - 0.45)
    ax.set_ylim(-depth - 0.45, 0.45)
    ax.set_title(f"Hillis-Steele scan, $L = {n}$: depth {depth} levels, work {work} combines "
                 f"(a node $a{{:}}b$ holds $e_a \\bullet \\dots \\bullet e_b$)", fontsize=10)
    return fig


def blelloch_diagram(n: int = 8):
    """Blelloch's work-efficient scan on ``n`` elements: up-sweep, then down-sweep.

    The up-sweep (red arrows) builds a reduction tree in place: at each level the
    right node of every pair combines with its left partner. The last element,
    which then holds the whole product, is replaced by the identity ``-``. The
    down-sweep walks back down: each pair's left node receives the right node's
    value (blue dashed arrow, a copy) and the right node becomes
    ``right o left`` (red arrows). The last row is the exclusive scan: element
    ``k`` holds :math:`e_1 \\bullet \\dots \\bullet e_{k-1}`.

    Parameters
    ----------
    n : int
        Number of elements, a power of two in [2, 8].

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = _check_power_of_two(n, "n", 2, 8)
    steps = scan_steps("blelloch", n)
    rows = [("input", steps[0]["spans"], [], "")]
    for step in steps[1:]:
        if step["phase"] == "down" and rows[-1][0] == "up":  # between the sweeps
            cleared: list[Span] = list(rows[-1][1])
            cleared[-1] = None  # the root becomes the identity
            rows.append(("clear", cleared, [], ""))
        rows.append((step["phase"], step["spans"], step["pairs"], ""))
    work, depth = steps[-1]["work"], len(steps) - 1

    fontsize = 9.5
    fig, ax = _figure(0.8 + 0.55 * len(rows))
    up_level = down_level = 0
    for j, (phase, row, pairs, _) in enumerate(rows):
        y = -j
        for k, span in enumerate(row):
            size = 0 if span is None else span[1] - span[0] + 1
            _node(ax, k, y, _label(span), filled=size / n, n=n, fontsize=fontsize,
                  width=0.8, height=0.48)
        if phase == "input":
            _row_label(ax, y, "input")
            continue
        touched = {i for pair in pairs for i in pair}
        if phase == "clear":
            _row_label(ax, y, "root $\\leftarrow$ identity")
            for k in range(n):
                _arrow(ax, k, y + 1 - 0.25, k, y + 0.25, _COPY if k == n - 1 else _KEEP,
                       ls="--" if k == n - 1 else "-")
            continue
        if phase == "up":
            up_level += 1
            _row_label(ax, y, f"up-sweep {up_level}")
            for k in range(n):
                _arrow(ax, k, y + 1 - 0.25, k, y + 0.25,
                       _COMBINE if k in {d for _, d in pairs} else _KEEP)
            for src, dst in pairs:
                _arrow(ax, src, y + 1 - 0.25, dst - 0.12, y + 0.25, _COMBINE)
        else:
            down_level += 1
            _row_label(ax, y, f"down-sweep {down_level}")
            for k in range(n):
                if k not in touched:
                    _arrow(ax, k, y + 1 - 0.25, k, y + 0.25, _KEEP)
            for src, dst in pairs:
                _arrow(ax, dst, y + 1 - 0.25, src + 0.12, y + 0.25, _COPY, ls="--")  # copy
                _arrow(ax, src, y + 1 - 0.25, dst - 0.12, y + 0.25, _COMBINE)
                _arrow(ax, dst, y + 1 - 0.25, dst, y + 0.25, _COMBINE)
    ax.set_xlim(-3.0, n - 0.45)
    ax.set_ylim(-len(rows) + 0.55, 0.45)
    ax.set_title(f"Blelloch scan, $L = {n}$: depth {depth} levels, work {work} combines; "
                 "the last row is the exclusive scan", fontsize=10)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=_COMBINE, lw=1.2, label="into a combine"),
               Line2D([], [], color=_COPY, lw=1.2, ls="--", label="copy"),
               Line2D([], [], color=_KEEP, lw=1.2, label="unchanged")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3,
              fontsize=9, frameon=False)
    return fig


def chunked_scan_diagram(length: int = 16, chunk: int = 4):
    """The three phases of the chunked (time-parallel) scan, and its GPU programs.

    Top row: the ``L = length`` steps, split into ``C = length / chunk`` chunks of
    ``T = chunk`` steps; each chunk is one program of the GPU grid
    ``(B, N-tiles, L-chunks)`` (shown for one batch element and one channel tile).
    Phase 1: every chunk scans its steps from a zero state, all chunks at once, and
    emits its summary :math:`(P_{c,T}, s_{c,T})`, the product of its coefficients
    and its final local state. Phase 2: a short scan over the ``C`` summaries gives
    each chunk's incoming state :math:`h_{c-1}`, from :math:`h_0 = x_0`. Phase 3:
    every chunk fixes its steps, :math:`x_{c,t} = s_{c,t} + P_{c,t} h_{c-1}`, all
    chunks at once (the GPU kernel instead re-scans each chunk from :math:`h_{c-1}`,
    which gives the same states).

    Parameters
    ----------
    length : int
        Number of time steps ``L``, in [4, 16] (so that the labels stay legible).
    chunk : int
        Chunk length ``T``, in [2, length / 2], dividing ``length``; at most 8 chunks.

    Returns
    -------
    matplotlib.figure.Figure
    """
    length = check_int(length, "length", 4, 16)
    chunk = check_int(chunk, "chunk", 2, length // 2)
    if length % chunk:
        raise ValueError(f"chunk must divide length={length}, got chunk={chunk}")
    n_chunks = length // chunk
    if n_chunks > 8:
        raise ValueError(f"length / chunk must be at most 8 chunks (legibility), "
                         f"got length={length}, chunk={chunk}")
    from matplotlib.patches import FancyBboxPatch, Rectangle

    fig, ax = _figure(4.6)
    colors = [_CHUNK_COLORS[c % len(_CHUNK_COLORS)] for c in range(n_chunks)]
    gap = 0.6                                     # space between chunks
    xs = [k + (k // chunk) * gap for k in range(length)]   # x of step k (0-based)
    x_end = xs[-1] + 0.5
    cell = 0.7
    small = 9.5
    x_lab = -1.9                                  # right edge of the row labels

    def cells(y: float, label_fn, face_fn) -> None:
        for k in range(length):
            ax.add_patch(Rectangle((xs[k] - cell / 2, y - 0.28), cell, 0.56,
                                   facecolor=face_fn(k), edgecolor="0.3", lw=0.7, zorder=2))
            text = label_fn(k)
            if text:
                ax.text(xs[k], y, text, ha="center", va="center", fontsize=small, zorder=3)

    def centre(c: int) -> float:
        return 0.5 * (xs[c * chunk] + xs[c * chunk + chunk - 1])

    # the input steps, grouped into chunks = programs
    y_in = 0.0
    cells(y_in, lambda k: f"{k + 1}",
          lambda k: "white")
    for c in range(n_chunks):
        x0, x1 = xs[c * chunk] - cell / 2, xs[c * chunk + chunk - 1] + cell / 2
        ax.add_patch(FancyBboxPatch((x0 - 0.08, y_in + 0.36), x1 - x0 + 0.16, 0.4,
                                    boxstyle="round,pad=0.0,rounding_size=0.1",
                                    facecolor=colors[c], edgecolor="none", alpha=0.85, zorder=1))
        ax.text(centre(c), y_in + 0.56, f"$c = {c + 1}$",
                ha="center", va="center", fontsize=9, zorder=3)
    ax.text(x_lab, y_in, "steps $k$", ha="right", va="center", fontsize=9.5)
    ax.text(x_lab, y_in + 0.56, "chunks (programs)", ha="right", va="center", fontsize=9.5)

    # phase 1: local scans from zero, emitting (P_cT, s_cT)
    y1 = -1.3
    cells(y1, lambda k: "", lambda k: colors[k // chunk])
    for k in range(length):
        _arrow(ax, xs[k], y_in - 0.28, xs[k], y1 + 0.28, _KEEP, lw=0.8)
        if k % chunk:
            _arrow(ax, xs[k - 1] + cell / 2, y1, xs[k] - cell / 2, y1, "0.1", lw=1.2)
    ax.text(x_lab, y1, "1. local scans", ha="right", va="center", fontsize=9.5)

    # chunk summaries
    y_sum = -2.35
    half = min(1.45, 0.5 * (chunk + gap) - 0.1)
    for c in range(n_chunks):
        last = xs[c * chunk + chunk - 1]
        tall = 0.36 if chunk < 4 else 0.27
        ax.add_patch(FancyBboxPatch((centre(c) - half, y_sum - tall), 2 * half, 2 * tall,
                                    boxstyle="round,pad=0.02,rounding_size=0.1",
                                    facecolor=colors[c], edgecolor="0.3", lw=0.8, zorder=2))
        sep = ",\\," if chunk >= 4 else "$\n$"
        ax.text(centre(c), y_sum, f"$P_{{{c + 1},T}}{sep}s_{{{c + 1},T}}$", ha="center",
                va="center", fontsize=9, zorder=3, linespacing=1.0)
        _arrow(ax, last, y1 - 0.28, min(last, centre(c) + half - 0.2), y_sum + tall, "0.1", lw=1.0)
    ax.text(x_lab, y_sum, "chunk summaries", ha="right", va="center", fontsize=9.5)

    # phase 2: the scan over chunk summaries, h_c = P_cT h_{c-1} + s_cT; h_c sits at the
    # boundary after chunk c, where chunk c + 1 picks it up
    y2 = -3.35

    def boundary(c: int) -> float:  # x between chunk c and chunk c + 1 (c = 0: before chunk 1)
        return xs[c * chunk] - 0.5 - gap / 2 if c < n_chunks else xs[-1] + 0.5 + gap / 2

    ax.text(x_lab, y2, "2. carry scan", ha="right", va="center", fontsize=9.5)
    x_h0 = boundary(0)
    ax.add_patch(FancyBboxPatch((x_h0 - 0.38, y2 - 0.25), 0.76, 0.5,
                                boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor="white", edgecolor="0.2", lw=1.0, zorder=2))
    ax.text(x_h0, y2, "$x_0$", ha="center", va="center", fontsize=9.5, zorder=3)
    h_x = [x_h0]
    prev_x = x_h0 + 0.38
    for c in range(n_chunks):
        xh = boundary(c + 1)
        h_x.append(xh)
        ax.add_patch(FancyBboxPatch((xh - 0.38, y2 - 0.25), 0.76, 0.5,
                                    boxstyle="round,pad=0.02,rounding_size=0.1",
                                    facecolor="white", edgecolor="0.2", lw=1.0, zorder=2))
        ax.text(xh, y2, f"$h_{{{c + 1}}}$", ha="center", va="center", fontsize=9.5, zorder=3)
        _arrow(ax, centre(c) + 0.3, y_sum - tall, xh - 0.2, y2 + 0.25, "0.1", lw=1.0)
        _arrow(ax, prev_x, y2, xh - 0.38, y2, _COMBINE, lw=1.4)
        prev_x = xh + 0.38

    # phase 3: fix-up, x_ct = s_ct + P_ct h_{c-1}: h_{c-1} is broadcast to every step of chunk c
    y3 = -4.6
    y_bar = y3 + 0.6
    cells(y3, lambda k: "", lambda k: colors[k // chunk])
    for c in range(n_chunks):
        src_x = h_x[c] if c else boundary(0)
        first, last = xs[c * chunk], xs[c * chunk + chunk - 1]
        ax.plot([src_x, src_x, last], [y2 - 0.25, y_bar, y_bar], color=_COPY, lw=1.1, zorder=1)
        for t in range(chunk):
            _arrow(ax, xs[c * chunk + t], y_bar, xs[c * chunk + t], y3 + 0.28, _COPY, lw=1.0)
    ax.text(x_lab, y3, "3. fix-up",
            ha="right", va="center", fontsize=9.5)
    ax.text(0.5 * (xs[0] + x_end) - 0.25, y3 - 0.55,
            "on a GPU each chunk is one program of the grid (B, N-tiles, L-chunks)", ha="center", va="center", fontsize=9,
            style="italic")

    ax.set_xlim(x_lab - 4.2, boundary(n_chunks) + 0.45)
    ax.set_ylim(y3 - 0.8, y_in + 0.85)
    ax.set_title(f"Chunked scan: $L = {length}$ steps in $C = {n_chunks}$ chunks of $T = {chunk}$",
                 fontsize=10)
    return fig
