"""The look shared by every explorer figure: page width, fonts, constrained layout.

The book's content column is about 700 px wide. Explorer figures are
:data:`WIDTH` = 7 inches wide and rendered at :data:`DPI` = 100, so a frame is
shown at its natural size (no down-scaling) and a 9-point font stays 9 points on
the page. :data:`RC` is applied while building, updating and rendering each
figure (``Explorer(rc=RC)``), so the frames do not depend on the caller's style.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..plotting import COLORS

#: Figure width (inches) and rendering resolution: 700 px, the page's content width.
WIDTH = 7.0
DPI = 100

#: rcParams of every explorer figure: no text below 9 pt.
RC: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 10.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": DPI,
    "savefig.bbox": None,
    "figure.constrained_layout.h_pad": 0.04,
    "figure.constrained_layout.w_pad": 0.04,
    "figure.constrained_layout.wspace": 0.04,
}


def subplots(nrows: int = 1, ncols: int = 1, *, height: float = 3.2,
             width_ratios: Sequence[float] | None = None,
             height_ratios: Sequence[float] | None = None, **kwargs: Any):
    """``plt.subplots`` at the explorers' width, with constrained layout and :data:`RC`."""
    import matplotlib.pyplot as plt

    gridspec_kw = dict(kwargs.pop("gridspec_kw", {}))
    if width_ratios is not None:
        gridspec_kw["width_ratios"] = list(width_ratios)
    if height_ratios is not None:
        gridspec_kw["height_ratios"] = list(height_ratios)
    from ..widgets import style_context

    with style_context(RC):
        return plt.subplots(nrows, ncols, figsize=(WIDTH, height), layout="constrained",
                            gridspec_kw=gridspec_kw or None, **kwargs)


def unit_circle(ax: Any) -> None:
    """The unit circle (dashed) and the axes through the origin."""
    theta = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(theta), np.sin(theta), color="0.5", lw=1.0, ls="--")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_aspect("equal")


def check_int(value: Any, name: str, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in ``[lo, hi]``, or a ValueError/TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    v = int(value)
    if v < lo or (hi is not None and v > hi):
        bound = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be {bound}, got {v}")
    return v


def check_real(value: Any, name: str, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False) -> float:
    """``value`` as a finite float in range, or a ValueError/TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
    if hi is not None and v > hi:
        raise ValueError(f"{name} must be <= {hi:g}, got {v:g}")
    return v


__all__ = ["WIDTH", "DPI", "RC", "subplots", "unit_circle", "check_int", "check_real", "COLORS"]
