"""Every explorer, driven from code in a live widget with values off its static grid.

Issue 10: continuous quantities get continuous sliders in a live kernel (an off-grid value
must work, not raise TraitError), categorical choices are named buttons (live and static).
Issue 12: every explorer validates its own arguments, and errors name them.
"""

from __future__ import annotations

import importlib.util

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.widgets import Choice, Param  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None

# builder name -> small keyword arguments (kept small so the suite stays fast)
BUILDERS = {
    "spring_mass_damper_explorer": {},
    "root_locus_explorer": {},
    "discretization_explorer": {},
    "aa_ab_explorer": {},
    "bifurcation_explorer": {"T": 20},
    "koopman_explorer": {"n_samples": 100, "steps": 30},
    "ring_init_explorer": {"n": 64, "length": 60},
    "lru_init_explorer": {"d_state": 16, "length": 60},
    "scan_levels_explorer": {"n": 8},
    "pathfinder_explorer": {"n_examples": 2, "resolutions": (32, 64)},
    "damper_lru_explorer": {},
    "s4d_kernel_explorer": {},
    "selective_gate_explorer": {},
}
NEEDS_TORCH = {"lru_init_explorer", "scan_levels_explorer"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _build(name):
    if name in NEEDS_TORCH and not HAS_TORCH:
        pytest.skip("needs torch")
    return getattr(sl.explorers, name)(**BUILDERS[name])


def _off_grid(p: Param, current: float) -> float:
    """A value strictly between two grid points, away from the current value."""
    g = p.grid
    if p.integer:
        return None
    cands = [(a + b) / 2 if p.scale == "linear" else float(np.sqrt(a * b))
             for a, b in zip(g[:-1], g[1:])]
    cands = [c for c in cands if abs(c - current) > 1e-9 and not np.any(np.isclose(g, c))]
    return cands[len(cands) // 2]


def _state(ex):
    """Everything the figure draws: the data of every line and image, and every text."""
    parts = []
    for ax in ex.fig.axes:
        for line in ax.lines:
            parts.append(np.asarray(line.get_xydata(), dtype=float).ravel())
        for im in ax.images:
            parts.append(np.asarray(im.get_array(), dtype=float).ravel())
        parts.append(np.array([hash(t.get_text()) for t in ax.texts] + [hash(ax.get_title())],
                              dtype=float))
    if ex.fig._suptitle is not None:
        parts.append(np.array([hash(ex.fig._suptitle.get_text())], dtype=float))
    return parts


def _changed(before, after) -> bool:
    if len(before) != len(after):
        return True
    return any(a.shape != b.shape or not np.allclose(a, b, equal_nan=True)
               for a, b in zip(before, after))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_control_moves_the_figure_off_the_grid(name):
    import ipywidgets as w

    ex = _build(name)
    assert getattr(sl.explorers, name).__name__ == name
    box = ex.widget()
    controls, image = box.children[:-1], box.children[-1]
    assert len(controls) == len(ex.params)
    for p, c in zip(ex.params, controls):
        before, png = _state(ex), image.value
        if isinstance(p, Choice):
            # a named button row (or drop-down), not a slider over indices
            assert isinstance(c, (w.ToggleButtons, w.Dropdown))
            assert [lab for lab, _ in c.options] == p.labels
            assert all(not lab.isdigit() or name == "pathfinder_explorer" for lab in p.labels)
            new = next(v for v in p.option_values if v != c.value)
            c.value = new
            assert ex.values[p.name] == new
        elif p.integer:
            assert isinstance(c, w.IntSlider)
            new = next(int(v) for v in p.grid if int(v) != c.value and v <= c.max)
            c.value = new
            assert ex.values[p.name] == new
        else:
            assert isinstance(c, (w.FloatSlider, w.FloatLogSlider))
            assert c.continuous_update is False
            new = _off_grid(p, ex.values[p.name])
            c.value = new  # raised TraitError with the old selection sliders
            assert not np.any(np.isclose(p.grid, ex.values[p.name], rtol=0, atol=1e-9))
            assert ex.values[p.name] == pytest.approx(new, rel=0.05)
        assert _changed(before, _state(ex)), f"{name}: {p.name} did not change the figure"
        assert image.value != png, f"{name}: {p.name} did not re-render the image"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_static_grid_is_small_and_set_accepts_off_grid(name):
    ex = _build(name)
    n_frames = sum(1 for _ in ex._grid_points())
    assert n_frames <= 60
    for p in ex.params:
        if isinstance(p, Param) and not p.integer:
            ex.set(**{p.name: _off_grid(p, ex.values[p.name])})


def test_static_page_has_named_buttons_and_the_level_range_follows_the_algorithm():
    pytest.importorskip("torch")
    ex = sl.explorers.scan_levels_explorer(n=8)
    page = ex.to_html()
    assert ">Hillis-Steele</button>" in page and ">Blelloch</button>" in page
    assert page.count('class="ssm-slider"') == 1  # the level; the algorithm is buttons
    # Hillis-Steele on 8 elements has 3 levels, Blelloch 6: the range input stops there
    assert '"max": [3, 6]' in page
    assert len(ex.frames()) == (3 + 1) + (6 + 1)


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("spring_mass_damper_explorer", {"t_max": -1.0}, "t_max"),
        ("spring_mass_damper_explorer", {"n_points": 1}, "n_points"),
        ("spring_mass_damper_explorer", {"x0": (0.0, 0.0)}, "x0"),
        ("spring_mass_damper_explorer", {"x0": (1.0, np.nan)}, "x0"),
        ("root_locus_explorer", {"m": 0.0}, "m"),
        ("root_locus_explorer", {"n_points": 2.5}, "n_points"),
        ("discretization_explorer", {"k": -1.0}, "k"),
        ("discretization_explorer", {"t_max": 1e9}, "t_max"),
        ("aa_ab_explorer", {"spacing": 0.5}, "spacing"),
        ("aa_ab_explorer", {"dt": 0.0}, "dt"),
        ("aa_ab_explorer", {"spacing": 1e6}, "20000000 steps"),
        ("aa_ab_explorer", {"spacing": np.inf}, "spacing"),
        ("bifurcation_explorer", {"w": np.nan}, "w"),
        ("bifurcation_explorer", {"T": 0}, "T"),
        ("bifurcation_explorer", {"b_max": 0.0}, "b_max"),
        ("koopman_explorer", {"mu": 0.0}, "mu"),
        ("koopman_explorer", {"mu": 0.5}, "mu"),
        ("koopman_explorer", {"dt": -0.1}, "dt"),
        ("koopman_explorer", {"n_samples": 3}, "n_samples"),
        ("koopman_explorer", {"steps": 0}, "steps"),
        ("koopman_explorer", {"seed": -1}, "seed"),
        ("ring_init_explorer", {"n": 0}, "n"),
        ("ring_init_explorer", {"n_shown": 9}, "n_shown"),
        ("ring_init_explorer", {"length": 1}, "length"),
        ("lru_init_explorer", {"d_state": 0}, "d_state"),
        ("lru_init_explorer", {"seed": "a"}, "seed"),
        ("scan_levels_explorer", {"n": 12}, "power of two"),
        ("scan_levels_explorer", {"n": 64}, "n"),
        ("pathfinder_explorer", {"n_examples": 0}, "n_examples"),
        ("pathfinder_explorer", {"resolutions": (64, 32)}, "resolutions"),
        ("pathfinder_explorer", {"resolutions": (32, 1024)}, "resolutions"),
        ("pathfinder_explorer", {"seed": -2}, "seed"),
    ],
)
def test_explorers_validate_their_arguments(name, kwargs, match):
    if name in NEEDS_TORCH and not HAS_TORCH:
        pytest.skip("needs torch")
    with pytest.raises((ValueError, TypeError), match=match):
        getattr(sl.explorers, name)(**kwargs)


def test_explorer_figures_fit_the_page():
    """Frames are 700 px wide (the page's content width) and no text is below 9 pt."""
    for name in ("spring_mass_damper_explorer", "discretization_explorer", "koopman_explorer",
                 "aa_ab_explorer", "bifurcation_explorer"):
        ex = getattr(sl.explorers, name)(**BUILDERS[name])
        width_px = ex.fig.get_figwidth() * ex.dpi
        assert 680 <= width_px <= 720, (name, width_px)
        ex.render_png()  # draw, so that tick labels exist
        for text in ex.fig.findobj(matplotlib.text.Text):
            if text.get_visible() and text.get_text().strip():
                assert text.get_fontsize() >= 9, (name, text.get_text(), text.get_fontsize())
        plt.close(ex.fig)
