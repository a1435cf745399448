"""Data: the Long Range Arena tasks of chapter 11 (ListOps, Pathfinder) and the
synthetic tasks of chapters 10 and 11 (selective copying, induction recall, key recall).

* :mod:`ssmlib.data.listops`: generator (LRA rules), evaluator, tokenizer, and a
  loader for the release files ``basic_{train,val,test}.tsv``.
* :mod:`ssmlib.data.pathfinder`: generator of pathfinder-style images and a loader
  for the release layout ``curv_contour_length_14/{imgs,metadata}``.
* :mod:`ssmlib.data.selective_copying`: the selective copying and induction-recall
  tasks of Mamba's paper (chapter 10).
* :mod:`ssmlib.data.lengthgen`: a key-recall task defined at every length, for
  length generalization (chapter 11).
* :func:`pad_collate`: batches variable-length items with a padding mask.

Loaders parse text (and PNG images); they never unpickle.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from . import lengthgen, listops, pathfinder, selective_copying
from .lengthgen import generate_recall, recall_vocab_size
from .listops import (
    ListOpsDataset,
    ListOpsTokenizer,
    evaluate,
    generate_listops,
    load_listops,
    load_listops_tsv,
    write_listops_tsv,
)
from .pathfinder import (
    PathfinderConfig,
    PathfinderDataset,
    generate_pathfinder,
    load_pathfinder,
    split_indices,
    write_pathfinder_tree,
)

__all__ = [
    "listops",
    "pathfinder",
    "pad_collate",
    "ListOpsDataset",
    "ListOpsTokenizer",
    "evaluate",
    "generate_listops",
    "load_listops",
    "load_listops_tsv",
    "write_listops_tsv",
    "PathfinderConfig",
    "PathfinderDataset",
    "generate_pathfinder",
    "load_pathfinder",
    "split_indices",
    "write_pathfinder_tree",
    "lengthgen",
    "generate_recall",
    "recall_vocab_size",
    "selective_copying",
]


def pad_collate(batch: Sequence[tuple[Any, int]], pad_value: float = 0):
    """Stack ``(x, label)`` items of different lengths, padding on the right.

    Parameters
    ----------
    batch : sequence of (Tensor, int)
        ``x`` of shape (L_i,) (token ids) or (L_i, d) (features).
    pad_value : number
        Fill value for padding (token id 0 is ``<pad>`` for ListOps). It must be
        finite and representable in the dtype of the items: an integer within the
        dtype's range for integer items (0 or 1 for bool items), at most the
        largest finite value of the dtype for floating-point items.

    Returns
    -------
    x : Tensor, shape (B, L_max) or (B, L_max, d)
    mask : Tensor, shape (B, L_max), bool
        True at real steps.
    y : Tensor, shape (B,), int64
    """
    import torch

    if isinstance(batch, (str, bytes)) or not hasattr(batch, "__len__"):
        raise TypeError(f"batch must be a sequence of (x, label) pairs, got {type(batch).__name__}")
    if len(batch) == 0:
        raise ValueError("batch must not be empty")
    if isinstance(pad_value, (bool, np.bool_)) or not isinstance(
            pad_value, (int, float, np.integer, np.floating)):
        raise TypeError(f"pad_value must be a number, got {type(pad_value).__name__}")
    if isinstance(pad_value, (float, np.floating)) and not math.isfinite(pad_value):
        raise ValueError(f"pad_value must be finite, got {pad_value}")
    for k, item in enumerate(batch):
        if not isinstance(item, (tuple, list)) or len(item) != 2 \
                or not isinstance(item[0], torch.Tensor):
            raise TypeError(f"batch[{k}] must be an (x, label) pair with x a torch.Tensor")
    xs = [item[0] for item in batch]
    if any(x.ndim not in (1, 2) or x.shape[0] == 0 for x in xs):
        raise ValueError("batch: every x must have shape (L,) or (L, d) with L >= 1")
    if len({x.shape[1:] for x in xs}) != 1 or len({x.dtype for x in xs}) != 1:
        raise ValueError("batch: items must share dtype and feature shape")
    _check_pad_value(pad_value, xs[0].dtype)
    lengths = torch.tensor([x.shape[0] for x in xs])
    L = int(lengths.max())
    out = xs[0].new_full((len(xs), L, *xs[0].shape[1:]), pad_value)
    for i, x in enumerate(xs):
        out[i, : x.shape[0]] = x
    mask = torch.arange(L)[None, :] < lengths[:, None]
    y = torch.tensor([int(item[1]) for item in batch], dtype=torch.int64)
    return out, mask, y


def _check_pad_value(pad_value: Any, dtype: Any) -> None:
    """Refuse a ``pad_value`` that the items' dtype cannot hold exactly (naming it)."""
    import torch

    if dtype == torch.bool:
        if pad_value not in (0, 1):
            raise ValueError(f"pad_value must be 0 or 1 for bool items, got {pad_value}")
    elif dtype.is_floating_point:
        top = torch.finfo(dtype).max
        if abs(pad_value) > top:
            raise ValueError(f"pad_value must be finite in {dtype} (absolute value <= {top:g}), "
                             f"got {pad_value}")
    elif not dtype.is_complex:
        if isinstance(pad_value, (float, np.floating)) and not float(pad_value).is_integer():
            raise ValueError(f"pad_value must be an integer for items of dtype {dtype} "
                             f"(it would be truncated), got {pad_value}")
        info = torch.iinfo(dtype)
        if not info.min <= int(pad_value) <= info.max:
            raise ValueError(f"pad_value must be in [{info.min}, {info.max}] for items of "
                             f"dtype {dtype}, got {pad_value}")
