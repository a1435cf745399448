"""Tests for ssmlib.diagrams.network: the LRU block, the network and the ring (chapter 9)."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.diagrams import network  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.axes[0].texts)


def _gids(fig: Figure) -> set:
    ax = fig.axes[0]
    return {a.get_gid() for a in list(ax.patches) + list(ax.lines)} - {None}


def _min_font(fig: Figure) -> float:
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    return min(sizes)


def test_reachable_from_the_package():
    assert network.__all__ == ["lru_block_diagram", "lru_network_diagram", "ring_init_diagram"]
    for name in network.__all__:
        assert getattr(sl.diagrams, name) is getattr(network, name)


def test_block_draws_what_lrublock_computes():
    fig = network.lru_block_diagram()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert {"norm", "lru", "gelu", "glu", "dropout", "residual", "sum"} <= _gids(fig)
    text = _texts(fig)
    for word in ("LayerNorm", "LRU", "GELU", "GLU", "dropout", "residual",
                 "\\Lambda x_{k-1}", "\\gamma \\odot (B u_k)", "\\mathrm{Re}(C x_k)"):
        assert word in text, word
    # Top to bottom in the order of LRUBlock.forward: norm, LRU, GELU, GLU, dropout, sum.
    ax = fig.axes[0]
    y = {p.get_gid(): p.get_y() for p in ax.patches if hasattr(p, "get_y") and p.get_gid()}
    sum_y = next(p.center[1] for p in ax.patches if p.get_gid() == "sum")
    assert y["norm"] > y["lru"] > y["gelu"] > y["glu"] > y["dropout"] > sum_y
    assert "BatchNorm" in _texts(network.lru_block_diagram(norm="batch"))
    assert _min_font(fig) >= 9
    assert fig.get_figwidth() == pytest.approx(7.0)


def _texts_inside_figure(fig: Figure) -> bool:
    """Every non-empty text lies inside the figure (nothing widens a tight-bbox PNG)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for t in fig.findobj(matplotlib.text.Text):
        if t.get_text() and t.get_visible():
            e = t.get_window_extent(renderer)
            if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1:
                return False
    return True


def test_network_draws_what_lruclassifier_computes():
    fig = network.lru_network_diagram(n_layers=3)
    assert {"encoder", "blocks", "pooling", "decoder"} <= _gids(fig)
    text = _texts(fig)
    assert "embedding" in text and "3" in text and "mean over" in text
    assert "(batch, L)" in text and "(batch, classes)" in text
    # "B" and "C" are the LRU's input and output matrices: not used for batch and classes.
    assert "(B," not in text and "C:" not in text and "(batch, C)" not in text
    y = {p.get_gid(): p.get_y() for p in fig.axes[0].patches
         if hasattr(p, "get_y") and p.get_gid()}
    assert y["encoder"] > y["blocks"] > y["pooling"] > y["decoder"]  # top to bottom
    assert "linear" in _texts(network.lru_network_diagram(1, tokens=False))
    assert _min_font(fig) >= 9
    assert fig.get_figwidth() == pytest.approx(7.0)
    assert _texts_inside_figure(fig)
    assert _texts_inside_figure(network.lru_block_diagram())


def test_network_box_labels_fit_their_boxes():
    fig = network.lru_network_diagram(n_layers=2, tokens=True)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = {p.get_gid(): p.get_window_extent(renderer) for p in ax.patches if p.get_gid()}
    for gid, label in (("encoder", "encoder"), ("blocks", "LRU block"),
                       ("pooling", "mean over"), ("decoder", "decoder")):
        t = next(t for t in ax.texts if t.get_text().startswith(label))
        e, b = t.get_window_extent(renderer), boxes[gid]
        assert b.x0 < e.x0 and e.x1 < b.x1 and b.y0 < e.y0 and e.y1 < b.y1, gid


def test_block_labels_use_batch_not_b():
    text = _texts(network.lru_block_diagram())
    assert "(batch, L, H)" in text and "(B, L, H)" not in text


def test_ring_shows_the_sample_ring_region():
    r_min, r_max, phase = 0.4, 0.95, math.pi / 2
    fig = network.ring_init_diagram(r_min, r_max, phase, n_samples=200, seed=3)
    ax = fig.axes[0]
    text = _texts(fig)
    for label in ("$r_{\\min}$", "$r_{\\max}$", "$\\theta_{\\max}$"):
        assert label in text
    wedge = next(p for p in ax.patches if p.get_gid() == "wedge")
    assert wedge.r == pytest.approx(r_max) and wedge.width == pytest.approx(r_max - r_min)
    assert wedge.theta2 == pytest.approx(90.0)
    pts = next(line for line in ax.lines if line.get_gid() == "samples")
    lam = np.asarray(pts.get_xdata()) + 1j * np.asarray(pts.get_ydata())
    # The dots are sample_ring's draws (an independent call with the same seed).
    np.testing.assert_allclose(lam, sl.sample_ring(200, r_min, r_max, phase, rng=3))
    assert np.all((np.abs(lam) >= r_min - 1e-12) & (np.abs(lam) <= r_max + 1e-12))
    assert "$\\pi/2$" in ax.get_title()      # a simple fraction of pi, not 0.5pi
    assert "$2\\pi$" in network.ring_init_diagram(max_phase=2 * math.pi).axes[0].get_title()
    no_pts = network.ring_init_diagram(n_samples=0)
    assert not any(line.get_gid() == "samples" for line in no_pts.axes[0].lines)


@pytest.mark.parametrize(
    "func, kwargs, match",
    [
        (network.lru_block_diagram, {"norm": "group"}, "norm"),
        (network.lru_block_diagram, {"norm": 1}, "norm"),
        (network.lru_network_diagram, {"n_layers": 0}, "n_layers"),
        (network.lru_network_diagram, {"n_layers": 2.0}, "n_layers"),
        (network.lru_network_diagram, {"tokens": "yes"}, "tokens"),
        (network.ring_init_diagram, {"r_min": 0.9, "r_max": 0.5}, "r_min"),
        (network.ring_init_diagram, {"r_max": 1.5}, "r_max"),
        (network.ring_init_diagram, {"max_phase": 0.0}, "max_phase"),
        (network.ring_init_diagram, {"max_phase": 7.0}, "max_phase"),
        (network.ring_init_diagram, {"n_samples": -1}, "n_samples"),
        (network.ring_init_diagram, {"seed": "a"}, "seed"),
    ],
)
def test_bad_arguments_raise_naming_them(func, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        func(**kwargs)
