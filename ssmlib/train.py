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
read for this module), which the LRU paper (``orvieto2023resurrecting``) builds
on. The learning rate given here is S5's ``lr_factor * ssm_lr_base`` (the rate of
the non-recurrent parameters); the recurrent ones get half of it (the LRU's
factor 0.5). The LRU ring settings ``r_min`` / ``max_phase`` per task are from
``REFERENCE-NOTES.md`` ("from memory"): they could NOT be verified against the
paper's appendix table here and are marked as such in :data:`PRESETS`. S5 also
uses bidirectional layers and BatchNorm; this LRU is causal.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .lru import LRUClassifier, lru_param_groups, masked_mean

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
]

TASKS = ("listops", "pathfinder", "pathx")

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
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.model not in ("lru", "transformer"):
            raise ValueError(f"model must be 'lru' or 'transformer', got {self.model!r}")
        for name in ("n_train", "n_val", "n_test", "batch_size", "epochs", "d_model", "d_state",
                     "n_layers", "n_heads"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if not 0 <= self.warmup_frac < 1:
            raise ValueError(f"warmup_frac must be in [0, 1), got {self.warmup_frac}")
        if self.model == "transformer" and self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        return self


# --- infrastructure -----------------------------------------------------------------
def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def select_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA when available, else CPU; otherwise ``torch.device(device)``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available")
    return dev


def cosine_warmup(step: int, total: int, warmup: int) -> float:
    """Learning-rate multiplier: linear warmup to 1 over ``warmup`` steps, then cosine to 0."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


# --- data ------------------------------------------------------------------------------
def build_datasets(cfg: TrainConfig) -> tuple[Any, Any, Any, dict]:
    """Train/val/test datasets and a description (``n_classes``, input kind, source)."""
    from . import data as D

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
    """

    def __init__(self, n_classes: int, d_model: int = 64, n_layers: int = 2, n_heads: int = 4, *,
                 vocab_size: int | None = None, d_input: int | None = None, max_len: int = 4096,
                 dropout: float = 0.0, pad_id: int = 0) -> None:
        super().__init__()
        if (vocab_size is None) == (d_input is None):
            raise ValueError("give exactly one of vocab_size (tokens) and d_input (continuous)")
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.tokens = vocab_size is not None
        self.encoder = (nn.Embedding(vocab_size, d_model, padding_idx=pad_id) if self.tokens
                        else nn.Linear(d_input, d_model))
        self.pos = nn.Embedding(max_len, d_model)
        self.max_len = max_len
        self.blocks = nn.ModuleList(_AttentionBlock(d_model, n_heads, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.decoder = nn.Linear(d_model, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        L = x.shape[1]
        if L > self.max_len:
            raise ValueError(f"x: sequence length {L} exceeds max_len={self.max_len}")
        h = self.encoder(x) + self.pos(torch.arange(L, device=x.device))
        for block in self.blocks:
            h = block(h)
        return self.norm(h)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.decoder(masked_mean(self.features(x), mask))

    def step(self, x_t: torch.Tensor, caches: list | None = None, position: int = 0
             ) -> tuple[torch.Tensor, list]:
        """Features of one new token at ``position`` given per-layer key/value caches."""
        h = self.encoder(x_t) + self.pos.weight[position]
        caches = list(caches) if caches is not None else [None] * len(self.blocks)
        for i, block in enumerate(self.blocks):
            h, caches[i] = block.step(h, caches[i])
        return self.norm(h), caches


def build_model(cfg: TrainConfig, meta: dict) -> nn.Module:
    """The classifier named by ``cfg.model`` for the data described by ``meta``."""
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
def evaluate_model(model: nn.Module, loader: Any, device: torch.device) -> dict[str, float]:
    """Mean cross-entropy and accuracy over a loader."""
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    for x, mask, y in loader:
        x, mask, y = x.to(device), mask.to(device), y.to(device)
        logits = model(x, mask)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
        total += y.numel()
    return {"loss": loss_sum / max(total, 1), "accuracy": correct / max(total, 1)}


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


def train(config: TrainConfig | dict | None = None, **overrides: Any) -> dict[str, Any]:
    """Train and evaluate one model; return (and optionally write) the metrics.

    Parameters
    ----------
    config : TrainConfig or dict, optional
        The run; keyword ``overrides`` replace fields.

    Returns
    -------
    dict
        ``config``, ``device``, ``versions``, ``data`` (source, sizes, majority-class
        accuracy of each split), ``history`` (per epoch: train loss/accuracy, val
        loss/accuracy, seconds), ``best_epoch``, ``val_accuracy``, ``test`` (loss and
        accuracy of the best-validation weights), ``timings``, ``n_params``; plus
        ``checkpoint`` and ``metrics_path`` when ``out_dir`` is set.
    """
    if config is None:
        config = TrainConfig()
    elif isinstance(config, dict):
        config = TrainConfig(**config)
    cfg = dataclasses.replace(config, **overrides).validate()
    t_start = time.perf_counter()
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    seed_everything(cfg.seed)
    device = select_device(cfg.device)

    t0 = time.perf_counter()
    train_ds, val_ds, test_ds, meta = build_datasets(cfg)
    t_data = time.perf_counter() - t0
    majority = {}
    for name, ds in (("train", train_ds), ("val", val_ds), ("test", test_ds)):
        counts = np.bincount(np.asarray(ds.labels), minlength=meta["n_classes"])
        majority[name] = float(counts.max() / counts.sum())
    train_counts = np.bincount(np.asarray(train_ds.labels), minlength=meta["n_classes"])
    majority_class = int(np.argmax(train_counts))
    majority["test_predicting_train_majority"] = float(
        np.mean(np.asarray(test_ds.labels) == majority_class))

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

    out_dir = Path(cfg.out_dir) if cfg.out_dir else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = out_dir / "checkpoint.pt" if out_dir else None
    best_state, best_val, best_epoch = None, -1.0, -1
    history: list[dict[str, float]] = []
    step = 0
    stopped = None
    t_train0 = time.perf_counter()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        tqdm = None
    for epoch in range(cfg.epochs):
        model.train()
        t_ep = time.perf_counter()
        loss_sum, correct, seen = 0.0, 0, 0
        it = train_loader
        if cfg.progress and tqdm is not None:
            it = tqdm(train_loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False)
        for x, mask, y in it:
            x, mask, y = x.to(device), mask.to(device), y.to(device)
            logits = model(x, mask)
            loss = F.cross_entropy(logits, y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite training loss at step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            sched.step()
            step += 1
            loss_sum += loss.item() * y.numel()
            correct += (logits.argmax(-1) == y).sum().item()
            seen += y.numel()
            if cfg.max_steps is not None and step >= cfg.max_steps:
                stopped = "max_steps"
                break
            if cfg.time_limit_s is not None and time.perf_counter() - t_train0 > cfg.time_limit_s:
                stopped = "time_limit_s"
                break
        val = evaluate_model(model, val_loader, device)
        history.append({"epoch": epoch + 1, "steps": step, "train_loss": loss_sum / max(seen, 1),
                        "train_accuracy": correct / max(seen, 1), "val_loss": val["loss"],
                        "val_accuracy": val["accuracy"], "seconds": time.perf_counter() - t_ep})
        if val["accuracy"] > best_val:
            best_val, best_epoch = val["accuracy"], epoch + 1
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            if ckpt_path:
                torch.save(best_state, ckpt_path)
        if stopped:
            break
    t_train = time.perf_counter() - t_train0
    model.load_state_dict(best_state)
    t0 = time.perf_counter()
    test = evaluate_model(model, test_loader, device)
    t_test = time.perf_counter() - t0

    metrics: dict[str, Any] = {
        "config": dataclasses.asdict(cfg),
        "device": _device_info(device),
        "versions": _versions(),
        "command": " ".join(sys.argv) if sys.argv else "",
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": {"source": meta["source"], "sizes": meta["sizes"], "n_classes": meta["n_classes"],
                 "majority_accuracy": majority},
        "n_params": n_params,
        "history": history,
        "stopped_early": stopped,
        "best_epoch": best_epoch,
        "val_accuracy": best_val,
        "test": test,
        "timings": {"data_s": t_data, "train_s": t_train, "test_s": t_test,
                    "total_s": time.perf_counter() - t_start, "steps": step,
                    "s_per_step": t_train / max(step, 1)},
    }
    if out_dir:
        metrics["checkpoint"] = str(ckpt_path)
        metrics["metrics_path"] = str(out_dir / "metrics.json")
        (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
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


def config_from_args(argv: Sequence[str] | None = None) -> TrainConfig:
    """Build a :class:`TrainConfig` from command-line arguments."""
    args = vars(_parser().parse_args(argv))
    preset = args.pop("preset")
    progress = args.pop("progress")
    values = {k: v for k, v in args.items() if v is not None}
    task = values.get("task", TrainConfig.task)
    base = dict(PRESETS[task]) if preset else {}
    base.update(values)
    base["progress"] = progress
    return TrainConfig(**base).validate()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ssmlib.train`` (and ``ssmlib-train``)."""
    cfg = config_from_args(argv)
    metrics = train(cfg)
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
