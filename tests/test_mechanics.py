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


# -- sampled eigenvalue, LRU channel and the inverse map (chapters 3, 7, 9) ---------------
from scipy.signal import cont2discrete  # noqa: E402

from ssmlib.mechanics import damping_to_eigenvalue, eigenvalue_to_damping  # noqa: E402

CHANNEL_CASES = [  # (m, c, k, dt)
    (1.0, 0.3, 4.0, 0.1),     # the book's carried damper
    (1.5, 0.4, 6.0, 0.05),
    (2.0, 8.0, 8.0, 0.2),     # critically damped
    (1.0, 5.0, 1.0, 0.3),     # overdamped
    (0.5, 0.0, 3.0, 0.1),     # undamped
    (1.0, -0.3, 2.0, 0.1),    # negative damping
]


@pytest.mark.parametrize("m,c,k,dt", CHANNEL_CASES)
def test_lru_channel_matches_scipy_zoh_eigenvalues(m, c, k, dt):
    """lambda is an eigenvalue of scipy's ZOH matrix expm(A dt); nu, theta its log-polar form."""
    smd = SpringMassDamper(m, c, k)
    ss = smd.state_space()
    Abar = cont2discrete((ss.A, ss.B, ss.C, ss.D), dt, method="zoh")[0]
    ref = np.linalg.eigvals(Abar)
    lam, nu, theta = smd.lru_channel(dt)
    assert isinstance(lam, complex) and isinstance(nu, float) and isinstance(theta, float)
    # expm and eig in float64: ~1e-15 relative; the double root of the critical case is
    # split by eig to ~sqrt(eps) ~ 1e-8.
    tol = 1e-7 if smd.regime == "critically damped" else 1e-12
    assert np.min(np.abs(ref - lam)) <= tol
    assert nu == pytest.approx(-math.log(abs(lam)), rel=1e-12, abs=1e-15)
    assert theta == pytest.approx(np.angle(lam), abs=1e-15)
    if smd.regime in ("underdamped", "undamped", "unstable") and smd.damping_ratio ** 2 < 1:
        zeta, wn = smd.damping_ratio, smd.natural_frequency
        assert nu == pytest.approx(zeta * wn * dt, rel=1e-12, abs=1e-15)
        assert nu == pytest.approx(c * dt / (2 * m), rel=1e-12, abs=1e-15)
        assert theta == pytest.approx(wn * math.sqrt(1 - zeta**2) * dt, rel=1e-12)
    else:
        assert theta == 0.0


def test_lru_channel_closed_form_sympy():
    """nu = zeta w_n dt and theta = w_n sqrt(1 - zeta^2) dt, derived with sympy from s_+."""
    m, c, k, dt = sp.symbols("m c k Delta", positive=True)
    s_plus = (-c + sp.I * sp.sqrt(4 * m * k - c**2)) / (2 * m)  # underdamped root, Im > 0
    zeta = c / (2 * sp.sqrt(m * k))
    wn = sp.sqrt(k / m)
    nu = -sp.re(sp.expand(s_plus * dt))
    theta = sp.im(sp.expand(s_plus * dt))
    vals = {m: sp.Rational(3, 2), c: sp.Rational(2, 5), k: 6, dt: sp.Rational(1, 20)}
    assert sp.simplify((nu - zeta * wn * dt).subs(vals)) == 0
    assert sp.simplify((theta - wn * sp.sqrt(1 - zeta**2) * dt).subs(vals)) == 0
    lam, nu_num, theta_num = SpringMassDamper(1.5, 0.4, 6.0).lru_channel(0.05)
    assert nu_num == pytest.approx(float(nu.subs(vals)), rel=1e-14)
    assert theta_num == pytest.approx(float(theta.subs(vals)), rel=1e-14)
    assert lam == pytest.approx(complex(sp.exp(s_plus * dt).subs(vals).evalf(30)), rel=1e-14)


def test_lru_channel_aliasing_above_nyquist():
    smd = SpringMassDamper(1.0, 0.1, 100.0)  # omega_d ~ 10 rad/s
    lam, nu, theta = smd.lru_channel(0.5)    # omega_d dt ~ 5 > pi: aliased
    wd = math.sqrt(100.0 - 0.05**2)
    assert -math.pi < theta <= math.pi
    assert theta == pytest.approx(wd * 0.5 - 2 * math.pi, rel=1e-12)


@pytest.mark.parametrize("m,c,k,dt", [case for case in CHANNEL_CASES if case[1] ** 2 < 4 * case[0] * case[2]])
def test_from_eigenvalue_inverts_lru_channel(m, c, k, dt):
    lam, _, _ = SpringMassDamper(m, c, k).lru_channel(dt)
    for z in (lam, lam.conjugate()):
        back = SpringMassDamper.from_eigenvalue(z, dt, m=m)
        # float64 log/exp round trip: ~1e-15 relative in s, amplified by 1/dt and m.
        assert back.c == pytest.approx(c, rel=1e-10, abs=1e-12)
        assert back.k == pytest.approx(k, rel=1e-10)
        assert back.m == m
        np.testing.assert_allclose(back.lru_channel(dt)[0], lam, rtol=1e-13)


def test_from_eigenvalue_real_and_unit_eigenvalues():
    # A real positive lambda: the critically damped system with the double root log(lam)/dt.
    back = SpringMassDamper.from_eigenvalue(0.8, 0.1, m=2.0)
    assert back.regime == "critically damped"
    np.testing.assert_allclose(back.eigenvalues(), [math.log(0.8) / 0.1] * 2, rtol=1e-7)
    # lambda = 1: no spring, no damper.
    free = SpringMassDamper.from_eigenvalue(1.0, 0.1)
    assert free.c == 0.0 and free.k == 0.0
    # |lambda| > 1: negative damping.
    assert SpringMassDamper.from_eigenvalue(1.01 * np.exp(0.3j), 0.1).regime == "unstable"
    # lambda < 0: theta = pi, oscillation at the Nyquist frequency pi / dt.
    nyq = SpringMassDamper.from_eigenvalue(-0.9, 0.1)
    assert nyq.lru_channel(0.1)[2] == pytest.approx(math.pi, rel=1e-12)


def test_damping_to_eigenvalue_matches_closed_forms():
    zeta = np.array([0.0, 0.075, 0.5, 0.99, 1.0, 1.5, 40.0, -0.2, -3.0])
    wn, dt = 2.0, 0.1
    lam = damping_to_eigenvalue(zeta, wn, dt)
    assert lam.dtype == np.complex128 and lam.shape == zeta.shape
    for z, l in zip(zeta, lam):
        smd = SpringMassDamper(1.0, 2 * z * wn, wn**2)  # m = 1: c = 2 zeta w_n, k = w_n^2
        # Independent oracle: the largest-real-part / positive-imaginary eigenvalue of expm(A dt).
        from scipy.linalg import expm
        ev = np.linalg.eigvals(expm(smd.state_space().A * dt))
        tol = 1e-7 if abs(abs(z) - 1) < 1e-12 else 1e-12  # eig splits a double root by ~sqrt(eps)
        assert np.min(np.abs(ev - l)) <= tol * max(1.0, abs(l))
        if abs(z) < 1:
            assert l.imag > 0 or z == 0 and l.imag > 0
            assert -math.log(abs(l)) == pytest.approx(z * wn * dt, rel=1e-12, abs=1e-15)
        else:
            assert l.imag == 0.0
            assert abs(l) == pytest.approx(np.max(np.abs(ev)), rel=1e-7)  # the slower mode
    # Scalars in, complex scalar out; broadcasting.
    assert isinstance(damping_to_eigenvalue(0.5, 1.0, 0.1), complex)
    assert damping_to_eigenvalue([0.1, 0.2], [[1.0], [2.0], [3.0]], 0.1).shape == (3, 2)
    assert damping_to_eigenvalue(0.3, 0.0, 0.1) == 1.0


def test_eigenvalue_to_damping_round_trip():
    rng = np.random.default_rng(0)
    zeta = rng.uniform(0.0, 1.0, 200)
    wn = rng.uniform(0.01, 30.0, 200)
    dt = 0.1
    keep = wn * np.sqrt(1 - zeta**2) * dt < math.pi  # below Nyquist: no aliasing
    lam = damping_to_eigenvalue(zeta[keep], wn[keep], dt)
    z_back, w_back = eigenvalue_to_damping(lam, dt)
    # float64 exp/log round trip: ~1e-15 relative in s; zeta near 0 and 1 lose a few digits.
    np.testing.assert_allclose(z_back, zeta[keep], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(w_back, wn[keep], rtol=1e-12)
    # lambda and its conjugate give the same pair; the LRU form: zeta = nu / sqrt(nu^2 + theta^2).
    nu, theta = 0.02, 0.3
    lam1 = np.exp(-nu + 1j * theta)
    for z in (lam1, np.conj(lam1)):
        zz, ww = eigenvalue_to_damping(z, 0.5)
        assert zz == pytest.approx(nu / math.hypot(nu, theta), rel=1e-13)
        assert ww == pytest.approx(math.hypot(nu, theta) / 0.5, rel=1e-13)
    assert eigenvalue_to_damping(1.0, 0.1) == (0.0, 0.0)


def test_channel_bad_input_names_the_argument():
    smd = SpringMassDamper(1.0, 0.3, 4.0)
    for bad in (0.0, -0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="dt"):
            smd.lru_channel(bad)
        with pytest.raises(ValueError, match="dt"):
            SpringMassDamper.from_eigenvalue(0.9, bad)
        with pytest.raises(ValueError, match="dt"):
            damping_to_eigenvalue(0.1, 1.0, bad)
        with pytest.raises(ValueError, match="dt"):
            eigenvalue_to_damping(0.9, bad)
    with pytest.raises(TypeError, match="dt"):
        smd.lru_channel("0.1")
    with pytest.raises(ValueError, match="dt"):
        SpringMassDamper(1.0, 100.0, 1e6).lru_channel(1e3)  # exp(-5e4) underflows to 0
    with pytest.raises(ValueError, match="lam"):
        SpringMassDamper.from_eigenvalue(0.0, 0.1)
    with pytest.raises(ValueError, match="lam"):
        SpringMassDamper.from_eigenvalue([0.9, 0.8], 0.1)
    with pytest.raises(TypeError, match="lam"):
        SpringMassDamper.from_eigenvalue("0.9", 0.1)
    with pytest.raises(ValueError, match="m"):
        SpringMassDamper.from_eigenvalue(0.9, 0.1, m=0.0)
    with pytest.raises(ValueError, match="lam"):
        eigenvalue_to_damping([0.9, 0.0], 0.1)
    with pytest.raises(ValueError, match="lam"):
        eigenvalue_to_damping([0.9, np.nan], 0.1)
    with pytest.raises(ValueError, match="omega_n"):
        damping_to_eigenvalue(0.1, -1.0, 0.1)
    with pytest.raises(TypeError, match="zeta"):
        damping_to_eigenvalue(0.1 + 0.2j, 1.0, 0.1)
    with pytest.raises(ValueError, match="zeta"):
        damping_to_eigenvalue([0.1, 0.2], [1.0, 2.0, 3.0], 0.1)
