"""Chapter 10 sliders: the S4D kernel explorer and the selective gate explorer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.s4d import s4d_init, s4d_kernel  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_s4d_kernel_explorer_draws_the_library_kernel():
    ex = sl.explorers.s4d_kernel_explorer(d_state=16, length=64, seed=3)
    ex.set(init="inv", dt=0.05)
    gen = torch.Generator().manual_seed(3)
    C = torch.randn(8, dtype=torch.complex128, generator=gen)
    K = s4d_kernel(s4d_init(16, "inv", dtype=torch.complex128), C, 0.05, 64).numpy()
    shown = ex.fig.axes[1].lines[0].get_ydata()
    np.testing.assert_allclose(shown, K / np.abs(K).max(), rtol=1e-12, atol=1e-12)  # float64 end to end
    lam = ex.fig.axes[0].lines[-1]
    assert len(lam.get_xdata()) == 16  # 8 modes and their conjugates
    np.testing.assert_allclose(np.hypot(lam.get_xdata(), lam.get_ydata()), np.exp(-0.025), rtol=1e-12)
    assert "S4D-Inv" in ex.fig.axes[1].get_title() and "40" in ex.fig.axes[1].get_title()  # 2/dt


def test_s4d_kernel_explorer_widget_moves_off_grid():
    ex = sl.explorers.s4d_kernel_explorer(d_state=8, length=32)
    before = ex.fig.axes[1].lines[0].get_ydata().copy()
    box = ex.widget()
    box.children[1].value = 0.0137  # the Δ slider, between grid points
    after = ex.fig.axes[1].lines[0].get_ydata()
    assert not np.allclose(before, after)
    assert "0.0137" in ex.fig.axes[1].get_title()
    assert len(ex.frames()) == 3 * 7


def test_selective_gate_explorer_opens_and_closes_the_state():
    ex = sl.explorers.selective_gate_explorer(length=30, seed=0)
    ex.set(w=10.0, dt_noise=0.001)
    delta = ex.fig.axes[1].lines[0].get_ydata()
    marks = [10, 20]
    assert delta[marks].min() > 3.0 and np.delete(delta, marks).max() < 2e-3
    x_sel = ex.fig.axes[2].lines[0].get_ydata()
    # after a marked step the state is (almost) Δ u of that step: the old state is forgotten
    u = ex.fig.axes[0].patches  # the bars
    heights = np.array([b.get_height() for b in u])
    np.testing.assert_allclose(x_sel[10], delta[10] * heights[10], rtol=1e-3)
    # in between, the small Δ holds it
    assert abs(x_sel[19] - x_sel[10]) < 0.02 * abs(x_sel[10])
    # no selectivity: every step has the same Δ, the two curves coincide
    ex.set(w=0.0, dt_noise=0.1)
    np.testing.assert_allclose(ex.fig.axes[2].lines[0].get_ydata(), ex.fig.axes[2].lines[1].get_ydata(),
                               rtol=1e-10, atol=1e-12)
    box = ex.widget()
    box.children[0].value = 3.3
    assert "3.3" in ex.fig._suptitle.get_text()
    assert len(ex.frames()) == 5 * 4


@pytest.mark.parametrize(
    "builder, kwargs, exc, name",
    [
        ("s4d_kernel_explorer", dict(d_state=7), ValueError, "d_state"),
        ("s4d_kernel_explorer", dict(d_state=1.5), TypeError, "d_state"),
        ("s4d_kernel_explorer", dict(length=4), ValueError, "length"),
        ("s4d_kernel_explorer", dict(seed=-1), ValueError, "seed"),
        ("selective_gate_explorer", dict(length=5), ValueError, "length"),
        ("selective_gate_explorer", dict(seed="a"), TypeError, "seed"),
    ],
)
def test_bad_arguments_name_the_argument(builder, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        getattr(sl.explorers, builder)(**kwargs)
