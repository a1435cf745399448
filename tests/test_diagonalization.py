"""Tests for ssmlib.diagonalization: diagonal forms, HiPPO-LegS, PTD."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.linalg import expm

from ssmlib.diagonalization import (
    DiagonalizationError,
    backward_error,
    compare_diagonalizations,
    diagonalize,
    eigenvector_condition_number,
    hippo_legs,
    perturb_then_diagonalize,
    to_diagonal_ssm,
)


def _sorted(z):
    z = np.asarray(z, dtype=complex)
    return z[np.lexsort((z.imag, z.real))]


# -- diagonalize ----------------------------------------------------------------
def test_diagonalize_random_matrix():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((8, 8))
    eigvals, V, V_inv = diagonalize(A)
    np.testing.assert_allclose(_sorted(eigvals), _sorted(np.linalg.eigvals(A)), atol=1e-12)
    np.testing.assert_allclose((V * eigvals) @ V_inv, A, atol=1e-12)  # kappa(V) ~ 10
    np.testing.assert_allclose(V_inv @ V, np.eye(8), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, rtol=1e-14)
    res = diagonalize(A)
    assert res.backward_error < 1e-13
    np.testing.assert_allclose(res.reconstruct(), A, atol=1e-12)


def test_normal_matrix_has_condition_number_one():
    rng = np.random.default_rng(1)
    S = rng.standard_normal((6, 6))
    A = S - S.T  # skew-symmetric, hence normal: orthonormal eigenvectors
    assert eigenvector_condition_number(A) == pytest.approx(1.0, abs=1e-10)
    assert diagonalize(A).condition_number == pytest.approx(1.0, abs=1e-10)


def test_condition_number_of_a_known_2x2():
    # A = [[1, 1], [0, 1 + d]]: eigenvectors (1, 0) and (1, d)/sqrt(1+d^2); the angle between
    # them is ~ d, and kappa = cot(angle/2) -> 2/d for small d (independent oracle)
    d = 1e-3
    A = np.array([[1.0, 1.0], [0.0, 1.0 + d]])
    angle = np.arctan(d)
    assert eigenvector_condition_number(A) == pytest.approx(1 / np.tan(angle / 2), rel=1e-6)


def test_defective_matrix_raises():
    J = np.array([[2.0, 1.0], [0.0, 2.0]])  # Jordan block
    with pytest.raises(DiagonalizationError, match="not .*diagonalizable"):
        diagonalize(J)
    assert issubclass(DiagonalizationError, ValueError)
    res = diagonalize(J, check=False)
    assert res.backward_error > 1e-3 or not np.isfinite(res.backward_error)
    assert res.condition_number > 1e14


def test_diagonalize_errors():
    with pytest.raises(ValueError, match="A"):
        diagonalize(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tol"):
        diagonalize(np.eye(2), tol=0.0)
    with pytest.raises(ValueError, match="V"):
        backward_error(np.eye(2), np.ones(2), np.eye(3), np.eye(2))


# -- HiPPO-LegS -----------------------------------------------------------------
def _legs_sympy(N):
    """HiPPO-LegS from its definition, entry by entry, in exact arithmetic."""
    A = sympy.zeros(N, N)
    B = sympy.zeros(N, 1)
    for n in range(N):
        B[n] = sympy.sqrt(2 * n + 1)
        for k in range(N):
            if n > k:
                A[n, k] = -sympy.sqrt(2 * n + 1) * sympy.sqrt(2 * k + 1)
            elif n == k:
                A[n, k] = -(n + 1)
    return A, B


@pytest.mark.parametrize("N", [1, 2, 5, 12])
def test_hippo_legs_against_formula(N):
    A, B = hippo_legs(N)
    A_ref, B_ref = _legs_sympy(N)
    assert A.shape == (N, N) and B.shape == (N, 1)
    np.testing.assert_allclose(A, np.array(A_ref.evalf(20), dtype=float), rtol=1e-15)
    np.testing.assert_allclose(B, np.array(B_ref.evalf(20), dtype=float), rtol=1e-15)
    # exact eigenvalues -1, ..., -N (triangular matrix), from sympy
    assert sorted(A_ref.eigenvals().keys()) == list(range(-N, 0))


def test_hippo_eigenvalues_and_growing_condition_number():
    A, _ = hippo_legs(8)
    # triangular: eigenvalues are exact in floating point too
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(A).real), -np.arange(8, 0, -1.0))
    conds = [eigenvector_condition_number(hippo_legs(n)[0]) for n in (4, 8, 12, 16)]
    assert np.all(np.diff(np.log10(conds)) > 1)  # more than x10 per 4 extra states
    assert conds[-1] > 1e9


def test_hippo_plain_diagonalization_fails_but_ptd_succeeds():
    A, _ = hippo_legs(32)
    with pytest.raises(DiagonalizationError, match="kappa"):
        diagonalize(A)
    plain = diagonalize(A, check=False)
    assert plain.backward_error > 1.0  # the factors describe a different matrix
    ptd = perturb_then_diagonalize(A, eps=1e-6, rng=0)
    assert ptd.backward_error < 1e-5
    assert ptd.condition_number < 1e9 < plain.condition_number
    np.testing.assert_allclose(np.linalg.norm(ptd.E, 2), 1e-6 * np.linalg.norm(A, 2), rtol=1e-12)


def test_ptd_on_a_well_conditioned_matrix_costs_about_eps():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((10, 10))
    ptd = perturb_then_diagonalize(A, eps=1e-4, rng=rng)
    # the backward error is the perturbation itself (plus roundoff)
    assert ptd.backward_error == pytest.approx(1e-4, rel=1e-3)
    eigvals, V, V_inv = ptd
    np.testing.assert_allclose((V * eigvals) @ V_inv, A + ptd.E, atol=1e-11)
    # complex input gets a complex perturbation
    ptd_c = perturb_then_diagonalize(A + 1j * np.eye(10), eps=1e-4, rng=0)
    assert np.iscomplexobj(ptd_c.E) and np.abs(ptd_c.E.imag).max() > 0
    with pytest.raises(ValueError, match="eps"):
        perturb_then_diagonalize(A, eps=-1.0)


def test_compare_diagonalizations():
    out = compare_diagonalizations([4, 16, 32], eps=1e-6, rng=0)
    assert list(out["N"]) == [4, 16, 32]
    assert out["cond_plain"][-1] > 1e15 and out["backward_plain"][-1] > 1.0
    assert np.all(out["backward_ptd"] < 1e-5)
    assert out["max_abs_V_inv_plain"][-1] > 1e10 > out["max_abs_V_inv_ptd"][-1]
    # a custom matrix builder
    out2 = compare_diagonalizations([3], matrix=lambda n: np.diag(np.arange(1.0, n + 1)))
    assert out2["cond_plain"][0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Ns"):
        compare_diagonalizations([])


# -- diagonal SSM ---------------------------------------------------------------
def test_to_diagonal_ssm_preserves_impulse_response():
    rng = np.random.default_rng(5)
    N, H, P = 6, 2, 3
    A = rng.standard_normal((N, N)) - 2 * np.eye(N)
    B = rng.standard_normal((N, H))
    C = rng.standard_normal((P, N))
    lam, Bt, Ct = to_diagonal_ssm(A, B, C)
    assert lam.shape == (N,) and Bt.shape == (N, H) and Ct.shape == (P, N)
    for t in (0.0, 0.3, 1.7):
        h_ref = C @ expm(A * t) @ B  # oracle: matrix exponential of the original A
        h_diag = (Ct * np.exp(lam * t)) @ Bt
        np.testing.assert_allclose(h_diag, h_ref, atol=1e-11)
    # discrete reading: C A^k B = C~ Lambda^k B~
    Ad = 0.3 * A / np.max(np.abs(np.linalg.eigvals(A)))
    lam_d, Bt_d, Ct_d = to_diagonal_ssm(Ad, B, C)
    for k in (0, 1, 5, 20):
        np.testing.assert_allclose((Ct_d * lam_d**k) @ Bt_d,
                                   C @ np.linalg.matrix_power(Ad, k) @ B, atol=1e-12)


def test_to_diagonal_ssm_vectors_and_errors():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((4, 4))
    lam, Bt, Ct = to_diagonal_ssm(A, np.ones(4), np.ones(4))
    assert Bt.shape == (4, 1) and Ct.shape == (1, 4)
    with pytest.raises(ValueError, match="B"):
        to_diagonal_ssm(A, np.ones((3, 1)), np.ones((1, 4)))
    with pytest.raises(ValueError, match="C"):
        to_diagonal_ssm(A, np.ones((4, 1)), np.ones((1, 3)))
    with pytest.raises(DiagonalizationError):
        to_diagonal_ssm(np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones(2), np.ones(2))


@pytest.mark.parametrize("bad, match", [(0, "N"), (-3, "N")])
def test_hippo_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        hippo_legs(bad)
    with pytest.raises(TypeError, match="N"):
        hippo_legs(2.0)


def test_rng_and_sizes_name_the_argument():
    from ssmlib.diagonalization import compare_diagonalizations, hippo_legs, perturb_then_diagonalize

    with pytest.raises(TypeError, match="rng"):
        perturb_then_diagonalize(np.eye(2), rng="seed")
    with pytest.raises(ValueError, match="rng"):
        perturb_then_diagonalize(np.eye(2), rng=-1)
    with pytest.raises(ValueError, match="N must be <= 10000"):
        hippo_legs(10**6)
    with pytest.raises(TypeError, match="Ns"):
        compare_diagonalizations("abc")
