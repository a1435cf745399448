"""The Linear Recurrent Unit (Orvieto et al. 2023; chapter 9).

One LRU layer maps a real sequence :math:`u_k \\in \\mathbb{R}^H` to
:math:`y_k \\in \\mathbb{R}^H` through a complex diagonal recurrence of size
:math:`N`:

.. math::

    x_k = \\Lambda x_{k-1} + \\gamma \\odot (B u_k), \\qquad
    y_k = \\operatorname{Re}(C x_k) + D \\odot u_k,

with

* the **exponential parameterization** :math:`\\lambda_j = \\exp(-\\exp(\\nu_{\\log,j}) +
  i \\exp(\\theta_{\\log,j}))`, so :math:`|\\lambda_j| < 1` for any real parameters
  (chapter 7, :func:`ssmlib.parameterization.lambda_from_params`);
* the **ring initialization** (:func:`ssmlib.parameterization.sample_ring`):
  :math:`|\\lambda|^2` uniform on :math:`[r_{\\min}^2, r_{\\max}^2]`, phase uniform on
  :math:`[0, \\theta_{\\max}]`;
* the **normalization** :math:`\\gamma_j = \\sqrt{1 - |\\lambda_j|^2}` stored as
  ``gamma_log`` and applied as ``exp(gamma_log)`` (a public implementation once
  multiplied by ``gamma_log`` itself, a negative number; :meth:`LRU.B_norm` and
  the tests guard against it). It keeps :math:`\\mathbb{E}|x_k|^2` of the order of
  :math:`|Bu|^2` for white-noise input however close :math:`|\\lambda|` is to 1;
* complex :math:`B \\in \\mathbb{C}^{N \\times H}` with real and imaginary parts
  :math:`\\mathcal{N}(0, 1/(2H))`, :math:`C \\in \\mathbb{C}^{H \\times N}` with parts
  :math:`\\mathcal{N}(0, 1/N)`, and :math:`D \\sim \\mathcal{N}(0, 1)` (the scales of
  the paper's pseudocode, as in the minimal-LRU reimplementation).

The recurrence over the whole sequence runs through :func:`ssmlib.scan.scan`
(parallel, with autograd); :meth:`LRU.step` advances one step in constant time
and memory for recurrent inference.

:class:`LRUBlock` is the layer of the paper's architecture figure (pre-norm ->
LRU -> GELU -> dropout -> GLU -> dropout -> residual) and :class:`LRUClassifier`
stacks them for sequence classification (Long Range Arena, chapter 11).
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_bool, check_choice, check_finite_scalar, check_size, check_tensor
from .parameterization import sample_ring
from .scan import scan

__all__ = ["LRU", "LRUBlock", "LRUClassifier", "lru_param_groups", "masked_mean", "RECURRENT_PARAMS"]

#: Parameter names that get no weight decay and a reduced learning rate.
RECURRENT_PARAMS = ("nu_log", "theta_log", "gamma_log", "B_re", "B_im")

_REAL = (torch.float32, torch.float64)


def _check_values() -> bool:
    """Check tensor values (NaN/inf) except while torch.compile traces (data-dependent)."""
    return not getattr(torch.compiler, "is_compiling", lambda: False)()


def _training_step(module: nn.Module) -> bool:
    """True in a training step (train mode, autograd on): the scan's check of its
    result (a pass over the states and, on a GPU, a host read) is skipped there."""
    return module.training and torch.is_grad_enabled()


#: Largest width, state size, vocabulary, class count or depth accepted (memory).
_MAX_SIZE = 1 << 20

#: Largest width of an :class:`LRUBlock` (its two GLU projections hold ``2 d_model**2``
#: weights; memory).
_MAX_BLOCK_WIDTH = 1 << 14

#: Largest number of parameters of a model built here (``2**30`` float32: 4 GiB; memory).
_MAX_PARAMS = 1 << 30

#: Largest batch of :meth:`LRU.initial_state` times ``d_state`` (memory).
_MAX_STATE = 1 << 28


def _check_params(count: int, what: str) -> None:
    """Refuse a model of more than ``_MAX_PARAMS`` parameters; ``what`` names the sizes."""
    if count > _MAX_PARAMS:
        raise ValueError(f"{what} give {count} parameters, more than 2**30 (memory)")


def _as_device(device: Any, name: str = "device") -> torch.device:
    """``device`` (a ``torch.device``, a name such as ``"cpu"`` or ``"cuda:0"``, or a CUDA
    index) as a ``torch.device``, or a TypeError/ValueError naming ``name``."""
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str) or (isinstance(device, (int, np.integer))
                                     and not isinstance(device, (bool, np.bool_))):
        if not isinstance(device, str) and device < 0:
            raise ValueError(f"{name} must be a device index >= 0, got {device}")
        try:
            dev = torch.device(device if isinstance(device, str) else int(device))
        except (RuntimeError, ValueError, TypeError) as exc:
            raise ValueError(f"{name} must be None, a torch.device, a device name ('cpu', "
                             f"'cuda', 'cuda:0', ...) or an available device index, got "
                             f"{device!r} ({exc})") from exc
    else:
        raise TypeError(f"{name} must be None, a torch.device, a device name (str) or an "
                        f"index (int), got {type(device).__name__}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}={device!r} requested but CUDA is not available")
    return dev


def _check_int(x: Any, name: str, minimum: int = 1, maximum: int = _MAX_SIZE) -> int:
    return check_size(x, name, minimum, maximum)


def _check_finite(*named: tuple[str, torch.Tensor | None]) -> None:
    """Raise ``ValueError`` naming the first argument with a NaN or inf entry.

    The hot path is one reduction per tensor and a single host read: NaN and inf
    propagate into a sum, so a finite total proves every entry finite. Only when the
    total is not finite (an input is, or the sum overflowed) does the exact
    element-wise check run, to name the culprit (or find none).
    """
    if not _check_values():
        return
    with torch.no_grad():
        total = None
        for _, t in named:
            if t is None or t.numel() == 0:
                continue
            s = (torch.view_as_real(t) if t.is_complex() else t).sum()
            total = s if total is None else total + s.to(total.dtype)
        if total is None or math.isfinite(float(total)):
            return
        for name, t in named:
            if t is not None and not bool(torch.isfinite(
                    torch.view_as_real(t) if t.is_complex() else t).all()):
                raise ValueError(f"{name} must contain only finite values (no NaN or inf)")


def _watch(root: nn.Module) -> tuple:
    """What a cache of tensors derived from ``root``'s parameters depends on: every
    submodule and parameter slot (the ``_modules``/``_parameters`` dict and name) with
    the object in it, and every parameter's version counter (bumped by every in-place
    update: optimizer step, ``load_state_dict``, ``copy_`` under ``no_grad``) and storage
    address (changed by ``.to()``, ``.double()``, ``param.data = ...``)."""
    slots, objs = [], []
    for mod in root.modules():
        for d in (mod._modules, mod._parameters):
            for name, obj in d.items():
                slots.append((d, name))
                objs.append(obj)
    params = [p for p in objs if isinstance(p, torch.Tensor)]
    return ([d for d, _ in slots], [name for _, name in slots], objs, params,
            [p._version for p in params], [p.data_ptr() for p in params])


def _still_valid(watched: tuple) -> bool:
    """True when nothing in ``watched`` (from :func:`_watch`) changed: dict look-ups,
    identity tests and two integer reads per parameter, no module ``__getattr__``."""
    dicts, names, objs, params, versions, ptrs = watched
    return (all(map(operator.is_, map(dict.get, dicts, names), objs))
            and list(map(_VERSION, params)) == versions
            and list(map(torch.Tensor.data_ptr, params)) == ptrs)


_VERSION = operator.attrgetter("_version")


def _cached_plan(module: nn.Module, build) -> tuple:
    """``build()`` (tensors derived from ``module``'s parameters for the recurrent step),
    cached while autograd is off and rebuilt when a watched parameter or submodule
    changes; with autograd on, built afresh every call so gradients reach the parameters."""
    if torch.is_grad_enabled():
        return build()
    cache = module.__dict__.get("_step_cache")
    if cache is not None and _still_valid(cache[0]):
        return cache[1]
    plan = build()
    module.__dict__["_step_cache"] = (_watch(module), plan)
    return plan


#: :math:`1/\\sqrt 2`, folded into the step's tensors (see :meth:`LRUBlock._build_plan`).
_SQRT1_2 = 1 / math.sqrt(2)


def _lru_step(plan: tuple, u_t: torch.Tensor, state: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """One LRU step from a plan (see :meth:`LRU._build_plan`)."""
    lam, w_in, w_out, d = plan
    # real and imaginary parts interleaved: u_k W_in read as complex, x_k read as reals
    # (views of the same memory, no copies). Tensor.view(dtype) is the cheaper view but
    # passes no gradient: with autograd on, view_as_complex / view_as_real.
    grad = torch.is_grad_enabled()
    bu = u_t @ w_in
    # (the sizes are explicit, not -1: an empty batch has an ambiguous -1)
    bu = (torch.view_as_complex(bu.view(bu.shape[0], lam.shape[0], 2)) if grad
          else bu.view(state.dtype))
    x = torch.addcmul(bu, lam, state)  # x_k = lam x_{k-1} + gamma B u_k, (B, N)
    x_re = torch.view_as_real(x).view(x.shape[0], w_out.shape[0]) if grad else x.view(w_out.dtype)
    y = torch.addmm(d * u_t, x_re, w_out)  # Re(C x_k) + D u_k
    return y, x


class LRU(nn.Module):
    """One Linear Recurrent Unit layer (no nonlinearity; see :class:`LRUBlock`).

    Parameters
    ----------
    d_model : int
        Input and output width :math:`H`.
    d_state : int
        Number of complex state channels :math:`N`.
    r_min, r_max : float
        Ring of the initial eigenvalues, ``0 <= r_min < r_max <= 1``.
    max_phase : float
        Largest initial phase, in ``(0, 2 pi]``.

    Attributes
    ----------
    nu_log, theta_log, gamma_log : Parameter, shape (N,)
    B_re, B_im : Parameter, shape (N, H)
    C_re, C_im : Parameter, shape (H, N)
    D : Parameter, shape (H,)

    Notes
    -----
    Initialization draws from torch's global generator (seed it with
    ``torch.manual_seed``): one integer seeds the numpy ring sampler.
    """

    def __init__(self, d_model: int, d_state: int, r_min: float = 0.0, r_max: float = 1.0,
                 max_phase: float = 2 * math.pi) -> None:
        super().__init__()
        self.d_model = H = _check_int(d_model, "d_model")
        self.d_state = N = _check_int(d_state, "d_state")
        if H * N > 1 << 28:
            raise ValueError(f"d_model * d_state = {H * N} parameters per matrix is more than "
                             f"2**28 (memory); got d_model={H}, d_state={N}")
        self.r_min = check_finite_scalar(r_min, "r_min")
        self.r_max = check_finite_scalar(r_max, "r_max")
        self.max_phase = check_finite_scalar(max_phase, "max_phase")
        seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
        # Validates r_min, r_max, max_phase (ValueError naming them).
        lam, nu_log, theta_log = sample_ring(N, self.r_min, self.r_max, self.max_phase,
                                             rng=seed, return_params=True)
        # Keep the parameters finite in the measure-zero corner cases (|lambda| = 0 or 1).
        nu_log = np.clip(nu_log, -30.0, 5.0)
        lam_abs2 = np.exp(-2 * np.exp(nu_log))
        gamma_log = np.log(np.sqrt(np.clip(1.0 - lam_abs2, 1e-30, None)))
        f32 = torch.float32
        self.nu_log = nn.Parameter(torch.tensor(nu_log, dtype=f32))
        self.theta_log = nn.Parameter(torch.tensor(theta_log, dtype=f32))
        self.gamma_log = nn.Parameter(torch.tensor(gamma_log, dtype=f32))
        self.B_re = nn.Parameter(torch.randn(N, H) / math.sqrt(2 * H))
        self.B_im = nn.Parameter(torch.randn(N, H) / math.sqrt(2 * H))
        self.C_re = nn.Parameter(torch.randn(H, N) / math.sqrt(N))
        self.C_im = nn.Parameter(torch.randn(H, N) / math.sqrt(N))
        self.D = nn.Parameter(torch.randn(H))

    # -- the quantities of the equations ------------------------------------------
    def lam(self) -> torch.Tensor:
        """:math:`\\lambda = \\exp(-\\exp(\\nu_{\\log}) + i\\exp(\\theta_{\\log}))`, shape (N,), complex."""
        return torch.exp(torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log)))

    def gamma(self) -> torch.Tensor:
        """:math:`\\gamma = \\exp(\\gamma_{\\log})`, shape (N,), real (positive)."""
        return torch.exp(self.gamma_log)

    def B_norm(self) -> torch.Tensor:
        """:math:`\\operatorname{diag}(\\gamma) B`, shape (N, H), complex."""
        return torch.complex(self.B_re, self.B_im) * self.gamma()[:, None]

    def C(self) -> torch.Tensor:
        """:math:`C`, shape (H, N), complex."""
        return torch.complex(self.C_re, self.C_im)

    def _input(self, u: torch.Tensor) -> torch.Tensor:
        """:math:`\\gamma \\odot B u` for real ``u`` (..., H): complex (..., N)."""
        g = self.gamma()[:, None]
        return torch.complex(u @ (self.B_re * g).T, u @ (self.B_im * g).T)

    def _output(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """:math:`\\operatorname{Re}(C x) + D u` = C_re Re(x) - C_im Im(x) + D u."""
        return x.real @ self.C_re.T - x.imag @ self.C_im.T + self.D * u

    def _check_u(self, u: Any, name: str, ndim: int) -> torch.Tensor:
        check_tensor(u, name, ndim=ndim, dtypes=_REAL, finite=_check_values())
        if u.shape[-1] != self.d_model:
            raise ValueError(f"{name} must have last dimension d_model={self.d_model}, "
                             f"got shape {tuple(u.shape)}")
        return u

    def _check_state(self, state: Any, batch: int, dtype: torch.dtype, name: str = "state",
                     finite: bool = True) -> torch.Tensor:
        """Validate a caller's state (B, N) and cast it to the layer's complex dtype."""
        check_tensor(state, name, ndim=2, finite=finite and _check_values())
        if tuple(state.shape) != (batch, self.d_state):
            raise ValueError(f"{name} must have shape (B, N) = {(batch, self.d_state)}, "
                             f"got {tuple(state.shape)}")
        if state.device != self.B_re.device:
            raise ValueError(f"{name} must be on the layer's device ({self.B_re.device}), "
                             f"got {state.device}")
        return state.to(dtype)

    # -- sequence and step ------------------------------------------------------------
    def forward(self, u: torch.Tensor, state: torch.Tensor | None = None,
                return_state: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Run the layer over whole sequences (parallel scan).

        Parameters
        ----------
        u : Tensor, shape (B, L, H), float
            Inputs.
        state : Tensor, shape (B, N), complex, optional
            State before the first step (zero if omitted).
        return_state : bool
            Also return the last state ``x[:, -1]``, shape (B, N).

        Returns
        -------
        y : Tensor, shape (B, L, H), dtype of ``u``
            (``L = 0`` gives an empty output and, with ``return_state``, the
            unchanged state).

        Raises
        ------
        TypeError, ValueError
            Naming ``u`` or ``state`` for a wrong type, shape, device or
            non-finite values.

        Notes
        -----
        In a training step (``self.training`` with autograd on) the scan's check
        of its result is skipped (``ssmlib.scan(..., check_finite=False)``: no
        pass over the states); ``u`` and ``state`` are checked in every mode, and
        with ``|lambda| < 1`` finite inputs give finite states.
        """
        u = self._check_u(u, "u", 3)
        return_state = check_bool(return_state, "return_state")
        lam = self.lam()
        bu = self._input(u.to(self.B_re.dtype))
        if state is not None:
            state = self._check_state(state, u.shape[0], bu.dtype)
        # x_k = lam x_{k-1} + gamma B u_k   (eq. lru-recurrence)
        x = scan(lam, bu, state, check_finite=not _training_step(self))
        y = self._output(x, u.to(self.C_re.dtype)).to(u.dtype)
        if return_state:
            if u.shape[1] == 0:  # empty sequence: the state is unchanged
                last = state if state is not None else self.initial_state(u.shape[0], u.device)
                return y, last
            return y, x[:, -1]
        return y

    def _state_dtype(self) -> torch.dtype:
        return torch.complex128 if self.B_re.dtype == torch.float64 else torch.complex64

    def initial_state(self, batch: int, device: torch.device | str | None = None) -> torch.Tensor:
        """Zero state, shape (batch, N), complex.

        Parameters
        ----------
        batch : int
            Number of sequences, ``>= 0``, with ``batch * d_state <= 2**28`` (memory).
        device : torch.device, str or int, optional
            Where to allocate it (the layer's device if omitted): a ``torch.device``,
            a name torch accepts (``"cpu"``, ``"cuda:0"``) or a CUDA device index.

        Raises
        ------
        TypeError, ValueError
            Naming ``batch`` or ``device``.
        """
        batch = check_size(batch, "batch", 0)
        if batch * self.d_state > _MAX_STATE:
            raise ValueError(f"batch * d_state = {batch * self.d_state} is more than 2**28 "
                             f"(memory); got batch={batch}")
        dtype = self._state_dtype()
        dev = self.B_re.device if device is None else _as_device(device)
        try:
            return torch.zeros(batch, self.d_state, dtype=dtype, device=dev)
        except (RuntimeError, AssertionError) as exc:  # e.g. a device torch cannot reach
            raise ValueError(f"device={device!r} cannot be used: {exc}") from exc

    def _build_plan(self, y_scale: float = 1.0) -> tuple:
        """The tensors of the recurrent step, derived from the parameters.

        ``(lam, W_in, W_out, D)`` with ``W_in`` (H, 2N) such that ``u @ W_in`` read
        as complex (real and imaginary parts interleaved) is
        :math:`\\gamma \\odot B u`, and ``W_out`` (2N, H) such that ``x`` read as
        interleaved reals times ``W_out`` is :math:`\\operatorname{Re}(C x)`: the step is
        :math:`x_k = \\lambda x_{k-1} + \\gamma B u_k`,
        :math:`y_k = \\operatorname{Re}(C x_k) + D u_k` (work linear in N), three
        tensor operations. ``y_scale`` multiplies ``W_out`` and ``D``, so the step
        returns ``y_scale * y_k`` (see :meth:`LRUBlock._build_plan`).
        """
        h = self.d_model
        g = self.gamma()[:, None]
        w_in = torch.stack([self.B_re * g, self.B_im * g], dim=1).reshape(-1, h).T
        w_out = torch.stack([self.C_re.T, -self.C_im.T], dim=1).reshape(-1, h)
        d = self.D
        if y_scale != 1.0:
            w_out, d = w_out * y_scale, d * y_scale
        return self.lam(), w_in.contiguous(), w_out.contiguous(), d

    def _step_plan(self) -> tuple:
        return _cached_plan(self, self._build_plan)

    def _step(self, u_t: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`step` without validation: ``u_t`` (B, H) in the layer's real dtype,
        ``state`` (B, N) in its complex dtype."""
        return _lru_step(self._step_plan(), u_t, state)

    def step(self, u_t: torch.Tensor, state: torch.Tensor | None = None,
             check_finite: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Advance one step: constant time and memory in the sequence length.

        Parameters
        ----------
        u_t : Tensor, shape (B, H), float
            Input at the current step.
        state : Tensor, shape (B, N), complex, optional
            Previous state (zero if omitted).
        check_finite : bool
            Also check that ``u_t`` and ``state`` hold no NaN or inf (a pass over
            them and a host read). Off by default: the step is the hot loop of
            recurrent inference; types, shapes and devices are always checked.

        Returns
        -------
        y_t : Tensor, shape (B, H)
        state : Tensor, shape (B, N), complex
            The new state :math:`x_k`.

        Notes
        -----
        With autograd off (``torch.no_grad``, inference) the tensors derived from
        the parameters (:math:`\\lambda`, :math:`\\operatorname{diag}(\\gamma) B`,
        :math:`C`) are computed once and reused until a parameter changes (in
        place, by its version counter, or replaced, or moved to another dtype or
        device); with autograd on they are recomputed every call, so gradients
        reach the parameters. In-place writes through ``param.data`` (e.g.
        ``p.data.copy_(...)``) bypass the version counter and are not seen.
        """
        check_tensor(u_t, "u_t", ndim=2, dtypes=_REAL, finite=False)
        if u_t.shape[-1] != self.d_model:
            raise ValueError(f"u_t must have last dimension d_model={self.d_model}, "
                             f"got shape {tuple(u_t.shape)}")
        dtype = self._state_dtype()
        if state is None:
            state = self.initial_state(u_t.shape[0], u_t.device)
        state = self._check_state(state, u_t.shape[0], dtype, finite=False)
        if check_finite is not False and check_bool(check_finite, "check_finite"):
            _check_finite(("u_t", u_t), ("state", state))
        y, x = self._step(u_t.to(self.B_re.dtype), state)
        return y.to(u_t.dtype), x


def _block_params(d_model: int, d_state: int) -> int:
    """Parameters of one :class:`LRUBlock`: the LRU, the GLU and the norm."""
    return 4 * d_model * d_state + 3 * d_state + d_model + 2 * (d_model * d_model + d_model) \
        + 2 * d_model


class LRUBlock(nn.Module):
    """The LRU layer of the paper's architecture figure.

    ``x -> norm -> LRU -> GELU -> dropout -> GLU -> dropout -> + x``, with
    GLU(z) = out1(z) * sigmoid(out2(z)).

    Parameters
    ----------
    d_model, d_state, r_min, r_max, max_phase
        See :class:`LRU`.
    dropout : float
        Dropout probability (element-wise).
    norm : {"layer", "batch"}
        Pre-normalization. ``"batch"`` normalizes each feature over batch and
        time (padded positions included in the statistics).

    Notes
    -----
    Memory bounds: ``d_model <= 2**14`` (the GLU holds ``2 d_model**2`` weights),
    ``d_model * d_state <= 2**28`` and at most ``2**30`` parameters in all
    (``ValueError`` otherwise).
    """

    def __init__(self, d_model: int, d_state: int, r_min: float = 0.0, r_max: float = 1.0,
                 max_phase: float = 2 * math.pi, dropout: float = 0.0, norm: str = "layer") -> None:
        super().__init__()
        _check_int(d_model, "d_model", 1, _MAX_BLOCK_WIDTH)
        _check_int(d_state, "d_state")
        _check_params(_block_params(d_model, d_state), f"d_model={d_model}, d_state={d_state}")
        check_choice(norm, "norm", ("layer", "batch"))
        dropout = check_finite_scalar(dropout, "dropout")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.norm_kind = norm
        self.norm = nn.LayerNorm(d_model) if norm == "layer" else nn.BatchNorm1d(d_model)
        self.lru = LRU(d_model, d_state, r_min, r_max, max_phase)
        self.out1 = nn.Linear(d_model, d_model)
        self.out2 = nn.Linear(d_model, d_model)
        self.drop = nn.Dropout(dropout)

    def _normalize(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm_kind == "layer":
            return self.norm(x)
        return self.norm(x.transpose(1, 2)).transpose(1, 2)  # BatchNorm1d wants (B, H, L)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (B, L, H) -> (B, L, H)."""
        self.lru._check_u(x, "x", 3)
        if x.shape[1] == 0:  # empty sequence: nothing to mix, an empty output
            return x.clone()
        z = self._normalize(x)
        z = self.lru(z)
        z = self.drop(F.gelu(z))
        z = self.out1(z) * torch.sigmoid(self.out2(z))  # GLU
        z = self.drop(z)
        return x + z

    def _build_plan(self) -> tuple:
        """(layer-norm weight, bias, eps, LRU plan, GLU weight (H, 2H), GLU bias (2H,)).

        :math:`1/\\sqrt 2` is folded into the LRU's output and into the GLU weight, so
        that the step's GELU is two element-wise operations: for :math:`s = y/\\sqrt 2`,
        :math:`\\operatorname{GELU}(y) = \\tfrac{y}{2}(1 + \\operatorname{erf}(y/\\sqrt 2))
        = s (1 + \\operatorname{erf} s)/\\sqrt 2`. (On CPU, ``F.gelu`` of a small
        contiguous float32 tensor goes through oneDNN, whose fixed cost per call, about
        6 us measured with torch 2.13, is most of a step's GELU.)"""
        n = self.norm
        ln = ((n.weight, n.bias, n.eps, n.normalized_shape) if self.norm_kind == "layer"
              else None)
        # the two GLU projections fused into one matrix: [out1 | out2], times 1/sqrt(2)
        w = torch.cat([self.out1.weight, self.out2.weight]).T * _SQRT1_2
        b = torch.cat([self.out1.bias, self.out2.bias])
        return ln, self.lru._build_plan(_SQRT1_2), w.contiguous(), b

    def _step_plan(self) -> tuple:
        return _cached_plan(self, self._build_plan)

    def _step(self, x_t: torch.Tensor, state: torch.Tensor,
              plan: tuple | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`step` without validation (``state`` (B, N) already in the layer's dtype)."""
        ln, lru_plan, w, b = self._step_plan() if plan is None else plan
        if ln is not None:
            z = torch.layer_norm(x_t, ln[3], ln[0], ln[1], ln[2])  # F.layer_norm, minus a wrapper
        else:
            z = self.norm(x_t[:, :, None])[:, :, 0]
        s, state = _lru_step(lru_plan, z, state)  # s = y / sqrt(2)
        z = torch.addcmul(s, s, torch.erf(s))  # sqrt(2) GELU(y); the 1/sqrt(2) is in w
        if self.training:
            z = self.drop(z)
        z = F.glu(torch.addmm(b, z, w), dim=-1)  # GLU: out1(z) * sigmoid(out2(z))
        if self.training:
            z = self.drop(z)
        return x_t + z, state

    def step(self, x_t: torch.Tensor, state: torch.Tensor | None = None,
             check_finite: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """One recurrent step (evaluation mode), x_t : (B, H) -> (B, H), new state.

        See :meth:`LRU.step` for ``check_finite`` and the reuse of the tensors
        derived from the parameters under ``torch.no_grad``."""
        check_tensor(x_t, "x_t", ndim=2, dtypes=_REAL, finite=False)
        if x_t.shape[-1] != self.lru.d_model:
            raise ValueError(f"x_t must have last dimension d_model={self.lru.d_model}, "
                             f"got shape {tuple(x_t.shape)}")
        dtype = self.lru._state_dtype()
        if state is None:
            state = self.lru.initial_state(x_t.shape[0], x_t.device)
        state = self.lru._check_state(state, x_t.shape[0], dtype, finite=False)
        if check_finite is not False and check_bool(check_finite, "check_finite"):
            _check_finite(("x_t", x_t), ("state", state))
        return self._step(x_t, state)


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over time of ``x`` (B, L, H) counting only ``mask`` (B, L) True steps.

    Parameters
    ----------
    x : Tensor, shape (B, L, H), float
        Features, ``L >= 1``.
    mask : Tensor, shape (B, L), optional
        True at the steps to average (at least one per sequence). A bool tensor (as
        :func:`ssmlib.data.pad_collate` builds); an integer or floating tensor is
        accepted when every entry is 0 or 1 (read as False/True). A mask is not a
        set of weights: other values raise ``ValueError``. None averages every step.

    Raises
    ------
    TypeError, ValueError
        Naming ``x`` or ``mask``.
    """
    check_tensor(x, "x", ndim=3, dtypes=_REAL, finite=_check_values())
    if x.shape[1] == 0:
        raise ValueError(f"x must have at least one time step to average, got shape {tuple(x.shape)}")
    if mask is None:
        return x.mean(dim=1)
    check_tensor(mask, "mask", ndim=2, finite=False)
    if tuple(mask.shape) != tuple(x.shape[:2]):
        raise ValueError(f"mask must have shape (B, L) = {tuple(x.shape[:2])}, got {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        if mask.is_complex():
            raise TypeError(f"mask must be a bool tensor (or 0/1 values), got dtype {mask.dtype}")
        if _check_values() and mask.numel() and not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError("mask must be a bool tensor or hold only 0 and 1 (True at the steps "
                             "to average; it is not a set of weights)")
    m = mask.to(x.dtype)[:, :, None]
    count = m.sum(dim=1)
    if bool((count == 0).any()):
        raise ValueError("mask must keep at least one step per sequence")
    return (x * m).sum(dim=1) / count


def _check_input(x: Any, name: str, tokens: bool, vocab_size: int | None,
                 d_input: int | None, token_ndim: int, finite: bool = True) -> None:
    """Validate classifier input: token ids in range, or (``finite``: finite) features of
    width d_input."""
    if tokens:
        check_tensor(x, name, ndim=token_ndim, dtypes=(torch.int64, torch.int32), finite=False)
        if x.numel() and not getattr(torch.compiler, "is_compiling", lambda: False)():
            lo, hi = torch.stack(torch.aminmax(x)).tolist()  # one host read
            if lo < 0 or hi >= vocab_size:
                bad = lo if lo < 0 else hi
                raise ValueError(f"{name} contains token id {bad} outside the vocabulary "
                                 f"[0, vocab_size={vocab_size})")
    else:
        check_tensor(x, name, ndim=token_ndim + 1, dtypes=_REAL, finite=finite and _check_values())
        if x.shape[-1] != d_input:
            raise ValueError(f"{name} must have last dimension d_input={d_input}, "
                             f"got shape {tuple(x.shape)}")


class LRUClassifier(nn.Module):
    """Encoder -> ``n_layers`` x :class:`LRUBlock` -> masked mean pooling -> decoder.

    Parameters
    ----------
    n_classes : int
        Number of output classes.
    d_model, d_state : int
        Width :math:`H` and state size :math:`N` of every block.
    n_layers : int
        Number of blocks.
    vocab_size : int, optional
        Token input (e.g. ListOps): an embedding, with ``pad_id`` as padding.
    d_input : int, optional
        Continuous input (e.g. Pathfinder pixels, ``d_input=1``): a linear encoder.
        Give exactly one of ``vocab_size`` and ``d_input``.
    r_min, r_max, max_phase, dropout, norm
        See :class:`LRUBlock`.
    pad_id : int
        Padding token id.

    Notes
    -----
    Memory bounds: ``d_model <= 2**14``, ``n_layers <= 1024``, ``n_classes``,
    ``vocab_size``, ``d_input`` and ``d_state <= 2**20``, and at most ``2**30``
    parameters in all (``ValueError`` otherwise).
    """

    def __init__(self, n_classes: int, d_model: int = 64, d_state: int = 64, n_layers: int = 2, *,
                 vocab_size: int | None = None, d_input: int | None = None,
                 r_min: float = 0.0, r_max: float = 1.0, max_phase: float = 2 * math.pi,
                 dropout: float = 0.0, norm: str = "layer", pad_id: int = 0) -> None:
        super().__init__()
        _check_int(n_classes, "n_classes", 2)
        _check_int(n_layers, "n_layers", 1, 1 << 10)
        _check_int(d_model, "d_model", 1, _MAX_BLOCK_WIDTH)
        _check_int(d_state, "d_state")
        if (vocab_size is None) == (d_input is None):
            raise ValueError("give exactly one of vocab_size (tokens) and d_input (continuous)")
        if vocab_size is not None:
            _check_int(vocab_size, "vocab_size", 2)
            _check_int(pad_id, "pad_id", 0)
            if pad_id >= vocab_size:
                raise ValueError(f"pad_id must be a token id in [0, vocab_size={vocab_size}), "
                                 f"got {pad_id}")
            n_enc, sizes = vocab_size * d_model, f"vocab_size={vocab_size}"
        else:
            _check_int(d_input, "d_input", 1)
            n_enc, sizes = (d_input + 1) * d_model, f"d_input={d_input}"
        _check_params(n_enc + n_layers * _block_params(d_model, d_state)
                      + (d_model + 1) * n_classes,
                      f"n_classes={n_classes}, d_model={d_model}, d_state={d_state}, "
                      f"n_layers={n_layers}, {sizes}")
        if vocab_size is not None:
            self.encoder: nn.Module = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        else:
            self.encoder = nn.Linear(d_input, d_model)
        self.tokens = vocab_size is not None
        self.vocab_size = vocab_size
        self.d_input = d_input
        self.blocks = nn.ModuleList(
            LRUBlock(d_model, d_state, r_min, r_max, max_phase, dropout, norm)
            for _ in range(n_layers)
        )
        self.decoder = nn.Linear(d_model, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-step features after the blocks, shape (B, L, H)."""
        _check_input(x, "x", self.tokens, self.vocab_size, self.d_input, 2)
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return h

    def step(self, x_t: torch.Tensor, states: list | None = None,
             check_finite: bool = False) -> tuple[torch.Tensor, list]:
        """One recurrent step through the encoder and all blocks (evaluation mode).

        Parameters
        ----------
        x_t : Tensor
            Token ids (B,) or features (B, d_input) at the current step.
        states : list of Tensor (B, N) complex, optional
            One state per block (zeros if omitted).
        check_finite : bool
            Also check that the features ``x_t`` and the states hold no NaN or
            inf (one reduction and a host read). Off by default (the hot loop of
            recurrent inference); types, shapes, devices and token ids are always
            checked.

        Returns
        -------
        h_t : Tensor, shape (B, H)
            Features of the current step (as ``features(x)[:, t]``).
        states : list of Tensor

        Notes
        -----
        The arguments are validated once here (errors name ``x_t`` or ``states[i]``),
        not again in every block. Under ``torch.no_grad`` the tensors derived from
        the parameters are computed once and reused until a parameter changes
        (see :meth:`LRU.step`). On CPU a token id outside the vocabulary is caught
        by the embedding itself (no extra pass); on other devices it is checked
        first.
        """
        cpu = x_t.is_cpu if isinstance(x_t, torch.Tensor) else False
        if self.tokens and cpu:
            check_tensor(x_t, "x_t", ndim=1, dtypes=(torch.int64, torch.int32), finite=False)
        else:
            _check_input(x_t, "x_t", self.tokens, self.vocab_size, self.d_input, 1, finite=False)
        if states is not None and not isinstance(states, (list, tuple)):
            raise TypeError(f"states must be a list of tensors (one per block), "
                            f"got {type(states).__name__}")
        enc_w, enc_b, pad, blocks = _cached_plan(self, self._build_plan)
        states = list(states) if states is not None else [None] * len(blocks)
        if len(states) != len(blocks):
            raise ValueError(f"states must have one entry per block ({len(blocks)})")
        batch, device = x_t.shape[0], x_t.device
        for i, (block, lru, dtype, _) in enumerate(blocks):  # validated once, here
            s = states[i]
            if s is None:
                states[i] = lru.initial_state(batch, device)
            elif not (isinstance(s, torch.Tensor) and s.dtype == dtype and s.ndim == 2
                      and s.shape[0] == batch and s.shape[1] == lru.d_state
                      and s.device == device):
                # not the fast case: the full check names the problem, or casts the dtype
                states[i] = lru._check_state(s, batch, dtype, f"states[{i}]", finite=False)
        if check_finite is not False and check_bool(check_finite, "check_finite"):
            _check_finite(*([] if self.tokens else [("x_t", x_t)]),
                          *((f"states[{i}]", s) for i, s in enumerate(states)))
        if not self.tokens:
            h = F.linear(x_t, enc_w, enc_b)
        elif cpu:
            try:
                h = F.embedding(x_t, enc_w, pad)  # the forward pass of nn.Embedding
            except IndexError:
                _check_input(x_t, "x_t", True, self.vocab_size, None, 1)  # names the id
                raise
        else:
            h = F.embedding(x_t, enc_w, pad)
        for i, (block, _, _, plan) in enumerate(blocks):
            h, states[i] = block._step(h, states[i], plan)
        return h, states

    def _build_plan(self) -> tuple:
        """(encoder weight, its bias (features) or None, its padding id (tokens) or None,
        [(block, its LRU, state dtype, block plan)])."""
        enc = self.encoder
        bias = None if self.tokens else enc.bias
        pad = enc.padding_idx if self.tokens else None
        return enc.weight, bias, pad, [(blk, blk.lru, blk.lru._state_dtype(), blk._build_plan())
                                  for blk in self.blocks]

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits.

        Parameters
        ----------
        x : Tensor
            Token ids (B, L) long, or features (B, L, d_input) float.
        mask : Tensor, shape (B, L), bool, optional
            True at real (non-padding) steps. The recurrence is causal, so right
            padding never changes the features of real steps; the mask only
            excludes padding from the mean.

        Returns
        -------
        Tensor, shape (B, n_classes)
        """
        return self.decoder(masked_mean(self.features(x), mask))


def lru_param_groups(model: nn.Module, lr: float, lr_factor: float = 0.5,
                     weight_decay: float = 0.05) -> list[dict]:
    """Optimizer groups as in the LRU paper: special treatment of the recurrence.

    ``nu_log``, ``theta_log``, ``gamma_log``, ``B_re``, ``B_im`` get learning rate
    ``lr * lr_factor`` and no weight decay; every other parameter gets ``lr`` and
    ``weight_decay``. Pass the result to ``torch.optim.AdamW``.

    Parameters
    ----------
    model : torch.nn.Module
        The model whose parameters are grouped.
    lr : float
        Learning rate, finite and ``> 0``.
    lr_factor : float
        Factor of the recurrent parameters' rate, finite and ``> 0``.
    weight_decay : float
        Weight decay of the other parameters, finite and ``>= 0``.

    Returns
    -------
    list of dict
        ``[{"params", "lr", "weight_decay", "name": "recurrent"}, {... "name": "other"}]``
        (a group is omitted when empty).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    lr = check_finite_scalar(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    lr_factor = check_finite_scalar(lr_factor, "lr_factor")
    if lr_factor <= 0:
        raise ValueError(f"lr_factor must be > 0, got {lr_factor}")
    weight_decay = check_finite_scalar(weight_decay, "weight_decay")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    recurrent, other = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (recurrent if name.rsplit(".", 1)[-1] in RECURRENT_PARAMS else other).append(p)
    groups = []
    if recurrent:
        groups.append({"params": recurrent, "lr": lr * lr_factor, "weight_decay": 0.0,
                       "name": "recurrent"})
    if other:
        groups.append({"params": other, "lr": lr, "weight_decay": weight_decay, "name": "other"})
    return groups
