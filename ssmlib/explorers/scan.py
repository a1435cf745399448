"""Slider for chapter 8: step through the levels of the Hillis-Steele and Blelloch scans."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..scan.parallel import blelloch_schedule, hillis_steele_schedule
from ..widgets import Explorer, Param

__all__ = ["scan_steps", "scan_levels_explorer"]

Span = Optional[tuple]  # (first, last) input index composed into an element; None = identity


def _compose(first: Span, second: Span) -> Span:
    """Span of ``first o second`` (first = earlier elements)."""
    if first is None:
        return second
    if second is None:
        return first
    return (first[0], second[1])


def scan_steps(algorithm: str, n: int) -> list[dict]:
    """The states of a scan on ``n`` symbolic elements, one per level.

    Parameters
    ----------
    algorithm : {"hillis-steele", "blelloch"}
    n : int
        Number of elements (a power of two for Blelloch).

    Returns
    -------
    list of dict
        Entry 0 is the input; entry ``j`` the state after level ``j``, with keys
        ``spans`` (list of ``(first, last)`` or None for the identity: element
        ``k`` holds ``e_first o ... o e_last``), ``pairs`` (the combines of that
        level), ``phase`` and ``work`` (combines so far). Blelloch's last entry
        holds the exclusive scan.
    """
    spans: list[Span] = [(k, k) for k in range(n)]
    steps = [dict(spans=list(spans), pairs=[], phase="input", work=0)]
    work = 0
    if algorithm == "hillis-steele":
        for level in hillis_steele_schedule(n):
            prev = list(spans)
            for src, dst in level:
                spans[dst] = _compose(prev[src], prev[dst])
            work += len(level)
            steps.append(dict(spans=list(spans), pairs=level, phase="sweep", work=work))
    elif algorithm == "blelloch":
        first_down = True
        for phase, pairs in blelloch_schedule(n):
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
    else:
        raise ValueError(f"algorithm must be 'hillis-steele' or 'blelloch', got {algorithm!r}")
    return steps


def scan_levels_explorer(n: int = 16) -> Explorer:
    """Step through the levels of both scans on ``n`` elements (a power of two).

    Each cell is one element ``k``; its label ``i:j`` says that it holds the
    composition ``e_i o ... o e_j`` (``-`` for the identity) and its shade the
    number of inputs composed. Arrows show the combines of the level just done.
    Sliders: algorithm (0 = Hillis-Steele, 1 = Blelloch) and level.
    """
    import matplotlib.pyplot as plt

    algos = ["hillis-steele", "blelloch"]
    all_steps = {a: scan_steps(a, n) for a in algos}
    max_level = max(len(s) for s in all_steps.values()) - 1
    fig, ax = plt.subplots(figsize=(8.0, 2.6))
    cmap = plt.get_cmap("Blues")

    def update(algorithm: float, level: float) -> None:
        name = algos[int(round(algorithm))]
        steps = all_steps[name]
        j = min(int(round(level)), len(steps) - 1)
        step = steps[j]
        ax.clear()
        for k, span in enumerate(step["spans"]):
            size = 0 if span is None else span[1] - span[0] + 1
            ax.add_patch(plt.Rectangle((k - 0.45, 0), 0.9, 1, color=cmap(0.15 + 0.8 * size / n)))
            label = "-" if span is None else (f"{span[0]}" if span[0] == span[1] else f"{span[0]}:{span[1]}")
            ax.text(k, 0.5, label, ha="center", va="center", fontsize=7,
                    color="white" if size > 0.6 * n else "black")
        for src, dst in step["pairs"]:
            ax.annotate("", xy=(dst, 1.05), xytext=(src, 1.05),
                        arrowprops=dict(arrowstyle="->", color="#D55E00", lw=1,
                                        connectionstyle="arc3,rad=-0.3"))
        total = len(steps) - 1
        title = "Hillis-Steele" if name == "hillis-steele" else "Blelloch"
        phase = "" if step["phase"] in ("input", "sweep") else f" ({step['phase']}-sweep)"
        ax.set_title(f"{title}: level {j} of {total}{phase}, combines so far {step['work']}"
                     + ("  [exclusive scan]" if name == "blelloch" and j == total else ""))
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylim(-0.2, 2.0 + 0.05 * n)
        ax.set_yticks([])
        ax.set_xticks(range(n))
        ax.set_xlabel("element k")
        ax.grid(False)

    return Explorer(
        fig,
        update,
        [Param("algorithm", [0, 1], default=0, label="0 = Hillis-Steele, 1 = Blelloch", fmt="{:.0f}"),
         Param("level", np.arange(max_level + 1), default=0, label="level", fmt="{:.0f}")],
        caption="Cells: which inputs each element has combined; arrows: the combines of this level.",
    )
