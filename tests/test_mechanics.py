"""Tests for ssmlib.mechanics.SpringMassDamper.

Oracles: sympy (companion matrix, characteristic polynomial, closed-form roots),
numpy.linalg.eig, scipy.integrate.solve_ivp on the second-order ODE, energy balance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

import ssmlib as sl
from ssmlib.mechanics import REGIMES, SpringMassDamper

CASES = [  # (m, c, k, regime)
    (1.0, 0.5, 4.0, "underdamped"),
    (2.0, 8.0, 8.0, "critically damped"),  # c = 2 sqrt(mk) = 8
    (1.0, 5.0, 1.0, "overdamped"),
    (0.5, 0.0, 3.0, "undamped"),
    (1.0, -0.3, 2.0, "unstable"),
]


def test_exported_at_top_level():
    assert sl.SpringMassDamper is SpringMassDamper


def test_state_space_matches_sympy_derivation():
    """Derive A, B from m x'' + c x' + k x = f with sympy and compare."""
    m, c, k, t = sp.symbols("m c k t", positive=True)
    x = sp.Function("x")(t)
    f = sp.Function("f")(t)
    ode = sp.Eq(m * x.diff(t, 2) + c * x.diff(t) + k * x, f)
    xdd = sp.solve(ode, x.diff(t, 2))[0]
    x1, x2, F = sp.symbols("x1 x2 F")
    rhs = sp.Matrix([x2, xdd.subs({x.diff(t): x2, x: x1, f: F})])
    A_sym = rhs.jacobian([x1, x2])
    B_sym = rhs.jacobian([F])
    vals = {m: 1.7, c: 0.4, k: 3.1}
    smd = SpringMassDamper(1.7, 0.4, 3.1).state_space()
    np.testing.assert_allclose(smd.A, np.array(A_sym.subs(vals), dtype=float), rtol=1e-15)
    np.testing.assert_allclose(smd.B, np.array(B_sym.subs(vals), dtype=float), rtol=1e-15)
    np.testing.assert_array_equal(smd.C, [[1.0, 0.0]])
    np.testing.assert_array_equal(smd.D, [[0.0]])


def test_characteristic_polynomial_and_roots_match_sympy():
    m, c, k, lam = sp.symbols("m c k lambda")
    A = sp.Matrix([[0, 1], [-k / m, -c / m]])
    charpoly = sp.simplify(A.charpoly(lam).as_expr() * m)
    assert sp.expand(charpoly - (m * lam**2 + c * lam + k)) == 0
    roots = sp.solve(m * lam**2 + c * lam + k, lam)
    for mv, cv, kv, _ in CASES + [(3.0, 1e4, 1e-3, "overdamped")]:
        # Exact rationals (the binary values of the floats), evaluated to 30 digits.
        expected = sorted((complex(r.subs({m: sp.Rational(mv), c: sp.Rational(cv), k: sp.Rational(kv)}).evalf(30)) for r in roots),
                          key=lambda z: (z.real, z.imag), reverse=True)
        got = SpringMassDamper(mv, cv, kv).eigenvalues()
        # float64 closed form: ~1e-15 relative per root (the stable variant avoids
        # cancellation in the tiny root of the stiff overdamped case).
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("m,c,k,regime", CASES)
def test_eigenvalues_match_numpy_eig(m, c, k, regime):
    smd = SpringMassDamper(m, c, k)
    got = np.sort_complex(smd.eigenvalues())
    ref = np.sort_complex(np.linalg.eig(smd.state_space().A)[0])
    tol = 1e-6 if regime == "critically damped" else 1e-12  # a double root: eig is ~sqrt(eps)
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    assert smd.regime == regime
    assert regime in REGIMES


def test_damping_ratio_and_natural_frequency():
    smd = SpringMassDamper(2.0, 3.0, 8.0)
    assert smd.natural_frequency == pytest.approx(2.0, rel=1e-15)
    assert smd.damping_ratio == pytest.approx(3.0 / (2 * 4.0), rel=1e-15)
    lam = smd.eigenvalues()
    # Underdamped: lambda = -zeta w_n +- i w_n sqrt(1 - zeta^2).
    zeta, wn = smd.damping_ratio, smd.natural_frequency
    np.testing.assert_allclose(lam[0], -zeta * wn + 1j * wn * math.sqrt(1 - zeta**2), rtol=1e-14)
    # No spring: the ratio is infinite and one eigenvalue sits at 0.
    free = SpringMassDamper(1.0, 2.0, 0.0)
    assert free.damping_ratio == math.inf and free.regime == "overdamped"
    np.testing.assert_allclose(free.eigenvalues(), [0.0, -2.0], atol=0)
    np.testing.assert_allclose(SpringMassDamper(1.0, 0.0, 0.0).eigenvalues(), [0, 0], atol=0)


def test_critical_tolerance():
    m, k = 0.3, 0.7
    c_crit = 2 * math.sqrt(m * k)  # rounded: zeta is 1 within a few ulps
    assert SpringMassDamper(m, c_crit, k).regime == "critically damped"
    assert SpringMassDamper(m, c_crit * (1 + 1e-6), k).regime == "overdamped"
    assert SpringMassDamper(m, c_crit * (1 - 1e-6), k).regime == "underdamped"


def test_simulate_matches_solve_ivp_forced():
    smd = SpringMassDamper(1.3, 0.6, 5.0)
    t = np.linspace(0, 8, 801)
    # A force that is constant between samples, so the ZOH solution is exact: a square wave
    # switching on sample boundaries.
    f_samples = np.where((np.arange(t.size) // 100) % 2 == 0, 1.0, -0.5)
    x = smd.simulate(t, f_samples, x0=(0.2, -1.0))
    xk, ref = np.array([0.2, -1.0]), [np.array([0.2, -1.0])]
    for i in range(t.size - 1):
        fi = f_samples[i]
        sol = solve_ivp(lambda _s, z: [z[1], (fi - 0.6 * z[1] - 5.0 * z[0]) / 1.3],
                        (t[i], t[i + 1]), xk, rtol=1e-11, atol=1e-13, method="DOP853")
        xk = sol.y[:, -1]
        ref.append(xk)
    np.testing.assert_allclose(x, np.array(ref), rtol=1e-8, atol=1e-9)
    # A callable force gives the same result as its samples.
    x_callable = smd.simulate(t, lambda tt: np.interp(tt, t, f_samples), x0=(0.2, -1.0))
    np.testing.assert_allclose(x_callable, x, rtol=0, atol=1e-14)


def test_free_response_closed_form_underdamped():
    m, c, k = 1.0, 0.4, 9.0
    smd = SpringMassDamper(m, c, k)
    t = np.linspace(0, 10, 300)
    x = smd.simulate(t)  # x0 = (1, 0)
    sigma = c / (2 * m)
    wd = math.sqrt(k / m - sigma**2)
    expected = np.exp(-sigma * t) * (np.cos(wd * t) + sigma / wd * np.sin(wd * t))
    np.testing.assert_allclose(x[:, 0], expected, rtol=1e-10, atol=1e-12)


def test_energy_conserved_without_damping():
    smd = SpringMassDamper(0.8, 0.0, 2.5)
    t = np.linspace(0, 30, 1500)
    x = smd.simulate(t, x0=(0.7, 0.3))
    E = smd.energy(x)
    assert E.shape == (t.size,)
    E0 = 0.5 * 0.8 * 0.3**2 + 0.5 * 2.5 * 0.7**2
    np.testing.assert_allclose(E, E0, rtol=1e-10)


def test_energy_decays_monotonically_with_damping():
    smd = SpringMassDamper(1.0, 0.3, 4.0)
    t = np.linspace(0, 20, 2000)
    E = smd.energy(smd.simulate(t, x0=(1.0, 0.5)))
    assert np.all(np.diff(E) <= 1e-15 * E[0])  # dE/dt = -c v^2 <= 0
    assert E[-1] < 0.05 * E[0]
    # Negative damping pumps energy in.
    bad = SpringMassDamper(1.0, -0.3, 4.0)
    Eb = bad.energy(bad.simulate(t, x0=(1.0, 0.5)))
    assert np.all(np.diff(Eb) >= -1e-15 * Eb[0]) and Eb[-1] > 10 * Eb[0]


def test_energy_shapes():
    smd = SpringMassDamper(2.0, 0.1, 3.0)
    assert smd.energy([1.0, 2.0]) == pytest.approx(0.5 * 2 * 4 + 0.5 * 3 * 1)
    assert isinstance(smd.energy([1.0, 2.0]), float)
    states = np.random.default_rng(0).standard_normal((4, 5, 2))
    assert smd.energy(states).shape == (4, 5)
    with pytest.raises(ValueError, match="state"):
        smd.energy(np.ones((3, 3)))


def test_bad_parameters_name_the_argument():
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="m"):
            SpringMassDamper(bad, 1.0, 1.0)
    with pytest.raises(ValueError, match="k"):
        SpringMassDamper(1.0, 1.0, -0.1)
    with pytest.raises(ValueError, match="k"):
        SpringMassDamper(1.0, 1.0, float("inf"))
    with pytest.raises(ValueError, match="c"):
        SpringMassDamper(1.0, float("nan"), 1.0)
    with pytest.raises(TypeError, match="c"):
        SpringMassDamper(1.0, "1", 1.0)
    smd = SpringMassDamper(1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="f"):
        smd.simulate(np.linspace(0, 1, 5), np.ones(4))
    with pytest.raises(ValueError, match="x0"):
        smd.simulate(np.linspace(0, 1, 5), x0=(1.0, 0.0, 0.0))
