"""Drive the chapter 4-5 explorers from code and check that the plotted data changes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.explorers import aa_ab_explorer, bifurcation_explorer  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_aa_ab_explorer_slider_changes_plot():
    ex = aa_ab_explorer()
    n_frames = int(np.prod([p.grid.size for p in ex.params]))
    assert n_frames <= 60
    box = ex.widget()
    ax_t, ax_c, ax_d = ex.fig.axes[:3]
    re_before = ax_t.lines[0].get_ydata().copy()
    final_before = ax_c.lines[2].get_xydata().copy()
    dist_before = ax_d.lines[0].get_ydata().copy()
    box.children[0].value = 1.0  # alpha: low -> high damping
    assert ex.values["alpha"] == 1.0
    assert not np.allclose(ax_t.lines[0].get_ydata(), re_before)
    assert not np.allclose(ax_c.lines[2].get_xydata(), final_before)
    dist_after = ax_d.lines[0].get_ydata()
    assert dist_after[-1] < 1e-3 * dist_before[-1]  # high damping forgets the second token
    # the plotted final states are those of the library experiment
    res = sl.aa_vs_ab(1.0, ex.values["omega"])
    np.testing.assert_allclose(ax_c.lines[2].get_xydata()[0],
                               [res.final_aa.real, res.final_aa.imag])
    assert "high damping" in ex.fig._suptitle.get_text()
    box.children[1].value = 2.0  # omega
    assert ex.values["omega"] == 2.0
    assert r"$\omega$ = 2 rad/s" in ex.fig._suptitle.get_text()
    box.children[0].value = 0.137  # off the static grid
    np.testing.assert_allclose(ax_c.lines[2].get_xydata()[0],
                               [sl.aa_vs_ab(0.137, 2.0).final_aa.real,
                                sl.aa_vs_ab(0.137, 2.0).final_aa.imag])
    assert not np.allclose(ax_c.lines[2].get_xydata()[0], [res.final_aa.real, res.final_aa.imag])


def test_bifurcation_explorer_slider_changes_plot():
    ex = bifurcation_explorer()
    assert int(np.prod([p.grid.size for p in ex.params])) <= 60
    box = ex.widget()
    ax_b, ax_c, ax_g = ex.fig.axes[:3]
    b_line = ax_b.lines[-2]  # the vertical marker of the current b
    cobweb_before = ax_c.lines[2].get_xydata().copy()
    f_before = ax_c.lines[0].get_ydata().copy()
    new_b = float(ex.params[0].grid[-1])
    box.children[0].value = new_b
    assert ex.values["b"] == new_b
    np.testing.assert_allclose(b_line.get_xdata(), [new_b, new_b])
    assert not np.allclose(ax_c.lines[0].get_ydata(), f_before)
    assert not np.array_equal(ax_c.lines[2].get_xydata(), cobweb_before)
    # the fixed-point dots are the library's fixed points at the new b
    np.testing.assert_allclose(np.sort(ax_b.lines[-1].get_ydata()),
                               sl.fixed_points(3.0, new_b))
    # the gradient curve changes with x0 and the marker sits on it
    g_before = ax_g.lines[0].get_ydata().copy()
    box.children[1].value = 0.2
    g_after = ax_g.lines[0].get_ydata()
    assert g_after.shape != g_before.shape or not np.allclose(g_after, g_before)
    here = abs(sl.gradient_wrt_b(3.0, new_b, 0.2, 30))
    assert ax_g.lines[1].get_ydata()[0] == pytest.approx(here)
    # the refined grid resolves the spike where x0 = 0.2 sits on the basin boundary
    assert np.max(ax_g.lines[0].get_ydata()) > 1e10


def test_explorers_render_static_frame():
    ex = aa_ab_explorer()
    png = ex.render_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
