"""Tests of ssmlib.widgets: one Explorer drives the live, the static and the script view."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ssmlib.widgets as widgets  # noqa: E402
from ssmlib.widgets import MAX_FRAMES, Choice, Explorer, Param, in_kernel, static_mode  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


def make_choice_explorer():
    """A Choice, a log slider, and an integer slider whose range follows the choice."""
    fig, ax = plt.subplots()
    t = np.linspace(0, 5, 50)
    (line,) = ax.plot(t, t)

    def update(shape, scale, level):
        y = np.sin(scale * t) if shape == "sin" else np.cos(scale * t)
        line.set_ydata(y + level)

    ex = Explorer(fig, update, [
        Choice("shape", [("sine wave", "sin"), ("cosine wave", "cos")], label="shape"),
        Param("scale", [0.1, 1.0, 10.0], default=1.0, scale="log"),
        Param("level", [0, 1, 2, 3], default=0, integer=True,
              max_by=("shape", {"sin": 3, "cos": 1})),
    ])
    return ex, line, t


# -- core ---------------------------------------------------------------------------
def test_initial_values_and_set_redraws():
    ex, line, t, _ = make_explorer()
    assert ex.values == {"rate": 1.0, "shift": 0.0}
    np.testing.assert_allclose(line.get_ydata(), np.exp(-t))
    ex.set(rate=2.0)
    np.testing.assert_allclose(line.get_ydata(), np.exp(-2.0 * t))
    assert ex.values["shift"] == 0.0  # untouched parameter keeps its value
    ex.set(rate=0.731)  # off the grid: any value in the range works
    np.testing.assert_allclose(line.get_ydata(), np.exp(-0.731 * t))


def test_set_rejects_unknown_wrong_type_and_out_of_range():
    ex, *_ = make_explorer()
    with pytest.raises(ValueError, match="unknown parameter 'speed'"):
        ex.set(speed=1.0)
    with pytest.raises(ValueError, match="rate=5.0 outside"):
        ex.set(rate=5.0)
    with pytest.raises(TypeError, match="rate must be a real number"):
        ex.set(rate="fast")
    with pytest.raises(ValueError, match="rate must be finite"):
        ex.set(rate=np.nan)
    assert ex.values == {"rate": 1.0, "shift": 0.0}  # a failed set changes nothing


def test_param_validation():
    with pytest.raises(ValueError, match="strictly increasing"):
        Param("a", [1.0, 0.5])
    with pytest.raises(ValueError, match="non-empty finite"):
        Param("a", [])
    with pytest.raises(ValueError, match="non-empty finite"):
        Param("a", [0.0, np.nan])
    with pytest.raises(TypeError, match="values"):
        Param("a", ["x", "y"])
    with pytest.raises(ValueError, match="outside"):
        Param("a", [0.0, 1.0], default=2.0)
    with pytest.raises(ValueError, match="identifier"):
        Param("not a name", [0.0])
    with pytest.raises(TypeError, match="fmt"):
        Param("a", [0.0, 1.0], fmt=3)
    with pytest.raises(ValueError, match="fmt"):
        Param("a", [0.0, 1.0], fmt="{:d}")
    with pytest.raises(ValueError, match="step"):
        Param("a", [0.0, 1.0], step=np.inf)
    with pytest.raises(ValueError, match="step"):
        Param("a", [0.0, 1.0], step=0.0)
    with pytest.raises(ValueError, match="scale"):
        Param("a", [0.0, 1.0], scale="loglog")
    with pytest.raises(ValueError, match="positive"):
        Param("a", [0.0, 1.0], scale="log")
    with pytest.raises(ValueError, match="integer"):
        Param("a", [0.0, 0.5], integer=True)
    with pytest.raises(TypeError, match="label"):
        Param("a", [0.0, 1.0], label=3)
    assert Param("a", [0.0, 1.0, 2.0]).default == 1.0
    assert Param("a", [0.0, 1.0, 2.0]).nearest_index(1.4) == 1
    assert Param("a", [0.1, 1.0, 10.0], scale="log").nearest_index(4.0) == 2  # log-nearest


def test_choice_validation():
    c = Choice("method", [("ZOH", "zoh"), ("forward Euler", "euler")])
    assert c.default == "zoh" and c.labels == ["ZOH", "forward Euler"] and c.grid.size == 2
    assert c.format("euler") == "forward Euler"
    assert Choice("n", [32, 64]).labels == ["32", "64"]
    with pytest.raises(ValueError, match="empty"):
        Choice("m", [])
    with pytest.raises(ValueError, match="distinct"):
        Choice("m", ["a", "a"])
    with pytest.raises(ValueError, match="default"):
        Choice("m", ["a", "b"], default="c")
    with pytest.raises(TypeError, match="options"):
        Choice("m", "ab")
    with pytest.raises(TypeError, match="label"):
        Choice("m", [(1, "a")])
    with pytest.raises(ValueError, match="method must be one of"):
        c.coerce("tustin")


def test_explorer_validation():
    fig, _ = plt.subplots()
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        Explorer(None, lambda a: None, [Param("a", [0.0])])
    with pytest.raises(TypeError, match="update must be callable"):
        Explorer(fig, None, [Param("a", [0.0])])
    with pytest.raises(TypeError, match="params"):
        Explorer(fig, lambda a: None, [])
    with pytest.raises(TypeError, match="params"):
        Explorer(fig, lambda a: None, ["a"])
    with pytest.raises(ValueError, match="distinct"):
        Explorer(fig, lambda a: None, [Param("a", [0.0]), Param("a", [1.0])])
    with pytest.raises(ValueError, match="dpi"):
        Explorer(fig, lambda a: None, [Param("a", [0.0])], dpi=0)
    with pytest.raises(ValueError, match="dpi"):
        Explorer(fig, lambda a: None, [Param("a", [0.0])], dpi=np.nan)
    with pytest.raises(TypeError, match="caption"):
        Explorer(fig, lambda a: None, [Param("a", [0.0])], caption=3)
    big = np.arange(MAX_FRAMES + 1, dtype=float)
    with pytest.raises(ValueError, match="MAX_FRAMES"):
        Explorer(fig, lambda a: None, [Param("a", big)])
    with pytest.raises(ValueError, match="not a Choice"):
        Explorer(fig, lambda a, b: None, [Param("a", [0.0, 1.0]),
                                          Param("b", [0, 1], max_by=("a", {0.0: 1}))])
    with pytest.raises(ValueError, match="no largest value"):
        Explorer(fig, lambda a, b: None, [Choice("a", ["x", "y"]),
                                          Param("b", [0, 1], max_by=("a", {"x": 1}))])


def test_max_by_clamps_and_limits_frames():
    ex, line, t = make_choice_explorer()
    ex.set(level=3)  # allowed for "sin"
    with pytest.raises(ValueError, match=r"level=3.0 outside the slider range \[0, 1\]"):
        ex.set(shape="cos", level=3)
    ex.set(shape="cos")  # lowers the top of "level" to 1: the value is clamped
    assert ex.values == {"shape": "cos", "scale": 1.0, "level": 1}
    np.testing.assert_allclose(line.get_ydata(), np.cos(t) + 1)
    frames = ex.frames()
    # sin: 3 scales x 4 levels, cos: 3 scales x 2 levels
    assert len(frames) == 3 * 4 + 3 * 2
    assert (1, 0, 3) not in frames and (0, 0, 3) in frames


def test_frames_cover_the_grid_and_restore_state():
    ex, line, t, calls = make_explorer()
    ex.set(rate=2.0, shift=0.6)
    frames = ex.frames()
    assert set(frames) == {(i, j) for i in range(3) for j in range(2)}
    assert all(png.startswith(b"\x89PNG") for png in frames.values())
    # different parameters give different pictures
    assert frames[(0, 0)] != frames[(2, 1)]
    # the explorer is left as it was (off-grid value included)
    assert ex.values == {"rate": 2.0, "shift": 0.6}
    np.testing.assert_allclose(line.get_ydata(), np.exp(-2.0 * t) + 0.6)


def test_to_html_is_self_contained():
    ex, *_ = make_explorer()
    page = ex.to_html()
    assert page.count('class="ssm-slider"') == 2
    assert 'max="2"' in page and 'max="1"' in page
    # six frames as data URIs, no external resources
    assert len(re.findall(r"data:image/png;base64,", page)) == 6 + 1  # + the initial <img>
    assert "http://" not in page and "https://" not in page
    assert "<script>" in page


def test_to_html_choice_buttons_and_following_range():
    ex, *_ = make_choice_explorer()
    page = ex.to_html()
    # the choice is a group of named buttons, not a range over indices
    assert page.count('class="ssm-option"') == 2
    assert ">sine wave</button>" in page and ">cosine wave</button>" in page
    assert page.count('class="ssm-slider"') == 2
    # the level slider's range follows the choice: largest index 3 for sine, 1 for cosine
    limits = json.loads(re.search(r"var limits=(\{.*?\});", page).group(1))
    assert limits == {"2": {"by": 0, "max": [3, 1]}}
    assert len(re.findall(r"data:image/png;base64,", page)) == 18 + 1


# -- live view ---------------------------------------------------------------------
def test_live_widget_moves_the_figure_off_the_grid():
    import ipywidgets as w

    ex, line, t, _ = make_explorer()
    box = ex.widget()
    rate_slider, shift_slider, image = box.children
    assert isinstance(rate_slider, w.FloatSlider) and not rate_slider.continuous_update
    before_png = image.value
    before = np.array(line.get_ydata())
    rate_slider.value = 0.5
    assert ex.values["rate"] == 0.5
    assert not np.allclose(line.get_ydata(), before)
    np.testing.assert_allclose(line.get_ydata(), np.exp(-0.5 * t))
    assert image.value != before_png
    rate_slider.value = 1.37  # between grid points: a continuous slider, no TraitError
    np.testing.assert_allclose(line.get_ydata(), np.exp(-1.37 * t), rtol=1e-2)
    shift_slider.value = 0.75
    np.testing.assert_allclose(line.get_ydata(), np.exp(-rate_slider.value * t) + 0.75)


def test_live_widget_choice_log_and_integer_controls():
    import ipywidgets as w

    ex, line, t = make_choice_explorer()
    box = ex.widget()
    shape, scale, level, image = box.children
    assert isinstance(shape, w.ToggleButtons)
    assert [lab for lab, _ in shape.options] == ["sine wave", "cosine wave"]
    assert isinstance(scale, w.FloatLogSlider) and isinstance(level, w.IntSlider)
    scale.value = 3.3  # off the grid (0.1, 1, 10)
    np.testing.assert_allclose(line.get_ydata(), np.sin(ex.values["scale"] * t))
    assert abs(ex.values["scale"] - 3.3) < 0.1
    level.value = 3
    assert level.max == 3
    before = image.value
    shape.value = "cos"  # lowers the level slider's top to 1 and clamps it
    assert level.max == 1 and level.value == 1 and ex.values["level"] == 1
    np.testing.assert_allclose(line.get_ydata(), np.cos(ex.values["scale"] * t) + 1)
    assert image.value != before
    shape.value = "sin"
    assert level.max == 3 and level.value == 1


# -- show ---------------------------------------------------------------------------
def test_in_kernel_is_false_outside_jupyter():
    assert not in_kernel()


def test_show_modes(monkeypatch, capsys):
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
    monkeypatch.setattr(widgets, "in_kernel", lambda: True)  # as in Jupyter
    ex, *_ = make_explorer()
    ex.show()
    assert isinstance(shown[-1], ipywidgets.VBox)
    ex.show(mode="static")
    assert isinstance(shown[-1], HTML)
    with pytest.raises(ValueError, match="mode"):
        ex.show(mode="movie")
    # outside a kernel: the plain figure, never a widget repr
    monkeypatch.setattr(widgets, "in_kernel", lambda: False)
    n_shown = len(shown)
    ex, *_ = make_explorer()
    ex.show()
    assert len(shown) == n_shown  # nothing sent to IPython's display
    out = capsys.readouterr().out
    assert "savefig" in out and "rate=1.0" in out  # Agg: says how to get the figure


def test_show_in_a_plain_script_shows_the_figure(tmp_path):
    """`python script.py` calling .show() runs plt.show(), not print(VBox(...))."""
    script = tmp_path / "script.py"
    script.write_text(
        "import matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "shown = []\n"
        "plt.show = lambda *a, **k: shown.append(plt.get_fignums())\n"
        "import ssmlib as sl\n"
        "ex = sl.explorers.spring_mass_damper_explorer()\n"
        "ex.show()\n"
        "print('SHOWN', shown)\n"
    )
    env = {**os.environ, "MPLBACKEND": "svg", "SSMBOOK_STATIC": "0"}
    # an interactive backend is not available headless; patch the check via a GUI-less one
    code = (
        "import matplotlib; matplotlib.use('module://matplotlib.backends.backend_template')\n"
        + script.read_text()
    )
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "VBox" not in proc.stdout
    assert "No Jupyter kernel: showing the figure" in proc.stdout
    assert "SHOWN [[1]]" in proc.stdout  # plt.show() was called with the explorer's figure


def test_style_context_keeps_the_interactive_flag_set_inside_it():
    """rc_context would undo the inline backend's `interactive(True)` made on the first figure."""
    import matplotlib

    from ssmlib.widgets import style_context

    before = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with style_context({"font.size": 11}):
            matplotlib.interactive(True)  # what the inline backend does on the first figure
        assert matplotlib.is_interactive()
    finally:
        matplotlib.interactive(before)


def test_figures_after_a_first_explorer_still_display_in_a_kernel(tmp_path):
    """Regression: a notebook whose first figure is an explorer lost every later inline figure."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import ssmlib as sl, matplotlib.pyplot as plt\n"
            "ex = sl.explorers.spring_mass_damper_explorer()"
        ),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots(); ax.plot([1, 2, 3])"),
    ]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    old = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)
    try:
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    pngs = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in nb.cells]
    assert pngs[1] >= 1, f"the figure after the explorer was not displayed: {pngs}"
