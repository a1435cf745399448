"""Training loop and command line for Long Range Arena tasks (chapter 11).

Run ``python -m ssmlib.train --task listops --epochs 2 --out-dir runs/listops`` or call
:func:`train` with a :class:`TrainConfig`. Without ``--data-dir`` the data are
generated (:mod:`ssmlib.data`); with it, the official release files are read.

What a run does: seeds python, numpy and torch; picks the device (CUDA, else
CPU); builds an :class:`~ssmlib.lru.LRUClassifier` (or the small Transformer
baseline :class:`~ssmlib.transformer.TransformerClassifier`); optimizes with AdamW over
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
read at commit ``3c18fdb``), which the LRU paper (Orvieto et al. 2023)
builds on. The learning rate given here is S5's ``lr_factor * ssm_lr_base`` (the
rate of the non-recurrent parameters); the recurrent ones get ``lr_factor = 0.5``
of it, the default of the minimal LRU reimplementation
(``NicolasZucchet/minimal-LRU``, ``run_train.py``: "ssm lr = lr_factor * lr_base",
default 0.5). The LRU ring settings ``r_min`` / ``r_max`` / ``max_phase`` per task
follow Table 8 of the LRU paper (and its section 3.4: the phase is restricted to
``[0, pi/10]`` on Path-X only; every other task uses ``[0, 2 pi]``). S5 also uses
bidirectional layers and BatchNorm; this LRU is causal.

Runs that survive faults
------------------------
:func:`train` writes ``checkpoint.pt`` (best-validation weights), ``state.pt``
(everything needed to continue exactly: model, optimizer, schedule, RNG states,
data order, step, metrics) and ``metrics.json`` (strict JSON) atomically into
``out_dir``. SIGINT/SIGTERM finish the current step, save, and raise
:class:`~ssmlib.runstate.TrainingInterrupted` (the CLI exits with status 130); ``resume=True``
(``--resume``) continues bit for bit on the same device. A non-finite loss,
gradient or parameter stops the run with :class:`~ssmlib.runstate.TrainingDiverged`,
naming the likely causes, and keeps the last good checkpoint. An ``out_dir`` that
already holds a run is never overwritten silently (``--resume`` or ``--overwrite``).

Where the pieces live
---------------------
This module holds the configuration (:class:`TrainConfig`, :data:`PRESETS`), the
data and model builders, the loop (:func:`train`), the command line
(:func:`main`), and :func:`length_generalization` (train on the recall task of
:mod:`ssmlib.data.lengthgen` at one length, test at longer ones). The Transformer baseline is in :mod:`ssmlib.transformer`, the
inference benchmark in :mod:`ssmlib.inference`, and the fault-tolerance pieces
(atomic writes, RNG state, data fingerprint, stop signals, the exceptions,
device choice) in :mod:`ssmlib.runstate`. Their public names are re-exported
here: ``from ssmlib.train import TransformerClassifier, benchmark_inference,
TrainingDiverged, TrainingInterrupted, request_stop, select_device, RUN_FILES``
works as before.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_bool, check_choice, check_int
from .inference import benchmark_inference
from .lru import LRUClassifier, lru_param_groups
from .runstate import (
    _STOP,
    RUN_FILES,
    TrainingDiverged,
    TrainingInterrupted,
    _atomic_write,
    _data_fingerprint,
    _json_safe,
    _on_signal,
    _prepare_out_dir,
    _rng_state,
    _set_rng_state,
    _write_json,
    request_stop,
    select_device,
)
from .transformer import _MAX_SIZE, TransformerClassifier, _check_int  # noqa: F401 (re-export)

__all__ = [
    "TrainConfig",
    "PRESETS",
    "train",
    "build_datasets",
    "build_model",
    "evaluate_model",
    "cosine_warmup",
    "length_generalization",
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

#: Upper bounds of TrainConfig's count fields (time or memory; see TrainConfig).
_BOUNDS = {"batch_size": 1 << 16, "epochs": 10_000, "d_model": 1 << 14, "d_state": 1 << 16,
           "n_layers": 1 << 10, "n_heads": 1 << 14, "max_depth": 100, "max_length": 1_000_000,
           "num_threads": 1 << 10, "max_steps": 1_000_000_000, "seed": 2**63 - 1,
           "data_seed": 2**63 - 1}

#: Largest seed (torch's generators take 64-bit seeds).
_MAX_SEED = 2**63 - 1

#: Paper-scale settings per task (see the module docstring for sources).
PRESETS: dict[str, dict[str, Any]] = {
    # S5 run_lra_listops.sh: d_model 128, ssm_size 16, 8 layers, bsz 50, 40 epochs,
    # ssm_lr 1e-3 x lr_factor 3, weight_decay 0.04, dropout 0. Ring: LRU paper, Table 8.
    "listops": dict(d_model=128, d_state=16, n_layers=8, batch_size=50, epochs=40, lr=3e-3,
                    weight_decay=0.04, dropout=0.0, norm="batch", r_min=0.0, r_max=0.99,
                    max_phase=2 * math.pi, min_length=500, max_length=2000),
    # S5 run_lra_pathfinder.sh: 192 / 256 / 6 layers, bsz 64, 200 epochs, ssm_lr 9e-4 x 5,
    # weight_decay 0.03, dropout 0.05. Ring: LRU paper, Table 8 (full phase range).
    "pathfinder": dict(d_model=192, d_state=256, n_layers=6, batch_size=64, epochs=200,
                       lr=4.5e-3, weight_decay=0.03, dropout=0.05, norm="batch", r_min=0.9,
                       r_max=0.999, max_phase=2 * math.pi, resolution=32),
    # S5 run_lra_pathx.sh: 128 / 256 / 6 layers, bsz 32, 75 epochs, ssm_lr 6e-4 x 3,
    # weight_decay 0.06, dropout 0. Ring: LRU paper, Table 8 and section 3.4 (phase pi/10).
    "pathx": dict(d_model=128, d_state=256, n_layers=6, batch_size=32, epochs=75, lr=1.8e-3,
                  weight_decay=0.06, dropout=0.0, norm="batch", r_min=0.999, r_max=0.9999,
                  max_phase=math.pi / 10, resolution=128),
}


@dataclass
class TrainConfig:
    """Everything a run depends on (written in full to ``metrics.json``).

    Defaults are CPU-sized (short generated ListOps); see :data:`PRESETS` for
    paper-scale settings.

    :meth:`validate` bounds the count fields (a run that cannot finish or fit in
    memory is refused): ``batch_size <= 65536``, ``epochs <= 10000``,
    ``d_model <= 16384``, ``d_state <= 65536``, ``n_layers <= 1024``,
    ``n_heads <= 16384``, ``max_depth <= 100``, ``max_length <= 1000000``,
    ``resolution <= 1024``, ``n_train``, ``n_val``, ``n_test <= 10**7``,
    ``num_threads <= 1024``, ``max_steps <= 10**9``, ``seed`` and
    ``data_seed <= 2**63 - 1``.
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
            check_choice(getattr(self, name), name, options)

        def integer(name: str, minimum: int, optional: bool = False) -> None:
            v = getattr(self, name)
            if optional and v is None:
                return
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an int{' or None' if optional else ''}, "
                                f"got {type(v).__name__}")
            if v < minimum:
                raise ValueError(f"{name} must be >= {minimum}, got {v}")
            if name in _BOUNDS and v > _BOUNDS[name]:
                why = "" if name.endswith("seed") else " (time or memory)"
                raise ValueError(f"{name} must be <= {_BOUNDS[name]}{why}, got {v}")

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
    """Seed python, numpy and torch (CPU and CUDA); ``0 <= seed <= 2**63 - 1``."""
    check_int(seed, "seed", minimum=0, maximum=_MAX_SEED)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


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
    if isinstance(loader, (str, bytes, dict)) or not hasattr(loader, "__iter__"):
        raise TypeError(f"loader must be an iterable of (x, mask, y) batches, "
                        f"got {type(loader).__name__}")
    device = select_device(device)
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    for batch in loader:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 3
                and all(isinstance(t, torch.Tensor) for t in batch)):
            raise TypeError(f"loader must yield (x, mask, y) batches of three tensors, got a "
                            f"{type(batch).__name__}"
                            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list))
                               else ""))
        x, mask, y = batch
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


#: Fields that may differ between a run and its resumption (they do not change the result).
_RESUME_FREE = ("progress", "device", "num_threads", "time_limit_s", "out_dir")

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
        ``num_threads`` and ``time_limit_s``. A run that ended (all epochs, or
        stopped by ``max_steps`` / ``time_limit_s``) cannot be resumed.
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
        SIGINT/SIGTERM or :func:`~ssmlib.runstate.request_stop`: the current step finished, the
        state and ``metrics.json`` (status ``"interrupted"``) were written.
    FileExistsError
        ``out_dir`` holds a run and neither ``resume`` nor ``overwrite`` is set.

    Notes
    -----
    Files written to ``out_dir`` (atomically: temporary file, then ``os.replace``):
    ``checkpoint.pt`` (best-validation ``state_dict``), ``state.pt`` (everything
    needed to resume; load with ``torch.load(..., weights_only=True)``) and
    ``metrics.json``.
    """
    cfg = _config_from(config, overrides)
    resume = check_bool(resume, "resume")
    overwrite = check_bool(overwrite, "overwrite")
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
        diff = sorted(k for k, v in _json_safe(dataclasses.asdict(cfg)).items()
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
        state = {"format": 1, "config": _json_safe(dataclasses.asdict(cfg)),
                 "data_fingerprint": fingerprint,
                 "data": {"source": meta["source"], "sizes": list(meta["sizes"]),
                          "n_classes": meta["n_classes"]},
                 "model": model.state_dict(),
                 "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "rng": _rng_state(),
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
            if "reason" in val:  # None values above: say why
                history[-1]["val_reason"] = val["reason"]
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


# --- length generalization -------------------------------------------------------------
def length_generalization(model: str = "lru", *, train_length: int = 64,
                          test_lengths: Sequence[int] | None = None, n_classes: int = 4,
                          n_noise: int = 8, steps: int = 200, batch_size: int = 32,
                          lr: float = 3e-3, lr_factor: float = 0.5, weight_decay: float = 0.05,
                          warmup_frac: float = 0.1, d_model: int = 32, d_state: int = 32,
                          n_layers: int = 2, n_heads: int = 4, r_min: float = 0.0,
                          r_max: float = 1.0, max_phase: float = 2 * math.pi, n_test: int = 256,
                          seed: int = 0, num_threads: int | None = None) -> dict[str, Any]:
    """Train on the recall task at one length, test at longer ones (chapter 11).

    The task is :func:`ssmlib.data.lengthgen.generate_recall`: the label is the
    first token (one of ``n_classes`` keys), followed by distractors. The model
    is trained for ``steps`` AdamW steps (linear warmup, then cosine decay, as
    :func:`train`) on fresh batches of length ``train_length`` only, then its
    accuracy is measured on ``n_test`` new sequences at each of ``test_lengths``.

    Parameters
    ----------
    model : {"lru", "transformer"}
        An :class:`~ssmlib.lru.LRUClassifier` (parameter groups of
        :func:`~ssmlib.lru.lru_param_groups`), or a
        :class:`~ssmlib.transformer.TransformerClassifier` with sinusoidal
        positions (learned ones have no embedding beyond the training length).
    train_length : int
        Length ``L`` of every training sequence (>= 2).
    test_lengths : sequence of int, optional
        Lengths to test at; default ``(L, 2L, 4L, 8L)``.
    n_classes, n_noise : int
        Keys (classes) and distractor tokens of the task.
    steps, batch_size, lr, lr_factor, weight_decay, warmup_frac
        Optimization (``lr_factor``: the LRU's recurrent parameters get
        ``lr * lr_factor``, no weight decay).
    d_model, d_state, n_layers, n_heads, r_min, r_max, max_phase
        Model size (``d_state`` and the ring for the LRU, ``n_heads`` for the Transformer).
    n_test : int
        Test sequences per length.
    seed : int
        Seeds the model's initialization and training order (torch) and the
        training data (``0 <= seed <= 2**63 - 1``). The test data depend only on the
        length: every seed and both models are tested on the same sequences.
    num_threads : int, optional
        ``torch.set_num_threads`` before training (``1 <= num_threads <= 1024``).

    Returns
    -------
    dict
        ``model``, ``positions`` (``"sinusoidal"``, or None for the LRU),
        ``train_length``, ``lengths``, ``accuracy`` (list, one per length),
        ``loss`` (test cross-entropy per length), ``train_loss`` (mean over the
        last 10% of steps), ``train_s``, ``steps``, ``n_params``, ``seed``, and
        ``module``: the trained ``nn.Module`` (in evaluation mode, on the CPU).
    """
    from .data.lengthgen import generate_recall, recall_vocab_size

    check_choice(model, "model", ("lru", "transformer"))
    train_length = _check_int(train_length, "train_length", 2, 1 << 20)
    if test_lengths is None:
        test_lengths = [train_length * f for f in (1, 2, 4, 8)]
    if isinstance(test_lengths, (str, bytes)) or not hasattr(test_lengths, "__iter__"):
        raise TypeError(f"test_lengths must be a sequence of ints, got {test_lengths!r}")
    test_lengths = [_check_int(n, "test_lengths", 1, 1 << 20) for n in test_lengths]
    if not test_lengths:
        raise ValueError("test_lengths must not be empty")
    vocab = recall_vocab_size(n_classes, n_noise)
    steps = _check_int(steps, "steps", 1, 1 << 24)
    batch_size = _check_int(batch_size, "batch_size", 1, 1 << 16)
    n_test = _check_int(n_test, "n_test", 1, 1 << 20)
    seed = check_int(seed, "seed", minimum=0, maximum=_MAX_SEED)
    for name, v in (("d_model", d_model), ("d_state", d_state), ("n_layers", n_layers),
                    ("n_heads", n_heads)):
        _check_int(v, name, 1, 1 << 16)
    if steps * batch_size * train_length > 1 << 28:
        raise ValueError(f"steps * batch_size * train_length = {steps * batch_size * train_length} "
                         "training tokens is more than 2**28 (memory)")
    if n_test * max(test_lengths) > 1 << 26:
        raise ValueError(f"n_test * max(test_lengths) = {n_test * max(test_lengths)} is more than "
                         "2**26 test tokens (memory)")
    cfg = TrainConfig(lr=lr, lr_factor=lr_factor, weight_decay=weight_decay,
                      warmup_frac=warmup_frac, r_min=r_min, r_max=r_max, max_phase=max_phase,
                      num_threads=num_threads, progress=False)
    cfg.validate()  # the shared fields: same checks and messages as train()
    if model == "transformer" and d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    if num_threads:
        torch.set_num_threads(num_threads)

    seed_everything(seed)
    if model == "lru":
        net: nn.Module = LRUClassifier(n_classes, d_model, d_state, n_layers, vocab_size=vocab,
                                       r_min=r_min, r_max=r_max, max_phase=max_phase)
        groups = lru_param_groups(net, lr, lr_factor, weight_decay)
    else:
        net = TransformerClassifier(n_classes, d_model, n_layers, n_heads, vocab_size=vocab,
                                    max_len=max(test_lengths), positions="sinusoidal")
        groups = [{"params": list(net.parameters()), "lr": lr, "weight_decay": weight_decay}]
    opt = torch.optim.AdamW([{k: v for k, v in g.items() if k != "name"} for g in groups])
    warmup = max(1, int(warmup_frac * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_warmup(s, steps, warmup))
    X, y = generate_recall(steps * batch_size, train_length, n_classes=n_classes,
                           n_noise=n_noise, seed=np.random.SeedSequence([seed, 0]))
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    net.train()
    losses = []
    t0 = time.perf_counter()
    for s in range(steps):
        xb, yb = X[s * batch_size:(s + 1) * batch_size], y[s * batch_size:(s + 1) * batch_size]
        loss = F.cross_entropy(net(xb), yb)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"length_generalization: the training loss is not finite at "
                                   f"step {s + 1}; try a smaller lr (got {lr})", {})
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    train_s = time.perf_counter() - t0
    net.eval()
    acc, test_loss = [], []
    with torch.no_grad():
        for n in test_lengths:
            Xt, yt = generate_recall(n_test, n, n_classes=n_classes, n_noise=n_noise,
                                     seed=np.random.SeedSequence([2**31 - 1, n]))
            Xt, yt = torch.from_numpy(Xt), torch.from_numpy(yt)
            logits = torch.cat([net(Xt[i:i + 64]) for i in range(0, n_test, 64)])
            acc.append(float((logits.argmax(-1) == yt).float().mean()))
            test_loss.append(float(F.cross_entropy(logits, yt)))
    tail = losses[-max(1, steps // 10):]
    return {"model": model, "positions": "sinusoidal" if model == "transformer" else None,
            "train_length": train_length, "lengths": test_lengths, "accuracy": acc,
            "loss": test_loss, "train_loss": float(np.mean(tail)), "train_s": train_s,
            "steps": steps, "n_params": sum(p.numel() for p in net.parameters()),
            "seed": seed, "module": net}


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


def _check_argv(argv: Any) -> None:
    if argv is None:
        return
    if not isinstance(argv, (list, tuple)) or not all(isinstance(a, str) for a in argv):
        raise TypeError(f"argv must be None or a list of str (command-line arguments), got "
                        f"{type(argv).__name__}"
                        + (" holding a non-str" if isinstance(argv, (list, tuple)) else ""))


def _parse(argv: Sequence[str] | None) -> tuple[TrainConfig, dict[str, bool]]:
    _check_argv(argv)
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

    ``argv`` is None (``sys.argv[1:]``) or a list of str (``TypeError`` otherwise).
    Invalid values exit with a one-line usage error (status 2), as argparse does.
    """
    return _parse(argv)[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ssmlib.train`` (and ``ssmlib-train``).

    Exit status: 0 when the run finished (or stopped at ``--max-steps`` /
    ``--time-limit-s``), 1 when training diverged, 2 for bad arguments or an
    output directory that already holds a run (without ``--resume`` /
    ``--overwrite``), 130 when interrupted (SIGINT/SIGTERM; resume with ``--resume``).

    ``argv`` is None (``sys.argv[1:]``) or a list of str; anything else is a
    ``TypeError`` naming ``argv`` (bad command-line arguments themselves exit with
    status 2, as argparse does).
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
