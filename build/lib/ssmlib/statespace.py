"""Linear time-invariant state space systems (chapters 1-3).

Continuous time (chapter 1, the state space form):

.. math::  \\dot x(t) = A x(t) + B u(t), \\qquad y(t) = C x(t) + D u(t)

Discrete time (chapter 3), in the book's convention:

.. math::  x_k = \\bar A x_{k-1} + \\bar B u_k, \\qquad y_k = C x_k + D u_k,
           \\qquad k = 1, \\dots, L,

where :math:`u_k` is the input held over :math:`(t_{k-1}, t_k]`. The ``simulate`` methods
follow SciPy's indexing instead (``scipy.signal.lsim``, ``scipy.signal.dlsim``): they
return the states at the sample times :math:`t_0, \\dots, t_{L-1}`, with ``x[0] == x0``,
each the state *before* the input sample of that row is applied (see
:meth:`DiscreteStateSpace.simulate`).

Shapes: :math:`N` states, :math:`H` inputs, :math:`P` outputs; ``A`` is (N, N),
``B`` (N, H), ``C`` (P, N), ``D`` (P, H). The attributes ``n``, ``m``, ``p`` of a
system hold :math:`N`, :math:`H`, :math:`P`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import expm

from ._validation import as_array, as_square_matrix, check_positive, check_result
from .stability import is_stable_continuous, is_stable_discrete

__all__ = ["StateSpace", "DiscreteStateSpace"]


def _system_matrices(
    A: Any, B: Any, C: Any, D: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate (A, B, C, D) and bring them to 2-D shapes (n,n), (n,m), (p,n), (p,m).

    ``B`` given as a vector of length n is one input column; ``C`` given as a vector of
    length n is one output row; ``D`` given as ``None`` means zeros and a scalar is
    broadcast to (p, m).
    """
    A = as_square_matrix(A, "A")
    n = A.shape[0]
    B = as_array(B, "B", ndim=(1, 2))
    if B.ndim == 1:
        B = B.reshape(-1, 1)
    if B.shape[0] != n:
        raise ValueError(f"B must have n={n} rows (one per state), got shape {B.shape}")
    m = B.shape[1]
    C = as_array(C, "C", ndim=(1, 2))
    if C.ndim == 1:
        C = C.reshape(1, -1)
    if C.shape[1] != n:
        raise ValueError(f"C must have n={n} columns (one per state), got shape {C.shape}")
    p = C.shape[0]
    if D is None:
        D = np.zeros((p, m))
    else:
        D = as_array(D, "D", ndim=(0, 1, 2))
        if D.ndim == 0:
            D = np.full((p, m), D.item(), dtype=D.dtype)
        elif D.ndim == 1:
            if D.size != p * m or min(p, m) != 1:
                raise ValueError(f"D must have shape (p, m)=({p}, {m}), got shape {D.shape}")
            D = D.reshape(p, m)
        elif D.shape != (p, m):
            raise ValueError(f"D must have shape (p, m)=({p}, {m}), got shape {D.shape}")
    return A, B, C, D


def _inputs(u: Any, L: int, m: int, name: str = "u") -> np.ndarray:
    """Validate an input sequence: ``None`` -> zeros; (L,) allowed when m = 1; -> (L, m)."""
    if u is None:
        return np.zeros((L, m))
    u = as_array(u, name, ndim=(1, 2))
    if u.ndim == 1:
        if m != 1:
            raise ValueError(f"{name} must have shape (L, m)=({L}, {m}); a 1-D {name} needs m=1")
        u = u.reshape(-1, 1)
    if u.shape != (L, m):
        raise ValueError(f"{name} must have shape (L, m)=({L}, {m}), got shape {u.shape}")
    return u


def _initial_state(x0: Any, n: int) -> np.ndarray:
    """Validate an initial state: ``None`` -> zeros; shape (n,)."""
    if x0 is None:
        return np.zeros(n)
    x0 = as_array(x0, "x0", ndim=1)
    if x0.shape != (n,):
        raise ValueError(f"x0 must have shape (n,)=({n},), got shape {x0.shape}")
    return x0


class _Dimensions:
    """Sizes shared by continuous and discrete systems (matrices A, B, C, D)."""

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray

    @property
    def n(self) -> int:
        """Number of states, :math:`N`."""
        return self.A.shape[0]

    @property
    def m(self) -> int:
        """Number of inputs, :math:`H`."""
        return self.B.shape[1]

    @property
    def p(self) -> int:
        """Number of outputs, :math:`P`."""
        return self.C.shape[0]


class StateSpace(_Dimensions):
    """A continuous-time LTI system :math:`\\dot x = Ax + Bu,\\ y = Cx + Du`.

    Parameters
    ----------
    A : array_like, shape (N, N)
        State matrix.
    B : array_like, shape (N, H) or (N,)
        Input matrix (a vector is a single input).
    C : array_like, shape (P, N) or (N,)
        Output matrix (a vector is a single output).
    D : array_like, shape (P, H), scalar or None
        Feedthrough; ``None`` (default) means zeros, a scalar fills (P, H).

    Attributes
    ----------
    A, B, C, D : ndarray
        The validated matrices, float64 (complex128 if any input was complex).
    n, m, p : int
        Numbers of states :math:`N`, inputs :math:`H` and outputs :math:`P`.

    Raises
    ------
    ValueError
        Non-square ``A``, mismatched shapes (the message names the matrix), non-finite
        entries.
    """

    def __init__(self, A: Any, B: Any, C: Any, D: Any = None) -> None:
        self.A, self.B, self.C, self.D = _system_matrices(A, B, C, D)

    def __repr__(self) -> str:
        return f"StateSpace(n={self.n}, m={self.m}, p={self.p})"

    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues :math:`s_n` of ``A``, shape (N,), complex128 (by decreasing real part)."""
        lam = np.linalg.eigvals(self.A).astype(np.complex128)
        return lam[np.lexsort((-lam.imag, -lam.real))]

    def is_stable(self) -> bool:
        """Asymptotic stability: every eigenvalue of ``A`` has negative real part."""
        return is_stable_continuous(self.eigenvalues())

    def simulate(
        self, t: Any, u: Any = None, x0: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact response to a piecewise-constant (zero-order-hold) input.

        The input sample ``u[k]`` is held constant from ``t[k]`` to ``t[k+1]``. Over an
        interval of length :math:`h` with constant input :math:`u` the state is propagated
        exactly with the block matrix exponential

        .. math::
            \\exp\\left(h \\begin{bmatrix} A & B \\\\ 0 & 0 \\end{bmatrix}\\right)
            = \\begin{bmatrix} e^{A h} & \\int_0^{h} e^{A \\tau}\\,d\\tau\\,B \\\\ 0 & I
            \\end{bmatrix},
            \\qquad x(t + h) = e^{A h} x(t) + \\Big(\\int_0^{h} e^{A \\tau} d\\tau\\Big) B u,

        computed once per distinct step ``h = t[k+1] - t[k]``.

        This is SciPy's convention: for a uniform grid the result equals
        ``scipy.signal.lsim(..., interp=False)``, with ``x[0] == x0`` and ``x[k+1]``
        obtained from ``x[k]`` and ``u[k]``. In the book's notation, where :math:`u_k` is
        held over :math:`(t_{k-1}, t_k]`, the sample ``u[k]`` is :math:`u_{k+1}` and
        ``x[k]`` is the state at ``t[k]``, *before* that input is applied; the last sample
        ``u[L-1]`` reaches only the output ``y[L-1]`` (through ``D``).

        Parameters
        ----------
        t : array_like, shape (L,)
            Strictly increasing times, L >= 1.
        u : array_like, shape (L, H) or (L,) when H = 1, optional
            Input samples; ``None`` means zero input (the free response).
        x0 : array_like, shape (N,), optional
            State at ``t[0]``; zeros by default.

        Returns
        -------
        y : ndarray, shape (L, P)
            Outputs ``y[k] = C x[k] + D u[k]``, the output at ``t[k]``.
        x : ndarray, shape (L, N)
            States ``x[k]`` :math:`= x(t)` at ``t = t[k]``; ``x[0] == x0``.
        """
        t = as_array(t, "t", ndim=1, complex_ok=False)
        L = t.size
        if L == 0:
            raise ValueError("t must contain at least one time")
        steps = np.diff(t)
        if np.any(steps <= 0):
            raise ValueError("t must be strictly increasing")
        u = _inputs(u, L, self.m)
        x0 = _initial_state(x0, self.n)
        n, m = self.n, self.m
        dtype = np.result_type(self.A, self.B, u, x0)
        x = np.empty((L, n), dtype=dtype)
        x[0] = x0
        if L > 1:
            # One block exponential per distinct step (a uniform grid needs only a few).
            unique_steps, which = np.unique(steps, return_inverse=True)
            M = np.zeros((n + m, n + m), dtype=np.result_type(self.A, self.B))
            M[:n, :n] = self.A
            M[:n, n:] = self.B
            hint = "use a shorter time span or smaller steps (or a stable A)"
            with np.errstate(over="ignore", invalid="ignore"):
                Phi = np.stack([expm(h * M)[:n] for h in unique_steps])  # (U, n, n + m)
                check_result(Phi, "simulate: exp(A h) for the steps h of t", hint)
                Ad, Bd = Phi[:, :, :n], Phi[:, :, n:]
                Bu = np.einsum("knm,km->kn", Bd[which], u[:-1])  # input term of every step
                for k in range(L - 1):
                    x[k + 1] = Ad[which[k]] @ x[k] + Bu[k]
            check_result(x, "simulate: the state x(t)", hint)
        with np.errstate(over="ignore", invalid="ignore"):
            y = x @ self.C.T + u @ self.D.T
        check_result(y, "simulate: the output y(t)", "the state or input is too large")
        return y, x


class DiscreteStateSpace(_Dimensions):
    """A discrete-time LTI system :math:`x_k = \\bar A x_{k-1} + \\bar B u_k,\\; y_k = C x_k + D u_k`.

    Parameters
    ----------
    A, B, C, D : array_like
        As for :class:`StateSpace` (shapes (N, N), (N, H), (P, N), (P, H)); ``A`` and ``B``
        are the discretized :math:`\\bar A` and :math:`\\bar B`.
    dt : float, > 0
        The sampling step :math:`\\Delta` the system was obtained with (in time units).

    Attributes
    ----------
    A, B, C, D : ndarray
        The validated matrices (``A`` is :math:`\\bar A`, ``B`` is :math:`\\bar B`; ``C`` and
        ``D`` are the output matrices of the discrete system, which the bilinear transform
        changes, see :func:`ssmlib.discretize.discretize`).
    dt : float
        Sampling step.
    """

    def __init__(self, A: Any, B: Any, C: Any, D: Any = None, dt: float = 1.0) -> None:
        self.A, self.B, self.C, self.D = _system_matrices(A, B, C, D)
        self.dt = check_positive(dt, "dt")

    def __repr__(self) -> str:
        return f"DiscreteStateSpace(n={self.n}, m={self.m}, p={self.p}, dt={self.dt:g})"

    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues :math:`\\lambda_n` of ``A``, shape (N,), complex128, by decreasing modulus."""
        lam = np.linalg.eigvals(self.A).astype(np.complex128)
        return lam[np.lexsort((-lam.imag, -np.abs(lam)))]

    def is_stable(self) -> bool:
        """Asymptotic stability: every eigenvalue of ``A`` inside the unit circle."""
        return is_stable_discrete(self.eigenvalues())

    def simulate(
        self, u: Any, x0: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run the recurrence over L input samples, with SciPy's indexing.

        This follows ``scipy.signal.dlsim``: ``x[0] == x0`` and
        ``x[k+1] = A @ x[k] + B @ u[k]``, ``y[k] = C @ x[k] + D @ u[k]``. In the book's
        notation, :math:`x_k = \\bar A x_{k-1} + \\bar B u_k` for :math:`k = 1, \\dots, L`
        with :math:`u_k` = ``u[k-1]``, this means ``x[k]`` is :math:`x_k` for
        :math:`k = 0, \\dots, L-1`: the states at the sample times
        :math:`t_0, \\dots, t_{L-1}`, each the state *before* the input sample ``u[k]``
        (the book's :math:`u_{k+1}`) is applied. The final state :math:`x_L` is not
        returned, and ``y[k]`` is :math:`C x_k + D u_{k+1}`. To get the book's
        :math:`x_1, \\dots, x_L`, append one (zero) input sample and take ``x[1:]``.

        Parameters
        ----------
        u : array_like, shape (L, H) or (L,) when H = 1
            Input sequence.
        x0 : array_like, shape (N,), optional
            Initial state :math:`x_0`; zeros by default.

        Returns
        -------
        y : ndarray, shape (L, P)
            Outputs ``y[k] = C @ x[k] + D @ u[k]``.
        x : ndarray, shape (L, N)
            States ``x[k]`` :math:`= x_k`, :math:`k = 0, \\dots, L-1` (``x[0] == x0``).
        """
        u_arr = as_array(u, "u", ndim=(1, 2))
        L = u_arr.shape[0]
        if L == 0:
            raise ValueError("u must contain at least one step")
        u_arr = _inputs(u_arr, L, self.m)
        x0 = _initial_state(x0, self.n)
        dtype = np.result_type(self.A, self.B, u_arr, x0)
        x = np.empty((L, self.n), dtype=dtype)
        x[0] = x0
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(L - 1):
                x[k + 1] = self.A @ x[k] + self.B @ u_arr[k]
            y = x @ self.C.T + u_arr @ self.D.T
        check_result(x, "simulate: the state x_k",
                     "an unstable A (|eigenvalue| > 1) grows past float64; shorten u")
        check_result(y, "simulate: the output y_k", "the state or input is too large")
        return y, x
