"""Tests for ssmlib.parameterization: the exponential map and the LRU ring initialization."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ssmlib.parameterization import lambda_from_params, params_from_lambda, sample_ring


def test_lambda_from_params_matches_polar_form():
    rng = np.random.default_rng(0)
    nu_log = rng.normal(size=50)
    theta = rng.uniform(-np.pi, np.pi, size=50)
    lam = lambda_from_params(nu_log, theta)
    # Oracle: modulus exp(-nu) and argument theta, built from cos/sin separately.
    expected = np.exp(-np.exp(nu_log)) * (np.cos(theta) + 1j * np.sin(theta))
    np.testing.assert_allclose(lam, expected, rtol=1e-14, atol=0)  # float64 roundoff


def test_lambda_from_params_is_stable_for_any_real_nu_log():
    nu_log = np.linspace(-30, 5, 1001)  # below ~ -36.7, |lambda| rounds to 1 in float64
    lam = lambda_from_params(nu_log, np.full_like(nu_log, 0.3))
    assert np.all(np.abs(lam) < 1)
    assert np.all(np.abs(lam) > 0)
    # |lambda| decreases monotonically with nu_log
    assert np.all(np.diff(np.abs(lam)) < 0)


def test_lambda_from_params_broadcasts_and_keeps_scalars():
    lam = lambda_from_params(np.zeros((3, 1)), np.array([0.0, 1.0]))
    assert lam.shape == (3, 2)
    assert lam.dtype == np.complex128
    scalar = lambda_from_params(0.0, np.pi)
    assert scalar.shape == ()
    np.testing.assert_allclose(scalar, -np.exp(-1.0), atol=1e-16)


def test_lambda_from_params_errors():
    with pytest.raises(ValueError, match="nu_log"):
        lambda_from_params(np.zeros(3), np.zeros(4))
    with pytest.raises(TypeError, match="theta"):
        lambda_from_params(0.0, 1j)
    with pytest.raises(ValueError, match="nu_log"):
        lambda_from_params(np.nan, 0.0)


def test_params_round_trip():
    rng = np.random.default_rng(1)
    r = rng.uniform(0.01, 0.999, 200)
    phase = rng.uniform(-np.pi, np.pi, 200)
    lam = r * np.exp(1j * phase)
    nu_log, theta = params_from_lambda(lam)
    np.testing.assert_allclose(lambda_from_params(nu_log, theta), lam, rtol=1e-13, atol=0)
    np.testing.assert_allclose(theta, phase, rtol=0, atol=1e-14)
    # and the other direction
    nu2, th2 = params_from_lambda(lambda_from_params(nu_log, theta))
    np.testing.assert_allclose(nu2, nu_log, rtol=0, atol=1e-11)  # log(-log r) amplifies near r=1


def test_params_from_lambda_errors():
    with pytest.raises(ValueError, match="lam"):
        params_from_lambda([0.5, 1.0])
    with pytest.raises(ValueError, match="lam"):
        params_from_lambda([0.0])


@pytest.mark.parametrize(
    "r_min, r_max, max_phase", [(0.0, 1.0, 2 * np.pi), (0.4, 0.9, np.pi), (0.9, 0.999, np.pi / 10)]
)
def test_sample_ring_distribution(r_min, r_max, max_phase):
    n = 4000
    lam, nu_log, theta_log = sample_ring(n, r_min, r_max, max_phase, rng=0, return_params=True)
    assert lam.shape == (n,) and lam.dtype == np.complex128
    r2 = np.abs(lam) ** 2
    # |lambda|^2 ~ U(r_min^2, r_max^2): KS test, p-value far from rejection at fixed seed
    ks = stats.kstest(r2, stats.uniform(loc=r_min**2, scale=r_max**2 - r_min**2).cdf)
    assert ks.pvalue > 0.01
    phase = np.angle(lam) % (2 * np.pi)
    assert np.all(phase >= 0) and np.all(phase <= max_phase + 1e-12)
    ks_phase = stats.kstest(np.exp(theta_log), stats.uniform(loc=0, scale=max_phase).cdf)
    assert ks_phase.pvalue > 0.01
    assert np.all(np.abs(lam) <= r_max + 1e-12) and np.all(np.abs(lam) >= r_min - 1e-12)
    # the parameters reproduce lambda through the LRU map
    np.testing.assert_allclose(lambda_from_params(nu_log, np.exp(theta_log)), lam, rtol=1e-14)


def test_sample_ring_ks_test_has_power():
    # On the full disk |lambda| (not |lambda|^2) is far from uniform: the same KS test rejects
    # it, so the distribution test above can fail for a wrong sampler (e.g. uniform radius).
    lam = sample_ring(4000, 0.0, 1.0, 2 * np.pi, rng=0)
    ks_wrong = stats.kstest(np.abs(lam), stats.uniform(loc=0.0, scale=1.0).cdf)
    assert ks_wrong.pvalue < 1e-6


def test_sample_ring_is_stable_and_reproducible():
    a = sample_ring(500, 0.5, 0.99, 2 * np.pi, rng=np.random.default_rng(3))
    b = sample_ring(500, 0.5, 0.99, 2 * np.pi, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert np.all(np.abs(a) < 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=0), "n"),
        (dict(r_min=0.5, r_max=0.5), "r_min"),
        (dict(r_min=-0.1), "r_min"),
        (dict(r_max=1.1), "r_max"),
        (dict(max_phase=0.0), "max_phase"),
        (dict(max_phase=7.0), "max_phase"),
    ],
)
def test_sample_ring_errors(kwargs, match):
    args = dict(n=4, r_min=0.0, r_max=1.0, max_phase=np.pi)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sample_ring(**args)


def test_sample_ring_type_errors():
    with pytest.raises(TypeError, match="n"):
        sample_ring(2.5)
    with pytest.raises(TypeError, match="r_min"):
        sample_ring(3, r_min="0")


def test_sample_ring_names_rng_and_refuses_huge_n():
    with pytest.raises(TypeError, match="rng"):
        sample_ring(4, rng=1.5)
    with pytest.raises(ValueError, match="rng"):
        sample_ring(4, rng=-2)
    with pytest.raises(ValueError, match="n must be <="):
        sample_ring(10**12)
