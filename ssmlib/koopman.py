"""The Koopman operator in practice: DMD and EDMD (chapter 6).

For a (discrete-time) dynamical system :math:`x_k = F(x_{k-1})` the Koopman operator
acts *linearly* on functions of the state (observables), :math:`(\\mathcal K g)(x) = g(F(x))`
:cite:p:`koopman1931hamiltonian`. Its eigenvalues for the discrete map are written
:math:`\\kappa` (chapter 6), and :math:`\\kappa = e^{s\\Delta}` for a continuous-time
eigenvalue :math:`s` sampled with step :math:`\\Delta`. Finite-dimensional approximations
of it are learned from pairs of snapshots :math:`(x_j, y_j = F(x_j))`:

* **exact DMD** :cite:p:`schmid2010dynamic,tu2014dynamic` fits the best linear map
  :math:`\\bar A` with :math:`Y \\approx \\bar A X` on the state itself, through a truncated
  SVD of :math:`X`;
* **EDMD** :cite:p:`williams2015data` does the same least-squares fit on a *dictionary* of
  :math:`n_\\psi` observables :math:`\\psi(x) = (\\psi_1(x), \\dots, \\psi_{n_\\psi}(x))`:
  :math:`\\Psi(Y) \\approx \\Psi(X) K`.

Shape conventions follow the two papers:

* :func:`dmd` takes snapshot **columns**, ``X, Y`` of shape ``(N, m)`` (state dimension
  :math:`N`, ``m`` snapshots), so that ``Y ~ A @ X`` mirrors :math:`x_k = \\bar A x_{k-1}`;
* :func:`edmd` takes samples as **rows**, ``X, Y`` of shape ``(m, N)``, and a dictionary
  mapping ``(m, N)`` to ``(m, n_psi)``; the fit is ``Psi(Y) ~ Psi(X) @ K``.

The worked example is the system with a slow manifold
(:class:`SlowManifoldSystem`, :cite:t:`brunton2016koopman`)

.. math::

    \\dot x_1 = \\mu x_1, \\qquad \\dot x_2 = \\lambda (x_2 - x_1^2),

whose observables :math:`(x_1, x_2, x_1^2)` span a Koopman-invariant subspace: in them the
dynamics is exactly linear, with continuous-time eigenvalues :math:`s = \\mu, \\lambda, 2\\mu`.
Here :math:`\\mu` and :math:`\\lambda` are continuous-time rates (1/s), named as in the
source; this is the one place where :math:`\\lambda` is not a discrete-time eigenvalue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import scipy.linalg

from ._validation import as_array, check_finite_scalar, check_int, check_positive

__all__ = [
    "DMDResult",
    "dmd",
    "Dictionary",
    "monomial_dictionary",
    "polynomial_dictionary",
    "EDMDResult",
    "edmd",
    "SlowManifoldSystem",
    "slow_manifold_system",
]


# ---------------------------------------------------------------------------
# exact DMD
# ---------------------------------------------------------------------------
@dataclass
class DMDResult:
    """The output of :func:`dmd`.

    Attributes
    ----------
    eigenvalues : ndarray, shape (r,), complex
        DMD eigenvalues :math:`\\kappa_i`, the eigenvalues of ``A_tilde`` (discrete time).
    modes : ndarray, shape (N, r), complex
        Exact DMD modes :math:`v_i`, the columns of :math:`Y W_r \\Sigma_r^{-1} Q` (with
        :math:`\\tilde A Q = Q \\operatorname{diag}(\\kappa)`), scaled to unit norm;
        ``A @ modes[:, i] = eigenvalues[i] * modes[:, i]`` for each non-zero eigenvalue.
    A_tilde : ndarray, shape (r, r)
        The reduced operator :math:`\\tilde A = U_r^H Y W_r \\Sigma_r^{-1}`, i.e.
        :math:`\\bar A` seen in the POD basis ``U_r``.
    A : ndarray, shape (N, N)
        The full operator :math:`\\bar A = Y W_r \\Sigma_r^{-1} U_r^H` (the least-squares fit
        :math:`Y X^+` when ``r`` is the rank of ``X``).
    U_r : ndarray, shape (N, r)
        Leading left singular vectors of ``X`` (POD modes).
    singular_values : ndarray, shape (min(N, m),)
        All singular values of ``X``, largest first.
    rank : int
        The truncation rank ``r``.
    """

    eigenvalues: np.ndarray
    modes: np.ndarray
    A_tilde: np.ndarray
    A: np.ndarray
    U_r: np.ndarray
    singular_values: np.ndarray
    rank: int

    def continuous_eigenvalues(self, dt: float) -> np.ndarray:
        """:math:`s_i = \\log(\\kappa_i) / \\Delta` (principal branch), shape (r,), complex.

        The continuous-time eigenvalues of a system sampled with step :math:`\\Delta` =
        ``dt`` (> 0).
        """
        dt = check_positive(dt, "dt")
        with np.errstate(divide="ignore"):  # a zero eigenvalue maps to -inf
            return np.log(self.eigenvalues.astype(np.complex128)) / dt

    def predict(self, x0: Any, steps: int) -> np.ndarray:
        """Iterate the fitted linear map: :math:`x_k = \\bar A^k x_0`.

        Parameters
        ----------
        x0 : array_like, shape (N,)
        steps : int, >= 0

        Returns
        -------
        ndarray, shape (steps + 1, N)
            Row ``k`` is :math:`\\bar A^k x_0` (complex only if ``A`` is).
        """
        x0 = as_array(x0, "x0", ndim=1)
        n = self.A.shape[0]
        if x0.shape[0] != n:
            raise ValueError(f"x0 must have shape ({n},), got {x0.shape}")
        steps = _check_steps(steps)
        out = np.empty((steps + 1, n), dtype=np.result_type(self.A, x0))
        out[0] = x0
        for k in range(steps):
            out[k + 1] = self.A @ out[k]
        return out


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if steps > 10**7:
        raise ValueError(f"steps must be <= 10**7 (every step is stored), got {steps}")
    return int(steps)


def dmd(X: Any, Y: Any, rank: int | None = None) -> DMDResult:
    """Exact dynamic mode decomposition (:cite:t:`tu2014dynamic`, Algorithm 2).

    Fits a linear map :math:`\\bar A` with :math:`Y \\approx \\bar A X` from snapshot pairs
    (the letters follow chapter 6; Tu et al. write :math:`V` for :math:`W` and :math:`W`
    for :math:`Q`):

    1. :math:`X = U \\Sigma W^H`, truncated to rank ``r``;
    2. :math:`\\tilde A = U_r^H Y W_r \\Sigma_r^{-1}` (shape ``(r, r)``);
    3. :math:`\\tilde A Q = Q \\operatorname{diag}(\\kappa_1, \\dots, \\kappa_r)`;
    4. exact modes :math:`Y W_r \\Sigma_r^{-1} Q` (eigenvectors of
       :math:`\\bar A = Y W_r \\Sigma_r^{-1} U_r^H` for the non-zero eigenvalues).

    Parameters
    ----------
    X : array_like, shape (N, m)
        Snapshots :math:`x_j` as columns.
    Y : array_like, shape (N, m)
        Their successors :math:`y_j = F(x_j)` as columns (for a single trajectory,
        ``X = traj[:, :-1]``, ``Y = traj[:, 1:]``).
    rank : int, optional
        Truncation rank ``r``, ``1 <= r <= min(N, m)``. Default: the numerical rank of
        ``X`` (singular values above ``max(N, m) * eps * sigma_max``), which makes ``A``
        the minimum-norm least-squares solution :math:`Y X^+`.

    Returns
    -------
    DMDResult

    Raises
    ------
    ValueError
        For non-2-D or non-finite input, ``X`` and ``Y`` of different shapes, ``X = 0``
        or a rank outside ``[1, min(N, m)]``.
    TypeError
        For a non-integer rank.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A = np.array([[0.9, 0.2], [0.0, 0.5]])
    >>> X = rng.standard_normal((2, 10))
    >>> res = dmd(X, A @ X)
    >>> bool(np.allclose(res.A, A))
    True
    """
    X = as_array(X, "X", ndim=2)
    Y = as_array(Y, "Y", ndim=2)
    if X.shape != Y.shape:
        raise ValueError(f"X and Y must have the same shape (n, m), got {X.shape} and {Y.shape}")
    n, m = X.shape
    if n == 0 or m == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    U, s, Vh = np.linalg.svd(X, full_matrices=False)
    if s[0] == 0:
        raise ValueError("X must not be all zeros")
    numerical_rank = int(np.sum(s > max(n, m) * np.finfo(float).eps * s[0]))
    if rank is None:
        r = numerical_rank
    else:
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
            raise TypeError(f"rank must be an int or None, got {type(rank).__name__}")
        if not 1 <= rank <= min(n, m):
            raise ValueError(f"rank must be in [1, min(n, m)] = [1, {min(n, m)}], got {rank}")
        r = int(rank)
    U_r, s_r, V_r = U[:, :r], s[:r], Vh[:r].conj().T
    Y_V_Sinv = (Y @ V_r) / s_r  # Y V_r Sigma_r^{-1}, shape (n, r)
    A_tilde = U_r.conj().T @ Y_V_Sinv  # step 2
    eigvals, W = np.linalg.eig(A_tilde)  # step 3
    modes = Y_V_Sinv @ W  # step 4 (exact modes)
    norms = np.linalg.norm(modes, axis=0)
    modes = modes / np.where(norms > 0, norms, 1.0)
    A_full = Y_V_Sinv @ U_r.conj().T
    return DMDResult(
        eigenvalues=eigvals,
        modes=modes,
        A_tilde=A_tilde,
        A=A_full,
        U_r=U_r,
        singular_values=s,
        rank=r,
    )


# ---------------------------------------------------------------------------
# dictionaries of observables
# ---------------------------------------------------------------------------
@dataclass
class Dictionary:
    """A list of observables :math:`\\psi_j`, evaluated on many states at once.

    Parameters
    ----------
    function : callable
        Maps states of shape ``(m, N)`` to features of shape ``(m, n_psi)``.
    names : list or tuple of str
        One name per feature (``n_psi`` names), e.g. ``["x1", "x2", "x1^2"]``.
    state_dim : int, >= 1, optional
        Expected state dimension ``N``; checked on every call when given.

    Raises
    ------
    TypeError
        If ``function`` is not callable, ``names`` is not a list or tuple of str, or
        ``state_dim`` is not an int (or None).
    ValueError
        If ``state_dim < 1``.
    """

    function: Callable[[np.ndarray], np.ndarray]
    names: Sequence[str]
    state_dim: int | None = None

    def __post_init__(self) -> None:
        if not callable(self.function):
            raise TypeError("function must be callable")
        if not isinstance(self.names, (list, tuple)) or not all(
                isinstance(n, str) for n in self.names):
            raise TypeError(f"names must be a list or tuple of str (one per feature), got "
                            f"{type(self.names).__name__}" + (
                                "" if not isinstance(self.names, (list, tuple))
                                else " with non-str items"))
        self.names = list(self.names)
        if self.state_dim is not None:
            self.state_dim = check_int(self.state_dim, "state_dim", minimum=1)

    def __len__(self) -> int:
        return len(self.names)

    def __call__(self, X: Any) -> np.ndarray:
        X = as_array(X, "X", ndim=2)
        if self.state_dim is not None and X.shape[1] != self.state_dim:
            raise ValueError(
                f"X must have shape (m, {self.state_dim}) for this dictionary, got {X.shape}"
            )
        return np.asarray(self.function(X))


def monomial_dictionary(exponents: Sequence[Sequence[int]]) -> Dictionary:
    """A dictionary of monomials :math:`\\prod_i x_i^{p_i}`, one per exponent tuple.

    Parameters
    ----------
    exponents : sequence of sequences of int, shape (n_psi, N)
        Non-negative integer powers; e.g. ``[(1, 0), (0, 1), (2, 0)]`` gives the Koopman
        embedding :math:`(x_1, x_2, x_1^2)` of :class:`SlowManifoldSystem`.

    Returns
    -------
    Dictionary
        Features named like ``"x1"``, ``"x1^2 x2"``, ``"1"``.
    """
    P = np.asarray(exponents)
    if P.ndim != 2 or P.shape[0] == 0 or P.shape[1] == 0:
        raise ValueError(f"exponents must be a non-empty (k, d) table, got shape {P.shape}")
    if not np.issubdtype(P.dtype, np.integer) or np.any(P < 0):
        raise ValueError("exponents must be non-negative integers")
    P = P.astype(int)

    def name(p: np.ndarray) -> str:
        parts = [f"x{i + 1}" + (f"^{e}" if e > 1 else "") for i, e in enumerate(p) if e > 0]
        return " ".join(parts) if parts else "1"

    def function(X: np.ndarray) -> np.ndarray:
        # X[:, None, :] ** P[None]: shape (m, k, d); product over the state dimension
        return np.prod(X[:, None, :] ** P[None, :, :], axis=2)

    return Dictionary(function, [name(p) for p in P], state_dim=P.shape[1])


#: Largest dictionary :func:`polynomial_dictionary` builds (EDMD solves a k x k problem).
_MAX_FEATURES = 5000


def polynomial_dictionary(degree: int, state_dim: int = 2, *, constant: bool = True) -> Dictionary:
    """All monomials of total degree ``<= degree`` in ``state_dim`` variables.

    Parameters
    ----------
    degree : int, >= 1
    state_dim : int, >= 1
    constant : bool
        Include the constant observable 1 (Koopman eigenvalue :math:`\\kappa = 1`, i.e.
        :math:`s = 0` in continuous time).

    Returns
    -------
    Dictionary
        Ordered by total degree, then lexicographically (``1, x1, x2, x1^2, x1 x2, ...``);
        :math:`\\binom{N + D}{D}` features with the constant, for ``state_dim`` :math:`N`
        and ``degree`` :math:`D`.
    """
    for value, label in ((degree, "degree"), (state_dim, "state_dim")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{label} must be an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{label} must be >= 1, got {value}")
    if not isinstance(constant, (bool, np.bool_)):
        raise TypeError(f"constant must be a bool, got {type(constant).__name__}")
    size = math.comb(int(degree) + int(state_dim), int(state_dim)) - (0 if constant else 1)
    if size > _MAX_FEATURES:
        raise ValueError(
            f"polynomial_dictionary(degree={degree}, state_dim={state_dim}) has {size} monomials, "
            f"more than {_MAX_FEATURES} (EDMD would need a {size} x {size} matrix); "
            "lower degree or state_dim")

    def compositions(total: int, d: int):
        # exponent tuples of sum ``total``, lexicographically descending (x1 first)
        if d == 1:
            yield (total,)
            return
        for first in range(total, -1, -1):
            for rest in compositions(total - first, d - 1):
                yield (first, *rest)

    exps = [p for total in range(0 if constant else 1, int(degree) + 1)
            for p in compositions(total, int(state_dim))]
    return monomial_dictionary(exps)


# ---------------------------------------------------------------------------
# EDMD
# ---------------------------------------------------------------------------
@dataclass
class EDMDResult:
    """The output of :func:`edmd`.

    Attributes
    ----------
    K : ndarray, shape (n_psi, n_psi)
        Koopman matrix, the least-squares solution of :math:`\\Psi(Y) \\approx \\Psi(X) K`
        (not the convolution kernel :math:`K_j` of chapter 4).
    eigenvalues : ndarray, shape (n_psi,), complex
        Eigenvalues :math:`\\kappa_i` of ``K`` (discrete time).
    eigenvectors : ndarray, shape (n_psi, n_psi), complex
        Right eigenvectors :math:`\\xi_i` of ``K`` (columns); the eigenfunctions are
        :math:`\\phi_i(x) = \\psi(x) \\xi_i`.
    C : ndarray, shape (n_psi, N)
        Linear read-out from features to state, least squares :math:`X \\approx \\Psi(X) C`
        (exact when the dictionary contains the coordinates).
    dictionary : callable
        The dictionary used.
    residual : float
        Relative fit error :math:`\\|\\Psi(Y) - \\Psi(X) K\\|_F / \\|\\Psi(Y)\\|_F`; zero (to
        rounding) exactly when the dictionary spans a Koopman-invariant subspace on the data.
    """

    K: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    C: np.ndarray
    dictionary: Callable[[np.ndarray], np.ndarray]
    residual: float

    def eigenfunctions(self, X: Any) -> np.ndarray:
        """Evaluate :math:`\\phi_i(x) = \\psi(x) \\xi_i` at states ``X`` of shape (m, N).

        Returns
        -------
        ndarray, shape (m, n_psi), complex
        """
        X = as_array(X, "X", ndim=2)
        return _features(self.dictionary, X) @ self.eigenvectors

    def continuous_eigenvalues(self, dt: float) -> np.ndarray:
        """:math:`s_i = \\log(\\kappa_i) / \\Delta` (principal branch), shape (n_psi,), complex.

        The continuous-time eigenvalues of a system sampled with step :math:`\\Delta` =
        ``dt`` (> 0).
        """
        dt = check_positive(dt, "dt")
        with np.errstate(divide="ignore"):
            return np.log(self.eigenvalues.astype(np.complex128)) / dt

    def predict(self, x0: Any, steps: int) -> np.ndarray:
        """Lift, advance linearly, read out: :math:`x_k \\approx \\psi(x_0) K^k C`.

        Parameters
        ----------
        x0 : array_like, shape (N,)
        steps : int, >= 0

        Returns
        -------
        ndarray, shape (steps + 1, N), float
            The predicted trajectory (row ``k`` is step ``k``).
        """
        d = self.C.shape[1]
        x0 = as_array(x0, "x0", ndim=1, complex_ok=False)
        if x0.shape[0] != d:
            raise ValueError(f"x0 must have shape ({d},), got {x0.shape}")
        steps = _check_steps(steps)
        z = _features(self.dictionary, x0[None, :])[0]
        out = np.empty((steps + 1, d))
        for k in range(steps + 1):
            out[k] = z @ self.C
            z = z @ self.K
        return out


def _features(dictionary: Callable[[np.ndarray], np.ndarray], X: np.ndarray) -> np.ndarray:
    """Evaluate and validate ``dictionary(X)``: shape (m, n_psi), finite, real."""
    F = as_array(dictionary(X), "dictionary(X)", complex_ok=False)
    if F.ndim == 1:
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] != X.shape[0] or F.shape[1] == 0:
        raise ValueError(
            f"dictionary must map states of shape (m, d) = {X.shape} to features of shape "
            f"(m, k), got {F.shape}"
        )
    return F


def edmd(X: Any, Y: Any, dictionary: Callable[[np.ndarray], np.ndarray]) -> EDMDResult:
    """Extended dynamic mode decomposition :cite:p:`williams2015data`.

    With :math:`\\Psi_X = \\psi(X)` and :math:`\\Psi_Y = \\psi(Y)` (shape ``(m, n_psi)``, one
    row per sample) the Koopman matrix is the least-squares solution

    .. math:: K = \\Psi_X^+ \\Psi_Y = M_{XX}^+ M_{XY}, \\quad M_{XX} = \\Psi_X^\\top \\Psi_X,\\;
              M_{XY} = \\Psi_X^\\top \\Psi_Y,

    and every right eigenvector :math:`K \\xi = \\kappa \\xi` gives an approximate Koopman
    eigenfunction :math:`\\phi(x) = \\psi(x) \\xi` with
    :math:`\\phi(F(x)) \\approx \\kappa \\phi(x)`.

    Parameters
    ----------
    X : array_like, shape (m, N)
        States :math:`x_j`, one per row.
    Y : array_like, shape (m, N)
        Their images :math:`F(x_j)`.
    dictionary : callable
        Maps an array of states ``(m, N)`` to features ``(m, n_psi)``, e.g.
        :func:`polynomial_dictionary` or :func:`monomial_dictionary`.

    Returns
    -------
    EDMDResult

    Raises
    ------
    ValueError
        For shapes that do not match or a dictionary output of the wrong shape.
    TypeError
        If ``dictionary`` is not callable.
    """
    if not callable(dictionary):
        raise TypeError(f"dictionary must be callable, got {type(dictionary).__name__}")
    X = as_array(X, "X", ndim=2, complex_ok=False)
    Y = as_array(Y, "Y", ndim=2, complex_ok=False)
    if X.shape != Y.shape:
        raise ValueError(f"X and Y must have the same shape (m, d), got {X.shape} and {Y.shape}")
    if X.shape[0] == 0:
        raise ValueError("X must hold at least one sample")
    PX = _features(dictionary, X)
    PY = _features(dictionary, Y)
    if PX.shape != PY.shape:  # pragma: no cover - a dictionary with state-dependent width
        raise ValueError("dictionary must return the same number of features for X and Y")
    K = np.linalg.lstsq(PX, PY, rcond=None)[0]
    C = np.linalg.lstsq(PX, X, rcond=None)[0]
    eigvals, eigvecs = np.linalg.eig(K)
    residual = float(np.linalg.norm(PY - PX @ K) / max(np.linalg.norm(PY), np.finfo(float).tiny))
    return EDMDResult(
        K=K, eigenvalues=eigvals, eigenvectors=eigvecs, C=C, dictionary=dictionary,
        residual=residual,
    )


# ---------------------------------------------------------------------------
# the worked example: a nonlinear system with a finite Koopman embedding
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SlowManifoldSystem:
    """:math:`\\dot x_1 = \\mu x_1,\\; \\dot x_2 = \\lambda (x_2 - x_1^2)` (chapter 6).

    :math:`\\mu` and :math:`\\lambda` are continuous-time rates (1/s), named as in
    :cite:t:`brunton2016koopman`; here :math:`\\lambda` is not a discrete-time eigenvalue.
    With :math:`y = (x_1, x_2, x_1^2)` the dynamics is exactly linear,
    :math:`\\dot y = G y` with the generator

    .. math::

        G = \\begin{pmatrix} \\mu & 0 & 0 \\\\ 0 & \\lambda & -\\lambda \\\\ 0 & 0 & 2\\mu
        \\end{pmatrix},

    so the continuous-time Koopman eigenvalues on this subspace are
    :math:`s = \\mu, \\lambda, 2\\mu` (:math:`\\kappa = e^{s\\Delta}` after sampling). For
    :math:`\\lambda \\ll \\mu < 0` trajectories fall quickly onto the slow manifold
    :math:`x_2 = \\frac{\\lambda}{\\lambda - 2\\mu} x_1^2` and then slide along it.

    Parameters
    ----------
    mu, lam : float
        The two rates (finite reals).
    """

    mu: float
    lam: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", check_finite_scalar(self.mu, "mu"))
        object.__setattr__(self, "lam", check_finite_scalar(self.lam, "lam"))

    # -- the nonlinear system -------------------------------------------------
    def vector_field(self, x: Any) -> np.ndarray:
        """:math:`f(x) = (\\mu x_1, \\lambda (x_2 - x_1^2))` for ``x`` of shape (..., 2)."""
        x = self._states(x, "x")
        return np.stack([self.mu * x[..., 0], self.lam * (x[..., 1] - x[..., 0] ** 2)], axis=-1)

    def flow(self, x0: Any, t: Any) -> np.ndarray:
        """The exact flow: the state :math:`x(t)` reached from :math:`x(0) = x_0`.

        .. math::

            x_1(t) = x_{1,0} e^{\\mu t}, \\qquad b = \\frac{\\lambda}{\\lambda - 2\\mu},

            x_2(t) = (x_{2,0} - b\\, x_{1,0}^2) e^{\\lambda t} + b\\, x_{1,0}^2 e^{2\\mu t},

        and, at resonance :math:`\\lambda = 2\\mu`,
        :math:`x_2(t) = (x_{2,0} - \\lambda t\\, x_{1,0}^2) e^{\\lambda t}`.

        Parameters
        ----------
        x0 : array_like, shape (..., 2)
            Initial states.
        t : float or array_like, shape (T,)
            Time(s). A scalar gives shape ``(..., 2)``; a 1-D array gives ``(T, ..., 2)``.

        Returns
        -------
        ndarray
        """
        x0 = self._states(x0, "x0")
        t_arr = as_array(t, "t", ndim=(0, 1), complex_ok=False)
        tt = t_arr.reshape(t_arr.shape + (1,) * (x0.ndim - 1))
        a, c = x0[..., 0], x0[..., 1]
        mu, lam = self.mu, self.lam
        x1 = a * np.exp(mu * tt)
        if np.isclose(lam, 2 * mu, rtol=1e-12, atol=1e-14):
            x2 = (c - lam * tt * a**2) * np.exp(lam * tt)
        else:
            b = lam / (lam - 2 * mu)
            x2 = (c - b * a**2) * np.exp(lam * tt) + b * a**2 * np.exp(2 * mu * tt)
        return np.stack(np.broadcast_arrays(x1, x2), axis=-1)

    # -- the exact Koopman embedding ----------------------------------------
    @staticmethod
    def lift(x: Any) -> np.ndarray:
        """Observables :math:`y = (x_1, x_2, x_1^2)`: shape (..., 2) -> (..., 3)."""
        x = SlowManifoldSystem._states(x, "x")
        return np.stack([x[..., 0], x[..., 1], x[..., 0] ** 2], axis=-1)

    @property
    def generator(self) -> np.ndarray:
        """The 3x3 generator :math:`G` with :math:`\\dot y = G y` (continuous time)."""
        mu, lam = self.mu, self.lam
        return np.array([[mu, 0.0, 0.0], [0.0, lam, -lam], [0.0, 0.0, 2 * mu]])

    def koopman_matrix(self, dt: float) -> np.ndarray:
        """:math:`e^{G \\Delta}`, the Koopman operator on the embedding over one step.

        :math:`\\Delta` = ``dt``. Acts on column vectors:
        ``lift(flow(x, dt)) == koopman_matrix(dt) @ lift(x)``.
        (EDMD's ``K`` acts on row vectors and equals its transpose.)
        """
        dt = check_positive(dt, "dt")
        return scipy.linalg.expm(self.generator * dt)

    @property
    def eigenvalues(self) -> np.ndarray:
        """The continuous-time Koopman eigenvalues on the embedding, :math:`(\\mu, \\lambda, 2\\mu)`."""
        return np.array([self.mu, self.lam, 2 * self.mu])

    @staticmethod
    def _states(x: Any, name: str) -> np.ndarray:
        x = as_array(x, name, complex_ok=False)
        if x.ndim == 0 or x.shape[-1] != 2:
            raise ValueError(f"{name} must have shape (..., 2), got {x.shape}")
        return x


def slow_manifold_system(mu: float = -0.1, lam: float = -1.0) -> SlowManifoldSystem:
    """The example system :math:`\\dot x_1 = \\mu x_1, \\dot x_2 = \\lambda (x_2 - x_1^2)`.

    See :class:`SlowManifoldSystem`; defaults give a slow manifold
    (:math:`|\\lambda| \\gg |\\mu|`).
    """
    return SlowManifoldSystem(mu, lam)
