"""Mamba's selective scan (Gu and Dao, arXiv 2023 / COLM 2024): an input-dependent diagonal SSM.

For every batch element, channel :math:`d = 1..D` and state index :math:`n = 1..N`,

.. math::

    x_{k,dn} = e^{\\Delta_{k,d} A_{dn}}\\, x_{k-1,dn} + \\Delta_{k,d} B_{k,n} u_{k,d},

    y_{k,d} = \\sum_n C_{k,n} x_{k,dn} + D_d u_{k,d}, \\qquad x_0 = 0,

optionally gated, :math:`y \\leftarrow y \\odot \\operatorname{silu}(z)`. The step
:math:`\\Delta_{k,d}` (``delta``, book symbol :math:`\\Delta`), :math:`B_k` and :math:`C_k` may
depend on the input, so the discrete eigenvalues :math:`\\lambda_{k,dn} = e^{\\Delta_{k,d}A_{dn}}`
vary with time: the recurrence runs through :func:`ssmlib.scan.scan`'s time-varying form
(``lam`` of shape ``(B, L, N)``), which has autograd. ``A`` is the continuous-time diagonal (the
Mamba paper's name; the book writes continuous eigenvalues :math:`s`). The input term is
:math:`\\Delta B u` (Mamba's simplified zero-order hold: Euler for :math:`B`, exact exponential
for :math:`A`).

:func:`selective_scan` follows the shapes and semantics of the reference (non-fused) function
``selective_scan_ref`` in ``mamba_ssm/ops/selective_scan_interface.py`` of
``state-spaces/mamba`` (checked against that code; this is an independent implementation):

* ``delta_bias`` is added to ``delta`` before the optional softplus;
* ``B``/``C`` of shape ``(D, N)`` are time-invariant; ``(batch, N, L)`` are shared by all
  channels; ``(batch, G, N, L)`` are shared by groups of ``D // G`` consecutive channels;
* with **complex** ``A``, the state is complex and the output is
  :math:`2\\operatorname{Re}(\\cdot)` (each mode stands for a conjugate pair); input-dependent
  ``B``/``C`` are then given as **real** tensors with last axis ``2L`` holding interleaved
  (real, imaginary) pairs (a complex tensor with last axis ``L`` is accepted too);
  time-invariant ``B``/``C`` of shape ``(D, N)`` may be real or complex;
* ``D`` adds :math:`D_d u`, ``z`` multiplies by :math:`\\operatorname{silu}(z)` (after ``D``);
* float16/bfloat16/float32 inputs are computed in float32 and the output is returned in ``u``'s
  dtype, like the reference. **Difference:** if any of ``u, delta, A, B, C`` is float64 or
  complex128 the whole computation runs in float64 (the reference always uses float32), so that
  ``torch.autograd.gradcheck`` applies.

:class:`SelectiveSSM` is the minimal selective layer (Mamba's "S6"): :math:`\\Delta`, :math:`B`,
:math:`C` are linear projections of the input, :math:`A = -e^{A_{\\log}}` starts at
:math:`-(1, 2, \\dots, N)` (S4D-Real). :class:`MambaBlock` wraps it as in Mamba (input projection,
short causal convolution, SiLU, selective SSM gated by a second branch, output projection).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_bool, check_choice, check_positive, check_size, check_tensor
from .scan import scan

__all__ = ["selective_scan", "SelectiveSSM", "MambaBlock"]

_IN = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_REAL = _IN
_COMPLEX = (torch.complex64, torch.complex128)
#: Largest layer width / state size accepted (larger ones cannot be allocated).
_MAX_WIDTH = 1 << 16
_WIDE = (torch.float64, torch.complex128)




def _prepare_BC(M: Any, name: str, batch: int, dim: int, N: int, L: int,
                complex_A: bool, rdt: torch.dtype, cdt: torch.dtype) -> torch.Tensor:
    """Return ``M`` as (D, N) [time-invariant] or (batch, G, N, L) [input-dependent], in the compute dtype."""
    check_tensor(M, name, ndim=(2, 3, 4), dtypes=_REAL + _COMPLEX)
    if M.ndim == 2:
        if tuple(M.shape) != (dim, N):
            raise ValueError(f"{name} of 2 dimensions must have shape (D, N) = {(dim, N)}, got {tuple(M.shape)}")
        if M.is_complex() and not complex_A:
            raise TypeError(f"{name} must be real when A is real, got {M.dtype}")
        return M.to(cdt if complex_A else rdt)
    M4 = M[:, None] if M.ndim == 3 else M  # (batch, G, N, L or 2L)
    if M4.shape[0] != batch or M4.shape[2] != N:
        want = "(batch, N, L)" if M.ndim == 3 else "(batch, G, N, L)"
        raise ValueError(
            f"{name} must have shape {want} with batch = {batch}, N = {N}, got {tuple(M.shape)}"
        )
    groups = M4.shape[1]
    if groups < 1 or dim % groups:
        raise ValueError(f"{name}: the number of groups G = {groups} must divide D = {dim}")
    if M4.is_complex():
        if not complex_A:
            raise TypeError(f"{name} must be real when A is real, got {M.dtype}")
        if M4.shape[3] != L:
            raise ValueError(f"complex {name} must have L = {L} steps on its last axis, got {M4.shape[3]}")
        return M4.to(cdt)
    if complex_A:
        if M4.shape[3] != 2 * L:
            raise ValueError(
                f"real {name} with complex A must hold interleaved (real, imag) pairs: last axis 2L = {2 * L}, "
                f"got {M4.shape[3]}"
            )
        pairs = M4.to(rdt).reshape(*M4.shape[:3], L, 2).contiguous()
        return torch.view_as_complex(pairs)
    if M4.shape[3] != L:
        raise ValueError(f"{name} must have L = {L} steps on its last axis, got {M4.shape[3]}")
    return M4.to(rdt)


def _check_backend(backend: Any) -> str:
    """``backend``: ``"auto"`` or one of :data:`ssmlib.scan.SCAN_BACKENDS`."""
    from .scan import SCAN_BACKENDS

    return check_choice(backend, "backend", ("auto", *SCAN_BACKENDS))


def _per_channel(M: torch.Tensor, dim: int) -> torch.Tensor:
    """(batch, G, N, L) -> broadcastable (batch, D or 1, L, N): group g serves channels g*D/G .. (g+1)*D/G - 1."""
    batch, groups, n, length = M.shape
    if groups > 1:
        M = M[:, :, None].expand(batch, groups, dim // groups, n, length).reshape(batch, dim, n, length)
    return M.transpose(-1, -2)


def selective_scan(
    u: torch.Tensor,
    delta: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
    z: torch.Tensor | None = None,
    delta_bias: torch.Tensor | None = None,
    delta_softplus: bool = False,
    return_last_state: bool = False,
    backend: str = "auto",
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """The selective scan :math:`x_k = e^{\\Delta_k A} x_{k-1} + \\Delta_k B_k u_k`, :math:`y_k = C_k x_k (+ D u_k)`.

    Parameters
    ----------
    u : Tensor, shape (batch, D, L), float16/bfloat16/float32/float64
        Input (channel-first, as in Mamba's reference).
    delta : Tensor, shape (batch, D, L), real
        Step :math:`\\Delta` (before ``delta_bias`` and the softplus).
    A : Tensor, shape (D, N), real or complex
        Continuous-time diagonal per channel (negative real part for decay).
    B : Tensor, shape (D, N), (batch, N, L) or (batch, G, N, L)
        Input vector: time-invariant, input-dependent, or input-dependent per group of
        ``D // G`` channels. With complex ``A``: last axis ``2L`` of interleaved real and
        imaginary parts (or a complex tensor with last axis ``L``).
    C : Tensor, same forms as ``B``
        Output vector.
    D : Tensor, shape (D,), real, optional
        Skip: adds :math:`D_d u_{k,d}`.
    z : Tensor, shape (batch, D, L), real, optional
        Gate: the output is multiplied by :math:`\\operatorname{silu}(z)`.
    delta_bias : Tensor, shape (D,), real, optional
        Added to ``delta`` (before the softplus).
    delta_softplus : bool
        Apply :math:`\\operatorname{softplus}` to ``delta`` (so :math:`\\Delta > 0`).
    return_last_state : bool
        Also return the state after the last step.
    backend : str
        Backend of :func:`ssmlib.scan.scan` (``"auto"``: chunked on CPU, Triton on CUDA).

    Returns
    -------
    out : Tensor, shape (batch, D, L), dtype of ``u``
    last_state : Tensor, shape (batch, D, N), only if ``return_last_state``
        Real (float32/float64) for real ``A``, complex for complex ``A``.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, for wrong types, dtypes, shapes or non-finite values.

    Notes
    -----
    The states are materialized as a ``(batch, L, D N)`` tensor: memory :math:`O(B L D N)`
    (Mamba's fused kernel keeps them in SRAM; this version is for clarity and CPU scale).
    """
    check_tensor(u, "u", ndim=3, dtypes=_IN)
    batch, dim, L = u.shape
    check_tensor(delta, "delta", ndim=3, dtypes=_IN)
    if delta.shape != u.shape:
        raise ValueError(f"delta must have u's shape {tuple(u.shape)}, got {tuple(delta.shape)}")
    check_tensor(A, "A", ndim=2, dtypes=_REAL + _COMPLEX)
    if A.shape[0] != dim or A.shape[1] < 1:
        raise ValueError(f"A must have shape (D, N) with D = {dim} (from u), got {tuple(A.shape)}")
    N = A.shape[1]
    complex_A = A.is_complex()
    tensors = [t for t in (u, delta, A, B, C) if isinstance(t, torch.Tensor)]
    wide = any(t.dtype in _WIDE for t in tensors)
    rdt = torch.float64 if wide else torch.float32
    cdt = torch.complex128 if wide else torch.complex64
    Bc = _prepare_BC(B, "B", batch, dim, N, L, complex_A, rdt, cdt)
    Cc = _prepare_BC(C, "C", batch, dim, N, L, complex_A, rdt, cdt)
    if D is not None:
        check_tensor(D, "D", ndim=1, dtypes=_REAL)
        if D.shape[0] != dim:
            raise ValueError(f"D must have shape (D,) = ({dim},), got {tuple(D.shape)}")
    if z is not None:
        check_tensor(z, "z", ndim=3, dtypes=_IN)
        if z.shape != u.shape:
            raise ValueError(f"z must have u's shape {tuple(u.shape)}, got {tuple(z.shape)}")
    delta_softplus = check_bool(delta_softplus, "delta_softplus")
    return_last_state = check_bool(return_last_state, "return_last_state")
    backend = _check_backend(backend)

    uf = u.to(rdt)
    dlt = delta.to(rdt)
    if delta_bias is not None:
        check_tensor(delta_bias, "delta_bias", ndim=1, dtypes=_REAL)
        if delta_bias.shape[0] != dim:
            raise ValueError(f"delta_bias must have shape (D,) = ({dim},), got {tuple(delta_bias.shape)}")
        dlt = dlt + delta_bias.to(rdt)[:, None]
    if delta_softplus:
        dlt = F.softplus(dlt)
    Af = A.to(cdt if complex_A else rdt)

    # channel-last (batch, L, D, N) for the scan
    dlt_t = dlt.transpose(1, 2)[..., None]  # (batch, L, D, 1)
    lam = torch.exp(dlt_t * Af)  # lambda_k = exp(Delta_k A)       (batch, L, D, N)
    du = (dlt * uf).transpose(1, 2)[..., None]  # Delta_k u_k        (batch, L, D, 1)
    Bk = Bc if Bc.ndim == 2 else _per_channel(Bc, dim)  # (D, N) or (batch, D|1, L, N)
    Bk = Bk if Bc.ndim == 2 else Bk.transpose(1, 2)  # (batch, L, D|1, N)
    bu = (du * Bk).to(lam.dtype).expand(batch, L, dim, N)  # Delta_k B_k u_k
    x = scan(lam.reshape(batch, L, dim * N), bu.reshape(batch, L, dim * N), backend=backend)
    x = x.reshape(batch, L, dim, N)
    Ck = Cc if Cc.ndim == 2 else _per_channel(Cc, dim).transpose(1, 2)
    y = (x * Ck).sum(-1)  # (batch, L, D)
    if y.is_complex():
        y = 2 * y.real  # each complex mode stands for a conjugate pair
    y = y.transpose(1, 2)  # (batch, D, L)
    out = y if D is None else y + uf * D.to(rdt)[:, None]
    if z is not None:
        out = out * F.silu(z.to(rdt))
    out = out.to(u.dtype)
    if not return_last_state:
        return out
    last = x[:, -1] if L > 0 else x.new_zeros(batch, dim, N)
    return out, last


class SelectiveSSM(nn.Module):
    """A minimal selective SSM layer (S6): :math:`\\Delta`, :math:`B`, :math:`C` projected from the input.

    For an input :math:`u_k \\in \\mathbb R^{H}`,

    .. math::

        \\Delta_k = \\operatorname{softplus}(W_\\Delta W_r u_k + b_\\Delta) \\in \\mathbb R^{H},

        B_k = W_B u_k \\in \\mathbb R^{N}, \\quad C_k = W_C u_k \\in \\mathbb R^{N},

    then :func:`selective_scan` with :math:`A = -e^{A_{\\log}}` (shape (H, N)) and skip
    :math:`D`. :math:`W_r` is a rank-``dt_rank`` bottleneck. Initialization as in Mamba:
    :math:`A_{dn} = -n` (S4D-Real), :math:`D = 1`, :math:`b_\\Delta = \\operatorname{softplus}^{-1}(\\Delta_0)`
    with :math:`\\Delta_0` log-uniform in ``[dt_min, dt_max]`` (floored at ``dt_init_floor``),
    :math:`W_\\Delta` uniform in :math:`\\pm` ``dt_rank ** -0.5``.

    Parameters
    ----------
    d_model : int
        Width :math:`H` (number of channels, each with its own :math:`N` states).
    d_state : int
        :math:`N`.
    dt_rank : int or "auto"
        Rank of the :math:`\\Delta` projection; ``"auto"`` is ``ceil(d_model / 16)``.
    dt_min, dt_max, dt_init_floor : float
        Initial range of :math:`\\Delta`.
    backend : str
        Backend of :func:`ssmlib.scan.scan` used by :func:`selective_scan` (``"auto"``, or one of
        ``ssmlib.scan.SCAN_BACKENDS``; e.g. ``"sequential"`` for tiny CPU models, where
        starting threads costs more than it saves).
    """

    def __init__(self, d_model: int, d_state: int = 16, dt_rank: int | str = "auto",
                 dt_min: float = 0.001, dt_max: float = 0.1, dt_init_floor: float = 1e-4,
                 backend: str = "auto") -> None:
        super().__init__()
        self.backend = _check_backend(backend)
        H = self.d_model = check_size(d_model, "d_model", 1, _MAX_WIDTH)
        N = self.d_state = check_size(d_state, "d_state", 1, _MAX_WIDTH)
        if isinstance(dt_rank, str):
            if dt_rank != "auto":
                raise TypeError(f"dt_rank must be 'auto' or an int, got {dt_rank!r}")
            dt_rank = math.ceil(H / 16)
        elif isinstance(dt_rank, bool) or not isinstance(dt_rank, (int, np.integer)):
            raise TypeError(f"dt_rank must be 'auto' or an int, got {type(dt_rank).__name__}")
        self.dt_rank = check_size(dt_rank, "dt_rank", 1, _MAX_WIDTH)
        dt_min = check_positive(dt_min, "dt_min")
        dt_max = check_positive(dt_max, "dt_max")
        if dt_max < dt_min:
            raise ValueError(f"dt_max must be >= dt_min ({dt_min}), got {dt_max}")
        floor = check_positive(dt_init_floor, "dt_init_floor")
        self.x_proj = nn.Linear(H, self.dt_rank + 2 * N, bias=False)  # -> (dt_low, B, C)
        self.dt_proj = nn.Linear(self.dt_rank, H, bias=True)
        nn.init.uniform_(self.dt_proj.weight, -self.dt_rank ** -0.5, self.dt_rank ** -0.5)
        dt0 = torch.exp(torch.rand(H) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        dt0 = dt0.clamp(min=floor)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt0 + torch.log(-torch.expm1(-dt0)))  # softplus^{-1}(dt0)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(H, 1))
        self.D = nn.Parameter(torch.ones(H))

    def _check_u(self, u: Any, name: str = "u") -> torch.Tensor:
        check_tensor(u, name, ndim=3, dtypes=(torch.float32, torch.float64))
        if u.shape[-1] != self.d_model:
            raise ValueError(f"{name} must have shape (B, L, H) with H = {self.d_model}, got {tuple(u.shape)}")
        return u

    def A(self) -> torch.Tensor:
        """:math:`A = -e^{A_{\\log}}`, shape (H, N)."""
        return -torch.exp(self.A_log)

    def project(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The input-dependent parameters for ``u`` of shape (B, L, H).

        Returns
        -------
        delta : Tensor, shape (B, L, H)
            :math:`\\Delta_k` after the bias and softplus (time units per step, > 0).
        B, C : Tensor, shape (B, L, N)
        """
        u = self._check_u(u)
        proj = self.x_proj(u)
        dt_low, Bk, Ck = proj.split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt_low))
        return delta, Bk, Ck

    def forward(self, u: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """Output, shape (B, L, H), for ``u`` (B, L, H); optional gate ``z`` (B, L, H): ``y * silu(z)``."""
        u = self._check_u(u)
        if z is not None:
            z = self._check_u(z, "z")
            if z.shape != u.shape:
                raise ValueError(f"z must have u's shape {tuple(u.shape)}, got {tuple(z.shape)}")
        proj = self.x_proj(u)
        dt_low, Bk, Ck = proj.split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.linear(dt_low, self.dt_proj.weight)  # bias added inside (delta_bias)
        y = selective_scan(
            u.transpose(1, 2), delta.transpose(1, 2), self.A().to(u.dtype),
            Bk.transpose(1, 2), Ck.transpose(1, 2), self.D,
            z=None if z is None else z.transpose(1, 2),
            delta_bias=self.dt_proj.bias, delta_softplus=True, backend=self.backend,
        )
        return y.transpose(1, 2)


class MambaBlock(nn.Module):
    """A Mamba block around :class:`SelectiveSSM`: (B, L, H) -> (B, L, H).

    .. math::

        (x, z) = W_{\\rm in} u, \\quad x \\leftarrow \\operatorname{silu}(\\operatorname{conv}(x)),
        \\quad y = \\operatorname{S6}(x) \\odot \\operatorname{silu}(z), \\quad
        \\text{out} = W_{\\rm out} y,

    with inner width :math:`E = \\texttt{expand} \\cdot H` and a causal depthwise convolution of
    width ``d_conv`` (no normalization or residual: wrap it as needed).

    Parameters
    ----------
    d_model : int
    d_state : int
    expand : int
    d_conv : int, >= 1
    **ssm_args
        Passed to :class:`SelectiveSSM` (``dt_rank``, ``dt_min``, ``dt_max``, ...).
    """

    def __init__(self, d_model: int, d_state: int = 16, expand: int = 2, d_conv: int = 4,
                 **ssm_args: Any) -> None:
        super().__init__()
        H = self.d_model = check_size(d_model, "d_model", 1, _MAX_WIDTH)
        E = check_size(expand, "expand", 1, _MAX_WIDTH) * H
        self.d_conv = check_size(d_conv, "d_conv", 1, _MAX_WIDTH)
        self.in_proj = nn.Linear(H, 2 * E)
        self.conv = nn.Conv1d(E, E, self.d_conv, groups=E, padding=self.d_conv - 1)
        self.ssm = SelectiveSSM(E, d_state, **ssm_args)
        self.out_proj = nn.Linear(E, H)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """u : (B, L, H) -> (B, L, H)."""
        check_tensor(u, "u", ndim=3, dtypes=(torch.float32, torch.float64))
        if u.shape[-1] != self.d_model:
            raise ValueError(f"u must have shape (B, L, H) with H = {self.d_model}, got {tuple(u.shape)}")
        L = u.shape[1]
        x, z = self.in_proj(u).chunk(2, dim=-1)
        x = self.conv(x.transpose(1, 2))[..., :L].transpose(1, 2)  # causal: keep the first L outputs
        x = F.silu(x)
        return self.out_proj(self.ssm(x, z))


# ``import ssmlib.selective_scan as S`` gives this module; calling it,
# ``sl.selective_scan(u, delta, A, B, C)``, calls the function :func:`selective_scan`
# (the module and the function share a name, like ``ssmlib.scan``).
try:
    from ._lazy import make_callable as _make_callable
except ImportError:  # pragma: no cover - older trees without ssmlib._lazy
    pass
else:
    _make_callable(__name__)
