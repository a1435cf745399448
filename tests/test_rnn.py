"""Tests for ssmlib.rnn: linear-RNN gradients (torch autograd), the one-neuron RNN (sympy,
finite differences), and the Hopf normal form (sympy, polar form, long-run radius)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from ssmlib.rnn import (
    basin_of_attraction,
    bifurcation_diagram,
    fixed_point_multiplier,
    fixed_point_sensitivity,
    fixed_points,
    fold_points,
    gradient_wrt_b,
    gradient_wrt_x0,
    hopf_equilibrium_radii,
    hopf_normal_form,
    hopf_radial_rhs,
    hopf_rhs,
    is_stable_fixed_point,
    one_neuron_iterate,
    linear_rnn_autograd,
    linear_rnn_jacobian,
    linear_rnn_loss_and_grads,
    linear_rnn_torch,
    one_neuron_step,
)

# ---------------------------------------------------------------- linear RNN


def test_linear_rnn_jacobian_matches_autograd_jacobian():
    lam = torch.tensor([0.5, 0.95, 1.05, -1.2], dtype=torch.float64)
    u = torch.zeros(30, 4, dtype=torch.float64)

    def final(x0):
        return linear_rnn_torch(lam, u, x0)[-1]

    jac = torch.autograd.functional.jacobian(final, torch.ones(4, dtype=torch.float64))
    expected = linear_rnn_jacobian(lam.numpy(), 30)
    np.testing.assert_allclose(np.diag(jac.numpy()), expected, rtol=1e-12)
    np.testing.assert_allclose(jac.numpy() - np.diag(np.diag(jac.numpy())), 0.0)
    # vanishing and exploding: |lam|^L
    assert abs(expected[0]) < 1e-8 and abs(expected[2]) > 4 and abs(expected[3]) > 200


def test_linear_rnn_jacobian_complex():
    lam = np.array([0.9 * np.exp(1j * 0.3)])
    np.testing.assert_allclose(abs(linear_rnn_jacobian(lam, 10)), 0.9**10, rtol=1e-12)


def test_linear_rnn_analytic_gradients_match_autograd():
    rng = np.random.default_rng(0)
    lam = np.array([0.3, 0.9, -0.7, 1.02])
    u = rng.standard_normal((25, 4))
    x0 = rng.standard_normal(4)
    loss_a, dlam_a, dx0_a = linear_rnn_loss_and_grads(lam, u, x0)
    loss_t, dlam_t, dx0_t = linear_rnn_autograd(lam, u, x0)
    # float64, 25 steps of a short recurrence: 1e-12 relative
    assert loss_a == pytest.approx(loss_t, rel=1e-12)
    np.testing.assert_allclose(dlam_a, dlam_t, rtol=1e-11)
    np.testing.assert_allclose(dx0_a, dx0_t, rtol=1e-11)


def test_linear_rnn_gradient_matches_finite_differences_and_edge_lengths():
    lam = np.array([0.8])
    u = np.array([[0.5], [-1.0], [2.0]])
    h = 1e-6
    fd = (linear_rnn_loss_and_grads(lam + h, u)[0] - linear_rnn_loss_and_grads(lam - h, u)[0]) / (
        2 * h
    )
    assert linear_rnn_loss_and_grads(lam, u)[1][0] == pytest.approx(fd, rel=1e-8)
    # L = 0 and L = 1
    loss0, dlam0, dx00 = linear_rnn_loss_and_grads([0.8], np.zeros((0, 1)), [2.0])
    assert loss0 == 2.0 and dlam0[0] == 0.0 and dx00[0] == 2.0
    loss1, dlam1, _ = linear_rnn_loss_and_grads([0.8], [[1.0]], [2.0])
    assert loss1 == pytest.approx(0.5 * 2.6**2) and dlam1[0] == pytest.approx(2.6 * 2.0)


def test_linear_rnn_torch_gradcheck():
    torch.manual_seed(0)
    lam = torch.tensor([0.5, -0.9], dtype=torch.float64, requires_grad=True)
    u = torch.randn(6, 2, dtype=torch.float64, requires_grad=True)
    x0 = torch.randn(2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(linear_rnn_torch, (lam, u, x0))


def test_linear_rnn_errors():
    with pytest.raises(ValueError, match="L"):
        linear_rnn_jacobian([0.5], -1)
    with pytest.raises(ValueError, match="u"):
        linear_rnn_loss_and_grads([0.5, 0.2], np.ones((3, 3)))
    with pytest.raises(ValueError, match="x0"):
        linear_rnn_loss_and_grads([0.5, 0.2], np.ones((3, 2)), [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="lam"):
        linear_rnn_loss_and_grads([0.5j], np.ones((3, 1)))
    with pytest.raises(ValueError, match="u"):
        linear_rnn_torch(torch.ones(2), torch.ones(3, 3), torch.ones(2))


# ---------------------------------------------------------------- one-neuron RNN


def _sympy_roots(w, b):
    """All real roots of w tanh(x) + b - x via sympy nsolve from a dense set of starts."""
    x = sp.symbols("x")
    g = w * sp.tanh(x) + b - x
    roots = set()
    for start in np.linspace(b - abs(w) - 1, b + abs(w) + 1, 41):
        try:
            r = float(sp.nsolve(g, x, start, tol=1e-25, prec=40))
        except (ValueError, ZeroDivisionError):
            continue
        roots.add(round(r, 10))
    return np.array(sorted(roots))


@pytest.mark.parametrize("w, b", [(3.0, 0.0), (3.0, 0.8), (3.0, -1.2), (3.0, 2.0), (0.5, 0.3),
                                  (-2.0, 0.4), (8.0, 5.0)])
def test_fixed_points_match_sympy(w, b):
    got = fixed_points(w, b)
    ref = _sympy_roots(w, b)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=1e-9)
    np.testing.assert_allclose(one_neuron_step(got, w, b), got, atol=1e-12)


def test_fold_points_match_sympy():
    w = 3.0
    x, b = sp.symbols("x b", real=True)
    g = w * sp.tanh(x) + b - x
    sol = sp.nsolve([g, sp.diff(g, x)], [x, b], [-1.0, 1.0], prec=30)
    b_fold, x_fold = fold_points(w)
    assert b_fold[1] == pytest.approx(float(sol[1]), abs=1e-12)
    assert x_fold[1] == pytest.approx(float(sol[0]), abs=1e-12)
    np.testing.assert_allclose(b_fold, [-b_fold[1], b_fold[1]])
    # the multiplier is exactly 1 at the fold
    np.testing.assert_allclose(fixed_point_multiplier(w, x_fold), 1.0, atol=1e-12)


def test_fixed_points_at_fold_and_just_past():
    w = 3.0
    (b_lo, b_hi), (x_lo, x_hi) = fold_points(w)
    at = fixed_points(w, b_hi)
    assert at.size == 2 and np.min(np.abs(at - x_hi)) < 1e-6
    assert fixed_points(w, b_hi - 1e-4).size == 3
    assert fixed_points(w, b_hi + 1e-4).size == 1


def test_stability_from_sympy_derivative():
    w, b = 3.0, 0.5
    x = sp.symbols("x")
    fprime = sp.lambdify(x, sp.diff(w * sp.tanh(x) + b, x))
    roots = fixed_points(w, b)
    np.testing.assert_allclose(fixed_point_multiplier(w, roots), [fprime(r) for r in roots],
                               rtol=1e-12)
    np.testing.assert_array_equal(is_stable_fixed_point(w, roots), [True, False, True])
    # iterating converges to the stable ones from both sides of the unstable one
    traj = one_neuron_iterate(w, b, [roots[1] - 1e-3, roots[1] + 1e-3], 200)
    np.testing.assert_allclose(traj[-1], [roots[0], roots[2]], atol=1e-10)


def test_bifurcation_diagram_branches():
    w = 3.0
    b_fold, _ = fold_points(w)
    bs = np.linspace(-2.5, 2.5, 101)
    d = bifurcation_diagram(w, bs)
    inside = (bs > b_fold[0]) & (bs < b_fold[1])
    np.testing.assert_array_equal(~np.isnan(d.middle), inside)
    assert np.all(d.lower_stable[bs < b_fold[1]]) and np.all(d.upper_stable[bs > b_fold[0]])
    assert not np.any(d.middle_stable)
    np.testing.assert_array_equal(np.isnan(d.lower), bs >= b_fold[1])
    np.testing.assert_array_equal(np.isnan(d.upper), bs <= b_fold[0])
    ok = ~np.isnan(d.lower)
    np.testing.assert_allclose(w * np.tanh(d.lower[ok]) + bs[ok], d.lower[ok], atol=1e-12)
    # w <= 1: one stable branch, no folds
    d1 = bifurcation_diagram(0.8, bs)
    assert np.all(d1.lower_stable) and np.all(np.isnan(d1.upper)) and d1.b_fold.size == 0


def test_gradient_wrt_b_matches_autograd_and_finite_differences():
    w, b, T = 3.0, 0.4, 30
    x0 = np.array([-2.0, 0.1, 1.5])
    g = gradient_wrt_b(w, b, x0, T)
    b_t = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(x0, dtype=torch.float64)
    for _ in range(T):
        x = w * torch.tanh(x) + b_t
    grads = [torch.autograd.grad(x[i], b_t, retain_graph=True)[0].item() for i in range(3)]
    np.testing.assert_allclose(g, grads, rtol=1e-12)
    h = 1e-7
    fd = (one_neuron_iterate(w, b + h, x0, T)[-1] - one_neuron_iterate(w, b - h, x0, T)[-1]) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5)  # central differences in float64


def test_gradient_wrt_x0_matches_autograd():
    w, b, T = 2.5, -0.3, 15
    x0 = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    x = x0
    for _ in range(T):
        x = w * torch.tanh(x) + b
    (gx,) = torch.autograd.grad(x, x0)
    assert gradient_wrt_x0(w, b, 0.2, T) == pytest.approx(gx.item(), rel=1e-12)


def test_gradient_converges_to_sensitivity_and_blows_up_at_fold():
    w = 3.0
    b_fold, _ = fold_points(w)
    b = 0.3
    lower = fixed_points(w, b)[0]
    g = gradient_wrt_b(w, b, lower, 400)
    assert g == pytest.approx(fixed_point_sensitivity(w, lower), rel=1e-9)
    # implicit-function sensitivity vs finite differences on the root itself
    h = 1e-6
    fd = (fixed_points(w, b + h)[0] - fixed_points(w, b - h)[0]) / (2 * h)
    assert fixed_point_sensitivity(w, lower) == pytest.approx(fd, rel=1e-6)
    # approaching the fold along the lower branch the sensitivity diverges
    sens = [fixed_point_sensitivity(w, fixed_points(w, b_fold[1] - eps)[0])
            for eps in (1e-1, 1e-2, 1e-3, 1e-4)]
    assert np.all(np.diff(sens) > 0)
    # saddle-node scaling: x* - x_fold ~ sqrt(b_fold - b), so dx*/db ~ (b_fold - b)^(-1/2),
    # a factor sqrt(10) per decade of eps
    assert sens[-1] / sens[-2] == pytest.approx(np.sqrt(10), rel=0.02)


def test_basin_boundary_is_the_unstable_fixed_point():
    w, b = 3.0, 0.5
    roots = fixed_points(w, b)
    x0 = np.linspace(-4, 4, 81)
    idx = basin_of_attraction(w, b, x0)
    np.testing.assert_array_equal(idx[x0 < roots[1] - 1e-3], 0)
    np.testing.assert_array_equal(idx[x0 > roots[1] + 1e-3], 2)
    # an unconverged orbit: a 2-cycle for w < -1 has no attracting fixed point
    assert np.all(basin_of_attraction(-3.0, 0.0, [0.5], T=200) == -1)


def test_one_neuron_errors():
    with pytest.raises(ValueError, match="w"):
        fold_points(0.5)
    with pytest.raises(TypeError, match="b"):
        fixed_points(2.0, "1")
    with pytest.raises(ValueError, match="T"):
        one_neuron_iterate(2.0, 0.0, 0.1, -3)
    with pytest.raises(ValueError, match="b_values"):
        bifurcation_diagram(2.0, np.ones((2, 2)))
    with pytest.raises(ValueError, match="w"):
        one_neuron_step(0.0, np.inf, 0.0)


# ---------------------------------------------------------------- Hopf


@pytest.mark.parametrize("mu, a", [(0.2, -1.0), (-0.1, 1.0), (0.1, 1.0), (-0.3, 1.0), (-0.1, -1.0)])
def test_hopf_radii_match_sympy(mu, a):
    r = sp.symbols("r", nonnegative=True)
    F = mu * r + a * r**3 - r**5
    ref = sorted(float(s) for s in sp.solve(F, r) if s.is_real and s >= 0)
    radii, stable = hopf_equilibrium_radii(mu, a)
    np.testing.assert_allclose(radii, ref, atol=1e-12)
    dF = sp.lambdify(r, sp.diff(F, r))
    np.testing.assert_array_equal(stable, [dF(x) < 0 for x in radii])


def test_hopf_subcritical_bistability():
    # subcritical, -a^2/4 < mu < 0: origin stable, small unstable cycle, large stable cycle
    radii, stable = hopf_equilibrium_radii(-0.1, 1.0)
    assert radii.size == 3 and list(stable) == [True, False, True]
    # supercritical, mu > 0: origin unstable, one stable cycle of radius ~ sqrt(mu)
    radii, stable = hopf_equilibrium_radii(0.04, -1.0)
    assert radii.size == 2 and list(stable) == [False, True]


def test_hopf_rhs_polar_form():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(10) + 1j * rng.standard_normal(10)
    mu, a, omega = 0.3, 1.0, 2.0
    dz = hopf_rhs(z, mu, a, omega)
    r = np.abs(z)
    dr = np.real(np.conj(z) * dz) / r  # d|z|/dt
    dphi = np.imag(np.conj(z) * dz) / r**2  # d arg z / dt
    np.testing.assert_allclose(dr, hopf_radial_rhs(r, mu, a), rtol=1e-12)
    np.testing.assert_allclose(dphi, omega, rtol=1e-12)


def test_hopf_simulation_converges_to_stable_radius():
    t = np.linspace(0, 60, 601)
    radii, stable = hopf_equilibrium_radii(-0.1, 1.0)
    # from inside the small unstable cycle: decays to 0; from outside: the large cycle
    z_in = hopf_normal_form(-0.1, 1.0, 0.9 * radii[1], t)
    z_out = hopf_normal_form(-0.1, 1.0, 1.1 * radii[1], t)
    assert abs(z_in[-1]) < 1e-2
    assert abs(z_out[-1]) == pytest.approx(radii[2], rel=1e-6)
    assert z_in[0] == 0.9 * radii[1]
    # phase advances at omega
    z = hopf_normal_form(0.0, -1.0, 0.5, np.array([0.0, 0.1]), omega=3.0)
    assert np.angle(z[1]) == pytest.approx(0.3, rel=1e-6)


def test_hopf_errors():
    with pytest.raises(ValueError, match="t"):
        hopf_normal_form(0.1, 1.0, 0.1, [0.0, 0.0])
    with pytest.raises(ValueError, match="mu"):
        hopf_rhs(1.0, np.nan, 1.0)
    with pytest.raises(TypeError, match="a"):
        hopf_equilibrium_radii(0.1, None)


def test_gradient_spike_at_basin_boundary_is_narrow_and_tall():
    # x0 is the unstable fixed point when b = x0 - w tanh(x0); nearby, the orbit lingers there
    # for ~log(1/eps)/log f'(x_u) steps, multiplying the gradient by f'(x_u) > 1 each step.
    w, x0, T = 3.0, 0.2, 30
    b_c = x0 - w * np.tanh(x0)
    mult = fixed_point_multiplier(w, x0)
    assert mult > 1
    near = abs(gradient_wrt_b(w, b_c + 1e-15, x0, T))
    far = abs(gradient_wrt_b(w, b_c + 1e-6, x0, T))
    assert near > 1e12 and far < 2
    # and x_T jumps from the lower to the upper attractor across b_c (a cliff)
    lo, hi = one_neuron_iterate(w, b_c - 1e-6, x0, T)[-1], one_neuron_iterate(w, b_c + 1e-6, x0, T)[-1]
    roots = fixed_points(w, b_c)
    assert lo == pytest.approx(roots[0], abs=1e-3) and hi == pytest.approx(roots[2], abs=1e-3)


def test_bifurcation_diagram_exactly_at_fold():
    w = 3.0
    (b_lo, b_hi), (x_lo, x_hi) = fold_points(w)
    d = bifurcation_diagram(w, [b_lo, b_hi])
    # at b_hi the lower stable branch merges with the unstable one at x_hi = -x_c
    assert d.middle[1] == pytest.approx(x_hi, abs=1e-6) and np.isnan(d.lower[1])
    assert d.upper_stable[1] and not d.middle_stable[1]
    assert d.middle[0] == pytest.approx(x_lo, abs=1e-6) and np.isnan(d.upper[0])


def test_hopf_normal_form_refuses_spans_that_cannot_finish():
    with pytest.raises(ValueError, match="t spans 1e\\+09"):
        hopf_normal_form(-0.1, 1.0, 0.5, np.linspace(0.0, 1e9, 5))
    with pytest.raises(ValueError, match="t has 2000000 points"):
        hopf_normal_form(-0.1, 1.0, 0.5, np.arange(2_000_000.0))


def test_fixed_points_tol_is_checked():
    from ssmlib.rnn import fixed_points

    with pytest.raises(ValueError, match="tol"):
        fixed_points(2.0, 0.0, tol=float("nan"))
    with pytest.raises(ValueError, match="tol"):
        fixed_points(2.0, 0.0, tol=-1.0)
