"""Diagonal forms of linear state space models, HiPPO and perturb-then-diagonalize (chapter 7).

A diagonalizable state matrix :math:`A = V S V^{-1}`, :math:`S = \\operatorname{diag}(s_1,
\\dots, s_N)`, turns :math:`\\dot x = A x + B u,\\; y = C x` into the *diagonal* system

.. math:: \\dot z = S z + \\tilde B u, \\qquad y = \\tilde C z,
          \\qquad \\tilde B = V^{-1} B, \\quad \\tilde C = C V

(:func:`to_diagonal_ssm`), with the same input-output map. The same holds in discrete time,
with :math:`\\bar A = V \\Lambda V^{-1}`, :math:`\\Lambda = \\operatorname{diag}(\\lambda_1,
\\dots, \\lambda_N)`; the functions here accept either kind of matrix and return its
eigenvalues as ``eigvals`` (:math:`s_n` or :math:`\\lambda_n`).

Whether this is *useful in floating point* depends on the eigenvector condition number
:math:`\\kappa(V)` (:func:`eigenvector_condition_number`): the HiPPO-LegS matrix
(:func:`hippo_legs`, :cite:t:`gu2020hippo`) has distinct real eigenvalues
:math:`-1, \\dots, -N` and is therefore diagonalizable in exact arithmetic, yet
:math:`\\kappa(V)` grows exponentially in :math:`N` and the computed factors no longer
reproduce :math:`A` :cite:p:`gu2022efficiently`. The S4-PTD remedy
:cite:p:`yu2024robustifying` diagonalizes a slightly perturbed matrix :math:`A + E` instead
(:func:`perturb_then_diagonalize`): a small, controlled backward error in exchange for a
well-conditioned :math:`V`.

Matrix norms in this module are spectral norms (``numpy.linalg.norm(., 2)``), and
:math:`V^H` is the conjugate transpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ._validation import as_array, as_rng, as_square_matrix, check_bool, check_positive

__all__ = [
    "Diagonalization",
    "DiagonalizationError",
    "diagonalize",
    "backward_error",
    "eigenvector_condition_number",
    "hippo_legs",
    "PTDResult",
    "perturb_then_diagonalize",
    "compare_diagonalizations",
    "to_diagonal_ssm",
]


class DiagonalizationError(ValueError):
    """Raised when the computed eigen-decomposition does not reproduce the matrix."""


@dataclass
class Diagonalization:
    """An eigen-decomposition :math:`A \\approx V D V^{-1}`; unpacks as ``eigvals, V, V_inv``.

    :math:`D = \\operatorname{diag}(\\text{eigvals})`.

    Attributes
    ----------
    eigvals : ndarray, shape (N,), complex
        The eigenvalues (:math:`s_n` for a continuous-time :math:`A`, :math:`\\lambda_n` for
        a discrete-time one).
    V : ndarray, shape (N, N), complex
        Eigenvectors as unit-norm columns.
    V_inv : ndarray, shape (N, N), complex
        The computed inverse of ``V``.
    backward_error : float
        :math:`\\|A - V \\operatorname{diag}(\\text{eigvals}) V^{-1}\\|_2 / \\|A\\|_2` for the
        computed factors.
    condition_number : float
        :math:`\\kappa(V) = \\|V\\|_2 \\|V^{-1}\\|_2` (``inf`` for a singular ``V``).
    """

    eigvals: np.ndarray
    V: np.ndarray
    V_inv: np.ndarray
    backward_error: float
    condition_number: float

    def __iter__(self):
        return iter((self.eigvals, self.V, self.V_inv))

    def reconstruct(self) -> np.ndarray:
        """:math:`V \\operatorname{diag}(\\text{eigvals}) V^{-1}`, shape (N, N), complex."""
        return (self.V * self.eigvals) @ self.V_inv


def backward_error(A: Any, eigvals: Any, V: Any, V_inv: Any) -> float:
    """Relative reconstruction error of an eigen-decomposition.

    :math:`\\|A - V D V^{-1}\\|_2 / \\|A\\|_2` with
    :math:`D = \\operatorname{diag}(\\text{eigvals})`.

    Parameters
    ----------
    A : array_like, shape (N, N)
    eigvals : array_like, shape (N,)
    V, V_inv : array_like, shape (N, N)
        Finite entries (NaN or inf raise ``ValueError`` naming the argument).

    Returns
    -------
    float
        ``inf`` if the product of the finite factors overflows. For the zero matrix the
        absolute error is returned.
    """
    A = as_square_matrix(A, "A")
    n = A.shape[0]
    eigvals = as_array(eigvals, "eigvals", ndim=1)
    V = as_array(V, "V", ndim=2)
    V_inv = as_array(V_inv, "V_inv", ndim=2)
    for arr, name in ((V, "V"), (V_inv, "V_inv")):
        if arr.shape != (n, n):
            raise ValueError(f"{name} must have shape ({n}, {n}), got {arr.shape}")
    if eigvals.shape != (n,):
        raise ValueError(f"eigvals must have shape ({n},), got {eigvals.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        R = A - (V * eigvals) @ V_inv
        if not np.all(np.isfinite(R)):
            return float("inf")
        err = np.linalg.norm(R, 2)
    scale = np.linalg.norm(A, 2)
    return float(err / scale) if scale > 0 else float(err)


def _cond(V: np.ndarray) -> float:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        c = np.linalg.cond(V)
    return float(c) if np.isfinite(c) else float("inf")


def _eig_unit(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and unit-norm eigenvector columns."""
    eigvals, V = np.linalg.eig(A)
    V = V.astype(np.complex128)
    V = V / np.linalg.norm(V, axis=0)
    return eigvals.astype(np.complex128), V


def diagonalize(A: Any, *, tol: float = 1e-8, check: bool = True) -> Diagonalization:
    """Eigen-decompose :math:`A = V D V^{-1}` and check the result.

    Here :math:`D = \\operatorname{diag}(\\text{eigvals})`: :math:`S` for a continuous-time
    :math:`A`, :math:`\\Lambda` for a discrete-time one.

    The eigenvectors come from ``numpy.linalg.eig`` (LAPACK ``geev``) with unit-norm
    columns; ``V_inv`` is the computed inverse. The factorization is then checked by its
    backward error :math:`\\|A - V D V^{-1}\\|_2 / \\|A\\|_2`.

    **Choice made here:** a decomposition that does not reproduce :math:`A` to ``tol``
    raises :class:`DiagonalizationError` (a ``ValueError``) whose message gives the backward
    error and :math:`\\kappa(V)`, rather than returning factors that silently describe a
    different system. This covers defective matrices (a Jordan block: ``V`` is singular to
    working precision) and numerically non-diagonalizable ones (HiPPO-LegS for
    :math:`N \\gtrsim 16`). A large but harmless :math:`\\kappa(V)` alone does not raise;
    read ``condition_number`` on the result. Pass ``check=False`` to obtain the factors
    anyway (chapter 7 does, to show how far off they are).

    Parameters
    ----------
    A : array_like, shape (N, N), real or complex
    tol : float, > 0
        Largest accepted backward error. The default 1e-8 is about :math:`10^8` float64
        roundoffs: it accepts every reasonably conditioned matrix
        (backward error :math:`\\approx \\kappa(V) \\cdot 10^{-16}`).
    check : bool
        Raise when the backward error exceeds ``tol``.

    Returns
    -------
    Diagonalization
        Unpacks as ``eigvals, V, V_inv``; also carries ``backward_error`` and
        ``condition_number``.

    Raises
    ------
    DiagonalizationError
        With ``check=True``, when the backward error exceeds ``tol`` or ``V`` is singular.
    ValueError
        For a non-square or non-finite ``A`` or ``tol <= 0``.
    """
    A = as_square_matrix(A, "A")
    tol = check_positive(tol, "tol")
    check = check_bool(check, "check")
    eigvals, V = _eig_unit(A)
    cond = _cond(V)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            V_inv = np.linalg.inv(V)
    except np.linalg.LinAlgError:
        if check:
            raise DiagonalizationError(
                "A is not diagonalizable in floating point: its eigenvector matrix V is "
                "exactly singular (a defective matrix, e.g. a Jordan block)"
            ) from None
        V_inv = np.full_like(V, np.nan)
    err = backward_error(A, eigvals, V, V_inv) if np.all(np.isfinite(V_inv)) else float("inf")
    if check and not err <= tol:
        raise DiagonalizationError(
            f"A is not numerically diagonalizable: the computed V diag(eigvals) V^-1 differs "
            f"from A by a relative {err:.3g} > tol = {tol:.3g}; the eigenvector condition number "
            f"is kappa(V) = {cond:.3g} (A is defective or nearly so). Use check=False to get "
            f"the factors anyway, or perturb_then_diagonalize(A, eps)."
        )
    return Diagonalization(eigvals, V, V_inv, err, cond)


def eigenvector_condition_number(A: Any) -> float:
    """:math:`\\kappa(V) = \\|V\\|_2 \\|V^{-1}\\|_2` for unit-norm eigenvector columns.

    1 for a normal matrix (orthonormal eigenvectors); ``inf`` when ``V`` is singular to
    working precision. Computed from the singular values of ``V`` (no explicit inverse).

    Parameters
    ----------
    A : array_like, shape (N, N)

    Returns
    -------
    float
    """
    A = as_square_matrix(A, "A")
    _, V = _eig_unit(A)
    return _cond(V)


def hippo_legs(N: int) -> tuple[np.ndarray, np.ndarray]:
    """The HiPPO-LegS state matrices :cite:p:`gu2020hippo`.

    .. math::

        A_{nk} = -\\begin{cases} \\sqrt{2n+1}\\sqrt{2k+1} & n > k \\\\ n + 1 & n = k \\\\
        0 & n < k \\end{cases},

        B_n = \\sqrt{2n+1}, \\qquad n, k = 0, \\dots, N-1.

    ``A`` is lower triangular, so its eigenvalues are its diagonal, :math:`-1, -2, \\dots, -N`.

    Parameters
    ----------
    N : int, >= 1
        State size.

    Returns
    -------
    A : ndarray, shape (N, N), float64
    B : ndarray, shape (N, 1), float64
    """
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)):
        raise TypeError(f"N must be an int, got {type(N).__name__}")
    if N < 1:
        raise ValueError(f"N must be >= 1, got {N}")
    if N > 10_000:
        raise ValueError(f"N must be <= 10000 (dense N x N matrices), got {N}")
    n = np.arange(N, dtype=np.float64)
    q = np.sqrt(2 * n + 1)
    A = -np.tril(np.outer(q, q), k=-1) - np.diag(n + 1)
    B = q[:, None].copy()
    return A, B


@dataclass
class PTDResult:
    """The output of :func:`perturb_then_diagonalize`.

    Attributes
    ----------
    eigvals, V, V_inv : ndarray
        Diagonalization of :math:`A + E` (unit-norm columns of ``V``).
    E : ndarray, shape (N, N)
        The perturbation, :math:`\\|E\\|_2 = \\epsilon \\|A\\|_2`.
    backward_error : float
        :math:`\\|A - V \\operatorname{diag}(\\text{eigvals}) V^{-1}\\|_2 / \\|A\\|_2`, measured
        against the *unperturbed* ``A`` (about ``eps`` when the diagonalization of ``A + E``
        is accurate).
    condition_number : float
        :math:`\\kappa(V)`.
    """

    eigvals: np.ndarray
    V: np.ndarray
    V_inv: np.ndarray
    E: np.ndarray
    backward_error: float
    condition_number: float

    def __iter__(self):
        return iter((self.eigvals, self.V, self.V_inv))


def perturb_then_diagonalize(
    A: Any, eps: float = 1e-6, rng: np.random.Generator | int | None = None
) -> PTDResult:
    """Diagonalize a randomly perturbed matrix (the S4-PTD idea of :cite:t:`yu2024robustifying`).

    :cite:t:`yu2024robustifying` choose the perturbation :math:`E` by an optimization; this
    function uses the simplest version: it draws :math:`E` with i.i.d. standard normal
    entries (real for real ``A``, complex for complex ``A``), rescales it to
    :math:`\\|E\\|_2 = \\epsilon \\|A\\|_2`, and diagonalizes
    :math:`A + E = V_E S_E V_E^{-1}`. A generic perturbation splits the near-parallel
    eigenvectors of a (nearly) non-normal matrix apart, so :math:`\\kappa(V_E)` drops from
    astronomical to moderate, while :math:`V_E S_E V_E^{-1}` stays within about
    :math:`\\epsilon \\|A\\|_2` of :math:`A`.

    Parameters
    ----------
    A : array_like, shape (N, N)
    eps : float, > 0
        Relative size of the perturbation.
    rng : numpy.random.Generator or int or None
        Random generator or seed.

    Returns
    -------
    PTDResult
    """
    A = as_square_matrix(A, "A")
    eps = check_positive(eps, "eps")
    rng = as_rng(rng, "rng")
    E = rng.standard_normal(A.shape)
    if np.iscomplexobj(A):
        E = E + 1j * rng.standard_normal(A.shape)
    norm_A = np.linalg.norm(A, 2)
    E = E * (eps * norm_A / np.linalg.norm(E, 2))
    dec = diagonalize(A + E, check=False)
    eigvals, V, V_inv, cond = dec.eigvals, dec.V, dec.V_inv, dec.condition_number
    err = backward_error(A, eigvals, V, V_inv) if np.all(np.isfinite(V_inv)) else float("inf")
    return PTDResult(eigvals, V, V_inv, E, err, cond)


def compare_diagonalizations(
    Ns: Sequence[int],
    eps: float = 1e-6,
    rng: np.random.Generator | int | None = 0,
    matrix: Callable[[int], Any] | None = None,
) -> dict[str, np.ndarray]:
    """Plain diagonalization versus PTD across state sizes ``N``.

    Parameters
    ----------
    Ns : sequence of int
        State sizes.
    eps : float, > 0
        PTD perturbation size.
    rng : numpy.random.Generator or int or None
        Seed for the perturbations.
    matrix : callable, optional
        ``matrix(N)`` returns the (N, N) matrix, or a tuple whose first item is it.
        Defaults to :func:`hippo_legs`.

    Returns
    -------
    dict of ndarray, each shape (len(Ns),)
        ``"N"``; ``"cond_plain"``, ``"backward_plain"``, ``"max_abs_V_inv_plain"`` (the
        exploding entries of :math:`V^{-1}` for unit-norm eigenvectors) for plain
        diagonalization; ``"cond_ptd"``, ``"backward_ptd"``, ``"max_abs_V_inv_ptd"`` for PTD.
    """
    if isinstance(Ns, (str, bytes)) or not hasattr(Ns, "__iter__"):
        raise TypeError(f"Ns must be a sequence of ints, got {type(Ns).__name__}")
    Ns = list(Ns)
    if not Ns:
        raise ValueError("Ns must be a non-empty sequence of positive ints, got []")
    if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in Ns):
        raise TypeError(f"Ns must be a sequence of ints, got {Ns!r}")
    Ns = [int(n) for n in Ns]
    if any(n < 1 or n > 2000 for n in Ns):
        raise ValueError(f"Ns must hold sizes in [1, 2000] (dense eigendecompositions), got {Ns}")
    eps = check_positive(eps, "eps")
    rng = as_rng(rng, "rng")
    if matrix is not None and not callable(matrix):
        raise TypeError(f"matrix must be a callable matrix(N) or None, got {type(matrix).__name__}")
    build = matrix if matrix is not None else hippo_legs
    out: dict[str, list[float]] = {
        k: [] for k in ("N", "cond_plain", "backward_plain", "max_abs_V_inv_plain",
                        "cond_ptd", "backward_ptd", "max_abs_V_inv_ptd")
    }
    for n in Ns:
        A = build(n)
        A = A[0] if isinstance(A, tuple) else A
        if matrix is not None:
            A = as_square_matrix(A, f"matrix({n})")
            if A.shape != (n, n):
                raise ValueError(f"matrix({n}) must return an ({n}, {n}) matrix, got shape {A.shape}")
        plain = diagonalize(A, check=False)
        ptd = perturb_then_diagonalize(A, eps, rng)
        out["N"].append(n)
        out["cond_plain"].append(plain.condition_number)
        out["backward_plain"].append(plain.backward_error)
        with np.errstate(invalid="ignore"):
            out["max_abs_V_inv_plain"].append(float(np.nanmax(np.abs(plain.V_inv))))
            out["max_abs_V_inv_ptd"].append(float(np.nanmax(np.abs(ptd.V_inv))))
        out["cond_ptd"].append(ptd.condition_number)
        out["backward_ptd"].append(ptd.backward_error)
    return {k: np.asarray(v) for k, v in out.items()}


def to_diagonal_ssm(
    A: Any, B: Any, C: Any, *, tol: float = 1e-8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The complex diagonal form of :math:`(A, B, C)`.

    With :math:`x = V z` and :math:`\\tilde B = V^{-1} B`, :math:`\\tilde C = C V`. For a
    continuous-time :math:`A = V S V^{-1}` the two systems have the same impulse response
    :math:`C e^{At} B = \\tilde C e^{S t} \\tilde B`; for a discrete-time
    :math:`\\bar A = V \\Lambda V^{-1}`, the same kernel
    :math:`C \\bar A^j B = \\tilde C \\Lambda^j \\tilde B`. The same function serves both
    readings of ``A``.

    Parameters
    ----------
    A : array_like, shape (N, N)
    B : array_like, shape (N, H) (a vector of shape (N,) is read as (N, 1))
    C : array_like, shape (P, N) (a vector of shape (N,) is read as (1, N))
    tol : float
        Passed to :func:`diagonalize`; raises :class:`DiagonalizationError` when ``A``
        is not numerically diagonalizable.

    Returns
    -------
    lam : ndarray, shape (N,), complex
        The eigenvalues of ``A``: the diagonal of :math:`S` (continuous time, :math:`s_n`) or
        of :math:`\\Lambda` (discrete time, :math:`\\lambda_n`).
    B_tilde : ndarray, shape (N, H), complex
    C_tilde : ndarray, shape (P, N), complex
    """
    A = as_square_matrix(A, "A")
    n = A.shape[0]
    B = as_array(B, "B", ndim=(1, 2))
    C = as_array(C, "C", ndim=(1, 2))
    B = B[:, None] if B.ndim == 1 else B
    C = C[None, :] if C.ndim == 1 else C
    if B.shape[0] != n:
        raise ValueError(f"B must have shape (N, H) with N = {n} rows, got {B.shape}")
    if C.shape[1] != n:
        raise ValueError(f"C must have shape (P, N) with N = {n} columns, got {C.shape}")
    lam, V, V_inv = diagonalize(A, tol=tol)
    return lam, V_inv @ B, C @ V
