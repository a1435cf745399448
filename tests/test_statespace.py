"""Tests for ssmlib.statespace: shapes, eigenvalues, and exact ZOH simulation.

Oracles: numpy.linalg.eig, scipy.signal.lsim (interp=False, i.e. zero-order hold),
scipy.integrate.solve_ivp on piecewise-constant input, scipy.signal.dlsim.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.signal import dlsim, lsim

import ssmlib as sl
from ssmlib.statespace import DiscreteStateSpace, StateSpace


def random_stable_system(rng, n, m, p):
    A = rng.standard_normal((n, n)) / np.sqrt(n) - 1.2 * np.eye(n)
    B = rng.standard_normal((n, m))
    C = rng.standard_normal((p, n))
    D = rng.standard_normal((p, m))
    return A, B, C, D


def test_exported_at_top_level():
    assert sl.StateSpace is StateSpace
    assert sl.DiscreteStateSpace is DiscreteStateSpace


def test_shapes_and_defaults():
    sys = StateSpace(-np.eye(3), np.ones(3), np.ones(3))  # vector B and C
    assert (sys.n, sys.m, sys.p) == (3, 1, 1)
    assert sys.B.shape == (3, 1) and sys.C.shape == (1, 3)
    np.testing.assert_array_equal(sys.D, np.zeros((1, 1)))
    sys2 = StateSpace(-np.eye(2), np.ones((2, 3)), np.ones((4, 2)), 0.5)
    assert sys2.D.shape == (4, 3) and np.all(sys2.D == 0.5)
    assert "n=2" in repr(sys2)


def test_bad_shapes_name_the_argument():
    with pytest.raises(ValueError, match="A"):
        StateSpace(np.ones((2, 3)), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="B"):
        StateSpace(np.eye(2), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="C"):
        StateSpace(np.eye(2), np.ones(2), np.ones((1, 3)))
    with pytest.raises(ValueError, match="D"):
        StateSpace(np.eye(2), np.ones((2, 2)), np.ones((1, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="A"):
        StateSpace([[np.nan, 0], [0, 1]], np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="B"):
        StateSpace(np.eye(2), "ones", np.ones(2))
    with pytest.raises(ValueError, match="dt"):
        DiscreteStateSpace(np.eye(2), np.ones(2), np.ones(2), 0.0, dt=-1.0)


def test_eigenvalues_match_numpy_eig():
    rng = np.random.default_rng(0)
    for n in (1, 3, 6):
        A = rng.standard_normal((n, n))
        sys = StateSpace(A, np.ones(n), np.ones(n))
        got = np.sort_complex(sys.eigenvalues())
        expected = np.sort_complex(np.linalg.eig(A)[0])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        assert sys.is_stable() == bool(np.all(expected.real < 0))
    assert StateSpace(-np.eye(2), np.ones(2), np.ones(2)).is_stable()
    assert not StateSpace([[0, 1], [-1, 0]], np.ones(2), np.ones(2)).is_stable()


@pytest.mark.parametrize("n,m,p", [(1, 1, 1), (2, 1, 1), (4, 2, 3), (8, 3, 2)])
def test_simulate_matches_lsim_zero_order_hold(n, m, p):
    rng = np.random.default_rng(n * 100 + m * 10 + p)
    A, B, C, D = random_stable_system(rng, n, m, p)
    t = np.linspace(0.0, 5.0, 201)
    u = rng.standard_normal((t.size, m))
    x0 = rng.standard_normal(n)
    y, x = StateSpace(A, B, C, D).simulate(t, u, x0)
    _, y_ref, x_ref = lsim((A, B, C, D), u, t, X0=x0, interp=False)
    assert y.shape == (t.size, p) and x.shape == (t.size, n)
    # Both are products of matrix exponentials in float64: agree to ~1e-12.
    np.testing.assert_allclose(x, x_ref.reshape(x.shape), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(y, y_ref.reshape(y.shape), rtol=1e-9, atol=1e-11)


def test_simulate_nonuniform_grid_matches_solve_ivp():
    """Exact ZOH on an irregular grid vs an adaptive ODE solver run interval by interval."""
    rng = np.random.default_rng(7)
    n, m, p = 3, 2, 1
    A, B, C, D = random_stable_system(rng, n, m, p)
    t = np.cumsum(np.r_[0.0, rng.uniform(0.01, 0.4, 40)])
    u = rng.standard_normal((t.size, m))
    x0 = rng.standard_normal(n)
    y, x = StateSpace(A, B, C, D).simulate(t, u, x0)
    xk = x0.copy()
    x_ref = [xk]
    for k in range(t.size - 1):
        sol = solve_ivp(lambda _s, z, uk=u[k]: A @ z + B @ uk, (t[k], t[k + 1]), xk,
                        rtol=1e-11, atol=1e-13, method="DOP853")
        xk = sol.y[:, -1]
        x_ref.append(xk)
    x_ref = np.array(x_ref)
    # solve_ivp runs at rtol 1e-11 for 40 intervals: allow 1e-8.
    np.testing.assert_allclose(x, x_ref, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(y, x_ref @ C.T + u @ D.T, rtol=1e-8, atol=1e-9)


def test_free_response_is_matrix_exponential():
    from scipy.linalg import expm

    A = np.array([[0.0, 1.0], [-4.0, -0.4]])
    sys = StateSpace(A, [0.0, 1.0], [1.0, 0.0])
    t = np.array([0.0, 0.3, 1.1, 2.0])
    x0 = np.array([1.0, -0.5])
    y, x = sys.simulate(t, None, x0)
    for tk, xk in zip(t, x):
        np.testing.assert_allclose(xk, expm(A * tk) @ x0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y[:, 0], x[:, 0], rtol=0, atol=0)


def test_simulate_single_input_1d_and_single_time():
    sys = StateSpace(-np.eye(2), np.ones(2), np.ones(2))
    t = np.linspace(0, 1, 11)
    y1, x1 = sys.simulate(t, np.ones(11))
    y2, x2 = sys.simulate(t, np.ones((11, 1)))
    np.testing.assert_array_equal(x1, x2)
    y, x = sys.simulate([0.0], [2.0], x0=[1.0, 3.0])
    np.testing.assert_array_equal(x, [[1.0, 3.0]])
    np.testing.assert_array_equal(y, [[4.0]])


def test_simulate_bad_input_names_the_argument():
    sys = StateSpace(-np.eye(2), np.ones((2, 2)), np.ones(2))
    t = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="t"):
        sys.simulate(t[::-1], np.zeros((5, 2)))
    with pytest.raises(ValueError, match="t"):
        sys.simulate([0.0, 1.0, 1.0], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="u"):
        sys.simulate(t, np.zeros(5))  # 1-D u needs m=1
    with pytest.raises(ValueError, match="u"):
        sys.simulate(t, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="x0"):
        sys.simulate(t, np.zeros((5, 2)), x0=np.zeros(3))
    with pytest.raises(ValueError, match="u"):
        sys.simulate(t, np.full((5, 2), np.inf))


@pytest.mark.parametrize("n,m,p", [(1, 1, 1), (3, 2, 2), (6, 1, 3)])
def test_discrete_simulate_matches_dlsim(n, m, p):
    rng = np.random.default_rng(10 + n)
    A = rng.standard_normal((n, n))
    A *= 0.9 / np.max(np.abs(np.linalg.eigvals(A)))
    B, C, D = rng.standard_normal((n, m)), rng.standard_normal((p, n)), rng.standard_normal((p, m))
    u = rng.standard_normal((50, m))
    x0 = rng.standard_normal(n)
    dsys = DiscreteStateSpace(A, B, C, D, dt=0.1)
    y, x = dsys.simulate(u, x0)
    _, y_ref, x_ref = dlsim((A, B, C, D, 0.1), u, x0=x0)
    np.testing.assert_allclose(x, x_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    assert dsys.is_stable()
    np.testing.assert_allclose(np.abs(dsys.eigenvalues())[0], 0.9, rtol=1e-12)


def test_discrete_stability_and_bad_u():
    dsys = DiscreteStateSpace([[1.1]], [1.0], [1.0], dt=0.5)
    assert not dsys.is_stable()
    assert dsys.dt == 0.5
    with pytest.raises(ValueError, match="u"):
        dsys.simulate(np.zeros((0, 1)))
    with pytest.raises(ValueError, match="x0"):
        dsys.simulate(np.zeros(4), x0=[1.0, 2.0])


def test_simulate_reports_overflow_instead_of_nan():
    unstable = StateSpace([[1.0]], [[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="overflows float64"):
        unstable.simulate(np.linspace(0.0, 1e6, 3))  # exp(A h) = e^500000
    growing = DiscreteStateSpace([[10.0]], [[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="overflows float64"):
        growing.simulate(np.ones(400), x0=[1.0])  # 10^400
