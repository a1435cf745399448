"""Slider for chapter 8: step through the levels of the Hillis-Steele and Blelloch scans."""

from __future__ import annotations

import numpy as np

from ..schedules import Span, _compose, blelloch_schedule, hillis_steele_schedule
from ..widgets import Choice, Explorer, Param
from ._style import DPI, RC, check_int, subplots

__all__ = ["scan_steps", "scan_levels_explorer", "ALGORITHMS"]

#: The algorithm buttons: (label shown, name passed to :func:`scan_steps`).
ALGORITHMS = [("Hillis-Steele", "hillis-steele"), ("Blelloch", "blelloch")]


def scan_steps(algorithm: str, n: int) -> list[dict]:
    """The states of a scan on ``n`` symbolic elements, one per level.

    Parameters
    ----------
    algorithm : {"hillis-steele", "blelloch"}
    n : int
        Number of elements, at most :data:`ssmlib.schedules.MAX_ELEMENTS` (a power
        of two for Blelloch).

    Returns
    -------
    list of dict
        Entry 0 is the input; entry ``j`` the state after level ``j``, with keys
        ``spans`` (list of ``(first, last)`` or None for the identity: element
        ``k`` holds ``e_first o ... o e_last``), ``pairs`` (the combines of that
        level), ``phase`` and ``work`` (combines so far). Blelloch's last entry
        holds the exclusive scan.
    """
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm must be a str, got {type(algorithm).__name__}")
    if algorithm not in ("hillis-steele", "blelloch"):
        raise ValueError(f"algorithm must be 'hillis-steele' or 'blelloch', got {algorithm!r}")
    # the schedule first: it checks n (type, range, a power of two for Blelloch)
    schedule = hillis_steele_schedule(n) if algorithm == "hillis-steele" else blelloch_schedule(n)
    spans: list[Span] = [(k, k) for k in range(n)]
    steps = [dict(spans=list(spans), pairs=[], phase="input", work=0)]
    work = 0
    if algorithm == "hillis-steele":
        for level in schedule:
            prev = list(spans)
            for src, dst in level:
                spans[dst] = _compose(prev[src], prev[dst])
            work += len(level)
            steps.append(dict(spans=list(spans), pairs=level, phase="sweep", work=work))
    else:  # blelloch
        first_down = True
        for phase, pairs in schedule:
            if phase == "down" and first_down:
                spans[-1] = None  # the root becomes the identity
                first_down = False
            for src, dst in pairs:
                if phase == "up":
                    spans[dst] = _compose(spans[src], spans[dst])
                else:
                    spans[src], spans[dst] = spans[dst], _compose(spans[dst], spans[src])
            work += len(pairs)
            steps.append(dict(spans=list(spans), pairs=pairs, phase=phase, work=work))
    return steps


def scan_levels_explorer(n: int = 16) -> Explorer:
    """Step through the levels of both scans on ``n`` elements (a power of two).

    Each cell is one element ``k``; its label ``i:j`` says that it holds the
    composition ``e_i o ... o e_j`` (``-`` for the identity) and its shade the
    number of inputs composed. Arrows show the combines of the level just done.
    Controls: the algorithm (buttons ``"hillis-steele"``, ``"blelloch"``) and the
    level, an integer slider whose range follows the algorithm (Hillis-Steele has
    :math:`\\log_2 n` levels, Blelloch :math:`2\\log_2 n`). Static frames:
    :math:`(\\log_2 n + 1) + (2\\log_2 n + 1)`, 14 for ``n = 16``.

    Parameters
    ----------
    n : int
        Number of elements: a power of two in [2, 32] (so that the cell labels stay legible).

    Returns
    -------
    Explorer
        Parameters ``algorithm`` (a :class:`~ssmlib.widgets.Choice`) and ``level``.
    """
    import matplotlib.pyplot as plt

    n = check_int(n, "n", 2, 32)
    if n & (n - 1):
        raise ValueError(f"n must be a power of two (Blelloch's tree), got {n}")
    all_steps = {name: scan_steps(name, n) for _, name in ALGORITHMS}
    last = {name: len(steps) - 1 for name, steps in all_steps.items()}
    labels = dict((name, label) for label, name in ALGORITHMS)
    fig, ax = subplots(1, 1, height=2.4)
    cmap = plt.get_cmap("Blues")
    fontsize = 9 if n <= 16 else 7.5

    def update(algorithm: str, level: int) -> None:
        steps = all_steps[algorithm]
        j = int(level)
        step = steps[j]
        ax.clear()
        for k, span in enumerate(step["spans"]):
            size = 0 if span is None else span[1] - span[0] + 1
            ax.add_patch(plt.Rectangle((k - 0.45, 0), 0.9, 1, color=cmap(0.15 + 0.8 * size / n)))
            label = "-" if span is None else (f"{span[0]}" if span[0] == span[1] else f"{span[0]}:{span[1]}")
            ax.text(k, 0.5, label, ha="center", va="center", fontsize=fontsize,
                    color="white" if size > 0.6 * n else "black")
        for src, dst in step["pairs"]:
            ax.annotate("", xy=(dst, 1.05), xytext=(src, 1.05),
                        arrowprops=dict(arrowstyle="->", color="#D55E00", lw=1,
                                        connectionstyle="arc3,rad=-0.3"))
        total = last[algorithm]
        phase = "" if step["phase"] in ("input", "sweep") else f" ({step['phase']}-sweep)"
        ax.set_title(f"{labels[algorithm]}: level {j} of {total}{phase}, combines so far {step['work']}"
                     + ("  [exclusive scan]" if algorithm == "blelloch" and j == total else ""))
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(-0.2, 2.0 + 0.05 * n)
        ax.set_yticks([])
        ax.set_xticks(range(n))
        ax.set_xlabel("element $k$")
        ax.grid(False)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)

    max_level = max(last.values())
    return Explorer(
        fig,
        update,
        [Choice("algorithm", ALGORITHMS, default="hillis-steele", label="algorithm"),
         Param("level", np.arange(max_level + 1), default=0, label="level", fmt="{:.0f}",
               integer=True, max_by=("algorithm", last))],
        dpi=DPI, rc=RC,
        caption="Cells: which inputs each element has combined; arrows: the combines of this level.",
    )
