"""Inference cost of the LRU, a GRU and a Transformer, measured (chapter 11).

A recurrent model produces the next token's features from a state of fixed
size; a Transformer attends over the keys and values of every token before it.
:func:`benchmark_inference` measures, at each context length ``L``, the wall
time of one new token, the bytes carried between tokens and the cost of a pass
over the whole sequence, for an :class:`~ssmlib.lru.LRUClassifier`, an
``nn.GRU`` model with the same number of parameters (:func:`matched_gru`, the
nonlinear recurrent baseline) and a
:class:`~ssmlib.transformer.TransformerClassifier` of the same width and depth.
Times are steady-state: every contender is warmed up, then timed in
interleaved rounds (one call of each per round), with CUDA synchronized around
each call; the median is reported with the minimum and maximum.

:mod:`ssmlib.train` re-exports :func:`benchmark_inference`.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from ._validation import check_bool, check_size, check_tensor
from .lru import LRUClassifier, _check_finite, _check_input
from .runstate import select_device
from .transformer import _MAX_SIZE, KVCache, TransformerClassifier, _check_int

__all__ = ["benchmark_inference", "GRUBaseline", "matched_gru"]


def _n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


#: Largest parameter count of a :class:`GRUBaseline` (``2**30`` float32: 4 GiB; memory).
_MAX_GRU_PARAMS = 1 << 30

_TOKEN_DTYPES = (torch.int64, torch.int32)


class GRUBaseline(nn.Module):
    """Embedding -> ``n_layers``-layer ``nn.GRU``: the nonlinear recurrent peer of
    :class:`~ssmlib.lru.LRUClassifier` (features only, no decoder).

    Parameters
    ----------
    vocab_size, hidden, n_layers : int
        Vocabulary (``2 <= vocab_size <= 2**20``), hidden width (also the embedding
        width, ``1 <= hidden <= 2**16``) and depth (``1 <= n_layers <= 1024``). The
        model may hold at most ``2**30`` parameters (memory): ``vocab_size * hidden +
        n_layers * 6 * (hidden**2 + hidden)``.
    """

    def __init__(self, vocab_size: int, hidden: int, n_layers: int) -> None:
        super().__init__()
        _check_int(vocab_size, "vocab_size", 2, _MAX_SIZE)
        _check_int(hidden, "hidden", 1, 1 << 16)
        _check_int(n_layers, "n_layers", 1, 1 << 10)
        n = _gru_params(vocab_size, hidden, n_layers)
        if n > _MAX_GRU_PARAMS:
            raise ValueError(f"vocab_size={vocab_size}, hidden={hidden}, n_layers={n_layers} give "
                             f"{n} parameters, more than 2**30 (memory)")
        self.encoder = nn.Embedding(vocab_size, hidden)
        self.gru = nn.GRU(hidden, hidden, n_layers, batch_first=True)

    def initial_state(self, batch: int) -> torch.Tensor:
        """Zero state, shape (n_layers, batch, hidden).

        ``batch`` is an int ``>= 0`` with ``n_layers * batch * hidden <= 2**28`` (memory).
        """
        g = self.gru
        batch = check_size(batch, "batch", 0)
        if g.num_layers * batch * g.hidden_size > 1 << 28:
            raise ValueError(f"n_layers * batch * hidden = {g.num_layers * batch * g.hidden_size} "
                             f"is more than 2**28 (memory); got batch={batch}")
        return torch.zeros(g.num_layers, batch, g.hidden_size, device=self.encoder.weight.device)

    def _check_step(self, x_t: Any, h: Any) -> None:
        """The full check of :meth:`step`'s arguments (errors name ``x_t`` or ``h``)."""
        check_tensor(x_t, "x_t", ndim=1, dtypes=_TOKEN_DTYPES, finite=False)
        w = self.encoder.weight
        if x_t.device != w.device:
            raise ValueError(f"x_t must be on the model's device ({w.device}), got {x_t.device}")
        check_tensor(h, "h", ndim=3, finite=False)
        g = self.gru
        expected = (g.num_layers, x_t.shape[0], g.hidden_size)
        if tuple(h.shape) != expected:
            raise ValueError(f"h must have shape (n_layers, B, hidden) = {expected}, "
                             f"got {tuple(h.shape)}")
        if h.dtype != w.dtype:
            raise TypeError(f"h must have the model's dtype {w.dtype}, got {h.dtype}")
        if h.device != w.device:
            raise ValueError(f"h must be on the model's device ({w.device}), got {h.device}")

    def step(self, x_t: torch.Tensor, h: torch.Tensor, check_finite: bool = False
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """One token ids (B,) and state (n_layers, B, hidden) -> features (B, hidden), state.

        Parameters
        ----------
        x_t : Tensor, shape (B,), int64 or int32
            Token ids in ``[0, vocab_size)``.
        h : Tensor, shape (n_layers, B, hidden)
            State (:meth:`initial_state` for zeros), in the model's dtype and device.
        check_finite : bool
            Also check that ``h`` holds no NaN or inf (a pass over it and a host
            read). Off by default, as in :meth:`ssmlib.lru.LRUClassifier.step`: the
            step is the hot loop of recurrent inference; types, shapes, dtypes,
            devices and token ids are always checked (on CPU only once torch
            rejects the input, so a valid step pays nothing for them; on other
            devices before the step, as token ids out of range cannot be caught
            there).

        Raises
        ------
        TypeError, ValueError
            Naming ``x_t``, ``h`` or ``check_finite``.
        """
        if check_finite is not False and check_bool(check_finite, "check_finite"):
            self._check_step(x_t, h)
            _check_finite(("h", h))
        if not (isinstance(x_t, torch.Tensor) and x_t.is_cpu):
            # off the CPU an id outside the vocabulary is a device-side assert: check first
            self._check_step(x_t, h)
            _check_input(x_t, "x_t", True, self.encoder.num_embeddings, None, 1)
        try:
            y, h = self.gru(self.encoder(x_t)[:, None], h)
        except (RuntimeError, IndexError, TypeError, ValueError, AttributeError):
            # not the fast case: the full check names the argument (no cost when all is well)
            self._check_step(x_t, h)
            _check_input(x_t, "x_t", True, self.encoder.num_embeddings, None, 1)
            raise
        return y[:, 0], h

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Token ids (B, L) -> features (B, L, hidden) (the GRU over the whole sequence).

        ``x`` is an int64 or int32 tensor of ids in ``[0, vocab_size)`` with ``L >= 1``
        (``TypeError``/``ValueError`` naming ``x`` otherwise).
        """
        _check_input(x, "x", True, self.encoder.num_embeddings, None, 2)
        if x.shape[1] == 0:
            raise ValueError(f"x must have at least one step, got shape {tuple(x.shape)}")
        w = self.encoder.weight
        if x.device != w.device:
            raise ValueError(f"x must be on the model's device ({w.device}), got {x.device}")
        return self.gru(self.encoder(x))[0]


def _gru_params(vocab_size: int, hidden: int, n_layers: int) -> int:
    # embedding + per layer 3 gates x (input weights, recurrent weights, two biases)
    return vocab_size * hidden + n_layers * 3 * (2 * hidden * hidden + 2 * hidden)


def matched_gru(n_params: int, vocab_size: int, n_layers: int) -> GRUBaseline:
    """The :class:`GRUBaseline` whose parameter count is closest to ``n_params``
    (hidden width a multiple of 4, at most 4096).

    ``n_params >= 1``, ``2 <= vocab_size <= 2**20``, ``1 <= n_layers <= 1024``; the
    chosen model must hold at most ``2**30`` parameters (memory; ``ValueError``
    naming the sizes otherwise)."""
    _check_int(n_params, "n_params", 1, None)
    _check_int(vocab_size, "vocab_size", 2, _MAX_SIZE)
    _check_int(n_layers, "n_layers", 1, 1 << 10)
    best = min(range(4, 4097, 4),
               key=lambda h: abs(_gru_params(vocab_size, h, n_layers) - n_params))
    n = _gru_params(vocab_size, best, n_layers)
    if n > _MAX_GRU_PARAMS:
        raise ValueError(f"matched_gru(n_params={n_params}, vocab_size={vocab_size}, "
                         f"n_layers={n_layers}): the closest GRU has {n} parameters, more than "
                         f"2**30 (memory)")
    return GRUBaseline(vocab_size, best, n_layers)


def _state_bytes(obj: Any) -> int:
    if isinstance(obj, KVCache):
        return obj.nbytes()
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, (list, tuple)):
        return sum(_state_bytes(o) for o in obj)
    return 0


def _timed(fns: dict[str, Callable[[], Any]], repeats: int, device: torch.device,
           warmup: int = 3) -> dict[str, list[float]]:
    """Steady-state wall times: ``warmup`` calls of each, then ``repeats`` interleaved
    rounds timing one call of each (so a slow spell of a shared machine hits all)."""
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for fn in fns.values():
        for _ in range(warmup):
            fn()
    sync()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            sync()
            t = time.perf_counter()
            fn()
            sync()
            times[k].append(time.perf_counter() - t)
    return times


def _summary(row: dict, key: str, samples: list[float]) -> None:
    """``key`` (median, seconds) with ``key``-stem ``_min_s`` and ``_max_s``."""
    stem = key[:-2]  # "lru_step_s" -> "lru_step"
    row[key] = float(np.median(samples))
    row[f"{stem}_min_s"] = float(np.min(samples))
    row[f"{stem}_max_s"] = float(np.max(samples))


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
                        repeats: int = 10, device: str = "cpu", seed: int = 0,
                        threads: int | None = None) -> list[dict]:
    """Measure LRU vs GRU vs Transformer inference cost at each context length.

    For every ``L`` in ``lengths``, with models of the same width ``d_model`` and
    depth (the GRU: the same parameter count as the LRU classifier without its
    decoder, :func:`matched_gru`):

    * ``*_step_s``: median wall time of producing the features of one new token
      after a context of ``L`` tokens: :meth:`~ssmlib.lru.LRUClassifier.step` from a state of
      shape (B, N) per layer; :meth:`GRUBaseline.step` from its (layers, B, hidden)
      state; :meth:`~ssmlib.transformer.TransformerClassifier.step` attending over a
      preallocated key/value cache (:class:`~ssmlib.transformer.KVCache`, written in
      place, as in production inference) of ``L`` entries per layer;
    * ``tf_cat_step_s``: the same attention step with the legacy cache grown by
      ``torch.cat`` (a copy of the whole cache per token), for comparison;
    * each time ``X_s`` comes with ``X_min_s`` and ``X_max_s``: the spread over
      the ``repeats`` rounds (the sequence passes over ``max(3, repeats // 3)``);
    * ``*_state_bytes``: bytes of the tensors carried between steps (the LRU
      and GRU states; the filled entries of the Transformer's caches), measured
      from the actual tensors;
    * ``*_seq_s``: median wall time of one forward pass over the whole sequence
      (parallel scan vs the GRU's loop vs causal attention);
    * ``*_seq_peak_bytes``: on CUDA, the peak extra memory allocated by that pass
      (``torch.cuda.max_memory_allocated``); None on CPU;
    * ``lru_params``, ``gru_params``, ``tf_params``: parameter counts (the LRU's
      and the Transformer's without their decoders); ``repeats``; ``threads``
      (torch's CPU thread count during the measurement).

    ``threads`` (optional) sets torch's CPU thread count for the measurement and
    restores it afterwards; on a machine whose cores are busy with other work, one
    thread avoids multi-threaded regions that wait for a busy core (milliseconds
    per operation).

    Every contender is called ``3`` times first (warm-up: allocator, caches,
    compiled kernels), then timed in interleaved rounds. States and caches are
    filled with random values of the right shape: the cost of a step does not
    depend on their content. All values are plain Python numbers (the rows are
    valid JSON).
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
    if threads is not None:
        _check_int(threads, "threads", 1, 1 << 10)
    dev = select_device(device)
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _measure(lengths, d_model, d_state, n_layers, n_heads, batch, vocab_size,
                        repeats, dev, seed)
    finally:
        if threads is not None:
            torch.set_num_threads(before)


def _measure(lengths, d_model, d_state, n_layers, n_heads, batch, vocab_size, repeats, dev,
             seed) -> list[dict]:
    torch.manual_seed(seed)
    lru = LRUClassifier(2, d_model, d_state, n_layers, vocab_size=vocab_size).to(dev).eval()
    tf = TransformerClassifier(2, d_model, n_layers, n_heads, vocab_size=vocab_size,
                               max_len=max(lengths) + 1).to(dev).eval()
    lru_params = _n_params(lru) - _n_params(lru.decoder)
    gru = matched_gru(lru_params, vocab_size, n_layers).to(dev).eval()
    seq_repeats = max(3, repeats // 3)
    rows = []
    for L in lengths:
        L = int(L)
        x = torch.randint(1, vocab_size, (batch, L), device=dev)
        x_t = x[:, -1]
        states = [torch.randn(batch, d_state, dtype=torch.complex64, device=dev)
                  for _ in range(n_layers)]
        h_gru = torch.randn(n_layers, batch, gru.gru.hidden_size, device=dev)
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

        row: dict[str, Any] = {"length": L, "batch": batch, "device": str(dev)}
        steps = _timed({"lru_step_s": lambda: lru.step(x_t, states),
                        "gru_step_s": lambda: gru.step(x_t, h_gru),
                        "tf_step_s": tf_step,
                        "tf_cat_step_s": lambda: tf.step(x_t, caches, position=L)}, repeats, dev)
        for key, samples in steps.items():
            _summary(row, key, samples)
        row["lru_state_bytes"] = _state_bytes(states)
        row["gru_state_bytes"] = _state_bytes(h_gru)
        row["tf_state_bytes"] = _state_bytes(kv.truncate(L))
        seqs = _timed({"lru_seq_s": lambda: lru.features(x), "gru_seq_s": lambda: gru.features(x),
                       "tf_seq_s": lambda: tf.features(x)}, seq_repeats, dev, warmup=1)
        for key, samples in seqs.items():
            _summary(row, key, samples)
        row["lru_seq_peak_bytes"] = _peak_cuda(lambda: lru.features(x), dev)
        row["gru_seq_peak_bytes"] = _peak_cuda(lambda: gru.features(x), dev)
        row["tf_seq_peak_bytes"] = _peak_cuda(lambda: tf.features(x), dev)
        row["lru_params"] = lru_params
        row["gru_params"] = _n_params(gru)
        row["tf_params"] = _n_params(tf) - _n_params(tf.decoder)
        row["repeats"] = repeats
        row["threads"] = torch.get_num_threads()
        rows.append(row)
    return rows
