"""Training loop and command line for Long Range Arena tasks (chapter 10).

Run ``python -m ssmlib.train --task listops --epochs 2 --out-dir runs/listops`` or call
:func:`train` with a :class:`TrainConfig`. Without ``--data-dir`` the data are
generated (:mod:`ssmlib.data`); with it, the official release files are read.

What a run does: seeds python, numpy and torch; picks the device (CUDA, else
CPU); builds an :class:`~ssmlib.lru.LRUClassifier` (or the small Transformer
baseline :class:`TransformerClassifier`); optimizes with AdamW over
:func:`~ssmlib.lru.lru_param_groups` (recurrent parameters: no weight decay, lr x
``lr_factor``) with linear warmup then cosine decay per step; evaluates on the
validation set after every epoch, keeps the best-validation weights as
``checkpoint.pt`` (``torch.save`` of a ``state_dict``; reload with
``torch.load(..., weights_only=True)``) and reports test accuracy for them; writes
``metrics.json`` with the full config, device, timings, versions and the
majority-class baseline of the test set.

Presets (:data:`PRESETS`)
-------------------------
Model width ``H``, state size ``N``, depth, batch size, epochs, learning rate,
weight decay and dropout follow the S5 experiment scripts
(``lindermanlab/S5``, ``bin/run_experiments/run_lra_{listops,pathfinder,pathx}.sh``,
read at commit ``3c18fdb``), which the LRU paper (``orvieto2023resurrecting``)
builds on. The learning rate given here is S5's ``lr_factor * ssm_lr_base`` (the
rate of the non-recurrent parameters); the recurrent ones get ``lr_factor = 0.5``
of it, the default of the minimal LRU reimplementation
(``NicolasZucchet/minimal-LRU``, ``run_train.py``: "ssm lr = lr_factor * lr_base",
default 0.5). The LRU ring settings ``r_min`` / ``max_phase`` per task could not
be checked against the LRU paper's hyperparameter tables here (neither S5's
scripts nor the minimal LRU repository list them); they are this module's
choices and are marked UNVERIFIED in :data:`PRESETS`. S5 also uses bidirectional
layers and BatchNorm; this LRU is causal.

Runs that survive faults
------------------------
:func:`train` writes ``checkpoint.pt`` (best-validation weights), ``state.pt``
(everything needed to continue exactly: model, optimizer, schedule, RNG states,
data order, step, metrics) and ``metrics.json`` (strict JSON) atomically into
``out_dir``. SIGINT/SIGTERM finish the current step, save, and raise
:class:`TrainingInterrupted` (the CLI exits with status 130); ``resume=True``
(``--resume``) continues bit for bit on the same device. A non-finite loss,
gradient or parameter stops the run with :class:`TrainingDiverged`, naming the
likely causes, and keeps the last good checkpoint. An ``out_dir`` that already
holds a run is never overwritten silently (``--resume`` or ``--overwrite``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import platform
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .lru import LRUClassifier, _check_input, lru_param_groups, masked_mean

__all__ = [
    "TrainConfig",
    "PRESETS",
    "train",
    "build_datasets",
    "build_model",
    "evaluate_model",
    "cosine_warmup",
    "select_device",
    "TransformerClassifier",
    "benchmark_inference",
    "main",
    "TrainingDiverged",
    "TrainingInterrupted",
    "request_stop",
    "RUN_FILES",
]

TASKS = ("listops", "pathfinder", "pathx")

#: Largest generated split (samples are held in memory).
_MAX_SAMPLES = 10_000_000

#: Paper-scale settings per task (see the module docstring for sources).
PRESETS: dict[str, dict[str, Any]] = {
    # S5 run_lra_listops.sh: d_model 128, ssm_size 16, 8 layers, bsz 50, 40 epochs,
    # ssm_lr 1e-3 x lr_factor 3, weight_decay 0.04, dropout 0. r_min/max_phase: UNVERIFIED.
    "listops": dict(d_model=128, d_state=16, n_layers=8, batch_size=50, epochs=40, lr=3e-3,
                    weight_decay=0.04, dropout=0.0, norm="batch", r_min=0.0,
                    max_phase=2 * math.pi, min_length=500, max_length=2000),
    # S5 run_lra_pathfinder.sh: 192 / 256 / 6 layers, bsz 64, 200 epochs, ssm_lr 9e-4 x 5,
    # weight_decay 0.03, dropout 0.05. r_min 0.9, max_phase pi/10: UNVERIFIED.
    "pathfinder": dict(d_model=192, d_state=256, n_layers=6, batch_size=64, epochs=200,
                       lr=4.5e-3, weight_decay=0.03, dropout=0.05, norm="batch", r_min=0.9,
                       max_phase=math.pi / 10, resolution=32),
    # S5 run_lra_pathx.sh: 128 / 256 / 6 layers, bsz 32, 75 epochs, ssm_lr 6e-4 x 3,
    # weight_decay 0.06, dropout 0. r_min 0.999, max_phase pi/10: UNVERIFIED.
    "pathx": dict(d_model=128, d_state=256, n_layers=6, batch_size=32, epochs=75, lr=1.8e-3,
                  weight_decay=0.06, dropout=0.0, norm="batch", r_min=0.999,
                  max_phase=math.pi / 10, resolution=128),
}


@dataclass
class TrainConfig:
    """Everything a run depends on (written in full to ``metrics.json``).

    Defaults are CPU-sized (short generated ListOps); see :data:`PRESETS` for
    paper-scale settings.
    """

    task: str = "listops"
    model: str = "lru"  # "lru" or "transformer"
    data_dir: str | None = None  # release directory; None: generate data
    n_train: int = 2000
    n_val: int = 200
    n_test: int = 200
    data_seed: int = 0
    min_length: int = 50  # ListOps open length window (LRA: 500, 2000)
    max_length: int = 200
    max_depth: int = 10
    resolution: int = 32  # Pathfinder side (Path-X: 128)
    d_model: int = 64
    d_state: int = 64
    n_layers: int = 2
    n_heads: int = 4  # transformer only
    r_min: float = 0.0
    r_max: float = 1.0
    max_phase: float = 2 * math.pi
    dropout: float = 0.0
    norm: str = "layer"
    batch_size: int = 32
    epochs: int = 5
    lr: float = 3e-3
    lr_factor: float = 0.5
    weight_decay: float = 0.05
    warmup_frac: float = 0.1
    grad_clip: float | None = None
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None
    max_steps: int | None = None  # stop early (smoke tests)
    time_limit_s: float | None = None  # stop training after this many seconds
    out_dir: str | None = None
    progress: bool = True

    def validate(self) -> "TrainConfig":
        """Check every field; raise ``ValueError``/``TypeError`` naming the field. Returns self."""
        def choice(name: str, options: tuple) -> None:
            v = getattr(self, name)
            if not isinstance(v, str) or v not in options:
                raise ValueError(f"{name} must be one of {options}, got {v!r}")

        def integer(name: str, minimum: int, optional: bool = False) -> None:
            v = getattr(self, name)
            if optional and v is None:
                return
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an int{' or None' if optional else ''}, "
                                f"got {type(v).__name__}")
            if v < minimum:
                raise ValueError(f"{name} must be >= {minimum}, got {v}")

        def real(name: str, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False,
                 optional: bool = False) -> None:
            v = getattr(self, name)
            if optional and v is None:
                return
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be a real number{' or None' if optional else ''}, "
                                f"got {type(v).__name__}")
            if not math.isfinite(v):
                raise ValueError(f"{name} must be finite, got {v}")
            if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
                interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
                raise ValueError(f"{name} must be in {interval}, got {v}")

        choice("task", TASKS)
        choice("model", ("lru", "transformer"))
        choice("norm", ("layer", "batch"))
        for name in ("data_dir", "out_dir"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, (str, os.PathLike)):
                raise TypeError(f"{name} must be a path (str) or None, got {type(v).__name__}")
            if isinstance(v, str) and not v.strip():
                raise ValueError(f"{name} must be a non-empty path or None, got {v!r}")
        if not isinstance(self.device, str):
            raise TypeError(f"device must be a str ('auto', 'cpu', 'cuda', 'cuda:1', ...), "
                            f"got {type(self.device).__name__}")
        if self.device != "auto":
            try:
                torch.device(self.device)
            except (RuntimeError, ValueError) as exc:
                raise ValueError(f"device must be 'auto' or a torch device name, "
                                 f"got {self.device!r}") from exc
        if not isinstance(self.progress, bool):
            raise TypeError(f"progress must be a bool, got {type(self.progress).__name__}")
        for name in ("n_train", "batch_size", "epochs", "d_model", "d_state", "n_layers",
                     "n_heads", "max_depth"):
            integer(name, 1)
        for name in ("n_val", "n_test", "data_seed", "seed", "min_length"):
            integer(name, 0)
        integer("max_length", 2)
        integer("resolution", 8)
        integer("num_threads", 1, optional=True)
        integer("max_steps", 1, optional=True)
        for name in ("n_train", "n_val", "n_test"):
            if getattr(self, name) > _MAX_SAMPLES:
                raise ValueError(f"{name} must be <= {_MAX_SAMPLES} (generated data are held in "
                                 f"memory), got {getattr(self, name)}")
        if self.min_length + 1 >= self.max_length:
            raise ValueError(f"the ListOps length window needs min_length + 1 < max_length, "
                             f"got min_length={self.min_length}, max_length={self.max_length}")
        if self.resolution > 1024:
            raise ValueError(f"resolution must be <= 1024, got {self.resolution}")
        real("lr", 0.0, 10.0, lo_open=True)
        real("lr_factor", 0.0, 1e3, lo_open=True)
        real("weight_decay", 0.0, 1e3)
        real("warmup_frac", 0.0, 1.0, hi_open=True)
        real("grad_clip", 0.0, math.inf, lo_open=True, optional=True)
        real("time_limit_s", 0.0, math.inf, lo_open=True, optional=True)
        real("dropout", 0.0, 1.0, hi_open=True)
        real("r_min", 0.0, 1.0, hi_open=True)
        real("r_max", 0.0, 1.0, lo_open=True)
        if self.r_min >= self.r_max:
            raise ValueError(f"r_min must be < r_max, got r_min={self.r_min}, r_max={self.r_max}")
        real("max_phase", 0.0, 2 * math.pi, lo_open=True)
        if self.model == "transformer" and self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        return self


# --- infrastructure -----------------------------------------------------------------
def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA)."""
    _check_int(seed, "seed", 0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def select_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA when available, else CPU; otherwise ``torch.device(device)``.

    Raises
    ------
    TypeError
        If ``device`` is not a str or ``torch.device``.
    ValueError
        If ``device`` names no torch device, or CUDA is requested but unavailable.
    """
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            dev = torch.device(device)
        except (RuntimeError, ValueError) as exc:
            raise ValueError(f"device must be 'auto' or a torch device name ('cpu', 'cuda', "
                             f"'cuda:0', ...), got {device!r}") from exc
    else:
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} requested but CUDA is not available")
    return dev


def cosine_warmup(step: int, total: int, warmup: int) -> float:
    """Learning-rate multiplier: linear warmup to 1 over ``warmup`` steps, then cosine to 0.

    Parameters
    ----------
    step : int
        Optimizer steps taken so far, ``>= 0`` (values past ``total`` give 0).
    total : int
        Total number of steps, ``>= 1``.
    warmup : int
        Warmup steps, ``0 <= warmup <= total``.
    """
    step = _check_int(step, "step", 0)
    total = _check_int(total, "total", 1)
    warmup = _check_int(warmup, "warmup", 0)
    if warmup > total:
        raise ValueError(f"warmup must be <= total ({total}), got {warmup}")
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _check_int(x: Any, name: str, minimum: int) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(x).__name__}")
    if x < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {x}")
    return int(x)


def _check_config(cfg: Any, name: str = "cfg") -> "TrainConfig":
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"{name} must be a TrainConfig, got {type(cfg).__name__}")
    return cfg.validate()


# --- data ------------------------------------------------------------------------------
def build_datasets(cfg: TrainConfig) -> tuple[Any, Any, Any, dict]:
    """Train/val/test datasets and a description (``n_classes``, input kind, source)."""
    from . import data as D

    cfg = _check_config(cfg)
    if cfg.task == "listops":
        tok = D.ListOpsTokenizer()
        if cfg.data_dir:
            splits = [D.load_listops(cfg.data_dir, s) for s in ("train", "val", "test")]
            source = f"release files in {cfg.data_dir}"
        else:
            kw = dict(min_length=cfg.min_length, max_length=cfg.max_length, max_depth=cfg.max_depth)
            rng = np.random.default_rng(cfg.data_seed)
            splits, seen = [], []
            for n in (cfg.n_train, cfg.n_val, cfg.n_test):
                part = D.generate_listops(n, seed=rng, exclude=seen, **kw)
                seen += [s for s, _ in part]
                splits.append(part)
            source = (f"generated (LRA rules, length window ({cfg.min_length}, {cfg.max_length}), "
                      f"max depth {cfg.max_depth}, seed {cfg.data_seed})")
        sets = [D.ListOpsDataset(sp, tok) for sp in splits]
        meta = dict(n_classes=10, vocab_size=tok.vocab_size, d_input=None, source=source)
    else:
        res = cfg.resolution if cfg.task == "pathfinder" else max(cfg.resolution, 128)
        if cfg.data_dir:
            X, y = D.load_pathfinder(cfg.data_dir)
            source = f"release layout in {cfg.data_dir}"
        else:
            X, y = D.generate_pathfinder(cfg.n_train + cfg.n_val + cfg.n_test, res,
                                         seed=cfg.data_seed)
            source = f"generated pathfinder-style images {res}x{res}, seed {cfg.data_seed}"
        if cfg.data_dir:
            idx = D.split_indices(len(y), seed=cfg.data_seed)
        else:
            a, b = cfg.n_train, cfg.n_train + cfg.n_val
            perm = np.arange(len(y))
            idx = (perm[:a], perm[a:b], perm[b:])
        sets = [D.PathfinderDataset(X[i], y[i]) for i in idx]
        meta = dict(n_classes=2, vocab_size=None, d_input=1, source=source)
    meta["sizes"] = [len(s) for s in sets]
    return sets[0], sets[1], sets[2], meta


def _loader(ds: Any, batch_size: int, shuffle: bool, seed: int) -> torch.utils.data.DataLoader:
    from .data import pad_collate

    g = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                       collate_fn=pad_collate, generator=g)


# --- models ------------------------------------------------------------------------------
class _AttentionBlock(nn.Module):
    """Pre-norm Transformer block: causal multi-head attention + GELU MLP, both residual."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(),
                                 nn.Linear(4 * d_model, d_model))
        self.drop = nn.Dropout(dropout)

    def _heads(self, t: torch.Tensor) -> torch.Tensor:  # (B, L, H) -> (B, heads, L, H/heads)
        B, L, H = t.shape
        return t.view(B, L, self.n_heads, H // self.n_heads).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        a = F.scaled_dot_product_attention(self._heads(q), self._heads(k), self._heads(v),
                                           is_causal=True)
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(x.shape)))
        return x + self.drop(self.mlp(self.norm2(x)))

    def step(self, x_t: torch.Tensor, cache: tuple | None) -> tuple[torch.Tensor, tuple]:
        """One new token (B, H) attending over the cached keys/values (B, heads, L, H/heads)."""
        q, k, v = self.qkv(self.norm1(x_t[:, None])).chunk(3, dim=-1)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        a = F.scaled_dot_product_attention(q, k, v)  # the new token sees the whole context
        x = x_t + self.drop(self.proj(a.transpose(1, 2).reshape(x_t.shape)))
        return x + self.drop(self.mlp(self.norm2(x))), (k, v)


class TransformerClassifier(nn.Module):
    """A small causal Transformer baseline with the interface of :class:`~ssmlib.lru.LRUClassifier`.

    Learned position embeddings (up to ``max_len``), ``n_layers`` pre-norm blocks,
    masked mean pooling, linear decoder. :meth:`step` appends one token to a
    key/value cache: its cost grows with the context length, unlike the LRU's.

    Parameters
    ----------
    n_classes : int
        Number of output classes (>= 2).
    d_model : int
        Width, divisible by ``n_heads``.
    n_layers, n_heads : int
        Number of blocks and of attention heads (>= 1).
    vocab_size : int, optional
        Token input: an embedding with ``pad_id`` as padding.
    d_input : int, optional
        Continuous input: a linear encoder. Give exactly one of the two.
    max_len : int
        Longest sequence (number of position embeddings).
    dropout : float
        In [0, 1).
    pad_id : int
        Padding token id, in ``[0, vocab_size)``.
    """

    def __init__(self, n_classes: int, d_model: int = 64, n_layers: int = 2, n_heads: int = 4, *,
                 vocab_size: int | None = None, d_input: int | None = None, max_len: int = 4096,
                 dropout: float = 0.0, pad_id: int = 0) -> None:
        super().__init__()
        _check_int(n_classes, "n_classes", 2)
        _check_int(d_model, "d_model", 1)
        _check_int(n_layers, "n_layers", 1)
        _check_int(n_heads, "n_heads", 1)
        _check_int(max_len, "max_len", 1)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise TypeError(f"dropout must be a real number, got {type(dropout).__name__}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if (vocab_size is None) == (d_input is None):
            raise ValueError("give exactly one of vocab_size (tokens) and d_input (continuous)")
        if vocab_size is not None:
            _check_int(vocab_size, "vocab_size", 2)
            _check_int(pad_id, "pad_id", 0)
            if pad_id >= vocab_size:
                raise ValueError(f"pad_id must be a token id in [0, vocab_size={vocab_size}), "
                                 f"got {pad_id}")
        else:
            _check_int(d_input, "d_input", 1)
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.tokens = vocab_size is not None
        self.vocab_size = vocab_size
        self.d_input = d_input
        self.encoder = (nn.Embedding(vocab_size, d_model, padding_idx=pad_id) if self.tokens
                        else nn.Linear(d_input, d_model))
        self.pos = nn.Embedding(max_len, d_model)
        self.max_len = max_len
        self.blocks = nn.ModuleList(_AttentionBlock(d_model, n_heads, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.decoder = nn.Linear(d_model, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-step features (B, L, d_model) of token ids (B, L) or features (B, L, d_input)."""
        _check_input(x, "x", self.tokens, self.vocab_size, self.d_input, 2)
        L = x.shape[1]
        if L > self.max_len:
            raise ValueError(f"x: sequence length {L} exceeds max_len={self.max_len}")
        h = self.encoder(x) + self.pos(torch.arange(L, device=x.device))
        for block in self.blocks:
            h = block(h)
        return self.norm(h)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits.

        Parameters
        ----------
        x : Tensor
            Token ids (B, L) long, or features (B, L, d_input) float; ``L <= max_len``.
        mask : Tensor, shape (B, L), bool, optional
            True at real (non-padding) steps. Attention is causal, so right
            padding never changes the features of real steps; the mask only
            excludes padding from the mean.

        Returns
        -------
        Tensor, shape (B, n_classes)
        """
        return self.decoder(masked_mean(self.features(x), mask))

    def step(self, x_t: torch.Tensor, caches: list | None = None, position: int = 0
             ) -> tuple[torch.Tensor, list]:
        """Features of one new token at ``position`` given per-layer key/value caches.

        Parameters
        ----------
        x_t : Tensor
            Token ids (B,) or features (B, d_input).
        caches : list of (keys, values), optional
            One pair per block, each (B, n_heads, position, d_model / n_heads).
        position : int
            Index of the new token, in ``[0, max_len)``.
        """
        _check_input(x_t, "x_t", self.tokens, self.vocab_size, self.d_input, 1)
        position = _check_int(position, "position", 0)
        if position >= self.max_len:
            raise ValueError(f"position must be < max_len={self.max_len}, got {position}")
        if caches is not None and (not isinstance(caches, (list, tuple))
                                   or len(caches) != len(self.blocks)):
            raise ValueError(f"caches must be a list with one (keys, values) pair per block "
                             f"({len(self.blocks)})")
        h = self.encoder(x_t) + self.pos.weight[position]
        caches = list(caches) if caches is not None else [None] * len(self.blocks)
        for i, block in enumerate(self.blocks):
            h, caches[i] = block.step(h, caches[i])
        return self.norm(h), caches


def build_model(cfg: TrainConfig, meta: dict) -> nn.Module:
    """The classifier named by ``cfg.model`` for the data described by ``meta``.

    ``meta`` is the description returned by :func:`build_datasets` (keys
    ``n_classes``, ``vocab_size``, ``d_input``).
    """
    cfg = _check_config(cfg)
    if not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict (from build_datasets), got {type(meta).__name__}")
    missing = [k for k in ("n_classes", "vocab_size", "d_input") if k not in meta]
    if missing:
        raise ValueError(f"meta is missing {missing} (use the description from build_datasets)")
    io = dict(vocab_size=meta["vocab_size"], d_input=meta["d_input"])
    if cfg.model == "lru":
        return LRUClassifier(meta["n_classes"], cfg.d_model, cfg.d_state, cfg.n_layers,
                             r_min=cfg.r_min, r_max=cfg.r_max, max_phase=cfg.max_phase,
                             dropout=cfg.dropout, norm=cfg.norm, **io)
    max_len = max(4096, cfg.resolution**2 if cfg.task != "listops" else cfg.max_length + 1)
    return TransformerClassifier(meta["n_classes"], cfg.d_model, cfg.n_layers, cfg.n_heads,
                                 max_len=max_len, dropout=cfg.dropout, **io)


# --- loop --------------------------------------------------------------------------------
@torch.no_grad()
def evaluate_model(model: nn.Module, loader: Any, device: torch.device | str) -> dict[str, Any]:
    """Mean cross-entropy and accuracy over a loader.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(x, mask)`` to logits (B, n_classes).
    loader : iterable of (x, mask, y)
        Batches, e.g. a ``DataLoader`` with :func:`ssmlib.data.pad_collate`.
    device : torch.device or str

    Returns
    -------
    dict
        ``loss``, ``accuracy`` and ``n`` (number of samples). For an empty loader
        ``loss`` and ``accuracy`` are None and ``reason`` says why (never NaN).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not hasattr(loader, "__iter__"):
        raise TypeError(f"loader must be an iterable of (x, mask, y) batches, "
                        f"got {type(loader).__name__}")
    device = select_device(device)
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    for x, mask, y in loader:
        x, mask, y = x.to(device), mask.to(device), y.to(device)
        logits = model(x, mask)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
        total += y.numel()
    if total == 0:
        return {"loss": None, "accuracy": None, "n": 0, "reason": "empty split"}
    loss = loss_sum / total
    out: dict[str, Any] = {"loss": loss if math.isfinite(loss) else None,
                           "accuracy": correct / total, "n": total}
    if out["loss"] is None:
        out["reason"] = "non-finite loss"
    return out


def _versions() -> dict[str, str]:
    from . import __version__

    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "ssmlib": __version__}


def _device_info(device: torch.device) -> dict[str, Any]:
    info: dict[str, Any] = {"type": device.type, "threads": torch.get_num_threads(),
                            "platform": platform.platform(), "processor": platform.processor()}
    if device.type == "cuda":
        info["name"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


class TrainingDiverged(FloatingPointError):
    """The loss, the gradients or the parameters became non-finite.

    ``metrics`` holds the run up to that point (also written to ``metrics.json``
    when there is an output directory); the checkpoints of the last completed
    epoch are kept.
    """

    def __init__(self, message: str, metrics: dict | None = None) -> None:
        super().__init__(message)
        self.metrics = metrics


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT/SIGTERM (or :func:`request_stop`) stopped a run after a complete step.

    The resumable state (``state.pt``) and ``metrics.json`` (status
    ``"interrupted"``) were written first when there is an output directory;
    continue with ``train(..., resume=True)`` / ``--resume``.
    """

    def __init__(self, message: str, metrics: dict | None = None) -> None:
        super().__init__(message)
        self.metrics = metrics


_STOP: dict[str, str | None] = {"reason": None}


def request_stop(reason: str = "request_stop") -> None:
    """Ask a running :func:`train` to stop after the current step (as SIGINT does)."""
    _STOP["reason"] = str(reason)


def _on_signal(signum: int, frame: Any) -> None:  # pragma: no cover - exercised via signals
    if _STOP["reason"] is not None:  # a second signal: stop at once
        raise KeyboardInterrupt
    _STOP["reason"] = signal.Signals(signum).name


def _json_safe(obj: Any) -> Any:
    """Replace non-finite floats by None so the result is strictly valid JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return _json_safe(obj.item())
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def _atomic_write(path: Path, write: Any) -> None:
    """Write ``path`` via a temporary file in the same directory and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_json(path: Path, obj: Any) -> None:
    text = json.dumps(_json_safe(obj), indent=2, allow_nan=False)
    _atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def _rng_state() -> dict[str, Any]:
    np_state = np.random.get_state(legacy=False)
    state = {"python": random.getstate(), "torch": torch.get_rng_state(),
             "numpy": {"bit_generator": np_state["bit_generator"],
                       "key": torch.from_numpy(np.asarray(np_state["state"]["key"]).astype(np.int64)),
                       "pos": int(np_state["state"]["pos"]),
                       "has_gauss": int(np_state["has_gauss"]),
                       "gauss": float(np_state["gauss"])},
             "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state({"bit_generator": n["bit_generator"],
                         "state": {"key": n["key"].numpy().astype(np.uint32), "pos": n["pos"]},
                         "has_gauss": n["has_gauss"], "gauss": n["gauss"]})
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def _data_fingerprint(sets: Sequence[Any]) -> str:
    """SHA-256 of the split sizes and labels: a resumed run must see the same data."""
    h = hashlib.sha256()
    for ds in sets:
        labels = np.asarray(ds.labels, dtype=np.int64)
        h.update(str(len(labels)).encode())
        h.update(labels.tobytes())
    return h.hexdigest()


#: Fields that may differ between a run and its resumption (they do not change the result).
_RESUME_FREE = ("progress", "device", "num_threads", "time_limit_s", "out_dir")

#: Files a run writes into ``out_dir``.
RUN_FILES = ("metrics.json", "checkpoint.pt", "state.pt")


def _prepare_out_dir(out_dir: Path, resume: bool, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir must be a directory, got the file {out_dir}")
    existing = [n for n in RUN_FILES if (out_dir / n).exists()]
    if resume:
        if not (out_dir / "state.pt").exists():
            raise FileNotFoundError(f"resume: no state.pt in out_dir={str(out_dir)!r} "
                                    "(nothing to resume; drop resume to start a new run)")
        return
    if existing and not overwrite:
        raise FileExistsError(
            f"out_dir={str(out_dir)!r} already holds a run ({', '.join(existing)}); "
            "pass resume=True (--resume) to continue it or overwrite=True (--overwrite) "
            "to replace it")
    out_dir.mkdir(parents=True, exist_ok=True)
    for n in existing:
        (out_dir / n).unlink()


def _config_from(config: Any, overrides: dict[str, Any]) -> "TrainConfig":
    if config is None:
        config = TrainConfig()
    elif isinstance(config, dict):
        unknown = sorted(set(config) - {f.name for f in dataclasses.fields(TrainConfig)})
        if unknown:
            raise TypeError(f"config has unknown field(s) {unknown}; see TrainConfig")
        config = TrainConfig(**config)
    elif not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, a dict or None, got "
                        f"{type(config).__name__} (for a task, use train(task={config!r}))")
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(TrainConfig)})
    if unknown:
        raise TypeError(f"unknown keyword argument(s) {unknown}: not TrainConfig fields")
    return dataclasses.replace(config, **overrides).validate()


def train(config: TrainConfig | dict | None = None, *, resume: bool = False,
          overwrite: bool = False, on_step: Callable[[int, float], None] | None = None,
          **overrides: Any) -> dict[str, Any]:
    """Train and evaluate one model; return (and optionally write) the metrics.

    Parameters
    ----------
    config : TrainConfig or dict, optional
        The run; keyword ``overrides`` replace fields.
    resume : bool
        Continue the run stored in ``out_dir`` (``state.pt``) exactly where it
        stopped: model, optimizer, schedule, RNG states, data order, step and
        metrics are restored, so an interrupted and resumed run gives the same
        numbers as one that was never interrupted (on the same device). The
        config must match the stored one except for ``progress``, ``device``,
        ``num_threads`` and ``time_limit_s``.
    overwrite : bool
        Replace a run already in ``out_dir``. Without ``resume`` or
        ``overwrite``, an ``out_dir`` holding a run raises ``FileExistsError``.
    on_step : callable, optional
        Called as ``on_step(step, loss)`` after every optimizer step.

    Returns
    -------
    dict
        ``config``, ``device``, ``versions``, ``data`` (source, sizes, majority-class
        accuracy of each split, fingerprint), ``history`` (per epoch: train
        loss/accuracy, val loss/accuracy, seconds), ``status`` (``"completed"``,
        ``"stopped_early"``), ``best_epoch``, ``val_accuracy``, ``test`` (loss and
        accuracy of the best-validation weights), ``timings``, ``n_params``; plus
        ``checkpoint``, ``state`` and ``metrics_path`` when ``out_dir`` is set.
        Values that cannot be computed (an empty split) are None with a
        ``reason``; ``metrics.json`` is strict JSON (no NaN).

    Raises
    ------
    TrainingDiverged
        The loss, gradient norm or parameters became non-finite (learning rate
        too high, no gradient clipping, ...). ``metrics.json`` (status
        ``"diverged"``) is written; the checkpoints of the last completed epoch
        are kept.
    TrainingInterrupted
        SIGINT/SIGTERM or :func:`request_stop`: the current step finished, the
        state and ``metrics.json`` (status ``"interrupted"``) were written.
    FileExistsError
        ``out_dir`` holds a run and neither ``resume`` nor ``overwrite`` is set.

    Files written to ``out_dir`` (atomically: temporary file, then ``os.replace``):
    ``checkpoint.pt`` (best-validation ``state_dict``), ``state.pt`` (everything
    needed to resume; load with ``torch.load(..., weights_only=True)``) and
    ``metrics.json``.
    """
    cfg = _config_from(config, overrides)
    if not isinstance(resume, bool) or not isinstance(overwrite, bool):
        raise TypeError("resume and overwrite must be bools")
    if resume and overwrite:
        raise ValueError("give at most one of resume and overwrite")
    if on_step is not None and not callable(on_step):
        raise TypeError(f"on_step must be callable, got {type(on_step).__name__}")
    out_dir = Path(cfg.out_dir) if cfg.out_dir else None
    if resume and out_dir is None:
        raise ValueError("resume=True needs out_dir (the directory of the run to continue)")
    if out_dir is not None:
        _prepare_out_dir(out_dir, resume, overwrite)
    saved = None
    if resume:
        saved = torch.load(out_dir / "state.pt", map_location="cpu", weights_only=True)
        old = saved["config"]
        diff = sorted(k for k, v in dataclasses.asdict(cfg).items()
                      if k not in _RESUME_FREE and old.get(k) != v)
        if diff:
            raise ValueError(f"resume: config differs from the stored run in {diff} "
                             f"(stored: {[old.get(k) for k in diff]})")
        if saved.get("finished"):
            raise ValueError(f"resume: the run in {str(out_dir)!r} already finished "
                             f"(status {saved.get('status')!r}); nothing to resume")

    t_start = time.perf_counter()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    seed_everything(cfg.seed)
    device = select_device(cfg.device)

    t0 = time.perf_counter()
    train_ds, val_ds, test_ds, meta = build_datasets(cfg)
    t_data = time.perf_counter() - t0
    fingerprint = _data_fingerprint((train_ds, val_ds, test_ds))
    if saved is not None and saved["data_fingerprint"] != fingerprint:
        raise ValueError("resume: the data differ from the stored run's (sizes or labels); "
                         "check data_dir and the data files")
    majority: dict[str, Any] = {}
    for name, ds in (("train", train_ds), ("val", val_ds), ("test", test_ds)):
        counts = np.bincount(np.asarray(ds.labels, dtype=np.int64), minlength=meta["n_classes"])
        majority[name] = float(counts.max() / counts.sum()) if counts.sum() else None
    train_counts = np.bincount(np.asarray(train_ds.labels, dtype=np.int64),
                               minlength=meta["n_classes"])
    majority_class = int(np.argmax(train_counts))
    majority["test_predicting_train_majority"] = (
        float(np.mean(np.asarray(test_ds.labels) == majority_class)) if len(test_ds) else None)

    seed_everything(cfg.seed)
    model = build_model(cfg, meta).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    groups = lru_param_groups(model, cfg.lr, cfg.lr_factor, cfg.weight_decay)
    if cfg.model == "transformer":  # no recurrent parameters: one AdamW group
        groups = [{"params": list(model.parameters()), "lr": cfg.lr,
                   "weight_decay": cfg.weight_decay, "name": "all"}]
    opt = torch.optim.AdamW([{k: v for k, v in g.items() if k != "name"} for g in groups])
    train_loader = _loader(train_ds, cfg.batch_size, True, cfg.seed)
    val_loader = _loader(val_ds, cfg.batch_size, False, cfg.seed)
    test_loader = _loader(test_ds, cfg.batch_size, False, cfg.seed)
    total_steps = cfg.epochs * len(train_loader)
    if cfg.max_steps is not None:
        total_steps = min(total_steps, cfg.max_steps)
    warmup = max(1, int(cfg.warmup_frac * total_steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_warmup(s, total_steps, warmup))

    ckpt_path = out_dir / "checkpoint.pt" if out_dir else None
    state_path = out_dir / "state.pt" if out_dir else None
    metrics_path = out_dir / "metrics.json" if out_dir else None
    params = [p for p in model.parameters()]
    best_state, best_val, best_epoch = None, None, -1
    history: list[dict[str, Any]] = []
    step, start_epoch, skip = 0, 0, 0
    sums = [0.0, 0, 0]  # loss sum, correct, seen in the current epoch
    epoch_gen_state = None
    train_s_before = 0.0
    if saved is not None:
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["scheduler"])
        step, start_epoch, skip = saved["step"], saved["epoch"], saved["batch"]
        sums = list(saved["epoch_sums"])
        history = list(saved["history"])
        best_val, best_epoch = saved["best_val"], saved["best_epoch"]
        best_state = saved["best_state"]
        epoch_gen_state = saved["loader_generator"]
        train_s_before = saved["train_s"]

    def snapshot(epoch: int, batch: int, status: str, finished: bool) -> None:
        if state_path is None:
            return
        state = {"format": 1, "config": dataclasses.asdict(cfg), "data_fingerprint": fingerprint,
                 "model": model.state_dict(), "optimizer": opt.state_dict(),
                 "scheduler": sched.state_dict(), "rng": _rng_state(),
                 "loader_generator": epoch_gen_state if epoch_gen_state is not None
                 else train_loader.generator.get_state(),
                 "epoch": epoch, "batch": batch, "step": step, "epoch_sums": list(sums),
                 "history": history, "best_val": best_val, "best_epoch": best_epoch,
                 "best_state": best_state, "status": status, "finished": finished,
                 "train_s": train_s_before + time.perf_counter() - t_train0}
        _atomic_write(state_path, lambda f: torch.save(state, f))

    def report(status: str, test: Any, stopped: str | None, reason: str | None = None) -> dict:
        t_train = train_s_before + time.perf_counter() - t_train0
        metrics: dict[str, Any] = {
            "config": dataclasses.asdict(cfg),
            "device": _device_info(device),
            "versions": _versions(),
            "command": " ".join(sys.argv) if sys.argv else "",
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": {"source": meta["source"], "sizes": meta["sizes"],
                     "n_classes": meta["n_classes"], "majority_accuracy": majority,
                     "fingerprint": fingerprint},
            "n_params": n_params,
            "status": status,
            "reason": reason,
            "resumed": saved is not None,
            "history": history,
            "stopped_early": stopped,
            "best_epoch": best_epoch,
            "val_accuracy": best_val,
            "test": test,
            "timings": {"data_s": t_data, "train_s": t_train,
                        "total_s": time.perf_counter() - t_start, "steps": step,
                        "s_per_step": t_train / max(step, 1)},
        }
        if out_dir:
            metrics["checkpoint"] = str(ckpt_path)
            metrics["state"] = str(state_path)
            metrics["metrics_path"] = str(metrics_path)
            _write_json(metrics_path, metrics)
        return _json_safe(metrics)

    def diverged(what: str, epoch: int) -> TrainingDiverged:
        kept = (f"; the last good checkpoint (end of epoch {best_epoch if best_epoch > 0 else '-'})"
                f" is kept in {out_dir}" if out_dir else "")
        msg = (f"training diverged at step {step + 1} (epoch {epoch + 1}): the {what} is not "
               f"finite. Likely causes: a learning rate too high (lr={cfg.lr}, recurrent "
               f"lr={cfg.lr * cfg.lr_factor}) or missing/loose gradient clipping "
               f"(grad_clip={cfg.grad_clip}); try a smaller lr or grad_clip=1.0{kept}")
        metrics = report("diverged", {"loss": None, "accuracy": None, "reason": "diverged"},
                         "diverged", msg)
        return TrainingDiverged(msg, metrics)

    stopped = None
    t_train0 = time.perf_counter()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        tqdm = None
    _STOP["reason"] = None
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, OSError):
                handlers[sig] = signal.signal(sig, _on_signal)
    try:
        for epoch in range(start_epoch, cfg.epochs):
            model.train()
            t_ep = time.perf_counter()
            if epoch_gen_state is not None:  # resuming inside this epoch: same data order
                train_loader.generator.set_state(epoch_gen_state)
            epoch_gen_state = train_loader.generator.get_state()
            it: Any = iter(train_loader)
            for _ in range(skip):  # batches already trained on before the interruption
                next(it)
            batch_idx = skip
            if saved is not None and epoch == start_epoch:
                _set_rng_state(saved["rng"])  # dropout etc. continue where they stopped
            skip = 0
            if epoch != start_epoch or saved is None:
                sums = [0.0, 0, 0]
            if cfg.progress and tqdm is not None:
                it = tqdm(it, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False,
                          total=len(train_loader), initial=batch_idx)
            for x, mask, y in it:
                x, mask, y = x.to(device), mask.to(device), y.to(device)
                logits = model(x, mask)
                loss = F.cross_entropy(logits, y)
                if not torch.isfinite(loss):
                    raise diverged("training loss", epoch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                grad_norm = nn.utils.clip_grad_norm_(
                    params, cfg.grad_clip if cfg.grad_clip else math.inf)
                if not torch.isfinite(grad_norm):
                    raise diverged("gradient norm", epoch)
                opt.step()
                sched.step()
                with torch.no_grad():
                    ok = torch.stack([torch.isfinite(p).all() for p in params]).all()
                if not bool(ok):
                    raise diverged("model's parameters (after the optimizer step)", epoch)
                step += 1
                batch_idx += 1
                loss_value = loss.item()
                sums[0] += loss_value * y.numel()
                sums[1] += (logits.argmax(-1) == y).sum().item()
                sums[2] += y.numel()
                if on_step is not None:
                    on_step(step, loss_value)
                if _STOP["reason"] is not None and batch_idx < len(train_loader):
                    reason = f"interrupted by {_STOP['reason']} at step {step}"
                    snapshot(epoch, batch_idx, "interrupted", False)
                    metrics = report("interrupted", None, "interrupted", reason)
                    raise TrainingInterrupted(
                        reason + (f"; resume with resume=True / --resume --out-dir {out_dir}"
                                  if out_dir else " (no out_dir: nothing saved)"), metrics)
                if cfg.max_steps is not None and step >= cfg.max_steps:
                    stopped = "max_steps"
                    break
                if (cfg.time_limit_s is not None
                        and time.perf_counter() - t_train0 > cfg.time_limit_s):
                    stopped = "time_limit_s"
                    break
            epoch_gen_state = None
            val = evaluate_model(model, val_loader, device)
            seen = sums[2]
            history.append({"epoch": epoch + 1, "steps": step,
                            "train_loss": sums[0] / seen if seen else None,
                            "train_accuracy": sums[1] / seen if seen else None,
                            "val_loss": val["loss"], "val_accuracy": val["accuracy"],
                            "seconds": time.perf_counter() - t_ep})
            # best validation accuracy; with no validation data, the latest weights
            if val["accuracy"] is None or best_val is None or val["accuracy"] > best_val:
                best_val, best_epoch = val["accuracy"], epoch + 1
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
                if ckpt_path:
                    _atomic_write(ckpt_path, lambda f: torch.save(best_state, f))
            sums = [0.0, 0, 0]
            last = epoch + 1 == cfg.epochs or stopped is not None
            snapshot(epoch + 1, 0, "completed" if last else "running", last)
            if _STOP["reason"] is not None and not last:
                reason = f"interrupted by {_STOP['reason']} at step {step} (end of epoch {epoch + 1})"
                metrics = report("interrupted", None, "interrupted", reason)
                raise TrainingInterrupted(
                    reason + (f"; resume with resume=True / --resume --out-dir {out_dir}"
                              if out_dir else " (no out_dir: nothing saved)"), metrics)
            if stopped:
                break
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        _STOP["reason"] = None
    model.load_state_dict(best_state)
    t0 = time.perf_counter()
    test = evaluate_model(model, test_loader, device)
    t_test = time.perf_counter() - t0
    metrics = report("completed" if stopped is None else "stopped_early", test, stopped,
                     None if stopped is None else f"stopped by {stopped}")
    metrics["timings"]["test_s"] = t_test
    if metrics_path is not None:
        _write_json(metrics_path, metrics)
    return metrics


# --- inference benchmark -------------------------------------------------------------------
def _state_bytes(obj: Any) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, (list, tuple)):
        return sum(_state_bytes(o) for o in obj)
    return 0


def _timeit(fn, repeats: int, device: torch.device) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _peak_cuda(fn, device: torch.device) -> int | None:
    if device.type != "cuda":
        return None
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize(device)
    return int(torch.cuda.max_memory_allocated(device) - base)


@torch.no_grad()
def benchmark_inference(lengths: Sequence[int], *, d_model: int = 64, d_state: int = 64,
                        n_layers: int = 2, n_heads: int = 4, batch: int = 1, vocab_size: int = 18,
                        repeats: int = 10, device: str = "cpu", seed: int = 0) -> list[dict]:
    """Measure LRU vs Transformer inference cost at each context length.

    For every ``L`` in ``lengths``, with models of the same width ``d_model`` and
    depth:

    * ``*_step_s``: median wall time of producing the features of one new token
      after a context of ``L`` tokens: :meth:`LRUClassifier.step` from a state of
      shape (B, N) per layer, vs :meth:`TransformerClassifier.step` attending over
      a key/value cache of ``L`` entries per layer;
    * ``*_state_bytes``: bytes of the tensors carried between steps (the LRU
      states; the Transformer's caches), measured from the actual tensors;
    * ``*_seq_s``: median wall time of one forward pass over the whole sequence
      (parallel scan vs causal attention);
    * ``*_seq_peak_bytes``: on CUDA, the peak extra memory allocated by that pass
      (``torch.cuda.max_memory_allocated``); None on CPU.

    States and caches are filled with random values of the right shape: the cost
    of a step does not depend on their content.
    """
    if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
        raise TypeError(f"lengths must be a non-empty sequence of ints, got {lengths!r}")
    lengths = list(lengths)
    if not lengths:
        raise TypeError("lengths must be a non-empty sequence of ints, got an empty one")
    for L in lengths:
        _check_int(L, "lengths", 1)
        if L > 1_000_000:
            raise ValueError(f"lengths must be <= 1000000 (memory), got {L}")
    for name, v, lo in (("d_model", d_model, 1), ("d_state", d_state, 1), ("n_layers", n_layers, 1),
                        ("n_heads", n_heads, 1), ("batch", batch, 1), ("vocab_size", vocab_size, 2),
                        ("repeats", repeats, 1), ("seed", seed, 0)):
        _check_int(v, name, lo)
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    dev = select_device(device)
    torch.manual_seed(seed)
    lru = LRUClassifier(2, d_model, d_state, n_layers, vocab_size=vocab_size).to(dev).eval()
    tf = TransformerClassifier(2, d_model, n_layers, n_heads, vocab_size=vocab_size,
                               max_len=max(lengths) + 1).to(dev).eval()
    rows = []
    for L in lengths:
        L = int(L)
        x = torch.randint(1, vocab_size, (batch, L), device=dev)
        x_t = x[:, -1]
        states = [torch.randn(batch, d_state, dtype=torch.complex64, device=dev)
                  for _ in range(n_layers)]
        hd = d_model // n_heads
        caches = [(torch.randn(batch, n_heads, L, hd, device=dev),
                   torch.randn(batch, n_heads, L, hd, device=dev)) for _ in range(n_layers)]
        row = {"length": L, "batch": batch, "device": str(dev)}
        row["lru_step_s"] = _timeit(lambda: lru.step(x_t, states), repeats, dev)
        row["tf_step_s"] = _timeit(lambda: tf.step(x_t, caches, position=L), repeats, dev)
        row["lru_state_bytes"] = _state_bytes(states)
        row["tf_state_bytes"] = _state_bytes(caches)
        row["lru_seq_s"] = _timeit(lambda: lru.features(x), max(1, repeats // 3), dev)
        row["tf_seq_s"] = _timeit(lambda: tf.features(x), max(1, repeats // 3), dev)
        row["lru_seq_peak_bytes"] = _peak_cuda(lambda: lru.features(x), dev)
        row["tf_seq_peak_bytes"] = _peak_cuda(lambda: tf.features(x), dev)
        rows.append(row)
    return rows


# --- command line ---------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ssmlib.train",
                                description="Train an LRU (or Transformer) on an LRA task.")
    p.add_argument("--preset", action="store_true",
                   help="start from the paper-scale settings of PRESETS[task]")
    p.add_argument("--resume", action="store_true",
                   help="continue the run stored in --out-dir (state.pt) where it stopped")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a run already stored in --out-dir")
    defaults = TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        if f.name == "progress":
            p.add_argument("--no-progress", dest="progress", action="store_false",
                           help="disable tqdm progress bars")
            continue
        if f.name in ("task", "model", "norm", "device"):
            choices = {"task": TASKS, "model": ("lru", "transformer"), "norm": ("layer", "batch"),
                       "device": None}[f.name]
            p.add_argument(flag, dest=f.name, default=None, choices=choices,
                           help=f"(default {default})")
            continue
        kind = {int: int, float: float, str: str}.get(type(default), None)
        if f.name in ("data_dir", "out_dir"):
            kind = str
        elif f.name in ("num_threads", "max_steps"):
            kind = int
        elif f.name in ("grad_clip", "time_limit_s"):
            kind = float
        p.add_argument(flag, dest=f.name, type=kind, default=None, help=f"(default {default})")
    return p


def _parse(argv: Sequence[str] | None) -> tuple[TrainConfig, dict[str, bool]]:
    parser = _parser()
    args = vars(parser.parse_args(argv))
    flags = {"resume": args.pop("resume"), "overwrite": args.pop("overwrite")}
    preset = args.pop("preset")
    progress = args.pop("progress")
    values = {k: v for k, v in args.items() if v is not None}
    task = values.get("task", TrainConfig.task)
    base = dict(PRESETS[task]) if preset else {}
    base.update(values)
    base["progress"] = progress
    def usage_error(message: str) -> None:  # one line, exit status 2 (as argparse's own errors)
        parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")

    try:
        cfg = TrainConfig(**base).validate()
    except (TypeError, ValueError) as exc:
        usage_error(str(exc).replace("\n", " "))
    if flags["resume"] and flags["overwrite"]:
        usage_error("give at most one of --resume and --overwrite")
    if flags["resume"] and not cfg.out_dir:
        usage_error("--resume needs --out-dir (the directory of the run to continue)")
    return cfg, flags


def config_from_args(argv: Sequence[str] | None = None) -> TrainConfig:
    """Build a :class:`TrainConfig` from command-line arguments.

    Invalid values exit with a one-line usage error (status 2), as argparse does.
    """
    return _parse(argv)[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ssmlib.train`` (and ``ssmlib-train``).

    Exit status: 0 when the run finished (or stopped at ``--max-steps`` /
    ``--time-limit-s``), 1 when training diverged, 2 for bad arguments or an
    output directory that already holds a run (without ``--resume`` /
    ``--overwrite``), 130 when interrupted (SIGINT/SIGTERM; resume with ``--resume``).
    """
    cfg, flags = _parse(argv)
    try:
        metrics = train(cfg, **flags)
    except (FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"{_parser().prog}: error: {exc}", file=sys.stderr)
        return 2
    except TrainingInterrupted as exc:
        print(f"{_parser().prog}: {exc}", file=sys.stderr)
        return 130
    except TrainingDiverged as exc:
        print(f"{_parser().prog}: error: {exc}", file=sys.stderr)
        return 1
    summary = {"task": cfg.task, "model": cfg.model, "device": metrics["device"]["type"],
               "best_epoch": metrics["best_epoch"], "val_accuracy": metrics["val_accuracy"],
               "test_accuracy": metrics["test"]["accuracy"],
               "majority_test": metrics["data"]["majority_accuracy"]["test"],
               "train_s": round(metrics["timings"]["train_s"], 2),
               "metrics": metrics.get("metrics_path")}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
