"""Tests for ssmlib.koopman: exact DMD, EDMD and the slow-manifold example."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from ssmlib.koopman import (
    SlowManifoldSystem,
    dmd,
    edmd,
    monomial_dictionary,
    polynomial_dictionary,
    slow_manifold_system,
)


def _random_stable(n, rng):
    A = rng.standard_normal((n, n))
    return 0.9 * A / np.max(np.abs(np.linalg.eigvals(A)))


def _sorted(z):
    z = np.asarray(z, dtype=complex)
    return z[np.lexsort((z.imag, z.real))]


# -- DMD ------------------------------------------------------------------------
def test_dmd_recovers_linear_operator_from_random_snapshots():
    rng = np.random.default_rng(0)
    n, m = 6, 40
    A = _random_stable(n, rng)
    X = rng.standard_normal((n, m))
    res = dmd(X, A @ X)
    # well-conditioned random X (cond ~ 3): float64 error ~ 1e-15, allow 1e-10
    np.testing.assert_allclose(res.A, A, atol=1e-10)
    assert res.rank == n
    # eigenvalues vs numpy.linalg.eig of the true A
    np.testing.assert_allclose(_sorted(res.eigenvalues), _sorted(np.linalg.eigvals(A)), atol=1e-10)
    # exact modes are eigenvectors of A with unit norm
    for lam, phi in zip(res.eigenvalues, res.modes.T):
        np.testing.assert_allclose(A @ phi, lam * phi, atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(res.modes, axis=0), 1.0, rtol=1e-12)
    # A_tilde is A in the POD basis
    np.testing.assert_allclose(res.A_tilde, res.U_r.conj().T @ A @ res.U_r, atol=1e-10)


def test_dmd_from_a_single_trajectory_and_prediction():
    rng = np.random.default_rng(1)
    n, L = 4, 30
    A = _random_stable(n, rng)
    traj = np.empty((n, L))
    traj[:, 0] = rng.standard_normal(n)
    for k in range(L - 1):
        traj[:, k + 1] = A @ traj[:, k]
    res = dmd(traj[:, :-1], traj[:, 1:])
    # a Krylov sequence is less well conditioned than random snapshots: 1e-8
    np.testing.assert_allclose(res.A, A, atol=1e-8)
    pred = res.predict(traj[:, 0], L - 1)
    assert pred.shape == (L, n)
    np.testing.assert_allclose(pred.T, traj, atol=1e-7)
    np.testing.assert_allclose(
        res.continuous_eigenvalues(0.5), np.log(res.eigenvalues.astype(complex)) / 0.5
    )


def test_dmd_rank_truncation():
    rng = np.random.default_rng(2)
    n, m, r = 20, 50, 3
    # dynamics confined to a 3-dimensional subspace spanned by Q
    Q, _ = np.linalg.qr(rng.standard_normal((n, r)))
    A_r = _random_stable(r, rng)
    Z = rng.standard_normal((r, m))
    X, Y = Q @ Z, Q @ (A_r @ Z)
    res = dmd(X, Y)
    assert res.rank == r  # numerical rank detected
    res3 = dmd(X, Y, rank=3)
    assert res3.A_tilde.shape == (3, 3) and res3.modes.shape == (n, 3)
    np.testing.assert_allclose(_sorted(res3.eigenvalues), _sorted(np.linalg.eigvals(A_r)), atol=1e-10)
    np.testing.assert_allclose(res3.A, Q @ A_r @ Q.T, atol=1e-10)
    # rank-1 truncation keeps only one eigenvalue and cannot reproduce Y
    res1 = dmd(X, Y, rank=1)
    assert res1.eigenvalues.shape == (1,)
    assert np.linalg.norm(res1.A @ X - Y) > 1e-3 * np.linalg.norm(Y)


def test_dmd_complex_data():
    rng = np.random.default_rng(3)
    n = 4
    A = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    X = rng.standard_normal((n, 12)) + 1j * rng.standard_normal((n, 12))
    res = dmd(X, A @ X)
    np.testing.assert_allclose(res.A, A, atol=1e-10)
    np.testing.assert_allclose(_sorted(res.eigenvalues), _sorted(np.linalg.eigvals(A)), atol=1e-10)


@pytest.mark.parametrize(
    "X, Y, kwargs, exc, match",
    [
        (np.ones((3, 4)), np.ones((3, 5)), {}, ValueError, "X and Y"),
        (np.ones(3), np.ones(3), {}, ValueError, "X"),
        (np.ones((3, 4)), np.ones((3, 4)), {"rank": 4}, ValueError, "rank"),
        (np.ones((3, 4)), np.ones((3, 4)), {"rank": 0}, ValueError, "rank"),
        (np.ones((3, 4)), np.ones((3, 4)), {"rank": 1.5}, TypeError, "rank"),
        (np.zeros((3, 4)), np.ones((3, 4)), {}, ValueError, "X"),
        (np.full((3, 4), np.nan), np.ones((3, 4)), {}, ValueError, "X"),
    ],
)
def test_dmd_errors(X, Y, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        dmd(X, Y, **kwargs)


# -- the slow-manifold system ---------------------------------------------------
@pytest.mark.parametrize("mu, lam", [(-0.1, -1.0), (-0.5, -1.0), (0.2, -2.0)])
def test_flow_matches_solve_ivp(mu, lam):
    # (-0.5, -1.0) is the resonant case lam = 2 mu
    system = SlowManifoldSystem(mu, lam)
    x0 = np.array([0.8, -0.3])
    t = np.linspace(0, 3, 7)
    sol = solve_ivp(lambda _t, x: system.vector_field(x), (0, 3), x0, t_eval=t,
                    rtol=1e-12, atol=1e-12, method="DOP853")
    np.testing.assert_allclose(system.flow(x0, t), sol.y.T, atol=1e-9)  # ODE tolerance 1e-12


def test_flow_shapes_and_batch():
    system = slow_manifold_system(-0.1, -1.0)
    X = np.random.default_rng(0).uniform(-1, 1, (5, 2))
    assert system.flow(X, 0.3).shape == (5, 2)
    assert system.flow(X, np.array([0.0, 0.1, 0.2])).shape == (3, 5, 2)
    np.testing.assert_allclose(system.flow(X, 0.0), X)
    # semigroup property phi^{s+t} = phi^s o phi^t
    np.testing.assert_allclose(system.flow(system.flow(X, 0.2), 0.5), system.flow(X, 0.7), atol=1e-14)


def test_koopman_embedding_is_exact():
    system = slow_manifold_system(-0.3, -2.0)
    X = np.random.default_rng(1).uniform(-1, 1, (10, 2))
    dt = 0.25
    lifted_next = system.lift(system.flow(X, dt))
    np.testing.assert_allclose(lifted_next, system.lift(X) @ system.koopman_matrix(dt).T, atol=1e-14)
    # the generator's eigenvalues are (mu, lam, 2 mu)
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(system.generator).real),
                               np.sort([-0.3, -2.0, -0.6]))
    np.testing.assert_allclose(system.eigenvalues, [-0.3, -2.0, -0.6])
    # d/dt lift(x) = L lift(x) against the vector field (chain rule)
    x = X[0]
    f = system.vector_field(x)
    dlift = np.array([f[0], f[1], 2 * x[0] * f[0]])
    np.testing.assert_allclose(dlift, system.generator @ system.lift(x), atol=1e-14)


def test_system_errors():
    with pytest.raises(ValueError, match="mu"):
        SlowManifoldSystem(np.inf, -1.0)
    with pytest.raises(ValueError, match="x0"):
        slow_manifold_system().flow(np.ones(3), 0.1)
    with pytest.raises(ValueError, match="dt"):
        slow_manifold_system().koopman_matrix(0.0)


# -- dictionaries ---------------------------------------------------------------
def test_polynomial_dictionary_against_explicit_monomials():
    d = polynomial_dictionary(2)
    assert d.names == ["1", "x1", "x2", "x1^2", "x1 x2", "x2^2"]
    X = np.random.default_rng(0).standard_normal((7, 2))
    x1, x2 = X.T
    expected = np.stack([np.ones(7), x1, x2, x1**2, x1 * x2, x2**2], axis=1)
    np.testing.assert_allclose(d(X), expected, rtol=1e-15)
    assert len(polynomial_dictionary(3)) == 10  # C(2 + 3, 3)
    assert len(polynomial_dictionary(3, 3, constant=False)) == 19  # C(6, 3) - 1
    with pytest.raises(ValueError, match="degree"):
        polynomial_dictionary(0)
    with pytest.raises(ValueError, match="X"):
        d(np.ones((4, 3)))
    with pytest.raises(ValueError, match="exponents"):
        monomial_dictionary([(1, -1)])


# -- EDMD -----------------------------------------------------------------------
@pytest.mark.parametrize("mu, lam", [(-0.1, -1.0), (-0.05, -2.0), (0.1, -0.5)])
def test_edmd_with_koopman_dictionary_recovers_eigenvalues(mu, lam):
    system = slow_manifold_system(mu, lam)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2))
    dt = 0.1
    Y = system.flow(X, dt)
    res = edmd(X, Y, monomial_dictionary([(1, 0), (0, 1), (2, 0)]))
    ct = res.continuous_eigenvalues(dt)
    # exact data in an invariant subspace: float64 roundoff only (1e-10 after log/dt)
    np.testing.assert_allclose(np.sort(ct.real), np.sort([mu, lam, 2 * mu]), atol=1e-10)
    np.testing.assert_allclose(ct.imag, 0, atol=1e-10)
    # K (row convention) is the transpose of expm(L dt)
    np.testing.assert_allclose(res.K, expm(system.generator * dt).T, atol=1e-12)
    assert res.residual < 1e-12
    # eigenfunctions evolve by their eigenvalue: phi(F(x)) = lambda phi(x)
    np.testing.assert_allclose(res.eigenfunctions(Y), res.eigenfunctions(X) * res.eigenvalues,
                               atol=1e-12)
    # prediction on a fresh initial condition follows the exact flow
    x0 = np.array([0.9, -0.4])
    pred = res.predict(x0, 50)
    np.testing.assert_allclose(pred, system.flow(x0, dt * np.arange(51)), atol=1e-10)


def test_edmd_linear_dictionary_misses_the_nonlinearity():
    mu, lam, dt = -0.1, -1.0, 0.1
    system = slow_manifold_system(mu, lam)
    X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    Y = system.flow(X, dt)
    res = edmd(X, Y, polynomial_dictionary(1, constant=False))
    ct = np.sort(res.continuous_eigenvalues(dt).real)
    # it finds mu (x1 is an eigenfunction) but not lam: error of order |lam| * 0.04
    assert np.min(np.abs(ct - mu)) < 1e-10
    assert np.min(np.abs(ct - lam)) > 1e-2
    assert res.residual > 1e-2
    # and DMD on the same data is the same fit (EDMD with the identity dictionary)
    res_dmd = dmd(X.T, Y.T)
    np.testing.assert_allclose(res_dmd.A, res.K.T, atol=1e-12)


def test_edmd_larger_dictionary_contains_the_invariant_subspace():
    mu, lam, dt = -0.1, -1.0, 0.1
    system = slow_manifold_system(mu, lam)
    X = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    res = edmd(X, system.flow(X, dt), polynomial_dictionary(3))
    ct = res.continuous_eigenvalues(dt).real
    # span{1, x1, x2, x1^2} is invariant and inside the dictionary: its eigenvalues are exact
    for target in (0.0, mu, lam, 2 * mu):
        assert np.min(np.abs(ct - target)) < 1e-9


def test_edmd_errors():
    X = np.ones((5, 2))
    with pytest.raises(ValueError, match="X and Y"):
        edmd(X, np.ones((4, 2)), polynomial_dictionary(1))
    with pytest.raises(TypeError, match="dictionary"):
        edmd(X, X, "poly")
    with pytest.raises(ValueError, match="dictionary"):
        edmd(X, X, lambda s: np.ones((3, 2)))
    with pytest.raises(ValueError, match="x0"):
        edmd(X, X, polynomial_dictionary(1)).predict(np.ones(3), 2)


def test_polynomial_dictionary_sizes_are_fast_or_refused():
    """The monomials are enumerated directly (no (d+1)^n product): 20 variables, degree 3
    give C(23, 3) = 1771 features at once; sizes past the cap are refused with the size."""
    import math
    import time

    from ssmlib.koopman import polynomial_dictionary

    t0 = time.perf_counter()
    d = polynomial_dictionary(3, 20)
    assert len(d.names) == math.comb(23, 3) and time.perf_counter() - t0 < 1.0
    assert polynomial_dictionary(2, 2).names == ["1", "x1", "x2", "x1^2", "x1 x2", "x2^2"]
    with pytest.raises(ValueError, match="125970 monomials"):
        polynomial_dictionary(12, 8)
