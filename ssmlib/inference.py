"""Inference cost of the LRU and of a Transformer, measured (chapter 11).

A recurrent model produces the next token's features from a state of fixed
size; a Transformer attends over the keys and values of every token before it.
:func:`benchmark_inference` measures, at each context length ``L``, the wall
time of one new token, the bytes carried between tokens and the cost of a pass
over the whole sequence, for an :class:`~ssmlib.lru.LRUClassifier` and a
:class:`~ssmlib.transformer.TransformerClassifier` of the same width and depth.
Times are medians over repeats after a warm-up, with CUDA synchronized around
each call.

:mod:`ssmlib.train` re-exports :func:`benchmark_inference`.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np
import torch

from .lru import LRUClassifier
from .runstate import select_device
from .transformer import _MAX_SIZE, KVCache, TransformerClassifier, _check_int

__all__ = ["benchmark_inference"]


def _state_bytes(obj: Any) -> int:
    if isinstance(obj, KVCache):
        return obj.nbytes()
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
      after a context of ``L`` tokens: :meth:`~ssmlib.lru.LRUClassifier.step` from a state of
      shape (B, N) per layer, vs :meth:`~ssmlib.transformer.TransformerClassifier.step` attending over
      a preallocated key/value cache (:class:`~ssmlib.transformer.KVCache`, written in
      place, as in production inference) of ``L`` entries per layer;
    * ``tf_cat_step_s``: the same attention step with the legacy cache grown by
      ``torch.cat`` (a copy of the whole cache per token), for comparison;
    * ``*_state_bytes``: bytes of the tensors carried between steps (the LRU
      states; the filled entries of the Transformer's caches), measured from the
      actual tensors;
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
    for name, v, lo, hi in (("d_model", d_model, 1, 1 << 16), ("d_state", d_state, 1, 1 << 16),
                            ("n_layers", n_layers, 1, 1 << 10), ("n_heads", n_heads, 1, 1 << 16),
                            ("batch", batch, 1, 1 << 16), ("vocab_size", vocab_size, 2, _MAX_SIZE),
                            ("repeats", repeats, 1, 10_000), ("seed", seed, 0, None)):
        _check_int(v, name, lo, hi)
    if batch * max(lengths) * d_model > 1 << 30:
        raise ValueError(f"batch * max(lengths) * d_model = {batch * max(lengths) * d_model} is more "
                         "than 2**30 activations (memory)")
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
        kv = tf.new_cache(batch, capacity=L + 1)
        for i, (k, v) in enumerate(caches):
            kv.keys[i][:, :, :L] = k
            kv.values[i][:, :, :L] = v
        kv.truncate(L)

        def tf_step(kv=kv, L=L):
            tf.step(x_t, kv.truncate(L), position=L)  # writes entry L in place, attends 0..L

        row = {"length": L, "batch": batch, "device": str(dev)}
        row["lru_step_s"] = _timeit(lambda: lru.step(x_t, states), repeats, dev)
        row["tf_step_s"] = _timeit(tf_step, repeats, dev)
        row["tf_cat_step_s"] = _timeit(lambda: tf.step(x_t, caches, position=L), repeats, dev)
        row["lru_state_bytes"] = _state_bytes(states)
        row["tf_state_bytes"] = _state_bytes(kv.truncate(L))
        row["lru_seq_s"] = _timeit(lambda: lru.features(x), max(1, repeats // 3), dev)
        row["tf_seq_s"] = _timeit(lambda: tf.features(x), max(1, repeats // 3), dev)
        row["lru_seq_peak_bytes"] = _peak_cuda(lambda: lru.features(x), dev)
        row["tf_seq_peak_bytes"] = _peak_cuda(lambda: tf.features(x), dev)
        rows.append(row)
    return rows
