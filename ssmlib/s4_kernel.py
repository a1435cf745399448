"""S4's convolution kernel for a diagonal-plus-low-rank state matrix (Gu et al. 2022).

S4 keeps a continuous-time state matrix in *diagonal plus low rank* (DPLR) form

.. math::

    A = \\Lambda - P Q^{H}, \\qquad \\Lambda = \\operatorname{diag}(\\lambda^{c}_1, \\dots,
    \\lambda^{c}_N), \\quad P, Q \\in \\mathbb{C}^{N \\times r},

discretizes it with the bilinear transform,
:math:`\\bar A = (I - \\tfrac{\\Delta}{2} A)^{-1}(I + \\tfrac{\\Delta}{2} A)`,
:math:`\\bar B = (I - \\tfrac{\\Delta}{2} A)^{-1} \\Delta B`, and needs the convolution kernel
:math:`K_l = C \\bar A^{l} \\bar B`, :math:`l = 0, \\dots, L-1` (book notation: :math:`K_j`).
Here ``Lambda`` holds the **continuous-time** diagonal (the book writes continuous eigenvalues
:math:`s`; the S4 papers call this diagonal :math:`\\Lambda`, and we keep their name for the
argument). Computing :math:`\\bar A^l` for every :math:`l` costs :math:`O(L N^2)`
(:func:`dplr_kernel_powers`); S4 instead

1. **truncates the generating function** :math:`\\hat K(z) = \\sum_{l=0}^{L-1} K_l z^l =
   C (I - \\bar A^{L} z^{L}) (I - \\bar A z)^{-1} \\bar B` and evaluates it at the roots of unity
   :math:`z_k = e^{-2\\pi i k / L}`, where :math:`z_k^L = 1`, so that
   :math:`\\hat K(z_k) = \\tilde C (I - \\bar A z_k)^{-1} \\bar B` with
   :math:`\\tilde C = C (I - \\bar A^{L})`;
2. rewrites the bilinear resolvent as
   :math:`(I - \\bar A z)^{-1} \\bar B = \\frac{2}{1+z} (g(z) I - A)^{-1} B`,
   :math:`g(z) = \\frac{2}{\\Delta} \\frac{1-z}{1+z}`;
3. applies the **Woodbury identity** to :math:`(g I - \\Lambda + P Q^{H})^{-1}`:

   .. math::

       \\hat K(z) = \\frac{2}{1+z} \\left[k_{00} - k_{01} (I_r + k_{11})^{-1} k_{10}\\right],

   where every :math:`k_{ij}(z) = \\sum_n a_n b_n / (g(z) - \\lambda^{c}_n)` is a **Cauchy kernel**
   (:func:`cauchy_kernel`) with :math:`(a, b) \\in \\{(\\tilde C, B), (\\tilde C, P),
   (Q^{*}, B), (Q^{*}, P)\\}`: :math:`O(L N r^2)` operations, all independent
   (vectorized), and no matrix powers;
4. recovers :math:`K` with one inverse FFT: :math:`\\hat K(z_k)` is the DFT of :math:`K`.

At :math:`z = -1` (the Nyquist point, present for even :math:`L`) the factor :math:`2/(1+z)` and
:math:`g` are infinite; the product has the finite limit
:math:`\\hat K(-1) = \\tfrac{\\Delta}{2} \\tilde C B`, which is what we use there.

Everything is computed in complex128 (float64): the point is to check the algebra against
explicit matrix powers to ~1e-12, not speed. :func:`hippo_legs_nplr` gives the DPLR form of
HiPPO-LegS (chapter 7), whose normal part's diagonal also initializes S4D (:mod:`ssmlib.s4d`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ._validation import check_bool, check_positive, check_size, check_tensor
from .diagonalization import hippo_legs

__all__ = [
    "hippo_legs_nplr",
    "cauchy_kernel",
    "dplr_dense",
    "dplr_bilinear",
    "dplr_truncated_C",
    "dplr_generating_function",
    "dplr_kernel",
    "dplr_kernel_powers",
]

_NUMERIC = (torch.float32, torch.float64, torch.complex64, torch.complex128)
#: Entries of the Cauchy matrix formed at once (16 bytes each): 2**15 entries = 512 KiB.
_CAUCHY_BLOCK = 2**15


def _c128(x: Any, name: str, ndim: int | tuple[int, ...]) -> torch.Tensor:
    """Validate a tensor (any real or complex float dtype) and promote it to complex128."""
    check_tensor(x, name, ndim=ndim, dtypes=_NUMERIC)
    return x.to(torch.complex128)


def _check_L(L: Any) -> int:
    """The kernel length: an int in [1, 2**24] (the kernel and its FFT grid are held in memory)."""
    return check_size(L, "L", 1, 1 << 24)


def _check_dt(dt: Any) -> torch.Tensor:
    """``dt`` as a real float64 0-dim tensor (a float, or a 0-dim tensor that may carry gradients)."""
    if isinstance(dt, torch.Tensor):
        check_tensor(dt, "dt", ndim=0, dtypes=(torch.float32, torch.float64))
        if not bool(dt > 0):
            raise ValueError(f"dt must be > 0, got {float(dt)}")
        return dt.to(torch.float64)
    return torch.tensor(check_positive(dt, "dt"), dtype=torch.float64)


def _check_dplr(Lambda, P, Q, B, C, c_name: str = "C"):
    Lambda = _c128(Lambda, "Lambda", 1)
    n = Lambda.shape[0]
    if n == 0:
        raise ValueError("Lambda must be non-empty")
    P = _c128(P, "P", (1, 2))
    Q = _c128(Q, "Q", (1, 2))
    P = P[:, None] if P.ndim == 1 else P
    Q = Q[:, None] if Q.ndim == 1 else Q
    if P.shape[0] != n:
        raise ValueError(f"P must have shape (N,) or (N, r) with N = {n}, got {tuple(P.shape)}")
    if Q.shape != P.shape:
        raise ValueError(f"Q must have the shape of P {tuple(P.shape)}, got {tuple(Q.shape)}")
    B = _c128(B, "B", 1)
    C = _c128(C, c_name, 1)
    if B.shape[0] != n:
        raise ValueError(f"B must have shape (N,) = ({n},), got {tuple(B.shape)}")
    if C.shape[0] != n:
        raise ValueError(f"{c_name} must have shape (N,) = ({n},), got {tuple(C.shape)}")
    return Lambda, P, Q, B, C


def hippo_legs_nplr(N: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """HiPPO-LegS in normal-plus-low-rank form, written in the eigenbasis of its normal part.

    With :math:`(A, B)` = :func:`ssmlib.diagonalization.hippo_legs` and
    :math:`p_n = \\sqrt{n + 1/2}`, the matrix :math:`S = A + p p^{\\top}` is
    :math:`-\\tfrac12 I` plus a skew-symmetric matrix, hence normal:
    :math:`S = V \\operatorname{diag}(\\Lambda) V^{H}` with :math:`V` unitary and
    :math:`\\operatorname{Re} \\Lambda = -1/2`. Then

    .. math::

        A = V (\\operatorname{diag}(\\Lambda) - \\tilde P \\tilde P^{H}) V^{H}, \\qquad
        \\tilde P = V^{H} p, \\quad \\tilde B = V^{H} B,

    a DPLR matrix with :math:`Q = P` (rank 1), unitarily equivalent to HiPPO-LegS.
    The imaginary parts come from ``eigh`` of the Hermitian matrix :math:`-i (S + I/2)`
    (accurate and exactly on the line :math:`\\operatorname{Re} = -1/2`), sorted ascending.

    Parameters
    ----------
    N : int, >= 1
        State size.

    Returns
    -------
    Lambda : Tensor, shape (N,), complex128
        Eigenvalues of the normal part (continuous time), imaginary parts ascending.
    P : Tensor, shape (N,), complex128
        :math:`\\tilde P` (also :math:`Q`).
    B : Tensor, shape (N,), complex128
        :math:`\\tilde B`.
    V : Tensor, shape (N, N), complex128
        Unitary eigenvector matrix.
    """
    A, B = hippo_legs(N)  # validates N
    p = np.sqrt(np.arange(N) + 0.5)
    S = A + np.outer(p, p)  # normal part: -1/2 I + skew-symmetric
    W = S + 0.5 * np.eye(N)
    omega, V = np.linalg.eigh(-1j * W)  # -iW is Hermitian: W V = V (i omega)
    Lambda = -0.5 + 1j * omega
    Vh = V.conj().T
    return (
        torch.from_numpy(Lambda.astype(np.complex128)),
        torch.from_numpy(Vh @ p.astype(np.complex128)),
        torch.from_numpy(Vh @ B[:, 0].astype(np.complex128)),
        torch.from_numpy(V.astype(np.complex128)),
    )


def cauchy_kernel(v: torch.Tensor, omega: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """The Cauchy kernel :math:`k(\\omega_j) = \\sum_n v_n / (\\omega_j - \\lambda_n)`.

    A direct :math:`O(M N)` evaluation: it forms the ``(M, N)`` Cauchy matrix
    :math:`1/(\\omega_j - \\lambda_n)` in cache-sized blocks of rows and multiplies every
    numerator vector by each block (the S4 code's CUDA and KeOps Cauchy kernels compute the
    same sums with less memory).

    Parameters
    ----------
    v : Tensor, shape (..., N), complex
        Numerators.
    omega : Tensor, shape (M,), complex
        Evaluation points.
    lam : Tensor, shape (N,), complex
        Poles.

    Returns
    -------
    Tensor, shape (..., M), complex128
    """
    lam = _c128(lam, "lam", 1)
    omega = _c128(omega, "omega", 1)
    check_tensor(v, "v", dtypes=_NUMERIC)
    if v.ndim < 1 or v.shape[-1] != lam.shape[0]:
        raise ValueError(f"v must have shape (..., N) with N = {lam.shape[0]}, got {tuple(v.shape)}")
    v = v.to(torch.complex128)
    rows = max(1, _CAUCHY_BLOCK // lam.shape[0])  # evaluation points per block (cache-sized)
    out = []
    for start in range(0, omega.shape[0], rows):
        r = 1.0 / (omega[start:start + rows, None] - lam[None, :])  # block of the Cauchy matrix
        out.append(v @ r.T)  # one matrix product for all numerators
    return torch.cat(out, dim=-1) if out else v.new_zeros(v.shape[:-1] + (0,))


def dplr_dense(Lambda: torch.Tensor, P: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """The dense matrix :math:`A = \\operatorname{diag}(\\Lambda) - P Q^{H}`, shape (N, N), complex128."""
    Lambda = _c128(Lambda, "Lambda", 1)
    P = _c128(P, "P", (1, 2))
    Q = _c128(Q, "Q", (1, 2))
    P = P[:, None] if P.ndim == 1 else P
    Q = Q[:, None] if Q.ndim == 1 else Q
    if P.shape[0] != Lambda.shape[0] or Q.shape != P.shape:
        raise ValueError(
            f"P and Q must have shape (N,) or (N, r) with N = {Lambda.shape[0]}, "
            f"got {tuple(P.shape)} and {tuple(Q.shape)}"
        )
    return torch.diag(Lambda) - P @ Q.conj().T


def dplr_bilinear(
    Lambda: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, B: torch.Tensor, dt: float | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Bilinear discretization of the DPLR system, as dense matrices.

    :math:`\\bar A = (I - \\tfrac{\\Delta}{2} A)^{-1}(I + \\tfrac{\\Delta}{2} A)`,
    :math:`\\bar B = (I - \\tfrac{\\Delta}{2} A)^{-1} \\Delta B` (as :func:`ssmlib.bilinear`).

    Returns
    -------
    Abar : Tensor, shape (N, N), complex128
    Bbar : Tensor, shape (N,), complex128
    """
    A = dplr_dense(Lambda, P, Q)
    B = _c128(B, "B", 1)
    if B.shape[0] != A.shape[0]:
        raise ValueError(f"B must have shape (N,) = ({A.shape[0]},), got {tuple(B.shape)}")
    dt = _check_dt(dt)
    eye = torch.eye(A.shape[0], dtype=A.dtype)
    left = eye - dt / 2 * A
    Abar = torch.linalg.solve(left, eye + dt / 2 * A)
    Bbar = torch.linalg.solve(left, dt * B)
    return Abar, Bbar


def dplr_truncated_C(
    Lambda: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, C: torch.Tensor,
    dt: float | torch.Tensor, L: int,
) -> torch.Tensor:
    """:math:`\\tilde C = C (I - \\bar A^{L})`, the output vector of the truncated generating function.

    :math:`\\bar A^{L}` is formed by repeated squaring of the dense :math:`\\bar A`
    (:math:`O(N^3 \\log L)`, once per kernel; S4 can also train :math:`\\tilde C` directly).

    Returns
    -------
    Tensor, shape (N,), complex128
    """
    L = _check_L(L)
    Abar, _ = dplr_bilinear(Lambda, P, Q, torch.zeros_like(_c128(Lambda, "Lambda", 1)), dt)
    C = _c128(C, "C", 1)
    if C.shape[0] != Abar.shape[0]:
        raise ValueError(f"C must have shape (N,) = ({Abar.shape[0]},), got {tuple(C.shape)}")
    return C - C @ torch.linalg.matrix_power(Abar, L)


def dplr_generating_function(
    Lambda: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, B: torch.Tensor,
    C_tilde: torch.Tensor, dt: float | torch.Tensor, z: torch.Tensor,
) -> torch.Tensor:
    """:math:`\\tilde C (I - \\bar A z)^{-1} \\bar B` by Cauchy kernels and the Woodbury identity.

    For :math:`z \\ne -1`,

    .. math::

        \\tilde C (I - \\bar A z)^{-1} \\bar B = \\frac{2}{1+z}\\left[k_{00} - k_{01}
        (I_r + k_{11})^{-1} k_{10}\\right],

        k_{ab}(z) = \\sum_n \\frac{a_n b_n}{g(z) - \\lambda^{c}_n}, \\qquad
        g(z) = \\frac{2}{\\Delta} \\frac{1 - z}{1 + z},

    with :math:`k_{00} = \\tilde C\\,\\cdot\\,B`, :math:`k_{01} = \\tilde C\\,\\cdot\\,P` (1 x r),
    :math:`k_{10} = Q^{H}\\,\\cdot\\,B` (r x 1), :math:`k_{11} = Q^{H}\\,\\cdot\\,P` (r x r), each a Cauchy
    kernel; at :math:`z = -1` the limit :math:`\\tfrac{\\Delta}{2} \\tilde C B`.

    Parameters
    ----------
    Lambda : Tensor, shape (N,), complex
        Continuous-time diagonal (the S4 papers' :math:`\\Lambda`).
    P, Q : Tensor, shape (N,) or (N, r), complex
        Low-rank factors: :math:`A = \\operatorname{diag}(\\Lambda) - P Q^{H}`.
    B : Tensor, shape (N,), complex
        Continuous-time input vector.
    C_tilde : Tensor, shape (N,), complex
        Output row vector (:math:`\\tilde C`, or :math:`C` for the untruncated
        :math:`C (I - \\bar A z)^{-1} \\bar B`).
    dt : float or 0-dim Tensor, > 0
        Step :math:`\\Delta`.
    z : Tensor, shape (M,), complex
        Evaluation points (any, not only roots of unity).

    Returns
    -------
    Tensor, shape (M,), complex128
    """
    Lambda, P, Q, B, C_tilde = _check_dplr(Lambda, P, Q, B, C_tilde, "C_tilde")
    dt = _check_dt(dt)
    z = _c128(z, "z", 1)
    r = P.shape[1]
    nyquist = z == -1
    z_safe = torch.where(nyquist, torch.zeros_like(z), z)
    g = (2.0 / dt) * (1 - z_safe) / (1 + z_safe)  # (M,)
    # Cauchy kernels, stacked: rows (C_tilde, Q^*_1..r) times columns (B, P_1..r)
    left = torch.cat([C_tilde[None, :], Q.conj().T], dim=0)  # (1 + r, N)
    right = torch.cat([B[None, :], P.T], dim=0)  # (1 + r, N)
    v = left[:, None, :] * right[None, :, :]  # (1 + r, 1 + r, N)
    k = cauchy_kernel(v, g, Lambda)  # (1 + r, 1 + r, M)
    k00, k01, k10, k11 = k[0, 0], k[0, 1:], k[1:, 0], k[1:, 1:]
    eye = torch.eye(r, dtype=k.dtype)
    # Woodbury: (gI - Lambda + P Q^H)^{-1} = R - R P (I + Q^H R P)^{-1} Q^H R, R = (gI - Lambda)^{-1}
    M = (eye[:, :, None] + k11).permute(2, 0, 1)  # (M, r, r)
    sol = torch.linalg.solve(M, k10.T[:, :, None])[..., 0]  # (M, r)
    khat = (2 / (1 + z_safe)) * (k00 - (k01.T * sol).sum(-1))
    limit = dt / 2 * (C_tilde * B).sum()
    return torch.where(nyquist, limit, khat)


def dplr_kernel(
    Lambda: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
    dt: float | torch.Tensor, L: int, *, C_is_tilde: bool = False,
) -> torch.Tensor:
    """S4's kernel :math:`K_l = C \\bar A^{l} \\bar B`, :math:`l = 0..L-1`, via Cauchy kernels and an iFFT.

    Steps: :math:`\\tilde C` (:func:`dplr_truncated_C`), the generating function at the roots of
    unity :math:`z_k = e^{-2\\pi i k/L}` (:func:`dplr_generating_function`), then
    :math:`K = \\operatorname{iFFT}(\\hat K(z_k))`, because
    :math:`\\hat K(z_k) = \\sum_l K_l e^{-2\\pi i k l / L}` is the DFT of :math:`K`.

    Parameters
    ----------
    Lambda : Tensor, shape (N,), complex
        Continuous-time diagonal (called :math:`\\Lambda` in the S4 papers).
    P, Q : Tensor, shape (N,) or (N, r), complex
        :math:`A = \\operatorname{diag}(\\Lambda) - P Q^{H}`.
    B, C : Tensor, shape (N,), complex
        Continuous-time input and output vectors.
    dt : float or 0-dim Tensor, > 0
        Step :math:`\\Delta` of the bilinear discretization.
    L : int, >= 1
        Kernel length (number of taps).
    C_is_tilde : bool
        If True, ``C`` is already :math:`\\tilde C = C (I - \\bar A^L)` (S4 trains it directly),
        and no matrix power is formed.

    Returns
    -------
    K : Tensor, shape (L,), complex128
        Real (up to rounding) when the system is real, e.g. HiPPO-LegS
        (:func:`hippo_legs_nplr`) with a real output vector mapped to the eigenbasis.

    Notes
    -----
    Cost: :math:`O(L N r^2 + L r^3)` for the Cauchy kernels and Woodbury solves, :math:`O(L \\log L)`
    for the iFFT, plus :math:`O(N^3 \\log L)` for :math:`\\bar A^{L}` unless ``C_is_tilde``.
    """
    L = _check_L(L)
    C_is_tilde = check_bool(C_is_tilde, "C_is_tilde")
    Lambda, P, Q, B, C = _check_dplr(Lambda, P, Q, B, C)
    C_tilde = C if C_is_tilde else dplr_truncated_C(Lambda, P, Q, C, dt, L)
    z = torch.exp(-2j * math.pi * torch.arange(L, dtype=torch.float64) / L)
    if L % 2 == 0:
        z[L // 2] = -1.0  # exactly the Nyquist point (its limit is used there)
    khat = dplr_generating_function(Lambda, P, Q, B, C_tilde, dt, z)
    return torch.fft.ifft(khat)


def dplr_kernel_powers(
    Lambda: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
    dt: float | torch.Tensor, L: int,
) -> torch.Tensor:
    """The same kernel by explicit powers: :math:`x \\leftarrow \\bar A x`, :math:`K_l = C x`.

    :math:`O(L N^2)` work in ``L`` sequential matrix-vector products (the baseline that
    :func:`dplr_kernel` avoids; see ``benchmarks/s4_kernel.py``).

    Returns
    -------
    K : Tensor, shape (L,), complex128
    """
    L = _check_L(L)
    Lambda, P, Q, B, C = _check_dplr(Lambda, P, Q, B, C)
    Abar, x = dplr_bilinear(Lambda, P, Q, B, dt)
    K = []
    for _ in range(L):
        K.append(C @ x)
        x = Abar @ x
    return torch.stack(K)
