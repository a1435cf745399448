"""A shared look for the book's figures."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["use_book_style", "COLORS", "unit_circle"]

#: Colour-blind-safe palette (Okabe-Ito), used across chapters.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}


def use_book_style() -> None:
    """Set matplotlib defaults shared by every chapter."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "figure.figsize": (7.5, 3.6),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=list(COLORS.values())),
            "font.size": 10,
            "legend.frameon": False,
            "savefig.bbox": "tight",
        }
    )


def unit_circle(ax: Any, **kwargs: Any) -> None:
    """Draw the unit circle and the axes through the origin on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on (anything else raises ``TypeError``).
    **kwargs
        Line style of the circle (passed to ``ax.plot``).
    """
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    theta = np.linspace(0, 2 * np.pi, 400)
    style = {"color": "0.5", "lw": 1.0, "ls": "--"}
    style.update(kwargs)
    ax.plot(np.cos(theta), np.sin(theta), **style)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_aspect("equal")
