"""Tests for ssmlib.discretize against scipy.signal.cont2discrete and scipy.linalg.expm."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.signal import cont2discrete

import ssmlib as sl
from ssmlib.discretize import bilinear, canonical_method, discretize, euler, zoh, zoh_diagonal
from ssmlib.mechanics import SpringMassDamper
from ssmlib.statespace import DiscreteStateSpace, StateSpace

SIZES = [(1, 1, 1), (2, 1, 1), (3, 2, 2), (6, 3, 1), (10, 2, 4)]
METHODS = {"zoh": zoh, "bilinear": bilinear, "euler": euler}
# The bar: agreement with cont2discrete to 1e-10 (float64, matrices of norm ~1).
TOL = 1e-10


def random_system(rng, n, m, p):
    A = rng.standard_normal((n, n)) / np.sqrt(n) - 0.5 * np.eye(n)
    return A, rng.standard_normal((n, m)), rng.standard_normal((p, n)), rng.standard_normal((p, m))


def test_exported_at_top_level():
    assert sl.zoh is zoh and sl.bilinear is bilinear and sl.euler is euler
    assert sl.zoh_diagonal is zoh_diagonal
    # ``sl.discretize`` is the module ssmlib.discretize, callable as the function
    assert sl.discretize is sys.modules["ssmlib.discretize"]
    assert sl.discretize.discretize is discretize


def test_import_discretize_as_module_and_call_it():
    import ssmlib.discretize as D

    assert isinstance(D, types.ModuleType) and D.zoh is zoh
    sys_c = StateSpace(-np.eye(2), np.ones(2), np.ones(2))
    for via in (D, sl.discretize, discretize):
        got = via(sys_c, 0.1, "bilinear")
        ref = discretize(sys_c, 0.1, "bilinear")
        assert isinstance(got, DiscreteStateSpace)
        np.testing.assert_array_equal(got.A, ref.A)


# --- one API for matrices and systems ---------------------------------------------------
SMD = SpringMassDamper(m=1.0, c=0.4, k=4.0)


@pytest.mark.parametrize("method", list(METHODS))
def test_system_call_returns_the_discretized_system(method):
    """f(system, dt) == discretize(system, dt, method), for a StateSpace and a SpringMassDamper."""
    f = METHODS[method]
    for system in (SMD, SMD.state_space()):
        for got in (f(system, 0.1), f(system, dt=0.1), f(system=system, dt=0.1)):
            ref = discretize(SMD.state_space(), 0.1, method)
            assert isinstance(got, DiscreteStateSpace) and got.dt == 0.1
            for a, b in ((got.A, ref.A), (got.B, ref.B), (got.C, ref.C), (got.D, ref.D)):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", list(METHODS))
def test_matrix_call_returns_the_pair_of_arrays(method):
    f = METHODS[method]
    A, B = SMD.state_space().A, SMD.state_space().B
    Ad, Bd = f(A, B, 0.1)
    for got in (f(A, B, dt=0.1), f(A=A, B=B, dt=0.1), f(A, B=B, dt=0.1)):
        assert isinstance(got, tuple) and len(got) == 2
        np.testing.assert_array_equal(got[0], Ad)
        np.testing.assert_array_equal(got[1], Bd)
    # the matrices of the system call are the pair of the matrix call
    dsys = f(SMD, 0.1)
    np.testing.assert_array_equal(dsys.A, Ad)
    np.testing.assert_array_equal(dsys.B, Bd)


def test_discretize_accepts_a_spring_mass_damper_and_any_state_space_owner():
    class Owner:  # anything with a state_space() method
        def state_space(self):
            return SMD.state_space()

    ref = discretize(SMD.state_space(), 0.25, "zoh")
    for system in (SMD, Owner()):
        got = discretize(system, 0.25)
        np.testing.assert_array_equal(got.A, ref.A)
        np.testing.assert_array_equal(got.B, ref.B)


# scipy.signal.cont2discrete's own spellings (its source accepts 'tustin' and 'forward_diff').
SCIPY_NAMES = [("zoh", "zoh"), ("bilinear", "bilinear"), ("tustin", "bilinear"),
               ("euler", "euler"), ("forward_diff", "euler")]


@pytest.mark.parametrize("scipy_name,ours", SCIPY_NAMES)
def test_scipy_method_names_any_case_match_cont2discrete(scipy_name, ours):
    rng = np.random.default_rng(21)
    A, B, C, D = random_system(rng, 4, 2, 3)
    ref = cont2discrete((A, B, C, D), 0.3, method=scipy_name)
    for spelling in (scipy_name, scipy_name.upper(), scipy_name.title()):
        assert canonical_method(spelling) == ours
        got = discretize(StateSpace(A, B, C, D), 0.3, spelling)
        for g, r in zip((got.A, got.B, got.C, got.D), ref[:4]):
            np.testing.assert_allclose(g, r, rtol=TOL, atol=TOL)


def test_api_errors_say_which_call_to_use():
    A, B = -np.eye(2), np.ones(2)
    with pytest.raises(TypeError, match=r"zoh\(system, dt\): missing dt"):
        zoh(SMD)
    with pytest.raises(TypeError, match=r"zoh\(A, B, dt\): missing dt.*zoh\(system, dt\)"):
        zoh(A, B)
    with pytest.raises(TypeError, match=r"bilinear\(A, B, dt\): missing B, dt"):
        bilinear(A)
    with pytest.raises(TypeError, match=r"takes 2 arguments.*euler\(A, B, dt\)"):
        euler(SMD, 0.1, 0.2)
    with pytest.raises(TypeError, match="no A or B"):
        zoh(SMD, dt=0.1, B=B)
    with pytest.raises(TypeError, match="unexpected keyword argument 'step'"):
        zoh(A, B, step=0.1)
    with pytest.raises(TypeError, match="multiple values for argument 'dt'"):
        zoh(A, B, 0.1, dt=0.1)
    with pytest.raises(TypeError, match="already discrete"):
        zoh(zoh(SMD, 0.1), 0.1)
    with pytest.raises(TypeError, match="already discrete"):
        discretize(discretize(SMD, 0.1), 0.1)
    with pytest.raises(TypeError, match=r"system.*sl\.StateSpace\(A, B, C, D\)"):
        discretize(A, 0.1)
    with pytest.raises(ValueError, match=r"method.*scipy\.signal\.cont2discrete"):
        discretize(SMD, 0.1, "foh")
    with pytest.raises(TypeError, match="method"):
        discretize(SMD, 0.1, 3)
    with pytest.raises(ValueError, match="dt"):
        zoh(SMD, -0.1)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("n,m,p", SIZES)
def test_matches_cont2discrete(method, n, m, p):
    rng = np.random.default_rng(1000 * n + 10 * m + p)
    A, B, C, D = random_system(rng, n, m, p)
    for dt in (0.01, 0.37, 1.5):
        Ad_ref, Bd_ref, Cd_ref, Dd_ref, _ = cont2discrete((A, B, C, D), dt, method=method)
        Ad, Bd = METHODS[method](A, B, dt)
        np.testing.assert_allclose(Ad, Ad_ref, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(Bd, Bd_ref, rtol=TOL, atol=TOL)
        dsys = discretize(StateSpace(A, B, C, D), dt, method)
        assert dsys.dt == dt
        for got, ref in ((dsys.A, Ad_ref), (dsys.B, Bd_ref), (dsys.C, Cd_ref), (dsys.D, Dd_ref)):
            np.testing.assert_allclose(got, ref, rtol=TOL, atol=TOL)


def test_zoh_closed_form_for_invertible_A():
    """Bd = A^{-1} (e^{A dt} - I) B when A is invertible (oracle: scipy.linalg.expm)."""
    rng = np.random.default_rng(5)
    A, B, _, _ = random_system(rng, 4, 2, 1)
    dt = 0.8
    Ad, Bd = zoh(A, B, dt)
    np.testing.assert_allclose(Ad, expm(A * dt), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Bd, np.linalg.solve(A, (expm(A * dt) - np.eye(4)) @ B),
                               rtol=1e-10, atol=1e-12)


def test_zoh_singular_A_integrator():
    # x' = u: exactly x_{k+1} = x_k + dt u_k.
    Ad, Bd = zoh([[0.0]], [[1.0]], 0.25)
    np.testing.assert_allclose(Ad, [[1.0]])
    np.testing.assert_allclose(Bd, [[0.25]], rtol=1e-15)


def test_vector_B_keeps_its_shape():
    A = np.array([[0.0, 1.0], [-2.0, -0.3]])
    for f in METHODS.values():
        Ad, Bd = f(A, np.array([0.0, 1.0]), 0.1)
        assert Ad.shape == (2, 2) and Bd.shape == (2,)
        _, Bd2 = f(A, np.array([[0.0], [1.0]]), 0.1)
        np.testing.assert_allclose(Bd, Bd2[:, 0], rtol=0, atol=0)


def test_discrete_zoh_simulation_equals_exact_continuous_simulation():
    rng = np.random.default_rng(9)
    A, B, C, D = random_system(rng, 3, 1, 2)
    dt, L = 0.2, 60
    t = dt * np.arange(L)
    u = rng.standard_normal((L, 1))
    x0 = rng.standard_normal(3)
    y_c, x_c = StateSpace(A, B, C, D).simulate(t, u, x0)
    y_d, x_d = discretize(StateSpace(A, B, C, D), dt, "zoh").simulate(u, x0)
    np.testing.assert_allclose(x_d, x_c, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y_d, y_c, rtol=1e-10, atol=1e-12)


def test_bilinear_and_euler_converge_to_zoh_with_the_expected_order():
    """Local error of Ad: O(dt^2) for Euler, O(dt^3) for bilinear."""
    rng = np.random.default_rng(11)
    A, B, _, _ = random_system(rng, 3, 1, 1)
    errs = {"bilinear": [], "euler": []}
    dts = [0.1, 0.05]
    for dt in dts:
        Ad_exact, _ = zoh(A, B, dt)
        for name in errs:
            Ad, _ = METHODS[name](A, B, dt)
            errs[name].append(np.linalg.norm(Ad - Ad_exact))
    assert 3.5 < errs["euler"][0] / errs["euler"][1] < 4.5  # 2^2
    assert 7.0 < errs["bilinear"][0] / errs["bilinear"][1] < 9.0  # 2^3


def test_zoh_diagonal_matches_dense_zoh():
    rng = np.random.default_rng(12)
    n = 8
    lam = -rng.uniform(0.1, 2.0, n) + 1j * rng.uniform(-3, 3, n)
    for B in (rng.standard_normal(n) + 1j * rng.standard_normal(n),
              rng.standard_normal((n, 3))):
        for dt in (0.01, 0.5, 2.0):
            lam_bar, B_bar = zoh_diagonal(lam, B, dt)
            Ad, Bd = zoh(np.diag(lam), B, dt)
            np.testing.assert_allclose(lam_bar, np.diag(Ad), rtol=1e-12)
            np.testing.assert_allclose(B_bar, Bd, rtol=1e-10, atol=1e-12)
            expected = ((np.exp(lam * dt) - 1) / lam)
            expected = expected[:, None] * B if B.ndim == 2 else expected * B
            np.testing.assert_allclose(B_bar, expected, rtol=1e-10)


def test_zoh_diagonal_zero_and_tiny_eigenvalues():
    lam = np.array([0.0, 1e-14, -1e-14j, -1.0])
    B = np.ones(4)
    dt = 0.3
    lam_bar, B_bar = zoh_diagonal(lam, B, dt)
    np.testing.assert_allclose(lam_bar[0], 1.0)
    # (e^{lam dt}-1)/lam -> dt as lam -> 0; the naive formula loses ~all digits at 1e-14.
    np.testing.assert_allclose(B_bar[:3], dt, rtol=1e-12)
    np.testing.assert_allclose(B_bar[3], (np.exp(-dt) - 1) / -1.0, rtol=1e-14)


def test_bad_input_names_the_argument():
    A, B = -np.eye(2), np.ones(2)
    for f in (zoh, bilinear, euler):
        for bad in (0.0, -0.1, float("nan"), float("inf")):
            with pytest.raises(ValueError, match="dt"):
                f(A, B, bad)
        with pytest.raises(ValueError, match="A"):
            f(np.ones((2, 3)), B, 0.1)
        with pytest.raises(ValueError, match="B"):
            f(A, np.ones(3), 0.1)
        with pytest.raises(ValueError, match="A"):
            f([[np.inf, 0], [0, 1]], B, 0.1)
    sys = StateSpace(A, B, np.ones(2))
    with pytest.raises(ValueError, match="dt"):
        discretize(sys, 0.0)
    with pytest.raises(ValueError, match="method"):
        discretize(sys, 0.1, "rk4")
    with pytest.raises(TypeError, match=r"system.*sl\.zoh\(A, B, dt\)"):
        discretize((A, B), 0.1)
    with pytest.raises(ValueError, match="A"):
        bilinear(np.eye(1) * 2.0, [1.0], 1.0)  # I - dt/2 A singular
    with pytest.raises(ValueError, match="dt"):
        zoh_diagonal([-1.0], [1.0], -1.0)
    with pytest.raises(ValueError, match="B"):
        zoh_diagonal([-1.0, -2.0], [1.0], 0.1)
