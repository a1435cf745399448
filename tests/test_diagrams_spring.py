"""Tests for ssmlib.diagrams.spring: the spring-mass-damper diagram of chapter 1."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.diagrams import spring  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig: Figure) -> set[str]:
    return {t.get_text() for t in fig.axes[0].texts}


def test_reachable_from_the_package():
    assert sl.diagrams.spring_mass_damper_diagram is spring.spring_mass_damper_diagram
    assert spring.__all__ == ["spring_mass_damper_diagram"]


def test_contains_every_part_with_the_notation_of_chapter_1():
    fig = spring.spring_mass_damper_diagram()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert _texts(fig) == {"$k$", "$c$", "$m$", "$f(t)$", "$x(t)$"}
    ax = fig.axes[0]
    gids = {a.get_gid() for a in list(ax.patches) + list(ax.lines)}
    assert {"mass", "spring", "damper"} <= gids
    # The spring joins the wall to the mass's left face; the damper's rod too.
    mass = next(p for p in ax.patches if p.get_gid() == "mass")
    spring_line = next(ln for ln in ax.lines if ln.get_gid() == "spring")
    xs = spring_line.get_xdata()
    assert xs[-1] == pytest.approx(mass.get_x())
    assert xs[0] < mass.get_x()
    # Page width, and every label at least 9 pt.
    assert fig.get_size_inches()[0] == pytest.approx(7.0)
    assert min(t.get_fontsize() for t in ax.texts) >= 9
    fig.canvas.draw()  # draws without error with constrained layout


def test_force_and_displacement_are_optional():
    fig = spring.spring_mass_damper_diagram(force=False, displacement=False, height=2.0)
    assert _texts(fig) == {"$k$", "$c$", "$m$"}
    assert fig.get_size_inches()[1] == pytest.approx(2.0)
    assert "$x(t)$" in _texts(spring.spring_mass_damper_diagram(force=False))
    assert "$f(t)$" in _texts(spring.spring_mass_damper_diagram(displacement=False))


def test_bad_arguments_name_the_argument():
    with pytest.raises(TypeError, match="force"):
        spring.spring_mass_damper_diagram(force=1)
    with pytest.raises(TypeError, match="displacement"):
        spring.spring_mass_damper_diagram(displacement="yes")
    with pytest.raises(TypeError, match="height"):
        spring.spring_mass_damper_diagram(height="2")
    for bad in (1.0, 6.0, float("nan")):
        with pytest.raises(ValueError, match="height"):
            spring.spring_mass_damper_diagram(height=bad)
    with pytest.raises(TypeError):
        spring.spring_mass_damper_diagram(True)  # keyword-only
