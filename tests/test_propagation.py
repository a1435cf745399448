"""Tests for ssmlib.propagation: pulses, the aa/ab experiment, the three regimes.

Oracles: the exact continuous-time pulse response (closed form), scipy's solve_ivp, and
linearity of the system.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ssmlib.propagation import (
    REGIMES,
    aa_vs_ab,
    pulse_response,
    pulse_sequence,
    propagation_regime,
)


def test_pulse_sequence_layout():
    t, u = pulse_sequence("ab", spacing=10.0, dt=0.5, width=1.0)
    assert u.shape == (40, 1) and t.shape == (40,)
    np.testing.assert_allclose(t, 0.5 * np.arange(40))
    expected = np.zeros(40)
    expected[0:2] = 1.0  # a on [0, 1)
    expected[20:22] = -1.0  # b on [10, 11)
    np.testing.assert_array_equal(u[:, 0], expected)


def test_pulse_sequence_vector_embedding_and_duration():
    emb = {"x": [1.0, 0.0], "y": [0.0, 2.0]}
    t, u = pulse_sequence(["x", "y", "x"], emb, spacing=3.0, dt=1.0, width=1.0, duration=12.0)
    assert u.shape == (12, 2)
    np.testing.assert_array_equal(u[[0, 3, 6]], [[1, 0], [0, 2], [1, 0]])
    assert np.count_nonzero(u) == 3


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(tokens="ac"), ValueError, "token"),
        (dict(tokens=""), ValueError, "tokens"),
        (dict(tokens=[1, 2]), TypeError, "tokens"),
        (dict(tokens="ab", spacing=-1.0), ValueError, "spacing"),
        (dict(tokens="ab", dt=0.0), ValueError, "dt"),
        (dict(tokens="ab", width=20.0), ValueError, "width"),
        (dict(tokens="ab", width=0.01), ValueError, "width"),
        (dict(tokens="ab", duration=5.0), ValueError, "duration"),
        (dict(tokens="ab", embedding={"a": 1.0, "b": [1.0, 2.0]}), ValueError, "same shape"),
        (dict(tokens="ab", embedding=[1, 2]), TypeError, "embedding"),
    ],
)
def test_pulse_sequence_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        pulse_sequence(**kwargs)


@pytest.mark.parametrize("nu, theta", [(0.05, 0.7), (0.5, 2.0), (-0.03, 0.3), (0.0, 1.0)])
def test_aa_vs_ab_matches_exact_continuous_solution(nu, theta):
    res = aa_vs_ab(nu, theta, spacing=10.0, dt=0.1, width=1.0)
    # Exact solution: sum of the two pulse responses (ZOH is exact for piecewise-constant input,
    # so the only error is float64 round-off accumulated over 200 steps: ~1e-13).
    exact_aa = pulse_response(nu, theta, res.t, onset=0.0, height=1.0) + pulse_response(
        nu, theta, res.t, onset=10.0, height=1.0
    )
    exact_ab = pulse_response(nu, theta, res.t, onset=0.0, height=1.0) + pulse_response(
        nu, theta, res.t, onset=10.0, height=-1.0
    )
    np.testing.assert_allclose(res.x_aa, exact_aa, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(res.x_ab, exact_ab, rtol=1e-9, atol=1e-11)
    # distance of the final states = response to (a - b) = 2 at the second onset (linearity)
    d_exact = abs(pulse_response(nu, theta, [20.0], onset=10.0, height=2.0)[0])
    assert res.distance == pytest.approx(d_exact, rel=1e-9)
    assert res.final_aa == res.x_aa[-1] and res.final_ab == res.x_ab[-1]
    assert res.t[-1] == pytest.approx(20.0)
    assert res.lam_bar == pytest.approx(np.exp(complex(-nu, theta) * 0.1), rel=1e-14)


def test_pulse_response_matches_solve_ivp():
    nu, theta = 0.2, 1.3
    lam = complex(-nu, theta)

    def rhs(t, z):
        u = 1.5 if 2.0 <= t < 3.0 else 0.0
        x = z[0] + 1j * z[1]
        dx = lam * x + u
        return [dx.real, dx.imag]

    t_eval = np.linspace(0, 8, 33)
    sol = solve_ivp(rhs, (0, 8), [0.0, 0.0], t_eval=t_eval, rtol=1e-10, atol=1e-12,
                    max_step=0.01)
    ref = sol.y[0] + 1j * sol.y[1]
    got = pulse_response(nu, theta, t_eval, onset=2.0, width=1.0, height=1.5)
    np.testing.assert_allclose(got, ref, atol=1e-7)  # integrator tolerance, kink at the pulse


def test_result_independent_of_dt_for_grid_aligned_pulses():
    a = aa_vs_ab(0.1, 0.5, dt=0.1)
    b = aa_vs_ab(0.1, 0.5, dt=0.25)
    # ZOH is exact: the final states agree to round-off whatever the step
    assert a.final_aa == pytest.approx(b.final_aa, rel=1e-10)
    assert a.distance == pytest.approx(b.distance, rel=1e-10)


def test_distance_decreases_with_damping():
    # |x_aa(T) - x_ab(T)| = 2 |e^{lam (T-10)} - e^{lam (T-11)}| / |lam| ~ 2 e^{-nu (T - 11)}.
    low = aa_vs_ab(0.02, 0.5)
    high = aa_vs_ab(1.0, 0.5)
    neg = aa_vs_ab(-0.05, 0.5)
    assert high.distance < 1e-3 * low.distance
    assert neg.distance > low.distance
    d = [aa_vs_ab(nu, 0.5).distance for nu in (-0.05, 0.0, 0.05, 0.2, 0.5)]
    assert np.all(np.diff(d) < 0)  # more damping, less information about the last token


def test_trajectories_identical_before_second_token():
    res = aa_vs_ab(0.1, 1.0, spacing=10.0, dt=0.1)
    before = res.t <= 10.0 + 1e-9
    np.testing.assert_array_equal(res.x_aa[before], res.x_ab[before])
    assert np.all(res.distance_trajectory[res.t > 10.05] > 0)


def test_regimes_and_thresholds():
    assert propagation_regime(-0.01) == "negative damping"
    assert propagation_regime(0.0) == "low damping"
    boundary = np.log(10) / 10
    assert propagation_regime(boundary * 0.99) == "low damping"
    assert propagation_regime(boundary * 1.01) == "high damping"
    assert propagation_regime(0.05, spacing=100.0) == "high damping"
    assert propagation_regime(0.05, spacing=100.0, survival=0.001) == "low damping"
    assert set(REGIMES) == {"negative damping", "low damping", "high damping"}
    assert aa_vs_ab(1.0, 0.0).regime == "high damping"


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: propagation_regime(0.1, survival=1.5), ValueError, "survival"),
        (lambda: propagation_regime(float("nan")), ValueError, "nu"),
        (lambda: propagation_regime("x"), TypeError, "nu"),
        (lambda: aa_vs_ab(0.1, float("inf")), ValueError, "theta"),
        (lambda: aa_vs_ab(0.1, 0.0, embedding={"a": [1, 0], "b": [0, 1]}), ValueError, "scalar"),
        (lambda: pulse_response(0.0, 0.0, [1.0], onset=0.0), ValueError, "lambda"),
    ],
)
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_aa_vs_ab_growth_and_size_are_reported_naming_the_argument():
    from ssmlib.propagation import aa_vs_ab

    with pytest.raises(ValueError, match="nu=-50"):
        aa_vs_ab(-50.0, 1.0)
    with pytest.raises(ValueError, match="spacing=1000000"):
        aa_vs_ab(0.1, 1.0, spacing=1e6)
