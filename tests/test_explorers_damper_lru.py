"""Tests for ssmlib.explorers.lru.damper_lru_explorer (chapter 9)."""

from __future__ import annotations

import cmath
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.linalg  # noqa: E402

import ssmlib as sl  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lam_from_zoh(zeta: float, omega_n: float, dt: float) -> complex:
    """Independent oracle: eigenvalue of expm(A dt) for the oscillator's A (upper one)."""
    A = np.array([[0.0, 1.0], [-omega_n**2, -2 * zeta * omega_n]])
    ev = np.linalg.eigvals(scipy.linalg.expm(A * dt))
    return complex(ev[np.argmax(ev.imag)])


def test_sliders_move_lambda_to_the_zoh_eigenvalue():
    ex = sl.explorers.damper_lru_explorer(max_steps=2000)
    pair = ex.fig.axes[0].lines[-1]
    box = ex.widget()
    sliders = {c.description: c for c in box.children if hasattr(c, "description")}
    assert len([c for c in box.children if hasattr(c, "value")]) >= 3
    before = np.array(pair.get_data())
    box.children[0].value = 0.237  # zeta, off the grid [0.05, 0.1, 0.3, 0.9]
    after = np.array(pair.get_data())
    assert not np.allclose(before, after)
    ex.set(zeta=0.237, omega_n=3.3, dt=0.07)
    x, y = pair.get_data()
    lam = complex(x[0], y[0])
    # float64: the closed form exp(s dt) and expm agree to ~1e-15; 1e-12 leaves room.
    assert lam == pytest.approx(_lam_from_zoh(0.237, 3.3, 0.07), abs=1e-12)
    assert (x[1], y[1]) == pytest.approx((lam.real, -lam.imag))  # the conjugate
    assert sliders  # the controls are labelled


def test_panels_show_samples_on_the_damper_and_the_memory():
    ex = sl.explorers.damper_lru_explorer()
    ex.set(zeta=0.1, omega_n=2.0, dt=0.05)
    cont, samp = ex.fig.axes[1].lines[:2]
    t, y = (np.asarray(a) for a in samp.get_data())
    s = complex(-0.2, 2.0 * math.sqrt(1 - 0.01))
    # Samples of the channel = samples of the continuous response (exact ZOH of the pole).
    np.testing.assert_allclose(y, [cmath.exp(s * tk).imag for tk in t], atol=1e-12)
    env = ex.fig.axes[2].lines[0]
    k, e = (np.asarray(a) for a in env.get_data())
    lam = sl.mechanics.damping_to_eigenvalue(0.1, 2.0, 0.05)
    np.testing.assert_allclose(e, np.abs(lam) ** k, rtol=1e-12)
    title = ex.fig._suptitle.get_text()
    assert "101 steps" in title  # 1/(1 - e^{-0.01}) = 100.5
    assert "read back" in title and "aliased" not in title
    ex.set(zeta=0.3, omega_n=20.0, dt=0.2)  # omega_d dt = 3.8 > pi
    assert "aliased" in ex.fig._suptitle.get_text()


def test_static_frames_and_page_width():
    ex = sl.explorers.damper_lru_explorer()
    n_frames = math.prod(len(p.grid) for p in ex.params)
    assert n_frames <= 60
    assert 680 <= ex.fig.get_figwidth() * ex.dpi <= 720


@pytest.mark.parametrize("kwargs, match", [({"max_steps": 5}, "max_steps"),
                                           ({"max_steps": 1.5}, "max_steps")])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        sl.explorers.damper_lru_explorer(**kwargs)


def test_every_slider_moves_the_figure_off_the_grid():
    ex = sl.explorers.damper_lru_explorer()
    box = ex.widget()
    controls = [c for c in box.children if hasattr(c, "value")][:3]
    off_grid = [0.2, 3.7, 0.033]  # zeta, omega_n, dt: none on the static grid
    for ctrl, value in zip(controls, off_grid):
        before = [np.array(line.get_ydata(), dtype=float).copy() for line in ex.fig.axes[1].lines]
        ctrl.value = value
        after = [np.array(line.get_ydata(), dtype=float) for line in ex.fig.axes[1].lines]
        assert any(b.shape != a.shape or not np.allclose(b, a) for b, a in zip(before, after))


def test_works_without_torch_imports():
    """The damper explorer needs only numpy and matplotlib (chapter 1-7 style)."""
    import subprocess
    import sys

    code = ("import sys; import ssmlib as sl; sl.explorers.damper_lru_explorer(); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
