"""Why recurrent networks are hard to train: gradients and bifurcations (chapter 5).

Three small models carry the chapter.

1. **The diagonal linear RNN** :math:`x_k = \\lambda \\odot x_{k-1} + u_k`, whose Jacobian
   through :math:`L` steps is :math:`\\partial x_L / \\partial x_0 = \\lambda^L` (elementwise):
   gradients vanish when :math:`|\\lambda| < 1` and explode when :math:`|\\lambda| > 1`
   :cite:p:`bengio1994learning`. For a general recurrent matrix :math:`W`,
   :cite:t:`pascanu2013difficulty` state the conditions with its largest singular value,
   for a nonlinearity of slope :math:`|\\sigma'| \\le \\gamma`:
   :math:`\\sigma_{\\max}(W) < 1/\\gamma` is sufficient for vanishing gradients and
   :math:`\\sigma_{\\max}(W) > 1/\\gamma` necessary for exploding ones. For a diagonal matrix
   the singular values are the :math:`|\\lambda_n|`. Analytic gradients here are checked
   against torch autograd.
2. **The one-neuron RNN** :math:`x_k = f(x_{k-1}) = w\\tanh(x_{k-1}) + b`, the :math:`\\tanh`
   variant of the one-neuron sigmoid example of :cite:t:`doya1993bifurcations` that
   :cite:t:`pascanu2013difficulty` (their Fig. 3) use to illustrate exploding gradients.
   For :math:`w > 1` it has two stable fixed points for :math:`b` between two *fold* values;
   at a fold a stable and an unstable fixed point collide (saddle-node bifurcation) and the
   state jumps to the other branch, so :math:`\\partial x_L / \\partial b` blows up
   :cite:p:`doya1992bifurcations`.
3. **The Hopf normal form** :math:`\\dot z = (\\mu + i\\omega) z + a |z|^2 z - |z|^4 z`, whose
   limit cycles appear gently (supercritical, :math:`a < 0`) or abruptly with hysteresis
   (subcritical, :math:`a > 0`) :cite:p:`strogatz2015nonlinear,kuznetsov2004elements`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from ._validation import as_array, check_finite_scalar, check_positive

__all__ = [
    # linear RNN
    "linear_rnn_jacobian",
    "linear_rnn_loss_and_grads",
    "linear_rnn_torch",
    "linear_rnn_autograd",
    # one-neuron RNN
    "one_neuron_step",
    "one_neuron_iterate",
    "fixed_points",
    "fixed_point_multiplier",
    "is_stable_fixed_point",
    "fold_points",
    "fixed_point_sensitivity",
    "BifurcationDiagram",
    "bifurcation_diagram",
    "gradient_wrt_b",
    "gradient_wrt_x0",
    "basin_of_attraction",
    # Hopf
    "hopf_rhs",
    "hopf_radial_rhs",
    "hopf_equilibrium_radii",
    "hopf_normal_form",
]


def _check_steps(L: Any, name: str = "L") -> int:
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {L!r}")
    if L > _MAX_STEPS:
        raise ValueError(f"{name} must be <= {_MAX_STEPS} (memory and time), got {L}")
    return int(L)


#: Largest number of steps the iteration helpers accept (arrays of that length are kept).
_MAX_STEPS = 10**7


# ---------------------------------------------------------------------------
# 1. Diagonal linear RNN
# ---------------------------------------------------------------------------


def linear_rnn_jacobian(lam: Any, L: int) -> np.ndarray:
    """Jacobian :math:`\\partial x_L / \\partial x_0 = \\Lambda^L` of the diagonal linear RNN.

    For :math:`x_k = \\Lambda x_{k-1} + B u_k` the Jacobian is diagonal, with entries
    :math:`\\lambda_n^L`; its size :math:`|\\lambda_n|^L` vanishes (:math:`|\\lambda_n| < 1`) or
    explodes (:math:`|\\lambda_n| > 1`) exponentially in :math:`L` (chapter 5).

    Parameters
    ----------
    lam : array_like, shape (N,), real or complex
    L : int, >= 0

    Returns
    -------
    ndarray, shape (N,)
        The diagonal of :math:`\\Lambda^L`.
    """
    lam_arr = np.atleast_1d(as_array(lam, "lam", ndim=(0, 1)))
    return lam_arr ** _check_steps(L)


def _linear_rnn_inputs(lam: Any, u: Any, x0: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lam_arr = np.atleast_1d(as_array(lam, "lam", ndim=(0, 1), complex_ok=False))
    u_arr = as_array(u, "u", ndim=(1, 2), complex_ok=False)
    if u_arr.ndim == 1:
        u_arr = u_arr[:, None]
    if u_arr.shape[1] != lam_arr.shape[0]:
        raise ValueError(f"u must have shape (L, N) = (L, {lam_arr.shape[0]}), got {u_arr.shape}")
    x0_arr = np.atleast_1d(as_array(x0, "x0", ndim=(0, 1), complex_ok=False))
    if x0_arr.shape != lam_arr.shape:
        if x0_arr.size == 1:
            x0_arr = np.full(lam_arr.shape, float(x0_arr[0]))
        else:
            raise ValueError(f"x0 must have shape {lam_arr.shape} like lam, got {x0_arr.shape}")
    return lam_arr, u_arr, x0_arr


def linear_rnn_loss_and_grads(
    lam: Any, u: Any, x0: Any = 1.0
) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss :math:`\\mathcal L = \\tfrac12 \\lVert x_L \\rVert^2` of a real diagonal linear RNN; gradients.

    With :math:`x_k = \\lambda x_{k-1} + u_k` (elementwise, :math:`k = 1, \\dots, L`), the final
    state is :math:`x_L = \\lambda^L x_0 + \\sum_{k=1}^{L} \\lambda^{L-k} u_k`, hence

    .. math::

        \\frac{\\partial \\mathcal L}{\\partial x_0} = x_L \\lambda^L, \\qquad
        \\frac{\\partial \\mathcal L}{\\partial \\lambda} = x_L \\Big(L \\lambda^{L-1} x_0
        + \\sum_{k=1}^{L-1} (L-k) \\lambda^{L-k-1} u_k\\Big).

    Parameters
    ----------
    lam : array_like, shape (N,), real
    u : array_like, shape (L, N), real
        ``u[k-1]`` is :math:`u_k`.
    x0 : array_like, shape (N,) or scalar, real

    Returns
    -------
    loss : float
    dloss_dlam : ndarray, shape (N,)
    dloss_dx0 : ndarray, shape (N,)
    """
    lam_arr, u_arr, x0_arr = _linear_rnn_inputs(lam, u, x0)
    L = u_arr.shape[0]
    k = np.arange(1, L + 1)[:, None]  # (L, 1)
    x_L = lam_arr**L * x0_arr + np.sum(lam_arr ** (L - k) * u_arr, axis=0)
    dxL_dlam = L * lam_arr ** (L - 1) * x0_arr if L > 0 else np.zeros_like(lam_arr)
    if L > 1:
        kk = k[:-1]
        dxL_dlam = dxL_dlam + np.sum((L - kk) * lam_arr ** (L - kk - 1) * u_arr[:-1], axis=0)
    loss = 0.5 * float(np.sum(x_L**2))
    return loss, x_L * dxL_dlam, x_L * lam_arr**L


def linear_rnn_torch(lam, u, x0):
    """The real diagonal linear RNN :math:`x_k = \\lambda x_{k-1} + u_k` in torch (a plain loop).

    Parameters
    ----------
    lam : torch.Tensor, shape (N,)
    u : torch.Tensor, shape (L, N)
    x0 : torch.Tensor, shape (N,)

    Returns
    -------
    torch.Tensor, shape (L + 1, N)
        States :math:`x_0, \\dots, x_L`; differentiable in all arguments.
    """
    from ._lazy import require_torch
    from ._validation import check_tensor

    torch = require_torch("ssmlib.linear_rnn_torch")
    check_tensor(lam, "lam", ndim=1)
    check_tensor(u, "u", ndim=2)
    check_tensor(x0, "x0", ndim=1)
    if u.shape[1] != lam.shape[0] or x0.shape != lam.shape:
        raise ValueError(
            f"u must have shape (L, {lam.shape[0]}) and x0 shape ({lam.shape[0]},), "
            f"got {tuple(u.shape)} and {tuple(x0.shape)}"
        )
    states = [x0]
    for k in range(u.shape[0]):
        states.append(lam * states[-1] + u[k])
    return torch.stack(states)


def linear_rnn_autograd(lam: Any, u: Any, x0: Any = 1.0) -> tuple[float, np.ndarray, np.ndarray]:
    """Same as :func:`linear_rnn_loss_and_grads`, computed by torch autograd (float64)."""
    from ._lazy import require_torch

    torch = require_torch("ssmlib.linear_rnn_autograd")

    lam_arr, u_arr, x0_arr = _linear_rnn_inputs(lam, u, x0)
    lam_t = torch.tensor(lam_arr, dtype=torch.float64, requires_grad=True)
    x0_t = torch.tensor(x0_arr, dtype=torch.float64, requires_grad=True)
    u_t = torch.tensor(u_arr, dtype=torch.float64)
    x_L = linear_rnn_torch(lam_t, u_t, x0_t)[-1]
    loss = 0.5 * (x_L**2).sum()
    loss.backward()
    # with no input steps (u of shape (0, N)) the loss does not depend on lam: zero gradient,
    # as in linear_rnn_loss_and_grads
    grad_lam = lam_t.grad if lam_t.grad is not None else torch.zeros_like(lam_t)
    return loss.item(), grad_lam.numpy().copy(), x0_t.grad.numpy().copy()


# ---------------------------------------------------------------------------
# 2. The one-neuron RNN  x_k = w tanh(x_{k-1}) + b
# ---------------------------------------------------------------------------


def one_neuron_step(x: Any, w: float, b: float) -> np.ndarray:
    """One step :math:`f(x) = w\\tanh(x) + b` of the one-neuron RNN, elementwise on ``x``."""
    w = check_finite_scalar(w, "w")
    b = check_finite_scalar(b, "b")
    return w * np.tanh(as_array(x, "x", complex_ok=False)) + b


def one_neuron_iterate(w: float, b: float, x0: Any, T: int) -> np.ndarray:
    """Iterate :math:`x_k = w\\tanh(x_{k-1}) + b` for ``T`` steps, :math:`k = 1, \\dots, T`.

    Parameters
    ----------
    w, b : float
    x0 : float or array_like, shape (M,)
        Initial state(s); several are iterated in parallel.
    T : int, >= 0

    Returns
    -------
    ndarray, shape (T + 1,) or (T + 1, M)
        :math:`x_0, \\dots, x_T`.
    """
    w = check_finite_scalar(w, "w")
    b = check_finite_scalar(b, "b")
    x = as_array(x0, "x0", ndim=(0, 1), complex_ok=False)
    T = _check_steps(T, "T")
    out = np.empty((T + 1,) + x.shape)
    out[0] = x
    for t in range(T):
        out[t + 1] = w * np.tanh(out[t]) + b
    return out


def _critical_points(w: float) -> list[float]:
    """Where g(x) = w tanh(x) + b - x has zero slope: tanh^2 x = 1 - 1/w (only for w > 1)."""
    if w <= 1.0:
        return []
    xc = float(np.arctanh(np.sqrt(1.0 - 1.0 / w)))
    return [-xc, xc]


def fixed_points(w: float, b: float, *, tol: float = 1e-12) -> np.ndarray:
    """All fixed points :math:`x^* = w\\tanh(x^*) + b`, sorted.

    Robust root finding: :math:`g(x) = w\\tanh x + b - x` is monotone between its critical
    points :math:`\\pm\\operatorname{artanh}\\sqrt{1 - 1/w}` (which exist only for
    :math:`w > 1`), and every root lies in :math:`[b - |w|, b + |w|]` because
    :math:`|\\tanh| < 1`. Each monotone piece holds at most one root, found by ``brentq`` when
    :math:`g` changes sign; a double root at a fold (where :math:`g` only touches zero) is
    detected by :math:`|g| \\le` ``tol`` at the critical point.

    Parameters
    ----------
    w, b : float
    tol : float
        Tolerance on :math:`|g|` for double roots and on merging roots.

    Returns
    -------
    ndarray, shape (n,)
        ``n`` is 1, 2 (exactly at a fold) or 3.
    """
    w = check_finite_scalar(w, "w")
    b = check_finite_scalar(b, "b")
    tol = check_finite_scalar(tol, "tol")
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol}")

    def g(x: float) -> float:
        return w * np.tanh(x) + b - x

    lo, hi = b - abs(w) - 1.0, b + abs(w) + 1.0
    crit = [c for c in _critical_points(w) if lo < c < hi]
    edges = [lo, *crit, hi]
    roots: list[float] = []
    for c in crit:  # double roots (folds)
        if abs(g(c)) <= tol:
            roots.append(c)
    for a, z in zip(edges[:-1], edges[1:]):
        ga, gz = g(a), g(z)
        if ga == 0.0:
            roots.append(a)
        elif ga * gz < 0:
            roots.append(brentq(g, a, z, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200))
    roots_arr = np.sort(np.array(roots, dtype=float))
    if roots_arr.size > 1:  # merge duplicates (a root found both as a double root and by brentq)
        keep = np.concatenate([[True], np.diff(roots_arr) > 1e3 * max(tol, 1e-15)])
        roots_arr = roots_arr[keep]
    return roots_arr


def fixed_point_multiplier(w: float, x_star: Any) -> np.ndarray:
    """Multiplier :math:`f'(x^*) = w(1 - \\tanh^2 x^*)` of fixed point(s) (chapter 5)."""
    w = check_finite_scalar(w, "w")
    x = as_array(x_star, "x_star", complex_ok=False)
    return w * (1.0 - np.tanh(x) ** 2)


def is_stable_fixed_point(w: float, x_star: Any) -> np.ndarray:
    """True where :math:`|f'(x^*)| < 1` (linearly stable fixed point of the map)."""
    return np.abs(fixed_point_multiplier(w, x_star)) < 1.0


def fold_points(w: float) -> tuple[np.ndarray, np.ndarray]:
    """The saddle-node (fold) bifurcations of :math:`x_k = w\\tanh x_{k-1} + b` over :math:`b`.

    At a fold, :math:`g(x) = 0` and :math:`g'(x) = 0`: :math:`x_c = \\pm\\operatorname{artanh}
    \\sqrt{1 - 1/w}` and :math:`b_c = x_c - w\\tanh x_c`. Between the two :math:`b_c` the map has
    three fixed points (two stable, one unstable); outside, one.

    Parameters
    ----------
    w : float
        Must exceed 1 (for :math:`w \\le 1` there is a single fixed point for every :math:`b`).

    Returns
    -------
    b_fold : ndarray, shape (2,)
        Sorted ascending: :math:`(-b^*, b^*)` with :math:`b^* = w\\sqrt{1 - 1/w} -
        \\operatorname{artanh}\\sqrt{1 - 1/w}`.
    x_fold : ndarray, shape (2,)
        The fixed point where each fold happens (:math:`+x_c` at :math:`-b^*`, and vice versa).
    """
    w = check_finite_scalar(w, "w")
    if w <= 1.0:
        raise ValueError(f"w must be > 1 for the map to have folds, got {w}")
    xc = _critical_points(w)[1]
    b_star = w * np.tanh(xc) - xc
    return np.array([-b_star, b_star]), np.array([xc, -xc])


def fixed_point_sensitivity(w: float, x_star: Any) -> np.ndarray:
    """:math:`dx^*/db = 1 / (1 - f'(x^*))` by the implicit function theorem (chapter 5).

    It diverges at a fold, where :math:`f'(x^*) = 1`.
    """
    return 1.0 / (1.0 - fixed_point_multiplier(w, x_star))


@dataclass(frozen=True)
class BifurcationDiagram:
    """Fixed points of :math:`x \\mapsto w\\tanh x + b` over a grid of :math:`b`.

    Attributes
    ----------
    w : float
    b : ndarray, shape (M,)
    lower, middle, upper : ndarray, shape (M,)
        Fixed points, NaN where absent. With three fixed points they are the lower stable, the
        unstable and the upper stable one. With a single fixed point (outside the fold
        interval) it is stored in ``lower`` for ``b <= 0`` and in ``upper`` for ``b > 0``, so
        each stable branch is one continuous curve; for :math:`w \\le 1` it is always in
        ``lower``. Exactly at a fold the double root is stored in ``middle``.
    lower_stable, middle_stable, upper_stable : ndarray of bool, shape (M,)
        Stability (:math:`|f'| < 1`); False where absent.
    b_fold, x_fold : ndarray, shape (2,) or (0,)
        Fold points (:func:`fold_points`); empty for :math:`w \\le 1`.
    """

    w: float
    b: np.ndarray
    lower: np.ndarray
    middle: np.ndarray
    upper: np.ndarray
    lower_stable: np.ndarray
    middle_stable: np.ndarray
    upper_stable: np.ndarray
    b_fold: np.ndarray
    x_fold: np.ndarray


def bifurcation_diagram(w: float, b_values: Any) -> BifurcationDiagram:
    """Compute the fixed-point branches of the one-neuron RNN for every ``b`` in ``b_values``.

    Parameters
    ----------
    w : float
    b_values : array_like, shape (M,)

    Returns
    -------
    BifurcationDiagram
    """
    w = check_finite_scalar(w, "w")
    b_arr = as_array(b_values, "b_values", ndim=1, complex_ok=False)
    m = b_arr.shape[0]
    lower, middle, upper = (np.full(m, np.nan) for _ in range(3))
    for i, b in enumerate(b_arr):
        roots = fixed_points(w, float(b))
        if roots.size == 3:
            lower[i], middle[i], upper[i] = roots
        elif roots.size == 2:  # exactly at a fold: the double root joins the middle branch
            double = int(np.argmin(np.abs(fixed_point_multiplier(w, roots) - 1.0)))  # f' = 1
            simple = 1 - double
            middle[i] = roots[double]
            if roots[simple] < roots[double]:
                lower[i] = roots[simple]
            else:
                upper[i] = roots[simple]
        elif w <= 1.0 or b <= 0.0:
            lower[i] = roots[0]
        else:
            upper[i] = roots[0]

    def stable(x: np.ndarray) -> np.ndarray:
        out = np.zeros(m, dtype=bool)
        ok = ~np.isnan(x)
        out[ok] = is_stable_fixed_point(w, x[ok])
        return out

    if w > 1.0:
        b_fold, x_fold = fold_points(w)
    else:
        b_fold, x_fold = np.empty(0), np.empty(0)
    return BifurcationDiagram(
        w=w, b=b_arr, lower=lower, middle=middle, upper=upper,
        lower_stable=stable(lower), middle_stable=stable(middle), upper_stable=stable(upper),
        b_fold=b_fold, x_fold=x_fold,
    )


def gradient_wrt_b(w: float, b: float, x0: Any, T: int) -> np.ndarray:
    """:math:`\\partial x_T / \\partial b` by forward-mode differentiation of the iteration.

    With :math:`d_k = \\partial x_k / \\partial b`: :math:`d_0 = 0` and
    :math:`d_k = w(1 - \\tanh^2 x_{k-1})\\, d_{k-1} + 1`, :math:`k = 1, \\dots, T`.
    Near a fixed point it tends to
    :func:`fixed_point_sensitivity`; near a fold or a basin boundary it becomes huge.

    Parameters
    ----------
    w, b : float
    x0 : float or array_like, shape (M,)
    T : int, >= 0

    Returns
    -------
    ndarray, shape () or (M,)
    """
    traj = one_neuron_iterate(w, b, x0, T)
    s = np.zeros_like(traj[0])
    for t in range(T):
        s = w * (1.0 - np.tanh(traj[t]) ** 2) * s + 1.0
    return s


def gradient_wrt_x0(w: float, b: float, x0: Any, T: int) -> np.ndarray:
    """:math:`\\partial x_T / \\partial x_0 = \\prod_{k=0}^{T-1} w(1 - \\tanh^2 x_k)` (chain rule)."""
    traj = one_neuron_iterate(w, b, x0, T)
    return np.prod(w * (1.0 - np.tanh(traj[:-1]) ** 2), axis=0)


def basin_of_attraction(
    w: float, b: float, x0_values: Any, *, T: int = 500, tol: float = 1e-6
) -> np.ndarray:
    """Which stable fixed point each initial state converges to.

    Parameters
    ----------
    w, b : float
    x0_values : array_like, shape (M,)
    T : int
        Number of iterations.
    tol : float
        Distance to a stable fixed point counted as converged.

    Returns
    -------
    ndarray of int, shape (M,)
        Index into ``fixed_points(w, b)`` of the attracting fixed point, or -1 if the orbit has
        not come within ``tol`` of a stable fixed point after ``T`` steps.
    """
    tol = check_positive(tol, "tol")
    x0 = as_array(x0_values, "x0_values", ndim=1, complex_ok=False)
    final = one_neuron_iterate(w, b, x0, T)[-1]
    roots = fixed_points(w, b)
    stable = is_stable_fixed_point(w, roots)
    dist = np.abs(final[:, None] - roots[None, :])
    dist[:, ~stable] = np.inf
    idx = np.argmin(dist, axis=1)
    return np.where(dist[np.arange(x0.size), idx] <= tol, idx, -1)


# ---------------------------------------------------------------------------
# 3. Hopf normal form
# ---------------------------------------------------------------------------


def hopf_radial_rhs(r: Any, mu: float, a: float) -> np.ndarray:
    """Radial part :math:`\\dot r = \\mu r + a r^3 - r^5` of the Hopf normal form (chapter 5).

    ``a < 0``: supercritical (a small stable cycle grows from :math:`r = 0` as :math:`\\mu`
    crosses 0); ``a > 0``: subcritical (the origin loses stability while the only stable
    cycle is already large: a jump).
    """
    mu = check_finite_scalar(mu, "mu")
    a = check_finite_scalar(a, "a")
    r_arr = as_array(r, "r", complex_ok=False)
    return mu * r_arr + a * r_arr**3 - r_arr**5


def hopf_rhs(z: Any, mu: float, a: float, omega: float = 1.0) -> np.ndarray:
    """:math:`\\dot z = (\\mu + i\\omega) z + a |z|^2 z - |z|^4 z` in complex form.

    In polar coordinates :math:`z = r e^{i\\phi}` this is :math:`\\dot r = \\mu r + a r^3 - r^5`,
    :math:`\\dot\\phi = \\omega`.

    Parameters
    ----------
    z : array_like, complex
    mu, a, omega : float

    Returns
    -------
    ndarray, same shape as ``z``, complex
    """
    mu = check_finite_scalar(mu, "mu")
    a = check_finite_scalar(a, "a")
    omega = check_finite_scalar(omega, "omega")
    z_arr = as_array(z, "z").astype(np.complex128)
    r2 = np.abs(z_arr) ** 2
    return (mu + 1j * omega) * z_arr + a * r2 * z_arr - r2**2 * z_arr


def hopf_equilibrium_radii(mu: float, a: float) -> tuple[np.ndarray, np.ndarray]:
    """Equilibrium radii of :math:`\\dot r = \\mu r + a r^3 - r^5` and their stability.

    :math:`r = 0` always; limit cycles at the radii :math:`r > 0` with
    :math:`r^4 - a r^2 - \\mu = 0`, that is :math:`r^2 = (a \\pm \\sqrt{a^2 + 4\\mu}) / 2 > 0`.
    A radius is stable when
    :math:`F'(r) = \\mu + 3 a r^2 - 5 r^4 < 0`.

    Returns
    -------
    radii : ndarray, shape (n,)
        Sorted, starting with 0.
    stable : ndarray of bool, shape (n,)
    """
    mu = check_finite_scalar(mu, "mu")
    a = check_finite_scalar(a, "a")
    radii = [0.0]
    disc = a * a + 4.0 * mu
    if disc >= 0:
        for s in {(a - np.sqrt(disc)) / 2.0, (a + np.sqrt(disc)) / 2.0}:
            if s > 0:
                radii.append(float(np.sqrt(s)))
    radii_arr = np.array(sorted(radii))
    slope = mu + 3 * a * radii_arr**2 - 5 * radii_arr**4
    return radii_arr, slope < 0


#: Limits of :func:`hopf_normal_form`: output points, and time span x fastest rate.
_MAX_GRID = 1_000_000
_MAX_SPAN = 2e3  # RK45 at rtol 1e-9 needs ~8 s per 1e3 time units on one CPU core


def hopf_normal_form(
    mu: float, a: float, z0: complex, t: Any, *, omega: float = 1.0, rtol: float = 1e-9
) -> np.ndarray:
    """Simulate the Hopf normal form :func:`hopf_rhs` from ``z0`` (scipy ``solve_ivp``, RK45).

    Parameters
    ----------
    mu, a : float
    z0 : complex
        Initial state.
    t : array_like, shape (M,)
        Increasing output times, starting at the initial time.
    omega : float
    rtol : float
        Integrator relative tolerance (absolute tolerance is ``rtol * 1e-3``).

    Returns
    -------
    z : ndarray, shape (M,), complex
    """
    t_arr = as_array(t, "t", ndim=1, complex_ok=False)
    if t_arr.size < 1 or np.any(np.diff(t_arr) <= 0):
        raise ValueError("t must be a non-empty, strictly increasing time grid")
    if t_arr.size > _MAX_GRID:
        raise ValueError(f"t has {t_arr.size} points, more than {_MAX_GRID}: use a coarser grid")
    z0c = complex(as_array(z0, "z0", ndim=0))
    rtol = check_positive(rtol, "rtol")
    if rtol >= 1:
        raise ValueError(f"rtol must be < 1, got {rtol}")
    hopf_rhs(z0c, mu, a, omega)  # validates mu, a, omega
    # RK45 needs several steps per rotation (rate |omega|) and per e-fold (|mu|, |a| |z|^2):
    # refuse spans that cannot finish in reasonable time instead of running for hours.
    rates = {"omega": abs(float(omega)), "mu": abs(float(mu)),
             "a and z0 (a |z0|^2)": abs(float(a)) * max(1.0, abs(z0c)) ** 2}
    rate = max(1.0, *rates.values())
    span = float(t_arr[-1] - t_arr[0])
    if span * rate > _MAX_SPAN:
        culprit = max(rates, key=rates.get) if rate > 1.0 else None
        source = f"set by {culprit}" if culprit else "the floor of 1"
        advice = f"reduce {culprit} or shorten t" if culprit else "shorten t"
        raise ValueError(
            f"t spans {span:.6g} time units and the fastest rate is {rate:.3g} ({source}): "
            f"span x rate = {span * rate:.3g} is more than {_MAX_SPAN:.0g}, so the "
            f"integration cannot finish in reasonable time; {advice}")

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        dz = hopf_rhs(complex(y[0], y[1]), mu, a, omega)
        return np.array([dz.real, dz.imag])

    if t_arr.size == 1:
        return np.array([z0c])
    sol = solve_ivp(rhs, (t_arr[0], t_arr[-1]), [z0c.real, z0c.imag], t_eval=t_arr,
                    rtol=rtol, atol=rtol * 1e-3)
    if not sol.success:  # pragma: no cover - RK45 on this smooth system does not fail
        raise RuntimeError(f"integration failed: {sol.message}")
    return sol.y[0] + 1j * sol.y[1]
