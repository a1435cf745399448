"""Widget tests for the chapter 1-3 explorers: build, drive a slider from code, check the plot."""

from __future__ import annotations

import numpy as np
import pytest

import ssmlib as sl
from ssmlib.explorers import (
    discretization_explorer,
    root_locus_explorer,
    spring_mass_damper_explorer,
)
from ssmlib.explorers.discretization import METHODS
from ssmlib.widgets import MAX_FRAMES


def slider(box, name_or_label: str):
    """The slider whose description contains ``name_or_label``."""
    for child in box.children[:-1]:
        if name_or_label in child.description:
            return child
    raise AssertionError(f"no slider {name_or_label!r} in {[c.description for c in box.children]}")


def other_option(s):
    """A value of a continuous slider different from its current one (the range's ends)."""
    return s.max if s.value != s.max else s.min


@pytest.mark.parametrize("builder", [spring_mass_damper_explorer, root_locus_explorer,
                                     discretization_explorer])
def test_exported_and_grid_small(builder):
    assert getattr(sl.explorers, builder.__name__) is builder
    ex = builder()
    n_frames = int(np.prod([p.grid.size for p in ex.params]))
    assert n_frames <= 60 <= MAX_FRAMES
    import matplotlib.pyplot as plt

    plt.close("all")


def test_spring_mass_damper_sliders_change_the_plot():
    ex = spring_mass_damper_explorer()
    box = ex.widget()
    ax_x, ax_e = ex.fig.axes
    x_before = ax_x.lines[0].get_ydata().copy()
    e_before = ax_e.lines[0].get_ydata().copy()
    image_before = box.children[-1].value
    s = slider(box, "damping")
    s.value = 2.0
    assert ex.values["c"] == 2.0
    x_after = ax_x.lines[0].get_ydata()
    assert not np.allclose(x_before, x_after)
    assert not np.allclose(e_before, ax_e.lines[0].get_ydata())
    assert box.children[-1].value != image_before  # the image was re-rendered
    # The plotted curve is the library's simulation (no re-implementation in the UI).
    smd = sl.SpringMassDamper(ex.values["m"], 2.0, ex.values["k"])
    t = ax_x.lines[0].get_xdata()
    np.testing.assert_allclose(x_after, smd.simulate(t)[:, 0], rtol=1e-12, atol=1e-14)
    assert smd.regime in ex.fig._suptitle.get_text()
    # Undamped: the energy panel is flat at 1.
    slider(box, "damping").value = 0.0
    np.testing.assert_allclose(ax_e.lines[0].get_ydata(), 1.0, rtol=1e-9)
    # An off-grid damping: the envelope A e^{Re(s) t} touches the response from above.
    slider(box, "damping").value = 0.37
    assert ex.values["c"] == pytest.approx(0.37)
    smd = sl.SpringMassDamper(ex.values["m"], 0.37, ex.values["k"])
    x, env = ax_x.lines[0].get_ydata(), ax_x.lines[1].get_ydata()
    zeta = smd.damping_ratio
    np.testing.assert_allclose(env[0], 1.0 / np.sqrt(1.0 - zeta**2), rtol=1e-12)  # from rest
    assert np.all(np.abs(x) <= env + 1e-12)
    assert np.min(env - np.abs(x)) < 1e-3  # and touches it (a true envelope)
    np.testing.assert_allclose(ax_x.lines[2].get_ydata(), -env)
    slider(box, "damping").value = 4.0  # overdamped: no envelope drawn
    assert np.all(np.isnan(ax_x.lines[1].get_ydata()))
    # Mass and stiffness sliders move the curve too.
    for label in ("mass", "stiffness"):
        before = ax_x.lines[0].get_ydata().copy()
        s = slider(box, label)
        s.value = other_option(s)
        assert not np.allclose(before, ax_x.lines[0].get_ydata())


def test_root_locus_eigenvalues_follow_the_damping_slider():
    ex = root_locus_explorer()
    box = ex.widget()
    ax_s, ax_x = ex.fig.axes
    eig_line = ax_s.lines[-1]
    assert "Re $s$" == ax_s.get_xlabel()  # continuous-time eigenvalues are s (notation)
    slider(box, "damping").value = -0.5  # negative damping
    lam = np.asarray(eig_line.get_xdata()) + 1j * np.asarray(eig_line.get_ydata())
    expected = sl.SpringMassDamper(1.0, -0.5, ex.values["k"]).eigenvalues()
    np.testing.assert_allclose(np.sort_complex(lam), np.sort_complex(expected), rtol=1e-12)
    assert np.all(lam.real > 0)
    x_unstable = ax_x.lines[0].get_ydata().copy()
    assert np.max(np.abs(x_unstable)) > 2.0  # it explodes
    slider(box, "damping").value = 4.0
    lam = np.asarray(eig_line.get_xdata()) + 1j * np.asarray(eig_line.get_ydata())
    assert np.all(lam.real < 0)
    assert not np.allclose(x_unstable, ax_x.lines[0].get_ydata())
    # The stiffness slider moves the locus.
    locus_before = ax_s.lines[-2].get_ydata().copy()
    s = slider(box, "stiffness")
    s.value = other_option(s)
    assert not np.allclose(locus_before, ax_s.lines[-2].get_ydata())


def test_discretization_explorer_method_and_step():
    import ipywidgets as w

    ex = discretization_explorer()
    box = ex.widget()
    ax_z, ax_t = ex.fig.axes
    zline, disc = ax_z.lines[-1], ax_t.lines[1]
    s = sl.SpringMassDamper(1.0, 1.0, 4.0).eigenvalues()
    method = box.children[1]
    assert isinstance(method, w.ToggleButtons)  # named buttons, not a slider over codes
    assert [lab for lab, _ in method.options] == [lab for lab, _ in METHODS]
    for _, name in METHODS:
        method.value = name
        for dt in (0.1, 0.5, 0.37):  # 0.37 is off the static grid
            slider(box, "step").value = dt
            assert ex.values["dt"] == pytest.approx(dt, rel=0.02)  # log slider: step 0.005 decades
            dt_used = ex.values["dt"]
            z = np.asarray(zline.get_xdata()) + 1j * np.asarray(zline.get_ydata())
            np.testing.assert_allclose(np.sort_complex(z),
                                       np.sort_complex(sl.map_eigenvalues(s, dt_used, name)),
                                       rtol=1e-10)
            np.testing.assert_allclose(np.diff(disc.get_xdata()), dt_used, rtol=1e-12)
    # Forward Euler beyond dt = 0.25 is unstable; ZOH is not.
    ex.set(dt=0.5, method="euler")
    assert "UNSTABLE" in ex.fig._suptitle.get_text()
    assert "forward Euler" in ex.fig._suptitle.get_text()
    euler_x = disc.get_ydata().copy()
    ex.set(method="zoh")
    assert "UNSTABLE" not in ex.fig._suptitle.get_text()
    assert not np.allclose(euler_x, disc.get_ydata())
    # ZOH samples lie on the exact curve.
    t_fine, x_fine = ax_t.lines[0].get_data()
    np.testing.assert_allclose(disc.get_ydata(), np.interp(disc.get_xdata(), t_fine, x_fine),
                               atol=2e-3)  # linear interpolation of the fine curve
    # the grey path is that of lambda_1 = e^{s_1 dt}, starting at 1 as dt -> 0
    path = ax_z.lines[-2]
    assert abs(complex(path.get_xdata()[0], path.get_ydata()[0]) - 1) < 0.01
    with pytest.raises(ValueError, match="method must be one of"):
        ex.set(method="tustin")
    with pytest.raises(ValueError, match="dt"):
        ex.set(dt=3.0)
