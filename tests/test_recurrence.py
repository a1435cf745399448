"""Tests for ssmlib.recurrence against scipy.signal.lfilter, plain loops and torch."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from ssmlib.recurrence import (
    attention_step,
    causal_convolution,
    convolution_kernel,
    linear_recurrence,
    recurrence_step,
    unroll_closed_form,
)

# float64 / complex128 on well-conditioned problems (|lam| <= 1, short sequences):
# round-off stays within ~1e-12 relative.
RTOL = 1e-12
ATOL = 1e-12


def _random_lam(rng, n, r_max=0.99):
    radius = rng.uniform(0.3, r_max, n)
    phase = rng.uniform(-np.pi, np.pi, n)
    return radius * np.exp(1j * phase)


def _random_complex(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def test_recurrence_matches_lfilter_per_channel():
    rng = np.random.default_rng(0)
    lam = _random_lam(rng, 5)
    u = _random_complex(rng, 64, 5)
    x = linear_recurrence(lam, u)
    for n in range(5):
        # x_k - lam x_{k-1} = u_k  <=>  lfilter(b=[1], a=[1, -lam])
        ref = scipy.signal.lfilter([1.0], [1.0, -lam[n]], u[:, n])
        np.testing.assert_allclose(x[:, n], ref, rtol=RTOL, atol=ATOL)


def test_recurrence_with_x0_matches_lfilter_initial_conditions():
    rng = np.random.default_rng(1)
    lam = _random_lam(rng, 3)
    u = _random_complex(rng, 40, 3)
    x0 = _random_complex(rng, 3)
    x = linear_recurrence(lam, u, x0=x0)
    for n in range(3):
        # lfilter's zi for a first-order filter: y_0 = u_0 + zi, and zi = lam * y_{-1}.
        ref, _ = scipy.signal.lfilter([1.0], [1.0, -lam[n]], u[:, n], zi=[lam[n] * x0[n]])
        np.testing.assert_allclose(x[:, n], ref, rtol=RTOL, atol=ATOL)


def test_recurrence_with_B_matches_plain_loop():
    rng = np.random.default_rng(2)
    lam = _random_lam(rng, 4)
    B = _random_complex(rng, 4, 2)
    u = rng.standard_normal((30, 2))
    x0 = _random_complex(rng, 4)
    x = linear_recurrence(lam, u, x0=x0, B=B)
    # plain loop with a full (diagonal) matrix, an independent formulation
    A = np.diag(lam)
    state = x0.copy()
    for k in range(30):
        state = A @ state + B @ u[k]
        np.testing.assert_allclose(x[k], state, rtol=RTOL, atol=ATOL)


def test_closed_form_equals_recurrence():
    rng = np.random.default_rng(3)
    lam = _random_lam(rng, 6)
    B = _random_complex(rng, 6, 3)
    u = rng.standard_normal((50, 3))
    x0 = _random_complex(rng, 6)
    np.testing.assert_allclose(
        unroll_closed_form(lam, u, x0=x0, B=B),
        linear_recurrence(lam, u, x0=x0, B=B),
        rtol=1e-10,  # the closed form sums up to L terms of powers: a little more round-off
        atol=1e-10,
    )


def test_closed_form_initial_state_convention():
    # x0 is the state before u[0]: with zero input x_k = lam^(k+1) x0.
    lam = np.array([0.5 + 0.5j])
    x = unroll_closed_form(lam, np.zeros((4, 1)), x0=[2.0])
    np.testing.assert_allclose(x[:, 0], 2.0 * lam[0] ** np.arange(1, 5), rtol=RTOL)


def test_scalar_input_shape_accepted():
    x = linear_recurrence(0.5, np.ones(3))
    np.testing.assert_allclose(x[:, 0].real, [1.0, 1.5, 1.75], rtol=RTOL)
    assert x.shape == (3, 1) and x.dtype == np.complex128


def test_kernel_matches_powers_and_convolution_equals_recurrence():
    rng = np.random.default_rng(4)
    N, H, P, L = 8, 3, 2, 100
    lam = _random_lam(rng, N)
    B = _random_complex(rng, N, H)
    C = _random_complex(rng, P, N)
    K = convolution_kernel(lam, B, C, L)
    assert K.shape == (L, P, H)
    np.testing.assert_allclose(K[5], C @ np.diag(lam**5) @ B, rtol=RTOL)
    u = rng.standard_normal((L, H))
    y_rec = linear_recurrence(lam, u, B=B) @ C.T
    for method in ("fft", "direct"):
        y_conv = causal_convolution(K, u, method=method)
        np.testing.assert_allclose(y_conv, y_rec, rtol=1e-10, atol=1e-10)


def test_causal_convolution_matches_numpy_convolve_real():
    rng = np.random.default_rng(5)
    k = rng.standard_normal(20)
    u = rng.standard_normal(20)
    y = causal_convolution(k[:, None, None], u[:, None])
    assert not np.iscomplexobj(y)
    np.testing.assert_allclose(y[:, 0], np.convolve(k, u)[:20], rtol=1e-10, atol=1e-12)


def test_causal_convolution_short_kernel():
    u = np.arange(1.0, 6.0)[:, None]
    K = np.array([1.0, -1.0])[:, None, None]  # first difference
    np.testing.assert_allclose(causal_convolution(K, u)[:, 0], [1, 1, 1, 1, 1], atol=1e-12)
    np.testing.assert_allclose(causal_convolution(K, u, method="direct")[:, 0], [1, 1, 1, 1, 1])


def test_recurrence_step_matches_recurrence():
    rng = np.random.default_rng(6)
    lam = _random_lam(rng, 4)
    u = _random_complex(rng, 10, 4)
    x = np.zeros(4, complex)
    for k in range(10):
        x = recurrence_step(lam, x, u[k])
    np.testing.assert_allclose(x, linear_recurrence(lam, u)[-1], rtol=RTOL)


def test_attention_step_matches_torch_sdpa():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    q = rng.standard_normal(8)
    keys = rng.standard_normal((12, 8))
    values = rng.standard_normal((12, 5))
    ref = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q)[None, None], torch.tensor(keys)[None], torch.tensor(values)[None]
    )[0, 0].numpy()
    np.testing.assert_allclose(attention_step(q, keys, values), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: linear_recurrence([0.5, 0.2], np.ones((4, 3))), "u"),
        (lambda: linear_recurrence([0.5, 0.2], np.ones((4, 3)), B=np.ones((3, 3))), "B"),
        (lambda: linear_recurrence([0.5, 0.2], np.ones((4, 3)), B=np.ones((2, 2))), "u"),
        (lambda: linear_recurrence([0.5], np.ones((4, 1)), x0=[1.0, 2.0]), "x0"),
        (lambda: linear_recurrence([np.nan], np.ones((4, 1))), "lam"),
        (lambda: linear_recurrence(np.ones((2, 2)), np.ones((4, 2))), "lam"),
        (lambda: unroll_closed_form([0.5], np.ones((4, 2))), "u"),
        (lambda: convolution_kernel([0.5], np.ones((1, 1)), np.ones((1, 1)), 0), "L"),
        (lambda: convolution_kernel([0.5], np.ones((2, 1)), np.ones((1, 1)), 3), "B"),
        (lambda: convolution_kernel([0.5], np.ones((1, 1)), np.ones((1, 2)), 3), "C"),
        (lambda: causal_convolution(np.ones((3, 1, 2)), np.ones((3, 1))), "u"),
        (lambda: causal_convolution(np.ones((3, 1, 1)), np.ones((3, 1)), method="x"), "method"),
        (lambda: recurrence_step([0.5], [1.0, 2.0], [1.0]), "x"),
        (lambda: attention_step(np.ones(3), np.ones((2, 4)), np.ones((2, 1))), "keys"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_type_raises_type_error():
    with pytest.raises(TypeError, match="u"):
        linear_recurrence([0.5], "abc")
    with pytest.raises(TypeError, match="q"):
        attention_step(np.ones(2) * 1j, np.ones((1, 2)), np.ones((1, 1)))


def test_linear_recurrence_reports_overflow():
    from ssmlib.recurrence import linear_recurrence

    with pytest.raises(ValueError, match="overflows float64"):
        linear_recurrence([1e300], np.ones((3, 1)))
    x = linear_recurrence([1e100], np.ones((3, 1)))  # 1e200: large but finite
    assert np.isfinite(x).all()
