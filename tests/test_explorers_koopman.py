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


def test_koopman_explorer_dictionary_buttons_change_prediction():
    ex = sl.explorers.koopman_explorer()
    ax_p, ax_e = ex.fig.axes
    pred_before = _xy(ax_p.lines[4])
    eig_before = _xy(ax_e.lines[0])
    assert eig_before.shape[0] == len(KOOPMAN_DICTIONARIES["linear"][1])  # one per feature
    box = ex.widget()
    assert [lab for lab, _ in box.children[0].options][:2] == [
        "x1, x2 (plain DMD)", "x1, x2, x1² (invariant)"]
    box.children[0].value = "invariant"  # the Koopman-invariant dictionary
    assert ex.values["dictionary"] == "invariant"
    pred_after = _xy(ax_p.lines[4])
    assert not np.allclose(pred_before, pred_after)
    # with (x1, x2, x1^2) the prediction equals the true trajectory (lines[1])
    np.testing.assert_allclose(pred_after, _xy(ax_p.lines[1]), atol=1e-9)
    eig = _xy(ax_e.lines[0])
    np.testing.assert_allclose(np.sort(eig[:, 0]), np.sort([-0.1, -1.0, -0.2]), atol=1e-9)
    # the lambda slider moves the eigenvalue found, also off the static grid
    box.children[1].value = -2.0
    assert np.min(np.abs(_xy(ax_e.lines[0])[:, 0] + 2.0)) < 1e-9
    box.children[1].value = -1.37
    assert np.min(np.abs(_xy(ax_e.lines[0])[:, 0] + 1.37)) < 1e-9
    assert box.children[-1].value  # the image was re-rendered (PNG bytes)


def test_koopman_explorer_resonance_and_labels():
    """lambda = 2 mu: no division by zero, no slow manifold drawn, the title says so."""
    ex = sl.explorers.koopman_explorer()
    ax_p, ax_e = ex.fig.axes
    with np.errstate(all="raise"):  # a division by zero would raise here
        ex.set(dictionary="invariant", lam=-0.2)
    assert "resonance" in ex.fig._suptitle.get_text()
    assert ax_p.lines[0].get_xydata().size == 0  # no manifold
    # the flow is the resonant one, x2 = (x2_0 - lam t x1_0^2) e^{lam t}, and EDMD is exact
    np.testing.assert_allclose(_xy(ax_p.lines[4]), _xy(ax_p.lines[1]), atol=1e-9)
    eig = np.sort(_xy(ax_e.lines[0])[:, 0])
    np.testing.assert_allclose(eig, [-0.2, -0.2, -0.1], atol=1e-6)  # a Jordan block: ~sqrt(eps)
    # every static lambda gets the right relation to mu = -0.1 and 2 mu = -0.2
    expected = {-4.0: "lambda < 2", -2.0: "lambda < 2", -1.0: "lambda < 2",
                -0.5: "lambda < 2", -0.3: "lambda < 2", -0.2: "resonance",
                -0.05: "mu \\leq \\lambda"}
    for lam, text in expected.items():
        ex.set(lam=lam)
        assert text in ex.fig._suptitle.get_text().replace("$", "").replace("\\", "\\"), lam
    ex.set(lam=-0.15)  # 2 mu < lambda < mu: the parabola is invariant but does not attract
    assert "does not attract" in ex.fig._suptitle.get_text()
    assert "not attracting" in ax_p.get_legend().get_texts()[0].get_text()


def test_koopman_frame_plain_dmd_error_shrinks_towards_resonance():
    """The numbers behind the chapter's sentence on plain DMD (see koopman_frame)."""
    from ssmlib.explorers.koopman import koopman_frame

    errs = [koopman_frame("linear", lam)["error"] for lam in (-4.0, -1.0, -0.3, -0.2, -0.05)]
    assert np.all(np.diff(errs) < 0)  # largest for a fast lambda, smallest near and past 2 mu
    # the error is the forgotten forced term b x1_0^2 (e^{2 mu t} - e^{lam t}) of x0 = (1, 1)
    t = 0.1 * np.arange(61)
    for lam, err in zip((-4.0, -1.0, -0.3), errs):
        b = lam / (lam + 0.2)
        forced = np.max(np.abs(b * (np.exp(-0.2 * t) - np.exp(lam * t))))
        assert err == pytest.approx(forced, rel=0.1)
    assert errs[3] == pytest.approx(np.max(0.2 * t * np.exp(-0.2 * t)), rel=0.1)  # lam t e^{lam t}


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
    assert ex.values["max_phase"] == pytest.approx(np.pi / 10, abs=0.01)
    phase = np.arctan2(_xy(cloud)[:, 1], _xy(cloud)[:, 0]) % (2 * np.pi)
    assert phase.max() <= ex.values["max_phase"] + 1e-12
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
