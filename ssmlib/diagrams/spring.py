"""The spring-mass-damper (chapter 1), drawn with matplotlib.

A mass :math:`m` on rollers, tied to a wall by a spring of stiffness :math:`k` and a viscous
damper (dashpot) of coefficient :math:`c`, pushed by an external force :math:`f(t)` (the input
:math:`u = f`), with its displacement :math:`x(t)` measured from the rest position: the system
:math:`m\\ddot x + c\\dot x + kx = f(t)` of chapter 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["spring_mass_damper_diagram"]

#: Font size (points) of the labels; the figure is drawn at its page size, so >= 9 pt holds.
LABEL_SIZE = 13
_INK = "0.15"


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _hatch(ax: Any, x0: float, y0: float, x1: float, y1: float, *, n: int, dx: float,
           dy: float) -> None:
    """Short parallel strokes along the segment (x0, y0)-(x1, y1), offset by (dx, dy)."""
    for a in np.linspace(0.0, 1.0, n):
        x, y = x0 + a * (x1 - x0), y0 + a * (y1 - y0)
        ax.plot([x, x + dx], [y, y + dy], color=_INK, lw=1.0, solid_capstyle="butt")


def spring_mass_damper_diagram(*, force: bool = True, displacement: bool = True,
                               height: float = 2.6) -> Any:
    """Draw the spring-mass-damper of chapter 1: wall, spring ``k``, damper ``c``, mass ``m``.

    Parameters
    ----------
    force : bool
        Draw the external force :math:`f(t)` as an arrow on the mass, pointing in the
        direction of positive :math:`x` (the direction in which a positive force acts).
    displacement : bool
        Draw the displacement :math:`x(t)`: a dashed line at the rest position of the mass
        and an arrow from it.
    height : float, in [1.8, 5]
        Figure height (inches); the width is the page width, 7 inches.

    Returns
    -------
    matplotlib.figure.Figure
        One axes without ticks. Its texts are ``"$k$"``, ``"$c$"``, ``"$m$"`` and, when drawn,
        ``"$f(t)$"`` and ``"$x(t)$"``; the mass is the axes' patch with ``gid="mass"``,
        the spring the line with ``gid="spring"``, the damper's cylinder the line with
        ``gid="damper"``.

    Raises
    ------
    TypeError
        ``force`` or ``displacement`` not a bool, ``height`` not a real number.
    ValueError
        ``height`` outside [1.8, 5].
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

    from ..explorers._style import RC, WIDTH, check_real
    from ..widgets import style_context

    force = _check_bool(force, "force")
    displacement = _check_bool(displacement, "displacement")
    height = check_real(height, "height", lo=1.8, hi=5.0)

    with style_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
        ax.set_axis_off()
        ax.set_xlim(0.0, 10.0)
        ax.set_ylim(-0.1, 3.7)
        ax.set_aspect("equal", adjustable="box")

        # Wall (left) and floor, hatched on their outer sides.
        wall_x, floor_y = 0.6, 0.3
        ax.plot([wall_x, wall_x], [floor_y, 3.2], color=_INK, lw=2.0)
        _hatch(ax, wall_x, floor_y + 0.15, wall_x, 3.2, n=12, dx=-0.25, dy=-0.25)
        ax.plot([wall_x, 9.6], [floor_y, floor_y], color=_INK, lw=2.0)
        _hatch(ax, wall_x + 0.25, floor_y, 9.6, floor_y, n=34, dx=-0.25, dy=-0.25)

        # The mass on two rollers.
        mass_x0, mass_x1, mass_y0, mass_y1 = 5.4, 7.2, 0.6, 2.8
        ax.add_patch(Rectangle((mass_x0, mass_y0), mass_x1 - mass_x0, mass_y1 - mass_y0,
                               facecolor="#dbe6f3", edgecolor=_INK, lw=1.8, gid="mass"))
        for xr in (mass_x0 + 0.4, mass_x1 - 0.4):
            ax.add_patch(Circle((xr, 0.45), 0.15, facecolor="white", edgecolor=_INK, lw=1.2))
        ax.text((mass_x0 + mass_x1) / 2, (mass_y0 + mass_y1) / 2, "$m$", ha="center",
                va="center", fontsize=LABEL_SIZE + 2)

        # Spring (upper rail): straight leads and a zigzag of 6 coils.
        y_s = 2.2
        lead, n_half = 0.6, 12
        xs = np.linspace(wall_x + lead, mass_x0 - lead, n_half + 1)
        ys = y_s + 0.25 * np.array([0.0] + [(-1) ** j for j in range(n_half - 1)] + [0.0])
        ax.plot(np.r_[wall_x, xs, mass_x0], np.r_[y_s, ys, y_s], color=_INK, lw=1.5,
                gid="spring")
        ax.text((wall_x + mass_x0) / 2, y_s + 0.4, "$k$", ha="center", va="bottom",
                fontsize=LABEL_SIZE)

        # Damper (lower rail): a cylinder open towards the mass, a piston, two rods.
        y_d = 1.2
        cyl_x0, cyl_x1, half = 2.0, 3.8, 0.3
        ax.plot([wall_x, cyl_x0], [y_d, y_d], color=_INK, lw=1.5)
        ax.plot([cyl_x1, cyl_x0, cyl_x0, cyl_x1], [y_d + half, y_d + half, y_d - half,
                y_d - half], color=_INK, lw=1.5, gid="damper")
        piston_x = 3.1
        ax.plot([piston_x, piston_x], [y_d - 0.22, y_d + 0.22], color=_INK, lw=2.5)
        ax.plot([piston_x, mass_x0], [y_d, y_d], color=_INK, lw=1.5)
        ax.text((cyl_x0 + cyl_x1) / 2, y_d - half - 0.12, "$c$", ha="center", va="top",
                fontsize=LABEL_SIZE)

        if force:
            y_f = (mass_y0 + mass_y1) / 2
            ax.add_patch(FancyArrowPatch((mass_x1 + 0.05, y_f), (mass_x1 + 1.6, y_f),
                                         arrowstyle="-|>", mutation_scale=18, lw=1.8,
                                         color="#b2182b"))
            ax.text(mass_x1 + 0.85, y_f + 0.15, "$f(t)$", ha="center", va="bottom",
                    fontsize=LABEL_SIZE, color="#b2182b")

        if displacement:
            ax.plot([mass_x0, mass_x0], [mass_y1 + 0.05, 3.55], color="0.35", lw=1.0,
                    ls="--")
            ax.add_patch(FancyArrowPatch((mass_x0, 3.35), (mass_x0 + 1.3, 3.35),
                                         arrowstyle="-|>", mutation_scale=14, lw=1.4,
                                         color=_INK))
            ax.text(mass_x0 + 1.45, 3.35, "$x(t)$", ha="left", va="center",
                    fontsize=LABEL_SIZE)
    return fig
