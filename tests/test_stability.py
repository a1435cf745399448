"""Tests for ssmlib.stability against numpy.linalg.eig and the closed-form eigenvalue maps."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

import ssmlib as sl
from ssmlib.stability import (
    euler_stable_step,
    is_stable_continuous,
    is_stable_discrete,
    map_eigenvalues,
    spectral_radius,
)

# float64 on small well-conditioned problems: ~1e-12 relative.
RTOL = 1e-10


def random_left_half_plane(rng: np.random.Generator, n: int) -> np.ndarray:
    return -rng.uniform(0.05, 3.0, n) + 1j * rng.uniform(-5.0, 5.0, n)


def test_exported_at_top_level():
    for name in ("is_stable_continuous", "is_stable_discrete", "spectral_radius",
                 "map_eigenvalues", "euler_stable_step"):
        assert getattr(sl, name) is globals()[name]


def test_continuous_stability_boundaries():
    assert is_stable_continuous([-1.0, -0.5 + 2j, -0.5 - 2j])
    assert not is_stable_continuous([-1.0, 0.1])
    # Purely imaginary (undamped oscillator): not asymptotically stable.
    assert not is_stable_continuous([2j, -2j])
    assert not is_stable_continuous([0.0])
    assert is_stable_continuous(-0.5)  # a scalar is one eigenvalue
    assert not is_stable_continuous([-0.05], tol=0.1)


def test_discrete_stability_boundaries():
    assert is_stable_discrete([0.5, 0.9j, -0.99])
    assert not is_stable_discrete([1.0])
    assert not is_stable_discrete([1j, -1j, -1.0])  # on the circle
    assert not is_stable_discrete([1.01, 0.1])
    assert not is_stable_discrete([0.95], tol=0.1)


def test_spectral_radius_matches_numpy_eig():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 12):
        A = rng.standard_normal((n, n))
        expected = np.max(np.abs(np.linalg.eig(A)[0]))
        assert spectral_radius(A) == pytest.approx(expected, rel=1e-12)
    # Rotation by 0.7 rad scaled by 0.9: both eigenvalues have modulus 0.9.
    R = 0.9 * np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    assert spectral_radius(R) == pytest.approx(0.9, rel=1e-12)


@pytest.mark.parametrize("method", ["zoh", "bilinear", "euler"])
def test_map_eigenvalues_matches_eigs_of_discretized_matrix(method):
    """The map of eigenvalues equals the eigenvalues of the discretized A (oracle: eig)."""
    rng = np.random.default_rng(1)
    for n in (2, 4, 7):
        A = rng.standard_normal((n, n)) - 1.5 * np.eye(n)
        dt = 0.3
        if method == "zoh":
            Ad = expm(A * dt)
        elif method == "bilinear":
            Ad = np.linalg.solve(np.eye(n) - dt / 2 * A, np.eye(n) + dt / 2 * A)
        else:
            Ad = np.eye(n) + dt * A
        lam = np.linalg.eigvals(A)
        mapped = np.sort_complex(map_eigenvalues(lam, dt, method))
        direct = np.sort_complex(np.linalg.eigvals(Ad))
        np.testing.assert_allclose(mapped, direct, rtol=1e-9, atol=1e-12)


def test_zoh_and_bilinear_map_left_half_plane_into_unit_disk():
    rng = np.random.default_rng(2)
    lam = random_left_half_plane(rng, 200)
    for dt in (1e-3, 0.1, 1.0, 10.0, 1e3):
        assert np.all(np.abs(map_eigenvalues(lam, dt, "zoh")) < 1)
        assert np.all(np.abs(map_eigenvalues(lam, dt, "bilinear")) < 1)
    # The imaginary axis goes to the unit circle under both maps.
    omega = np.linspace(-10, 10, 21) * 1j
    np.testing.assert_allclose(np.abs(map_eigenvalues(omega, 0.4, "zoh")), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.abs(map_eigenvalues(omega, 0.4, "bilinear")), 1.0, rtol=1e-14)


def test_euler_stable_step_is_sharp():
    rng = np.random.default_rng(3)
    for _ in range(20):
        lam = random_left_half_plane(rng, 5)
        h = euler_stable_step(lam)
        # Independent check of the bound: just below it is stable, just above it is not.
        assert is_stable_discrete(map_eigenvalues(lam, 0.999 * h, "euler"))
        assert not is_stable_discrete(map_eigenvalues(lam, 1.001 * h, "euler"))
        # At the bound some eigenvalue sits on the unit circle.
        assert np.max(np.abs(1 + lam * h)) == pytest.approx(1.0, rel=1e-12)


def test_euler_stable_step_closed_form_and_unstable_input():
    lam = np.array([-1.0 + 2.0j])  # -2 Re / |lam|^2 = 2 / 5
    assert euler_stable_step(lam) == pytest.approx(0.4, rel=1e-15)
    assert euler_stable_step([-2.0]) == pytest.approx(1.0, rel=1e-15)
    assert euler_stable_step([-1.0, 0.5]) == 0.0
    assert euler_stable_step([3j, -3j]) == 0.0  # undamped: Euler always blows up


def test_euler_can_leave_the_unit_disk():
    lam = np.array([-0.1 + 3j, -0.1 - 3j])  # lightly damped oscillator
    assert is_stable_continuous(lam)
    assert not is_stable_discrete(map_eigenvalues(lam, 0.1, "euler"))
    assert is_stable_discrete(map_eigenvalues(lam, 0.1, "zoh"))


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="dt"):
        map_eigenvalues([-1.0], 0.0, "zoh")
    with pytest.raises(ValueError, match="dt"):
        map_eigenvalues([-1.0], float("nan"), "zoh")
    with pytest.raises(ValueError, match="method"):
        map_eigenvalues([-1.0], 0.1, "rk4")
    with pytest.raises(ValueError, match="eigs"):
        map_eigenvalues([2.0], 1.0, "bilinear")  # pole of the bilinear map
    with pytest.raises(ValueError, match="eigs"):
        is_stable_continuous([np.nan])
    with pytest.raises(ValueError, match="eigs"):
        is_stable_discrete(np.ones((2, 2)))
    with pytest.raises(ValueError, match="A"):
        spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tol"):
        is_stable_continuous([-1.0], tol=-1.0)


def test_overflow_and_empty_input_are_reported():
    from ssmlib.stability import euler_stable_step, map_eigenvalues

    for method in ("zoh", "bilinear", "euler"):
        with pytest.raises(ValueError, match="overflows float64"):
            map_eigenvalues([1e300 + 1e300j], 1e10, method)
    with pytest.raises(ValueError, match="overflows float64"):
        map_eigenvalues([800.0 + 1.0j], 1.0)  # exp(800) > 1.8e308
    with pytest.raises(ValueError, match="eigs must contain at least one"):
        euler_stable_step([])


@pytest.mark.parametrize(
    "spelling, closed_form",
    [
        ("ZOH", lambda z: np.exp(z)),
        ("Tustin", lambda z: (1 + z / 2) / (1 - z / 2)),  # scipy's name for bilinear
        ("BILINEAR", lambda z: (1 + z / 2) / (1 - z / 2)),
        ("forward_diff", lambda z: 1 + z),  # scipy's name for forward Euler
        ("Euler", lambda z: 1 + z),
    ],
)
def test_map_eigenvalues_accepts_the_method_names_of_discretize(spelling, closed_form):
    # Same spellings as sl.discretize (any case, scipy's aliases); oracle: the closed-form map.
    s = np.array([-1.0 + 2.0j, -0.3, -5.0 - 0.5j])
    dt = 0.1
    np.testing.assert_allclose(map_eigenvalues(s, dt, spelling), closed_form(s * dt),
                               rtol=1e-14)
    with pytest.raises(TypeError, match="method"):
        map_eigenvalues(s, dt, 3)
    with pytest.raises(ValueError, match="foh"):  # a scipy-only method is named in the message
        map_eigenvalues(s, dt, "foh")
