"""Tests for ssmlib.diagrams.family: the S4D views and the selective SSM diagrams of chapter 10."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.diagrams import family  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _gids(fig: Figure) -> set[str]:
    ax = fig.axes[0]
    return {a.get_gid() for a in list(ax.patches) + list(ax.texts) + list(ax.lines) if a.get_gid()}


def _check_page(fig: Figure) -> None:
    assert fig.get_size_inches()[0] == pytest.approx(7.0)
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 9
    fig.canvas.draw()


def test_reachable_from_the_package():
    assert sl.diagrams.s4d_views_diagram is family.s4d_views_diagram
    assert sl.diagrams.selective_ssm_diagram is family.selective_ssm_diagram
    assert family.__all__ == ["s4d_views_diagram", "selective_ssm_diagram"]


def test_s4d_views_has_both_views():
    fig = family.s4d_views_diagram(steps=4)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    gids = _gids(fig)
    assert {"u", "kernel", "fft", "y", "title:conv", "title:rec"} <= gids
    assert {f"step{i}" for i in range(1, 5)} <= gids and "step5" not in gids
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "FFT" in texts and "$x_{k}$" in texts and "$\\lambda\\,\\odot$" in texts
    _check_page(fig)


def test_selective_ssm_has_the_input_dependent_parameters():
    fig = family.selective_ssm_diagram(height=2.5)
    gids = _gids(fig)
    assert {"u", "delta", "B", "C", "decay", "state", "y"} <= gids
    assert fig.get_size_inches()[1] == pytest.approx(2.5)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "\\Delta_k" in texts and "e^{\\Delta_k A}" in texts
    assert "C_k^\\top x_k" in texts  # the readout is an inner product, as in the chapter's equation
    _check_page(fig)


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: family.s4d_views_diagram(steps=1), ValueError, "steps"),
        (lambda: family.s4d_views_diagram(steps=2.0), TypeError, "steps"),
        (lambda: family.s4d_views_diagram(height=0.5), ValueError, "height"),
        (lambda: family.selective_ssm_diagram(height="3"), TypeError, "height"),
    ],
)
def test_bad_arguments_name_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()
