"""Tests of ssmlib.widgets: one Explorer drives the live and the static view."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from ssmlib.widgets import MAX_FRAMES, Explorer, Param, static_mode


def make_explorer():
    fig, ax = plt.subplots()
    t = np.linspace(0, 5, 50)
    (line,) = ax.plot(t, np.exp(-t))
    calls = []

    def update(rate, shift):
        calls.append((rate, shift))
        line.set_ydata(np.exp(-rate * t) + shift)

    ex = Explorer(
        fig,
        update,
        [
            Param("rate", [0.5, 1.0, 2.0], default=1.0, label="decay rate"),
            Param("shift", [0.0, 1.0], default=0.0, step=0.25),
        ],
    )
    return ex, line, t, calls


def test_initial_values_and_set_redraws():
    ex, line, t, _ = make_explorer()
    assert ex.values == {"rate": 1.0, "shift": 0.0}
    np.testing.assert_allclose(line.get_ydata(), np.exp(-t))
    ex.set(rate=2.0)
    np.testing.assert_allclose(line.get_ydata(), np.exp(-2.0 * t))
    assert ex.values["shift"] == 0.0  # untouched parameter keeps its value


def test_set_rejects_unknown_and_out_of_range():
    ex, *_ = make_explorer()
    with pytest.raises(ValueError, match="unknown parameter 'speed'"):
        ex.set(speed=1.0)
    with pytest.raises(ValueError, match="rate=5.0 outside"):
        ex.set(rate=5.0)


def test_param_validation():
    with pytest.raises(ValueError, match="strictly increasing"):
        Param("a", [1.0, 0.5])
    with pytest.raises(ValueError, match="non-empty finite"):
        Param("a", [])
    with pytest.raises(ValueError, match="non-empty finite"):
        Param("a", [0.0, np.nan])
    with pytest.raises(ValueError, match="outside"):
        Param("a", [0.0, 1.0], default=2.0)
    with pytest.raises(ValueError, match="identifier"):
        Param("not a name", [0.0])
    assert Param("a", [0.0, 1.0, 2.0]).default == 1.0
    assert Param("a", [0.0, 1.0, 2.0]).nearest_index(1.4) == 1


def test_explorer_validation():
    fig, _ = plt.subplots()
    with pytest.raises(TypeError, match="update must be callable"):
        Explorer(fig, None, [Param("a", [0.0])])
    with pytest.raises(TypeError, match="params"):
        Explorer(fig, lambda a: None, [])
    with pytest.raises(ValueError, match="distinct"):
        Explorer(fig, lambda a: None, [Param("a", [0.0]), Param("a", [1.0])])
    big = np.arange(MAX_FRAMES + 1, dtype=float)
    with pytest.raises(ValueError, match="MAX_FRAMES"):
        Explorer(fig, lambda a: None, [Param("a", big)])


def test_frames_cover_the_grid_and_restore_state():
    ex, line, t, calls = make_explorer()
    ex.set(rate=2.0, shift=1.0)
    frames = ex.frames()
    assert set(frames) == {(i, j) for i in range(3) for j in range(2)}
    assert all(png.startswith(b"\x89PNG") for png in frames.values())
    # different parameters give different pictures
    assert frames[(0, 0)] != frames[(2, 1)]
    # the explorer is left as it was
    assert ex.values == {"rate": 2.0, "shift": 1.0}
    np.testing.assert_allclose(line.get_ydata(), np.exp(-2.0 * t) + 1.0)


def test_to_html_is_self_contained():
    ex, *_ = make_explorer()
    page = ex.to_html()
    assert page.count('class="ssm-slider"') == 2
    assert 'max="2"' in page and 'max="1"' in page
    # six frames as data URIs, no external resources
    assert len(re.findall(r"data:image/png;base64,", page)) == 6 + 1  # + the initial <img>
    assert "http://" not in page and "https://" not in page
    assert "<script>" in page


def test_live_widget_moves_the_figure():
    ex, line, t, _ = make_explorer()
    box = ex.widget()
    rate_slider, shift_slider, image = box.children
    before_png = image.value
    before = np.array(line.get_ydata())
    rate_slider.value = 0.5
    assert ex.values["rate"] == 0.5
    assert not np.allclose(line.get_ydata(), before)
    np.testing.assert_allclose(line.get_ydata(), np.exp(-0.5 * t))
    assert image.value != before_png
    shift_slider.value = 0.75  # a FloatSlider: values between grid points are allowed live
    np.testing.assert_allclose(line.get_ydata(), np.exp(-0.5 * t) + 0.75)


def test_show_modes(monkeypatch):
    import IPython.display
    import ipywidgets
    from IPython.display import HTML

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    monkeypatch.setenv("SSMBOOK_STATIC", "1")
    assert static_mode()
    ex, *_ = make_explorer()
    assert ex.show() is None
    assert isinstance(shown[-1], HTML) and "ssm-explorer" in shown[-1].data
    monkeypatch.setenv("SSMBOOK_STATIC", "0")
    assert not static_mode()
    ex, *_ = make_explorer()
    ex.show()
    assert isinstance(shown[-1], ipywidgets.VBox)
    ex.show(mode="static")
    assert isinstance(shown[-1], HTML)
    with pytest.raises(ValueError, match="mode"):
        ex.show(mode="movie")
