"""The delayed-recall task of chapter 9, and the small models trained on it.

One of ``n_symbols`` symbols is shown (one-hot) at the first step, followed by
``delay`` blank steps (a separate "blank" input channel); the model must name the
symbol at the last step. Three classifiers of comparable size read the sequence
and classify from their last output:

* :class:`RecallLRU`: linear input map -> one :class:`ssmlib.LRU` layer -> GELU ->
  linear readout (the chapter's model);
* :class:`RecallRNN` with ``cell="tanh"`` (Elman network, ``torch.nn.RNN``) or
  ``cell="gru"`` (``torch.nn.GRU``), followed by a linear readout.

:func:`make_recall_model` builds them at the sizes of chapter 9 (about 1.2-1.4
thousand parameters each) and :func:`train_recall` trains one with AdamW and
returns held-out accuracy and the gradient of the loss with respect to the first
input, the one that carries the symbol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_choice, check_finite_scalar, check_int, check_size, check_tensor
from .lru import LRU, lru_param_groups

__all__ = ["recall_batch", "RecallLRU", "RecallRNN", "make_recall_model", "train_recall",
           "recall_gradient_norm", "RecallResult", "RECALL_MODELS"]

#: Model kinds accepted by :func:`make_recall_model`, in the order of the chapter.
RECALL_MODELS = ("tanh", "gru", "lru")

_MAX_SYMBOLS = 1024
_MAX_DELAY = 1 << 20


def recall_batch(n: int, delay: int, n_symbols: int = 4,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the delayed-recall task.

    Parameters
    ----------
    n : int
        Number of sequences.
    delay : int, >= 0
        Number of blank steps after the symbol; the sequence has ``delay + 1`` steps.
    n_symbols : int, >= 2
        Number of symbols :math:`K`.
    generator : torch.Generator, optional
        Source of the random symbols (torch's global generator if omitted).

    Returns
    -------
    x : Tensor, shape (n, delay + 1, n_symbols + 1), float32
        Step 1 is the one-hot symbol; steps 2..delay+1 have a 1 in the last (blank) channel.
    y : Tensor, shape (n,), int64
        The symbols, in ``[0, n_symbols)``.
    """
    n = check_size(n, "n", 1, 1 << 20)
    delay = check_size(delay, "delay", 0, _MAX_DELAY)
    n_symbols = check_size(n_symbols, "n_symbols", 2, _MAX_SYMBOLS)
    if n * (delay + 1) * (n_symbols + 1) > 1 << 28:
        raise ValueError(f"n * (delay + 1) * (n_symbols + 1) = {n * (delay + 1) * (n_symbols + 1)} "
                         f"elements is more than 2**28 (memory); reduce n or delay")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got "
                        f"{type(generator).__name__}")
    sym = torch.randint(0, n_symbols, (n,), generator=generator)
    x = torch.zeros(n, delay + 1, n_symbols + 1)
    x[torch.arange(n), 0, sym] = 1.0
    x[:, 1:, n_symbols] = 1.0
    return x, sym


def _check_x(x: Any, n_in: int) -> torch.Tensor:
    check_tensor(x, "x", ndim=3, dtypes=(torch.float32, torch.float64))
    if x.shape[-1] != n_in:
        raise ValueError(f"x must have last dimension n_symbols + 1 = {n_in}, "
                         f"got shape {tuple(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError("x must have at least one step, got shape " + str(tuple(x.shape)))
    return x


class RecallLRU(nn.Module):
    """Input map -> one LRU layer -> GELU -> readout of the last step.

    Parameters
    ----------
    n_symbols : int
        Number of symbols :math:`K` (inputs ``K + 1``, outputs ``K``).
    d_model, d_state : int
        Width :math:`H` and number of complex channels :math:`N` of the LRU.
    r_min, max_phase : float
        Ring initialization of the LRU (``r_max = 1``).
    """

    def __init__(self, n_symbols: int = 4, d_model: int = 16, d_state: int = 16,
                 r_min: float = 0.9, max_phase: float = 2 * math.pi) -> None:
        super().__init__()
        self.n_symbols = check_size(n_symbols, "n_symbols", 2, _MAX_SYMBOLS)
        d_model = check_size(d_model, "d_model", 1, 4096)
        d_state = check_size(d_state, "d_state", 1, 4096)
        self.enc = nn.Linear(self.n_symbols + 1, d_model)
        self.lru = LRU(d_model, d_state, r_min=r_min, max_phase=max_phase)
        self.dec = nn.Linear(d_model, self.n_symbols)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (B, L, K + 1) -> logits (B, K), from the last step."""
        x = _check_x(x, self.n_symbols + 1)
        return self.dec(F.gelu(self.lru(self.enc(x)))[:, -1])


class RecallRNN(nn.Module):
    """A nonlinear recurrent network (tanh or GRU) -> readout of the last step.

    Parameters
    ----------
    n_symbols : int
        Number of symbols :math:`K`.
    hidden : int
        Hidden-state size.
    cell : {"tanh", "gru"}
        ``"tanh"``: :math:`h_k = \\tanh(W_{ih} u_k + W_{hh} h_{k-1} + b)` (``torch.nn.RNN``);
        ``"gru"``: the gated recurrent unit (``torch.nn.GRU``).
    """

    def __init__(self, n_symbols: int = 4, hidden: int = 32, cell: str = "tanh") -> None:
        super().__init__()
        self.n_symbols = check_size(n_symbols, "n_symbols", 2, _MAX_SYMBOLS)
        hidden = check_size(hidden, "hidden", 1, 4096)
        check_choice(cell, "cell", ("tanh", "gru"))
        self.cell = cell
        rnn = nn.RNN if cell == "tanh" else nn.GRU
        self.rnn = rnn(self.n_symbols + 1, hidden, batch_first=True)
        self.dec = nn.Linear(hidden, self.n_symbols)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (B, L, K + 1) -> logits (B, K), from the last step."""
        x = _check_x(x, self.n_symbols + 1)
        return self.dec(self.rnn(x)[0][:, -1])


def make_recall_model(kind: str, n_symbols: int = 4, seed: int = 0, **kwargs: Any) -> nn.Module:
    """One of the chapter's three recall models, at comparable size.

    ``"tanh"``: :class:`RecallRNN` with 32 hidden units (1380 parameters for
    ``n_symbols=4``); ``"gru"``: :class:`RecallRNN` GRU with 16 units (1172);
    ``"lru"``: :class:`RecallLRU` with ``d_model = d_state = 16`` and ``r_min = 0.9``
    (1252). ``kwargs`` override the constructor's arguments.

    Parameters
    ----------
    kind : {"tanh", "gru", "lru"}
    n_symbols : int
    seed : int, >= 0
        ``torch.manual_seed(seed)`` is called before the parameters are drawn.
    """
    check_choice(kind, "kind", RECALL_MODELS)
    seed = check_int(seed, "seed", minimum=0)
    torch.manual_seed(seed)
    if kind == "lru":
        return RecallLRU(n_symbols, **kwargs)
    args = {"hidden": 32 if kind == "tanh" else 16, **kwargs}
    return RecallRNN(n_symbols, cell=kind, **args)


def recall_gradient_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean over the batch of :math:`\\lVert \\partial \\ell_i / \\partial u_{i,1} \\rVert_2`.

    :math:`\\ell_i` is the cross-entropy loss of sequence ``i`` and :math:`u_{i,1}` its
    first input (the step that carries the symbol): how strongly the loss still
    reacts to the one input the task is about, ``delay`` steps before the readout.
    The model's parameters are left untouched (no ``.grad`` is written to them).
    The norm is taken in float64 whatever the dtype of ``x``, so gradients far below
    float32's range for squares (entries of order ``1e-27``) give their true, nonzero norm.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``x`` to logits (B, K).
    x : Tensor, shape (B, L, K + 1), float
        Inputs (finite).
    y : Tensor, shape (B,), int64
        Labels, in ``[0, K)`` for the model's ``K`` outputs (``ValueError`` naming ``y``
        otherwise).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_tensor(x, "x", ndim=3, dtypes=(torch.float32, torch.float64))
    check_tensor(y, "y", ndim=1, dtypes=(torch.int64,))
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have one label per sequence of x ({x.shape[0]}), "
                         f"got shape {tuple(y.shape)}")
    u = x.clone().requires_grad_(True)
    logits = model(u)
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or logits.shape[0] != y.shape[0]:
        raise ValueError(f"model must map x to logits of shape (B, K) = ({y.shape[0]}, K), got "
                         f"{tuple(logits.shape) if isinstance(logits, torch.Tensor) else logits!r}")
    if y.numel():
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= logits.shape[1]:
            raise ValueError(f"y must hold labels in [0, K={logits.shape[1]}) (the model's "
                             f"outputs), got {lo if lo < 0 else hi}")
    loss = F.cross_entropy(logits, y, reduction="sum")  # sum: per-sequence gradients
    (g,) = torch.autograd.grad(loss, u)
    # The norm in float64: float32 entries of ~1e-27 (a tanh RNN, delay 100) have squares
    # below float32's smallest subnormal, so a float32 norm would return exactly 0.
    return float(g[:, 0].double().norm(dim=-1).mean())


@dataclass(frozen=True)
class RecallResult:
    """What :func:`train_recall` measured.

    Attributes
    ----------
    accuracy : float
        Held-out accuracy (1000 sequences from a fixed generator, seed 1234).
    grad_norm_init, grad_norm_final : float
        :func:`recall_gradient_norm` on 256 held-out sequences before and after training.
    final_loss : float
        Training loss of the last step.
    n_params : int
        Number of trainable parameters.
    """

    accuracy: float
    grad_norm_init: float
    grad_norm_final: float
    final_loss: float
    n_params: int


def train_recall(model: nn.Module, delay: int, *, steps: int = 200, batch_size: int = 64,
                 lr: float = 1e-2, seed: int = 0) -> RecallResult:
    """Train ``model`` on the delayed-recall task with AdamW and measure it.

    :class:`RecallLRU` uses :func:`ssmlib.lru_param_groups` (recurrent parameters at
    half the learning rate, no weight decay); other models use AdamW with
    ``weight_decay=0.05`` on every parameter (the rate of the LRU's "other" group).
    No gradient clipping. Training batches come from a generator seeded with
    ``seed``; the held-out set is fixed (seed 1234) and shared by every run.

    Parameters
    ----------
    model : RecallLRU or RecallRNN
    delay : int, >= 0
        Blank steps between the symbol and the readout.
    steps, batch_size : int
        Number of AdamW steps (``1 <= steps <= 10**6``) and sequences per step
        (``1 <= batch_size <= 2**16``).
    lr : float, > 0
    seed : int, >= 0

    Returns
    -------
    RecallResult
    """
    if not isinstance(model, (RecallLRU, RecallRNN)):
        raise TypeError(f"model must be a RecallLRU or RecallRNN, got {type(model).__name__}")
    delay = check_size(delay, "delay", 0, 100_000)
    steps = check_int(steps, "steps", minimum=1, maximum=1_000_000)
    batch_size = check_size(batch_size, "batch_size", 1, 1 << 16)
    lr = check_finite_scalar(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    seed = check_int(seed, "seed", minimum=0)
    K = model.n_symbols
    x_test, y_test = recall_batch(1000, delay, K, torch.Generator().manual_seed(1234))
    grad_init = recall_gradient_norm(model, x_test[:256], y_test[:256])
    if isinstance(model, RecallLRU):
        opt = torch.optim.AdamW(lru_param_groups(model, lr=lr))
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    gen = torch.Generator().manual_seed(seed)
    loss = torch.tensor(float("nan"))
    model.train()
    for _ in range(steps):
        x, y = recall_batch(batch_size, delay, K, gen)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(x_test).argmax(1) == y_test).float().mean())
    grad_final = recall_gradient_norm(model, x_test[:256], y_test[:256])
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return RecallResult(acc, grad_init, grad_final, float(loss.detach()), n_params)
