"""S4D: diagonal state space models (Gu et al. 2022).

S4D keeps, for each of the :math:`H` channels, a diagonal continuous-time system of
:math:`N/2` complex modes (their conjugates are implicit), discretizes it with a learnable
step :math:`\\Delta`, and convolves the input with the kernel

.. math::

    K_l = 2 \\operatorname{Re} \\sum_{n=1}^{N/2} C_n \\bar B_n \\lambda_n^{l}, \\qquad
    l = 0, \\dots, L-1,

a Vandermonde product (:func:`s4d_vandermonde`). Conventions (those of the minimal S4D kernel
published with the S4 code, ``models/s4/s4d.py`` of ``state-spaces/s4``, so that the same
parameters give the same kernel; see :class:`S4DKernel`):

* the **continuous-time diagonal is called** ``A`` (as in the S4D paper; the book's notation
  writes continuous eigenvalues :math:`s`), shape ``(H, N/2)``, complex, with
  :math:`\\operatorname{Re} A < 0` and :math:`\\operatorname{Im} A \\ge 0` (one of each
  conjugate pair); the discrete eigenvalues are :math:`\\lambda_n` (book notation);
* ``N`` is the **real** state size: the code stores ``N // 2`` complex modes, and the factor
  2 with the real part accounts for the conjugate modes;
* ``B`` is fixed to ones (its scale is absorbed into ``C``), and ``C`` is complex of shape
  ``(H, N/2)``, stored as ``torch.view_as_real`` (shape ``(H, N/2, 2)``);
* the step is parameterized as ``log_dt`` (shape ``(H,)``, one step per channel),
  :math:`\\Delta = e^{\\mathtt{log\\_dt}}`, initialized log-uniformly in
  :math:`[\\Delta_{\\min}, \\Delta_{\\max}] = [0.001, 0.1]`;
* :math:`A = -e^{\\mathtt{log\\_A\\_real}} + i\\,\\mathtt{A\\_imag}` (real part kept negative);
* **zero-order hold**: :math:`\\lambda = e^{\\Delta A}`, :math:`\\bar B = (e^{\\Delta A} - 1)/A
  \\cdot B`, so :math:`K_l = 2 \\operatorname{Re}\\sum_n C_n \\frac{e^{\\Delta A_n} - 1}{A_n}
  e^{l \\Delta A_n}` (exactly the minimal kernel's formula); **bilinear**:
  :math:`\\lambda = (1 + \\Delta A/2)/(1 - \\Delta A/2)`, :math:`\\bar B = \\Delta/(1 - \\Delta A/2)
  \\cdot B`.

Initializations (:func:`s4d_init`, real part :math:`-1/2`, :math:`n = 0, \\dots, N/2 - 1`):
S4D-Lin :math:`A_n = -\\tfrac12 + i \\pi n`; S4D-Inv
:math:`A_n = -\\tfrac12 + i \\tfrac{N}{\\pi}\\left(\\tfrac{N}{2n+1} - 1\\right)`; S4D-LegS the
eigenvalues of the normal part of HiPPO-LegS (:func:`ssmlib.s4_kernel.hippo_legs_nplr`), the
ones with positive imaginary part.

:class:`S4D` computes the layer in two ways that must agree: as an FFT convolution with the
kernel (parallel training) and as the recurrence :math:`x_k = \\lambda x_{k-1} + \\bar B u_k`,
:math:`y_k = 2 \\operatorname{Re}(C x_k) + D u_k` through :func:`ssmlib.scan.scan` (and
:meth:`S4D.step`, constant-time recurrent inference). Layout is channel-last ``(B, L, H)``
as everywhere in ssmlib (the published S4D layer uses ``(B, H, L)``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._validation import (
    check_choice, check_finite_scalar, check_positive, check_size, check_tensor,
)
from .s4_kernel import hippo_legs_nplr
from .scan import scan

__all__ = [
    "S4D_INITS",
    "S4D_DISCRETIZATIONS",
    "s4d_init",
    "s4d_discretize",
    "s4d_vandermonde",
    "s4d_kernel",
    "fft_causal_conv",
    "S4DKernel",
    "S4D",
]

#: Names accepted by :func:`s4d_init`.
S4D_INITS = ("lin", "inv", "legs")
#: Names accepted by ``method=`` of :func:`s4d_discretize` and :func:`s4d_kernel`.
S4D_DISCRETIZATIONS = ("zoh", "bilinear")

_REAL = (torch.float32, torch.float64)
_COMPLEX = (torch.complex64, torch.complex128)
#: Largest layer width / state size accepted (larger ones cannot be allocated).
_MAX_WIDTH = 1 << 16
#: Largest Vandermonde matrix (entries ``prod(batch) * N/2 * L``) that
#: :func:`s4d_vandermonde` and :func:`s4d_kernel` form (``2**28`` complex entries: 2-4 GiB).
_MAX_VANDERMONDE = 1 << 28


def _check_vandermonde_size(batch_shape: tuple, modes: int, L: int, names: str) -> None:
    """Refuse a Vandermonde matrix of more than :data:`_MAX_VANDERMONDE` entries (memory)."""
    entries = math.prod(batch_shape) * modes * L
    if entries > _MAX_VANDERMONDE:
        raise ValueError(
            f"{names} too large (memory): the Vandermonde matrix would hold "
            f"{math.prod(batch_shape)} x {modes} modes x L = {L} = {entries} entries, more than "
            f"{_MAX_VANDERMONDE}; lower L or the number of modes")




def _check_method(method: Any) -> str:
    return check_choice(method, "method", S4D_DISCRETIZATIONS)


def s4d_init(N: int, init: str = "inv", *, dtype: torch.dtype = torch.complex64) -> torch.Tensor:
    """The continuous-time diagonal ``A`` of S4D, ``N // 2`` modes (one per conjugate pair).

    Parameters
    ----------
    N : int, even, >= 2
        Real state size (the number of complex modes is ``N // 2``).
    init : {"lin", "inv", "legs"}
        ``"lin"``: :math:`A_n = -\\tfrac12 + i\\pi n`;
        ``"inv"``: :math:`A_n = -\\tfrac12 + i\\frac{N}{\\pi}\\left(\\frac{N}{2n+1} - 1\\right)`;
        ``"legs"``: the eigenvalues of the normal part of HiPPO-LegS with positive imaginary
        part (ascending), :math:`-\\tfrac12 + i\\omega_n` (chapter 7).
    dtype : torch.complex64 or torch.complex128

    Returns
    -------
    A : Tensor, shape (N // 2,), complex
        Continuous-time eigenvalues (the S4D papers' ``A``; the book's :math:`s`), in units of
        1/time, with real part :math:`-1/2` and imaginary part :math:`\\ge 0`.
    """
    N = check_size(N, "N", 2)
    if N % 2:
        raise ValueError(f"N must be even (N // 2 conjugate pairs), got {N}")
    init = check_choice(init, "init", S4D_INITS)
    if not isinstance(dtype, torch.dtype) or dtype not in _COMPLEX:
        raise TypeError(f"dtype must be torch.complex64 or torch.complex128, got {dtype}")
    n = torch.arange(N // 2, dtype=torch.float64)
    if init == "lin":
        imag = math.pi * n
    elif init == "inv":
        imag = N / math.pi * (N / (2 * n + 1) - 1)
    else:
        Lambda = hippo_legs_nplr(N)[0]  # imaginary parts ascending, in +/- pairs
        imag = Lambda.imag[N - N // 2:]  # the N // 2 positive ones
    return torch.complex(torch.full_like(imag, -0.5), imag).to(dtype)


def _check_A_dt(A: Any, dt: Any) -> tuple[torch.Tensor, torch.Tensor]:
    check_tensor(A, "A", dtypes=_COMPLEX)
    if A.ndim < 1:
        raise ValueError(f"A must have shape (..., N/2), got {tuple(A.shape)}")
    if isinstance(dt, torch.Tensor):
        check_tensor(dt, "dt", dtypes=_REAL)
        if dt.numel() and not bool((dt > 0).all()):
            raise ValueError("dt must be > 0 everywhere")
        if dt.shape != A.shape[: dt.ndim]:
            raise ValueError(
                f"dt must have a leading part of A's shape {tuple(A.shape)} (e.g. (H,) for A (H, N/2)), "
                f"got {tuple(dt.shape)}"
            )
        dt = dt.reshape(dt.shape + (1,) * (A.ndim - dt.ndim)).to(A.real.dtype)
    else:
        dt = torch.tensor(check_positive(dt, "dt"), dtype=A.real.dtype)
    return A, dt


def s4d_discretize(
    A: torch.Tensor, dt: float | torch.Tensor, B: torch.Tensor | None = None, method: str = "zoh"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Discretize a diagonal system with step :math:`\\Delta` (elementwise).

    ``"zoh"``: :math:`\\lambda = e^{\\Delta A}`, :math:`\\bar B = \\frac{e^{\\Delta A} - 1}{A} B`;
    ``"bilinear"``: :math:`\\lambda = \\frac{1 + \\Delta A/2}{1 - \\Delta A/2}`,
    :math:`\\bar B = \\frac{\\Delta}{1 - \\Delta A/2} B`.

    Parameters
    ----------
    A : Tensor, shape (..., N/2), complex, nonzero
        Continuous-time diagonal (the book's :math:`s`).
    dt : float or Tensor of shape ``A.shape[:k]`` (e.g. (H,) for A (H, N/2)), > 0
        Step :math:`\\Delta` (time units), differentiable when a tensor.
    B : Tensor, broadcastable to ``A``, optional
        Continuous-time input vector; ones (S4D's convention) if omitted.
    method : {"zoh", "bilinear"}

    Returns
    -------
    lam : Tensor, shape of ``A``, complex
        Discrete eigenvalues :math:`\\lambda`.
    Bbar : Tensor, shape of ``A`` (broadcast with ``B``), complex
    """
    A, dt = _check_A_dt(A, dt)
    method = _check_method(method)
    if B is None:
        B = torch.ones((), dtype=A.dtype)
    else:
        check_tensor(B, "B", dtypes=_REAL + _COMPLEX)
        try:
            torch.broadcast_shapes(B.shape, A.shape)
        except RuntimeError as exc:
            raise ValueError(f"B must broadcast to A's shape {tuple(A.shape)}, got {tuple(B.shape)}") from exc
    dtA = dt * A
    if method == "zoh":
        if bool((A == 0).any()):
            raise ValueError("A must be nonzero for method='zoh' (Bbar = (exp(dt A) - 1) / A)")
        lam = torch.exp(dtA)
        Bbar = (lam - 1.0) / A * B  # the minimal S4D kernel's C * (exp(dtA) - 1) / A
    else:
        den = 1.0 - dtA / 2
        lam = (1.0 + dtA / 2) / den
        Bbar = dt / den * B
    return lam, Bbar


def s4d_vandermonde(W: torch.Tensor, log_lam: torch.Tensor, L: int) -> torch.Tensor:
    """:math:`K_l = 2 \\operatorname{Re} \\sum_n W_n e^{l \\log\\lambda_n}` for :math:`l = 0..L-1`.

    The Vandermonde product :math:`K = 2 \\operatorname{Re}(W V)` with
    :math:`V_{nl} = \\lambda_n^{l}`, computed as ``exp(log_lam * l)`` (exactly
    :math:`\\lambda^l` for integer :math:`l` whatever the branch of the logarithm).

    Parameters
    ----------
    W : Tensor, shape (..., N/2), complex
        Weights :math:`C_n \\bar B_n`.
    log_lam : Tensor, shape (..., N/2), complex
        :math:`\\log \\lambda_n` (for ZOH, :math:`\\Delta A_n`); real part :math:`-\\infty`
        allowed (:math:`\\lambda_n = 0`).
    L : int, >= 1
        Number of taps; the Vandermonde matrix (``prod(batch) * N/2 * L`` entries) must hold at
        most ``2**28`` entries (memory).

    Returns
    -------
    K : Tensor, shape (..., L), real dtype of ``W``

    Raises
    ------
    ValueError
        For NaN or ``+inf`` in ``log_lam``, a size beyond the memory bound, or a kernel that
        overflows (non-finite).
    """
    check_tensor(W, "W", dtypes=_COMPLEX)
    check_tensor(log_lam, "log_lam", dtypes=_COMPLEX, finite=False)  # -inf is log(0)
    parts = torch.view_as_real(log_lam)
    if bool(torch.isnan(parts).any()):
        raise ValueError("log_lam must not contain NaN")
    if bool((parts[..., 0] == math.inf).any()) or not bool(torch.isfinite(parts[..., 1]).all()):
        raise ValueError("log_lam must be finite, except a real part of -inf (lambda = 0); "
                         "got +inf in its real part or a non-finite imaginary part")
    L = check_size(L, "L", 1)
    if W.ndim < 1 or log_lam.shape[-1:] != W.shape[-1:]:
        raise ValueError(f"log_lam must have W's last axis (N/2 = {W.shape[-1:]}), got {tuple(log_lam.shape)}")
    try:
        batch_shape = torch.broadcast_shapes(W.shape[:-1], log_lam.shape[:-1])
    except RuntimeError as exc:
        raise ValueError(f"log_lam must broadcast with W: shapes {tuple(log_lam.shape)} and "
                         f"{tuple(W.shape)}") from exc
    _check_vandermonde_size(tuple(batch_shape), W.shape[-1], L, "W, log_lam and L")
    ell = torch.arange(1, L, device=W.device, dtype=W.real.dtype)
    V = torch.exp(log_lam.unsqueeze(-1) * ell)  # (..., N/2, L - 1), V_nl = lam_n^l for l >= 1
    ones = torch.ones(V.shape[:-1] + (1,), dtype=V.dtype, device=V.device)
    V = torch.cat([ones, V], dim=-1)  # l = 0: lam^0 = 1 exactly (even for lam = 0, log_lam = -inf)
    K = 2 * torch.einsum("...n,...nl->...l", W, V).real
    if not bool(torch.isfinite(K).all()):
        raise ValueError("the kernel K overflows (non-finite result): the real part of log_lam "
                         "is too large for L taps (|lambda|^L overflows), or W is too large")
    return K


def s4d_kernel(
    A: torch.Tensor, C: torch.Tensor, dt: float | torch.Tensor, L: int,
    B: torch.Tensor | None = None, method: str = "zoh",
) -> torch.Tensor:
    """The S4D kernel :math:`K_l = 2 \\operatorname{Re}\\sum_n C_n \\bar B_n \\lambda_n^{l}`.

    Parameters
    ----------
    A : Tensor, shape (H, N/2) (or (N/2,)), complex
        Continuous-time diagonal.
    C : Tensor, shape of ``A``, complex
        Output weights (one per mode; the conjugate mode implicitly gets :math:`C_n^*`).
    dt : float or Tensor of shape (H,), > 0
        Step :math:`\\Delta`.
    L : int, >= 1
        Number of taps; ``A.numel() * L`` must be at most ``2**28`` (memory: the Vandermonde
        matrix is formed).
    B : Tensor, broadcastable to ``A``, optional
        Input vector; ones if omitted (the minimal S4D kernel's convention).
    method : {"zoh", "bilinear"}

    Returns
    -------
    K : Tensor, shape (H, L) (or (L,)), real

    Notes
    -----
    With ZOH and ``B = 1`` this is the minimal S4D kernel,
    :math:`2\\operatorname{Re}\\sum_n C_n \\frac{e^{\\Delta A_n} - 1}{A_n} e^{l\\Delta A_n}`.
    It equals :math:`C_{\\rm full} \\bar A^{l}_{\\rm full} \\bar B_{\\rm full}` of the real
    system of size :math:`N` made of the modes and their conjugates.
    """
    lam, Bbar = s4d_discretize(A, dt, B, method)
    L = check_size(L, "L", 1)
    _check_vandermonde_size(tuple(A.shape[:-1]), A.shape[-1], L, "A and L")
    check_tensor(C, "C", dtypes=_COMPLEX)
    if C.shape != A.shape:
        raise ValueError(f"C must have A's shape {tuple(A.shape)}, got {tuple(C.shape)}")
    _, dt_b = _check_A_dt(A, dt)
    log_lam = dt_b * A if method == "zoh" else torch.log(lam)
    return s4d_vandermonde(C * Bbar, log_lam, L)


def fft_causal_conv(u: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Causal convolution :math:`y_k = \\sum_{j=0}^{k} K_j u_{k-j}` per channel, by FFT.

    Zero-pads to length :math:`2L` so the circular convolution is the linear one
    (:math:`O(L \\log L)` per channel).

    Parameters
    ----------
    u : Tensor, shape (B, L, H), real
        Input, channel-last.
    K : Tensor, shape (H, L_K), real
        Kernel per channel; taps beyond ``L`` are ignored, missing taps count as zero.

    Returns
    -------
    y : Tensor, shape (B, L, H)
    """
    check_tensor(u, "u", ndim=3, dtypes=_REAL)
    check_tensor(K, "K", ndim=2, dtypes=_REAL)
    if K.shape[0] != u.shape[2]:
        raise ValueError(f"K must have shape (H, L) with H = {u.shape[2]} (from u), got {tuple(K.shape)}")
    L = u.shape[1]
    if u.numel() == 0:  # empty batch, length or width: nothing to transform
        return torch.zeros(u.shape, dtype=torch.promote_types(u.dtype, K.dtype), device=u.device)
    n = 2 * L
    k_f = torch.fft.rfft(K[:, :L], n=n)  # (H, n/2+1)
    u_f = torch.fft.rfft(u.transpose(1, 2), n=n)  # (B, H, n/2+1)
    y = torch.fft.irfft(u_f * k_f, n=n)[..., :L]
    return y.transpose(1, 2)


class S4DKernel(nn.Module):
    """The S4D kernel generator with the parameters of the minimal S4D code.

    Parameters (attributes, trainable unless ``lr == 0``, in which case they are buffers):
    ``log_dt`` (H,), ``C`` (H, N/2, 2) (``view_as_real`` of complex C), ``log_A_real``
    (H, N/2), ``A_imag`` (H, N/2). See the module docstring for the formulas.

    Parameters
    ----------
    d_model : int
        Number of channels :math:`H`.
    N : int, even
        Real state size (``N // 2`` complex modes).
    dt_min, dt_max : float
        Range of the log-uniform initialization of :math:`\\Delta`.
    init : {"lin", "inv", "legs"}
        Initialization of ``A`` (:func:`s4d_init`); the minimal code uses ``"lin"``.
    method : {"zoh", "bilinear"}
        Discretization (the minimal code: ZOH).
    lr : float, optional
        If 0, ``log_dt``, ``log_A_real`` and ``A_imag`` are frozen buffers. Otherwise the
        learning rate is recorded in each such parameter's ``_optim`` dict (with zero weight
        decay), for an optimizer to pick up.
    """

    def __init__(self, d_model: int, N: int = 64, dt_min: float = 0.001, dt_max: float = 0.1,
                 init: str = "lin", method: str = "zoh", lr: float | None = None) -> None:
        super().__init__()
        H = check_size(d_model, "d_model", 1, _MAX_WIDTH)
        N = check_size(N, "N", 2, _MAX_WIDTH)
        dt_min = check_positive(dt_min, "dt_min")
        dt_max = check_positive(dt_max, "dt_max")
        if dt_max < dt_min:
            raise ValueError(f"dt_max must be >= dt_min ({dt_min}), got {dt_max}")
        self.method = _check_method(method)
        if lr is not None:
            lr = check_positive(lr, "lr", allow_zero=True)
        A = s4d_init(N, init, dtype=torch.complex64)
        log_dt = torch.rand(H) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        C = torch.randn(H, N // 2, dtype=torch.complex64)  # real, imaginary parts N(0, 1/2)
        self.C = nn.Parameter(torch.view_as_real(C))
        self._register("log_dt", log_dt, lr)
        self._register("log_A_real", torch.log(-A.real).repeat(H, 1), lr)
        self._register("A_imag", A.imag.repeat(H, 1), lr)

    def _register(self, name: str, tensor: torch.Tensor, lr: float | None) -> None:
        if lr == 0.0:
            self.register_buffer(name, tensor)
        else:
            self.register_parameter(name, nn.Parameter(tensor))
            optim: dict = {"weight_decay": 0.0}
            if lr is not None:
                optim["lr"] = lr
            setattr(getattr(self, name), "_optim", optim)

    def dt(self) -> torch.Tensor:
        """:math:`\\Delta = e^{\\mathtt{log\\_dt}}`, shape (H,)."""
        return torch.exp(self.log_dt)

    def A(self) -> torch.Tensor:
        """:math:`A = -e^{\\mathtt{log\\_A\\_real}} + i\\,\\mathtt{A\\_imag}`, shape (H, N/2), complex."""
        return torch.complex(-torch.exp(self.log_A_real), self.A_imag)

    def C_complex(self) -> torch.Tensor:
        """Complex ``C``, shape (H, N/2)."""
        return torch.view_as_complex(self.C)

    def discretize(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(lam, Bbar)``, each of shape (H, N/2), complex (``B = 1``)."""
        return s4d_discretize(self.A(), self.dt(), None, self.method)

    def forward(self, L: int) -> torch.Tensor:
        """The kernel, shape (H, L), real (dtype of the parameters)."""
        return s4d_kernel(self.A(), self.C_complex(), self.dt(), L, None, self.method)


class S4D(nn.Module):
    """An S4D layer: SSM (convolution or recurrence) + skip ``D``, GELU, dropout, GLU.

    .. math::

        y^{\\rm ssm} = K * u + D \\odot u, \\qquad
        y = \\operatorname{GLU}(W\\,\\operatorname{dropout}(\\operatorname{GELU}(y^{\\rm ssm})) + b),

    as the published minimal S4D layer (its ``Conv1d(H, 2H, 1)`` + GLU is a ``Linear(H, 2H)``
    + GLU here), with channel-last layout.

    Parameters
    ----------
    d_model : int
        Channels :math:`H`.
    d_state : int, even
        Real state size :math:`N` per channel.
    dropout : float in [0, 1)
    **kernel_args
        Passed to :class:`S4DKernel` (``dt_min``, ``dt_max``, ``init``, ``method``, ``lr``).
    """

    def __init__(self, d_model: int, d_state: int = 64, dropout: float = 0.0, **kernel_args: Any) -> None:
        super().__init__()
        self.h = check_size(d_model, "d_model", 1, _MAX_WIDTH)
        self.n = check_size(d_state, "d_state", 2, _MAX_WIDTH)
        p = check_finite_scalar(dropout, "dropout")
        if not 0 <= p < 1:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.D = nn.Parameter(torch.randn(self.h))
        self.kernel = S4DKernel(self.h, N=self.n, **kernel_args)
        self.dropout = nn.Dropout(p) if p > 0 else nn.Identity()
        self.output_linear = nn.Linear(self.h, 2 * self.h)

    def _check_u(self, u: Any, name: str, ndim: int) -> torch.Tensor:
        check_tensor(u, name, ndim=ndim, dtypes=_REAL)
        if u.shape[-1] != self.h:
            raise ValueError(f"{name} must have last axis H = {self.h}, got shape {tuple(u.shape)}")
        return u

    def ssm(self, u: torch.Tensor, mode: str = "fft") -> torch.Tensor:
        """The SSM part :math:`y^{\\rm ssm}_k = \\sum_j K_j u_{k-j} + D u_k`, two ways.

        Parameters
        ----------
        u : Tensor, shape (B, L, H), real
        mode : {"fft", "recurrence"}
            ``"fft"``: kernel (:class:`S4DKernel`) then FFT convolution, :math:`O(L \\log L)`;
            ``"recurrence"``: :math:`x_k = \\lambda \\odot x_{k-1} + \\bar B u_k` for the
            :math:`H \\cdot N/2` complex modes through :func:`ssmlib.scan.scan`, then
            :math:`y_k = 2 \\operatorname{Re}(C x_k) + D u_k`.

        Returns
        -------
        Tensor, shape (B, L, H), dtype of ``u``
            Empty when ``B`` or ``L`` is 0.
        """
        u = self._check_u(u, "u", 3)
        mode = check_choice(mode, "mode", ("fft", "recurrence"))
        batch, L, H = u.shape
        if L == 0 or batch == 0:  # empty input: the SSM part is just the (empty) skip
            return u * self.D.to(u.dtype)
        if mode == "fft":
            K = self.kernel(L)  # (H, L)
            y = fft_causal_conv(u, K.to(u.dtype))
        else:
            lam, Bbar = self.kernel.discretize()  # (H, N/2)
            n2 = lam.shape[-1]
            b = (Bbar * u.to(Bbar.dtype)[..., None]).reshape(batch, L, H * n2)
            x = scan(lam.reshape(-1), b).reshape(batch, L, H, n2)
            y = 2 * (x * self.kernel.C_complex()).sum(-1).real.to(u.dtype)
        return y + u * self.D.to(u.dtype)

    def _pointwise(self, y: torch.Tensor) -> torch.Tensor:
        y = self.dropout(F.gelu(y))
        return F.glu(self.output_linear(y), dim=-1)

    def forward(self, u: torch.Tensor, mode: str = "fft") -> torch.Tensor:
        """Layer output, shape (B, L, H), for ``u`` of shape (B, L, H); ``mode`` as in :meth:`ssm`."""
        return self._pointwise(self.ssm(u, mode))

    def initial_state(self, batch: int) -> torch.Tensor:
        """Zero state, shape (batch, H, N/2), complex."""
        batch = check_size(batch, "batch", 1)
        A = self.kernel.A()
        return torch.zeros(batch, self.h, A.shape[-1], dtype=A.dtype, device=A.device)

    def step(self, u_t: torch.Tensor, state: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """One recurrent step: ``u_t`` (B, H) -> output (B, H), new state (B, H, N/2).

        :math:`O(H N)` per step whatever the position in the sequence (recurrent inference).
        """
        u_t = self._check_u(u_t, "u_t", 2)
        lam, Bbar = self.kernel.discretize()
        if state is None:
            state = self.initial_state(u_t.shape[0])
        else:
            check_tensor(state, "state", ndim=3, dtypes=_COMPLEX)
            if state.shape != (u_t.shape[0],) + tuple(lam.shape):
                raise ValueError(
                    f"state must have shape {(u_t.shape[0],) + tuple(lam.shape)}, got {tuple(state.shape)}"
                )
        x = lam * state + Bbar * u_t.to(lam.dtype)[..., None]
        y = 2 * (x * self.kernel.C_complex()).sum(-1).real.to(u_t.dtype) + u_t * self.D.to(u_t.dtype)
        return self._pointwise(y), x
