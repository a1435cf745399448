"""Widget tests for the chapter 6-7 explorers: build, drive a slider from code, check the plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import ssmlib as sl
from ssmlib.explorers.koopman import KOOPMAN_DICTIONARIES


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _xy(line):
    return np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])


def test_koopman_explorer_dictionary_slider_changes_prediction():
    ex = sl.explorers.koopman_explorer()
    ax_p, ax_e = ex.fig.axes
    pred_before = _xy(ax_p.lines[4])
    eig_before = _xy(ax_e.lines[0])
    assert eig_before.shape[0] == len(KOOPMAN_DICTIONARIES[0][1])  # one eigenvalue per feature
    box = ex.widget()
    box.children[0].value = 1.0  # the Koopman-invariant dictionary
    assert ex.values["dictionary"] == 1.0
    pred_after = _xy(ax_p.lines[4])
    assert not np.allclose(pred_before, pred_after)
    # with (x1, x2, x1^2) the prediction equals the true trajectory (lines[1])
    np.testing.assert_allclose(pred_after, _xy(ax_p.lines[1]), atol=1e-9)
    eig = _xy(ax_e.lines[0])
    np.testing.assert_allclose(np.sort(eig[:, 0]), np.sort([-0.1, -1.0, -0.2]), atol=1e-9)
    # the lambda slider moves the eigenvalue found
    box.children[1].value = -2.0
    assert np.min(np.abs(_xy(ax_e.lines[0])[:, 0] + 2.0)) < 1e-9
    assert box.children[-1].value  # the image was re-rendered (PNG bytes)


def test_ring_init_explorer_sliders_change_cloud():
    ex = sl.explorers.ring_init_explorer(n=128)
    ax_d, ax_k = ex.fig.axes
    cloud = ax_d.lines[-1]
    before = _xy(cloud)
    assert before.shape == (128, 2)
    box = ex.widget()
    box.children[0].value = 0.9  # r_min
    after = _xy(cloud)
    r = np.hypot(after[:, 0], after[:, 1])
    assert not np.allclose(before, after)
    assert r.min() >= 0.9 - 1e-12 and r.max() <= 0.99 + 1e-12
    box.children[2].value = float(np.pi / 10)  # max_phase
    phase = np.arctan2(_xy(cloud)[:, 1], _xy(cloud)[:, 0]) % (2 * np.pi)
    assert phase.max() <= np.pi / 10 + 1e-12
    # the impulse responses are powers of the plotted eigenvalues
    # the first impulse response is that of the slowest plotted eigenvalue
    pts = _xy(cloud)
    lam0 = complex(*pts[np.argmax(np.hypot(pts[:, 0], pts[:, 1]))])
    k, y = ax_k.lines[0].get_xdata(), ax_k.lines[0].get_ydata()
    np.testing.assert_allclose(y, (lam0 ** np.asarray(k)).real, atol=1e-12)


@pytest.mark.parametrize("builder", ["koopman_explorer", "ring_init_explorer"])
def test_explorers_static_grid_is_small(builder):
    ex = getattr(sl.explorers, builder)()
    n_frames = int(np.prod([p.grid.size for p in ex.params]))
    assert n_frames <= 60
