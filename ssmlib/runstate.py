"""What a training run leaves behind, and how it stops (chapter 11).

A run of :func:`ssmlib.train.train` must survive faults: a crash, a full disk,
a ``kill``, a loss that turns into NaN. This module holds the pieces that make
it so, apart from the training loop itself:

* the device a run executes on (:func:`select_device`);
* files written atomically (a temporary file in the same directory, then
  ``os.replace``), so a crash never leaves a half-written ``checkpoint.pt``,
  ``state.pt`` or ``metrics.json`` (:data:`RUN_FILES`), and ``metrics.json`` is
  strict JSON (non-finite floats become ``null``);
* the state of the random number generators (python, numpy, torch, CUDA),
  captured and restored as tensors and plain values, so that ``state.pt`` loads
  with ``torch.load(..., weights_only=True)`` (no pickled classes) and a resumed
  run continues bit for bit on the same device;
* a fingerprint of the data (split sizes and labels), so a run is never resumed
  on other data;
* the stop request: SIGINT/SIGTERM (or :func:`request_stop`) let the current
  step finish, then the run saves and raises :class:`TrainingInterrupted`; a
  non-finite loss, gradient or parameter raises :class:`TrainingDiverged`.

:mod:`ssmlib.train` re-exports the public names, so
``from ssmlib.train import TrainingInterrupted`` keeps working.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import signal
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

__all__ = [
    "select_device",
    "TrainingDiverged",
    "TrainingInterrupted",
    "request_stop",
    "RUN_FILES",
]


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
    """Ask a running :func:`~ssmlib.train.train` to stop after the current step (as SIGINT does)."""
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
