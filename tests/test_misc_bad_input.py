"""Bad input to the S4/S4D, selective-scan, Koopman, diagonalization, RNN, discretization,
plotting and widget modules: a ValueError/TypeError that names the argument (found by a
fuzzer over the public API), and the good-input edge cases that go with the fixes."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

import ssmlib as sl
from ssmlib import diagonalization, discretize, parameterization, plotting, recurrence, rnn
from ssmlib import s4_kernel, s4d
from ssmlib.koopman import Dictionary
from ssmlib.selective_scan import SelectiveSSM, selective_scan
from ssmlib.widgets import Choice, Param

ARR = np.array(["fft", "zoh"])  # an array where a flag or a choice is expected
C64 = torch.complex64


def _c(*shape, value=1.0):
    return torch.full(shape, value, dtype=torch.complex128)


# ---------------------------------------------------------------------------
# S4D
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["fft", "recurrence"])
def test_s4d_empty_batch_gives_an_empty_result(mode):
    torch.manual_seed(0)
    layer = sl.S4D(2, 4)
    u = torch.zeros(0, 5, 2)
    assert layer.ssm(u, mode).shape == (0, 5, 2)
    assert layer(u, mode).shape == (0, 5, 2)


def test_fft_causal_conv_empty_batch():
    y = s4d.fft_causal_conv(torch.zeros(0, 5, 2), torch.zeros(2, 5))
    assert y.shape == (0, 5, 2)
    u = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(0))
    K = torch.randn(2, 5, generator=torch.Generator().manual_seed(1))
    ref = torch.stack([sum(K[:, j] * u[:, k - j] for j in range(k + 1)) for k in range(5)], 1)
    assert torch.allclose(s4d.fft_causal_conv(u, K), ref, atol=1e-5)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: s4d.s4d_kernel(_c(2**19, value=-1.0), _c(2**19), 0.1, 2**20),
         ValueError, r"A and L .*memory"),
        (lambda: s4d.s4d_vandermonde(_c(2**19), _c(2**19), 2**20),
         ValueError, r"log_lam and L .*memory"),
        (lambda: s4d.s4d_vandermonde(_c(2), _c(2, value=math.inf), 4), ValueError, "log_lam"),
        (lambda: s4d.s4d_vandermonde(_c(2), torch.tensor([complex(0, math.inf)] * 2), 4),
         ValueError, "log_lam"),
        (lambda: s4d.s4d_vandermonde(_c(2), _c(2, value=800.0), 4), ValueError, "log_lam"),
        (lambda: sl.S4D(2, 4)(torch.zeros(1, 3, 2), mode=ARR), TypeError, "mode"),
        (lambda: sl.S4D(2, 4).ssm(torch.zeros(1, 3, 2), mode="conv"), ValueError, "mode"),
        (lambda: s4d.S4DKernel(2, 4, init=ARR), TypeError, "init"),
        (lambda: s4d.S4DKernel(2, 4, method=ARR), TypeError, "method"),
        (lambda: s4d.s4d_discretize(_c(2, value=-1.0), 0.1, method=ARR), TypeError, "method"),
        (lambda: s4d.s4d_kernel(_c(2, value=-1.0), _c(2), 0.1, 4, method=ARR),
         TypeError, "method"),
        (lambda: s4d.s4d_kernel(_c(2, value=-1.0), _c(2), 0.1, 4, method="euler"),
         ValueError, "method"),
        (lambda: s4d.s4d_init(4, ARR), TypeError, "init"),
        (lambda: s4d.s4d_init(4, "lin", dtype=np.array([1, 2])), TypeError, "dtype"),
    ],
)
def test_s4d_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_s4d_vandermonde_allows_lambda_zero():
    K = s4d.s4d_vandermonde(_c(1), torch.tensor([complex(-math.inf, 0.0)]), 3)
    assert torch.allclose(K, torch.tensor([2.0, 0.0, 0.0], dtype=torch.float64))


# ---------------------------------------------------------------------------
# S4 (DPLR) kernel
# ---------------------------------------------------------------------------
def _dplr(n=3):
    Lambda, P, B, _ = s4_kernel.hippo_legs_nplr(n)
    return Lambda, P, P, B


@pytest.mark.parametrize("bad, match", [(torch.ones(2, dtype=C64), "C_tilde must have shape"),
                                        ("abc", "C_tilde must be a torch.Tensor"),
                                        (torch.ones(3, 3, dtype=C64), "C_tilde must have 1")])
def test_dplr_generating_function_names_C_tilde(bad, match):
    Lambda, P, Q, B = _dplr()
    with pytest.raises((TypeError, ValueError), match=match):
        s4_kernel.dplr_generating_function(Lambda, P, Q, B, bad, 0.1, torch.ones(2, dtype=C64))


@pytest.mark.parametrize("flag", [np.array([True]), 1, 2.5, "yes"])
def test_dplr_kernel_C_is_tilde_must_be_a_bool(flag):
    Lambda, P, Q, B = _dplr()
    with pytest.raises(TypeError, match="C_is_tilde"):
        s4_kernel.dplr_kernel(Lambda, P, Q, B, B, 0.1, 4, C_is_tilde=flag)


# ---------------------------------------------------------------------------
# selective scan
# ---------------------------------------------------------------------------
def _scan_args():
    g = torch.Generator().manual_seed(0)
    u = torch.randn(1, 2, 3, generator=g)
    return u, torch.rand(1, 2, 3, generator=g), -torch.ones(2, 2), torch.ones(2, 2), torch.ones(2, 2)


@pytest.mark.parametrize("name", ["return_last_state", "delta_softplus"])
@pytest.mark.parametrize("value", [2.5, 1, np.array([True, False]), "True", None])
def test_selective_scan_flags(name, value):
    with pytest.raises(TypeError, match=name):
        selective_scan(*_scan_args(), **{name: value})


@pytest.mark.parametrize("backend, exc", [(ARR, TypeError), ("fast", ValueError)])
def test_selective_scan_backend(backend, exc):
    with pytest.raises(exc, match="backend"):
        selective_scan(*_scan_args(), backend=backend)


@pytest.mark.parametrize("dt_rank", [np.array([1, 2]), 2.5, True, "big", [2]])
def test_selective_ssm_dt_rank(dt_rank):
    with pytest.raises(TypeError, match="dt_rank"):
        SelectiveSSM(4, 2, dt_rank=dt_rank)


def test_selective_ssm_dt_rank_good_values():
    assert SelectiveSSM(32, 2, dt_rank="auto").dt_rank == 2
    assert SelectiveSSM(4, 2, dt_rank=np.int64(3)).dt_rank == 3


def test_selective_ssm_backend_array():
    with pytest.raises(TypeError, match="backend"):
        SelectiveSSM(4, 2, backend=ARR)


# ---------------------------------------------------------------------------
# Koopman
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "state_dim, exc",
    [("abc", TypeError), (-3, ValueError), (0, ValueError), (2.5, TypeError), (True, TypeError),
     ([], TypeError), (math.nan, TypeError), (math.inf, TypeError)],
)
def test_dictionary_state_dim(state_dim, exc):
    with pytest.raises(exc, match="state_dim"):
        Dictionary(lambda X: X, ["x1", "x2"], state_dim=state_dim)


@pytest.mark.parametrize("names", ["abc", None, 3, ["a", 1], {"a": 1}])
def test_dictionary_names(names):
    with pytest.raises(TypeError, match="names"):
        Dictionary(lambda X: X, names)


def test_dictionary_good_input():
    d = Dictionary(lambda X: X, ("x1", "x2"), state_dim=np.int64(2))
    assert d.names == ["x1", "x2"] and d.state_dim == 2 and len(d) == 2
    assert Dictionary(lambda X: X, ["x1"]).state_dim is None


@pytest.mark.parametrize("kwargs, match", [(dict(lam=1e12), "lam"), (dict(lam=-1.0, mu=1e12), "mu"),
                                           (dict(lam=1e4), "lam")])
def test_koopman_frame_overflow_names_the_rates(kwargs, match):
    from ssmlib.explorers.koopman import koopman_frame

    with pytest.raises(ValueError, match=match):
        koopman_frame("linear", n_samples=10, steps=5, **kwargs)


@pytest.mark.parametrize("dictionary, exc", [([], TypeError), (ARR, TypeError), ({}, TypeError),
                                             ("cubic", ValueError)])
def test_koopman_frame_dictionary(dictionary, exc):
    from ssmlib.explorers.koopman import koopman_frame

    with pytest.raises(exc, match="dictionary"):
        koopman_frame(dictionary, -1.0)


# ---------------------------------------------------------------------------
# LRA explorer
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("resolutions", [np.array([np.inf]), np.array([np.nan]), [1e400]])
def test_pathfinder_explorer_non_finite_resolutions(resolutions):
    with pytest.raises(ValueError, match="resolutions"):
        sl.explorers.pathfinder_explorer(resolutions=resolutions)


@pytest.mark.parametrize(
    "point, resolution, exc, match",
    [([1.0, 2.0], True, TypeError, "resolution"), ([1.0, 2.0], np.True_, TypeError, "resolution"),
     ([1.0, 2.0], 2.5, ValueError, "resolution"), ("abc", 8, TypeError, "point"),
     (["a", "b"], 8, TypeError, "point"), (None, 8, TypeError, "point"),
     ([1.0, 2.0, 3.0], 8, ValueError, "point")],
)
def test_raster_index_bad_input(point, resolution, exc, match):
    from ssmlib.explorers.lra import raster_index

    with pytest.raises(exc, match=match):
        raster_index(point, resolution)


# ---------------------------------------------------------------------------
# diagonalization
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["V", "V_inv"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_backward_error_non_finite_factors(which, bad):
    A = np.diag([1.0, 2.0])
    args = dict(A=A, eigvals=np.array([1.0, 2.0]), V=np.eye(2), V_inv=np.eye(2))
    assert diagonalization.backward_error(**args) == 0.0
    args[which] = np.array([[1.0, bad], [0.0, 1.0]])
    with pytest.raises(ValueError, match=which):
        diagonalization.backward_error(**args)


@pytest.mark.parametrize("matrix, exc", [("abc", TypeError), (3, TypeError),
                                         (lambda n: "abc", TypeError),
                                         (lambda n: np.eye(n + 1), ValueError)])
def test_compare_diagonalizations_matrix(matrix, exc):
    with pytest.raises(exc, match="matrix"):
        diagonalization.compare_diagonalizations([2], matrix=matrix)


@pytest.mark.parametrize("check", [np.array([True]), 1, "yes", None])
def test_diagonalize_check_flag(check):
    with pytest.raises(TypeError, match="check"):
        diagonalization.diagonalize(np.eye(2), check=check)


# ---------------------------------------------------------------------------
# RNN
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, match", [("a", "a and z0"), ("mu", "mu"), ("omega", "omega"),
                                         ("z0", "a and z0")])
def test_hopf_normal_form_huge_parameter_is_named(name, match):
    args = dict(mu=0.1, a=-1.0, z0=0.5, t=np.linspace(0.0, 10.0, 5))
    args[name] = 1e12
    with pytest.raises(ValueError, match=f"set by {match}"):
        rnn.hopf_normal_form(**args)


def test_hopf_normal_form_long_span_names_t():
    with pytest.raises(ValueError, match="shorten t"):
        rnn.hopf_normal_form(0.1, -1.0, 0.5, np.linspace(0.0, 1e4, 5))


@pytest.mark.parametrize("u", [[], np.zeros((0, 1))])
def test_linear_rnn_autograd_without_steps_matches_closed_form(u):
    loss, g_lam, g_x0 = rnn.linear_rnn_autograd(0.5, u, 2.0)
    ref = rnn.linear_rnn_loss_and_grads(0.5, u, 2.0)
    assert loss == pytest.approx(ref[0]) == 2.0
    np.testing.assert_allclose(g_lam, ref[1])
    np.testing.assert_allclose(g_x0, ref[2])


def test_linear_rnn_autograd_bad_u():
    with pytest.raises(ValueError, match="u"):
        rnn.linear_rnn_autograd(np.array([0.5, 0.5]), [])
    with pytest.raises(TypeError, match="u"):
        rnn.linear_rnn_autograd(0.5, "abc")


# ---------------------------------------------------------------------------
# discretization, recurrence, parameterization, plotting
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("lam, B, exc, match", [([], [], ValueError, "lam"),
                                                (np.zeros(0), np.zeros((0, 2)), ValueError, "lam"),
                                                ([1000.0], [1.0], ValueError, "lam")])
def test_zoh_diagonal_bad_lam(lam, B, exc, match):
    with pytest.raises(exc, match=match):
        discretize.zoh_diagonal(lam, B, 1.0)


@pytest.mark.parametrize("method, exc", [(ARR, TypeError), (None, TypeError), ("fast", ValueError)])
def test_causal_convolution_method(method, exc):
    with pytest.raises(exc, match="method"):
        recurrence.causal_convolution(np.ones((2, 1, 1)), np.ones((2, 1)), method=method)


@pytest.mark.parametrize("flag", [2.5, 1, np.array([True]), "yes"])
def test_sample_ring_return_params(flag):
    with pytest.raises(TypeError, match="return_params"):
        parameterization.sample_ring(3, return_params=flag, rng=0)


@pytest.mark.parametrize("ax", [None, "abc", object(), np.zeros(2)])
def test_unit_circle_ax(ax):
    with pytest.raises(TypeError, match="ax"):
        plotting.unit_circle(ax)


def test_unit_circle_draws_on_axes():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        plotting.unit_circle(ax, color="red")
        assert len(ax.lines) == 3
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------
# widgets
# ---------------------------------------------------------------------------
P = Param("a", [0.0, 1.0, 2.0])


@pytest.mark.parametrize("value, exc", [(math.nan, ValueError), ("abc", TypeError),
                                        (None, TypeError), (True, TypeError),
                                        (np.array([1.0, 2.0]), TypeError), (1j, TypeError)])
def test_param_nearest_index_bad_value(value, exc):
    with pytest.raises(exc, match="value for Param 'a'"):
        P.nearest_index(value)


def test_param_nearest_index_clamps_huge_values():
    assert P.nearest_index(1e300) == 2 and P.nearest_index(math.inf) == 2
    assert P.nearest_index(-1e300) == 0 and P.nearest_index(1.4) == 1
    log = Param("b", [0.1, 1.0, 10.0], scale="log")
    assert log.nearest_index(1e300) == 2 and log.nearest_index(-5.0) == 0
    assert log.nearest_index(4.0) == 2


@pytest.mark.parametrize("value", [None, "abc", [1.0]])
def test_param_format_bad_value(value):
    with pytest.raises(TypeError, match="value for Param 'a'"):
        P.format(value)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [(dict(values=True), TypeError, "values"), (dict(values=[0.0, True]), TypeError, "values"),
     (dict(values=np.array([False, True])), TypeError, "values"),
     (dict(values=[0.0, 1.0], step=1e12), ValueError, "step"),
     (dict(values=[0.1, 10.0], scale="log", step=3.0), ValueError, "step"),
     (dict(values=[0.0, 1.0], scale=np.array(["log"])), TypeError, "scale"),
     (dict(values=[0.0, 1.0], integer=1), TypeError, "integer")],
)
def test_param_constructor_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Param("a", **kwargs)


def test_param_good_steps():
    assert Param("a", [0.0, 1.0], step=1.0).step == 1.0
    assert Param("a", [5.0], step=100.0).step == 100.0  # one value: no range to exceed
    assert Param("a", [0.1, 10.0], scale="log", step=2.0).step == 2.0


@pytest.mark.parametrize("top, exc", [("abc", TypeError), (math.nan, ValueError),
                                      (True, TypeError), (np.array([1.0]), TypeError)])
def test_param_coerce_top(top, exc):
    with pytest.raises(exc, match="top"):
        P.coerce(1.0, top=top)


C = Choice("shape", [("decay", "exp"), ("oscillation", "cos")])


@pytest.mark.parametrize("method", ["coerce", "index", "format"])
@pytest.mark.parametrize("value", ["tan", np.array(["exp", "cos"]), None])
def test_choice_messages_name_value_and_control(method, value):
    with pytest.raises(ValueError, match=r"shape must be one of .*Choice 'shape'.*value="):
        getattr(C, method)(value)


@pytest.mark.parametrize("default, exc", [(np.array(["exp", "cos"]), TypeError),
                                          ("tan", ValueError)])
def test_choice_default(default, exc):
    with pytest.raises(exc, match="default"):
        Choice("shape", ["exp", "cos"], default=default)


@pytest.mark.parametrize("mode, exc", [(ARR, TypeError), ("movie", ValueError), (None, TypeError)])
def test_explorer_show_mode(mode, exc):
    import matplotlib.pyplot as plt
    from ssmlib.widgets import Explorer

    fig, _ = plt.subplots()
    try:
        ex = Explorer(fig, lambda a: None, [Param("a", [0.0, 1.0])])
        with pytest.raises(exc, match="mode"):
            ex.show(mode=mode)
    finally:
        plt.close(fig)
