"""A small causal Transformer: the baseline beside the LRU classifier (chapter 11).

:class:`TransformerClassifier` has the interface of
:class:`~ssmlib.lru.LRUClassifier` (token ids or features in, class logits out,
masked mean pooling, a :meth:`~TransformerClassifier.step` for one new token),
so :func:`ssmlib.train.train` trains either with ``model="lru"`` or
``model="transformer"``. Its blocks are pre-norm: causal multi-head attention
and a GELU MLP, both residual. The contrast it makes in chapter 11 is at
inference: the LRU carries a state of fixed size from token to token, while the
Transformer's :meth:`~TransformerClassifier.step` attends over a key/value cache
that grows with the context: a preallocated :class:`KVCache` written in place (as
in production inference), or the legacy list grown by ``torch.cat``.
:func:`ssmlib.inference.benchmark_inference` measures both models.

Positions enter the model in one of two ways (``positions=``): ``"learned"``, one
trained embedding per position up to ``max_len`` (it cannot read a sequence longer
than ``max_len``, and the embeddings of positions beyond the training sequences
get no gradient: they are never trained), or ``"sinusoidal"``, the fixed encoding
of Vaswani et al. (2017), :func:`sinusoidal_positions`, defined at every position,
so the model runs on sequences of any length.

:mod:`ssmlib.train` re-exports :class:`TransformerClassifier`.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_choice, check_int, check_size
from .lru import _check_input, masked_mean

__all__ = ["TransformerClassifier", "KVCache", "sinusoidal_positions"]


# Integer checks, shared with ssmlib.train and ssmlib.inference.
def _check_int(x: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    if maximum is None:
        return check_int(x, name, minimum=minimum)
    return check_size(x, name, minimum, maximum)


_MAX_SIZE = 1 << 20  # widths, heads, layers, classes, vocabulary

#: Largest width of a :class:`TransformerClassifier` (a block holds ``12 d_model**2``
#: weights; memory).
_MAX_WIDTH = 1 << 14

#: Largest number of parameters of a :class:`TransformerClassifier` (``2**30`` float32:
#: 4 GiB; memory).
_MAX_PARAMS = 1 << 30

POSITIONS = ("learned", "sinusoidal")


def sinusoidal_positions(positions: torch.Tensor, d_model: int,
                         dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The fixed sinusoidal position encoding of Vaswani et al. (2017), section 3.5.

    ``PE[p, 2i] = sin(p / 10000**(2i / d_model))`` and
    ``PE[p, 2i + 1] = cos(p / 10000**(2i / d_model))``.

    Parameters
    ----------
    positions : Tensor, shape (L,), integer
        Positions ``p >= 0`` (any size: the encoding is defined at every position).
    d_model : int
        Width (>= 1; for an odd width the last sine column is kept, its cosine dropped).
    dtype : torch.dtype
        Floating dtype of the result (computed in float64, then rounded once).

    Returns
    -------
    Tensor, shape (L, d_model), ``dtype``, on the device of ``positions``.
    """
    if not isinstance(positions, torch.Tensor) or positions.ndim != 1 \
            or positions.dtype.is_floating_point or positions.dtype.is_complex \
            or positions.dtype == torch.bool:
        raise TypeError("positions must be a 1-D integer torch.Tensor")
    if positions.numel() and int(positions.min()) < 0:
        raise ValueError(f"positions must be >= 0, got {int(positions.min())}")
    d_model = _check_int(d_model, "d_model", 1, 1 << 16)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    i = torch.arange(0, d_model, 2, device=positions.device, dtype=torch.float64)
    angle = positions.to(torch.float64)[:, None] / torch.pow(10000.0, i / d_model)
    pe = torch.empty(positions.numel(), d_model, dtype=torch.float64, device=positions.device)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe.to(dtype)


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
        """One new token (B, H) attending over the cached keys/values (B, heads, L, H/heads).

        The legacy cache: a (keys, values) pair grown by ``torch.cat`` (a copy of the
        whole cache per token). :meth:`step_inplace` is the preallocated one.
        """
        q, k, v = self.qkv(self.norm1(x_t[:, None])).chunk(3, dim=-1)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        a = F.scaled_dot_product_attention(q, k, v)  # the new token sees the whole context
        x = x_t + self.drop(self.proj(a.transpose(1, 2).reshape(x_t.shape)))
        return x + self.drop(self.mlp(self.norm2(x))), (k, v)

    def step_inplace(self, x_t: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                     position: int) -> torch.Tensor:
        """One new token (B, H): write its key/value at ``position`` of the preallocated
        buffers (B, heads, capacity, H/heads) and attend over entries ``0..position``."""
        q, k, v = self.qkv(self.norm1(x_t[:, None])).chunk(3, dim=-1)
        keys[:, :, position:position + 1] = self._heads(k)
        values[:, :, position:position + 1] = self._heads(v)
        a = F.scaled_dot_product_attention(self._heads(q), keys[:, :, :position + 1],
                                           values[:, :, :position + 1])
        x = x_t + self.drop(self.proj(a.transpose(1, 2).reshape(x_t.shape)))
        return x + self.drop(self.mlp(self.norm2(x)))


class KVCache:
    """Preallocated key/value cache of a :class:`TransformerClassifier` (what inference
    servers do): per block, buffers ``keys[i]``, ``values[i]`` of shape
    (B, n_heads, capacity, d_model / n_heads), written in place one token at a time.

    ``length`` is the number of filled positions: :meth:`TransformerClassifier.step`
    at ``position == length`` writes entry ``position`` and attends over entries
    ``0..position``, so a step costs O(position) reads and no copy of the cache.
    Make one with :meth:`TransformerClassifier.new_cache`.

    Parameters
    ----------
    keys, values : list of Tensor
        One buffer per block (lists of the same length, at least one), each a 4-D
        floating tensor (B, n_heads, capacity, d_model / n_heads); every buffer has
        the same shape, dtype and device (``TypeError``/``ValueError`` naming
        ``keys`` or ``values`` otherwise).
    """

    def __init__(self, keys: list, values: list) -> None:
        for name, bufs in (("keys", keys), ("values", values)):
            if not isinstance(bufs, (list, tuple)):
                raise TypeError(f"{name} must be a list of tensors (one per block), "
                                f"got {type(bufs).__name__}")
            if not bufs:
                raise ValueError(f"{name} must hold at least one tensor (one per block), "
                                 "got an empty list")
        if len(keys) != len(values):
            raise ValueError(f"keys and values must have the same length (one buffer per "
                             f"block), got {len(keys)} and {len(values)}")
        ref = keys[0]
        for name, bufs in (("keys", keys), ("values", values)):
            for i, t in enumerate(bufs):
                if not isinstance(t, torch.Tensor):
                    raise TypeError(f"{name}[{i}] must be a torch.Tensor, got {type(t).__name__}")
                if not t.dtype.is_floating_point:
                    raise TypeError(f"{name}[{i}] must be a floating tensor, got {t.dtype}")
                if t.ndim != 4:
                    raise ValueError(f"{name}[{i}] must have 4 dimensions (B, n_heads, capacity, "
                                     f"d_model / n_heads), got shape {tuple(t.shape)}")
                if t.shape != ref.shape or t.dtype != ref.dtype or t.device != ref.device:
                    raise ValueError(
                        f"{name}[{i}] must match keys[0] (shape {tuple(ref.shape)}, {ref.dtype}, "
                        f"{ref.device}), got shape {tuple(t.shape)}, {t.dtype}, {t.device}")
        self.keys = list(keys)
        self.values = list(values)
        self.length = 0

    @property
    def capacity(self) -> int:
        return int(self.keys[0].shape[2])

    def truncate(self, length: int) -> "KVCache":
        """Set the number of filled entries: forget every entry from ``length`` on, so the
        next step is at ``position=length`` (a benchmark that wrote the buffers itself may
        also grow it, up to ``capacity``)."""
        length = _check_int(length, "length", 0)
        if length > self.capacity:
            raise ValueError(f"length must be <= capacity={self.capacity}, got {length}")
        self.length = length
        return self

    def filled(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Views (keys, values) of the filled entries, one pair per block."""
        return [(k[:, :, :self.length], v[:, :, :self.length])
                for k, v in zip(self.keys, self.values)]

    def nbytes(self) -> int:
        """Bytes of the filled entries (what a step reads)."""
        return sum(t.numel() * t.element_size() for kv in self.filled() for t in kv)


class TransformerClassifier(nn.Module):
    """A small causal Transformer baseline with the interface of :class:`~ssmlib.lru.LRUClassifier`.

    Position embeddings (learned up to ``max_len``, or sinusoidal at any length),
    ``n_layers`` pre-norm blocks,
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
        With ``positions="learned"``: the longest sequence (number of position
        embeddings). With ``"sinusoidal"``: only the default capacity of
        :meth:`new_cache`; sequences of any length are accepted.
    dropout : float
        In [0, 1).
    pad_id : int
        Padding token id, in ``[0, vocab_size)``.
    positions : {"learned", "sinusoidal"}
        Learned absolute embeddings (default), or the fixed sinusoidal encoding of
        Vaswani et al. (2017), :func:`sinusoidal_positions`.

    Notes
    -----
    Memory bounds: ``d_model <= 2**14``, ``n_layers <= 1024``, ``max_len <= 2**24``
    (learned positions: ``max_len * d_model <= 2**28``), and at most ``2**30``
    parameters in all (``ValueError`` otherwise).
    """

    def __init__(self, n_classes: int, d_model: int = 64, n_layers: int = 2, n_heads: int = 4, *,
                 vocab_size: int | None = None, d_input: int | None = None, max_len: int = 4096,
                 dropout: float = 0.0, pad_id: int = 0, positions: str = "learned") -> None:
        super().__init__()
        check_choice(positions, "positions", POSITIONS)
        _check_int(n_classes, "n_classes", 2, _MAX_SIZE)
        _check_int(d_model, "d_model", 1, _MAX_WIDTH)
        _check_int(n_layers, "n_layers", 1, 1 << 10)
        _check_int(n_heads, "n_heads", 1, 1 << 16)
        _check_int(max_len, "max_len", 1, 1 << 24)
        if positions == "learned" and max_len * d_model > 1 << 28:
            raise ValueError(f"max_len * d_model = {max_len * d_model} position-embedding entries is "
                             f"more than 2**28 (memory); got max_len={max_len}, d_model={d_model}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise TypeError(f"dropout must be a real number, got {type(dropout).__name__}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if (vocab_size is None) == (d_input is None):
            raise ValueError("give exactly one of vocab_size (tokens) and d_input (continuous)")
        if vocab_size is not None:
            _check_int(vocab_size, "vocab_size", 2, _MAX_SIZE)
            _check_int(pad_id, "pad_id", 0)
            if pad_id >= vocab_size:
                raise ValueError(f"pad_id must be a token id in [0, vocab_size={vocab_size}), "
                                 f"got {pad_id}")
        else:
            _check_int(d_input, "d_input", 1, _MAX_SIZE)
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        n_enc = vocab_size * d_model if vocab_size is not None else (d_input + 1) * d_model
        n_params = (n_enc + (max_len * d_model if positions == "learned" else 0)
                    + n_layers * (12 * d_model * d_model + 13 * d_model)
                    + 2 * d_model + (d_model + 1) * n_classes)
        if n_params > _MAX_PARAMS:
            sizes = (f"vocab_size={vocab_size}" if vocab_size is not None
                     else f"d_input={d_input}")
            raise ValueError(f"n_classes={n_classes}, d_model={d_model}, n_layers={n_layers}, "
                             f"max_len={max_len}, {sizes} give {n_params} parameters, more than "
                             "2**30 (memory)")
        self.tokens = vocab_size is not None
        self.vocab_size = vocab_size
        self.d_input = d_input
        self.encoder = (nn.Embedding(vocab_size, d_model, padding_idx=pad_id) if self.tokens
                        else nn.Linear(d_input, d_model))
        self.positions = positions
        self.d_model = d_model
        # learned: one trained vector per position; sinusoidal: computed, no parameters
        self.pos = nn.Embedding(max_len, d_model) if positions == "learned" else None
        self.max_len = max_len
        self.blocks = nn.ModuleList(_AttentionBlock(d_model, n_heads, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.decoder = nn.Linear(d_model, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-step features (B, L, d_model) of token ids (B, L) or features (B, L, d_input)."""
        _check_input(x, "x", self.tokens, self.vocab_size, self.d_input, 2)
        L = x.shape[1]
        if self.pos is not None and L > self.max_len:
            raise ValueError(f"x: sequence length {L} exceeds max_len={self.max_len} (learned "
                             "positions; positions='sinusoidal' reads any length)")
        h = self.encoder(x) + self._position(torch.arange(L, device=x.device))
        for block in self.blocks:
            h = block(h)
        return self.norm(h)

    def _position(self, p: torch.Tensor) -> torch.Tensor:
        if self.pos is not None:
            return self.pos(p)
        return sinusoidal_positions(p, self.d_model, self.decoder.weight.dtype)

    def _step_position(self, position: int) -> torch.Tensor:
        if self.pos is not None:
            return self.pos.weight[position]
        return self._position(torch.tensor([position], device=self.decoder.weight.device))[0]

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

    def new_cache(self, batch: int, capacity: int | None = None) -> KVCache:
        """An empty preallocated :class:`KVCache` for ``batch`` sequences of up to
        ``capacity`` tokens (default ``max_len``; with learned positions at most
        ``max_len``), on the model's device and dtype."""
        batch = _check_int(batch, "batch", 1, 1 << 16)
        capacity = self.max_len if capacity is None else _check_int(capacity, "capacity", 1)
        if self.pos is not None and capacity > self.max_len:
            raise ValueError(f"capacity must be <= max_len={self.max_len}, got {capacity}")
        w = self.decoder.weight
        heads = self.blocks[0].n_heads
        shape = (batch, heads, capacity, self.d_model // heads)
        if batch * capacity * self.d_model * 2 * len(self.blocks) > 1 << 31:
            raise ValueError(f"a cache of batch={batch} x capacity={capacity} is more than 2**31 "
                             "entries (memory)")
        new = [torch.empty(shape, dtype=w.dtype, device=w.device) for _ in range(len(self.blocks) * 2)]
        return KVCache(new[0::2], new[1::2])

    def _cache_shape(self) -> tuple[int, int]:
        heads = self.blocks[0].n_heads
        return heads, self.d_model // heads

    def _check_kv(self, cache: KVCache, batch: int) -> None:
        """O(1) checks of a :class:`KVCache` against the model (errors name ``caches``)."""
        w = self.decoder.weight
        heads, hd = self._cache_shape()
        keys, values = cache.keys, cache.values
        if not (isinstance(keys, list) and isinstance(values, list)
                and len(keys) == len(values) == len(self.blocks)):
            raise ValueError(f"caches must hold {len(self.blocks)} blocks of batch {batch} "
                             "(make it with new_cache)")
        k = keys[0]
        if not (isinstance(k, torch.Tensor) and k.ndim == 4 and k.shape[0] == batch
                and k.shape[1] == heads and k.shape[3] == hd and k.dtype == w.dtype
                and k.device == w.device):
            got = (f"shape {tuple(k.shape)}, {k.dtype}, {k.device}" if isinstance(k, torch.Tensor)
                   else type(k).__name__)
            raise ValueError(f"caches must hold {len(self.blocks)} blocks of batch {batch} with "
                             f"buffers (B, n_heads, capacity, d_model / n_heads) = "
                             f"({batch}, {heads}, capacity, {hd}), {w.dtype}, on {w.device} "
                             f"(make it with new_cache); got {got}")
        if not isinstance(cache.length, int) or isinstance(cache.length, bool):
            raise TypeError(f"caches.length must be an int, got {type(cache.length).__name__}")

    def _check_legacy(self, caches: Any, batch: int) -> None:
        """Checks of a legacy list cache: one (keys, values) pair per block (or None), each
        (B, n_heads, L, d_model / n_heads) in the model's dtype and device."""
        if not isinstance(caches, (list, tuple)) or len(caches) != len(self.blocks):
            raise ValueError(f"caches must be a KVCache or a list with one (keys, values) pair "
                             f"per block ({len(self.blocks)})")
        w = self.decoder.weight
        heads, hd = self._cache_shape()
        for i, pair in enumerate(caches):
            if pair is None:
                continue
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"caches[{i}] must be a (keys, values) pair or None, "
                                 f"got {type(pair).__name__}")
            for t in pair:
                if not (isinstance(t, torch.Tensor) and t.ndim == 4 and t.shape[0] == batch
                        and t.shape[1] == heads and t.shape[3] == hd
                        and t.shape[2] == pair[0].shape[2] and t.dtype == w.dtype
                        and t.device == w.device):
                    got = (f"shape {tuple(t.shape)}, {t.dtype}, {t.device}"
                           if isinstance(t, torch.Tensor) else type(t).__name__)
                    raise ValueError(f"caches[{i}] must hold keys and values of shape "
                                     f"(B, n_heads, L, d_model / n_heads) = ({batch}, {heads}, L, "
                                     f"{hd}), {w.dtype}, on {w.device}; got {got}")

    def step(self, x_t: torch.Tensor, caches: KVCache | list | None = None, position: int = 0
             ) -> tuple[torch.Tensor, KVCache | list]:
        """Features of one new token at ``position`` given the key/value caches.

        Parameters
        ----------
        x_t : Tensor
            Token ids (B,) or features (B, d_input).
        caches : KVCache, or list of (keys, values), optional
            A :class:`KVCache` from :meth:`new_cache` (preallocated, written in place;
            ``position`` must equal its ``length``), or the legacy list with one pair
            per block, each (B, n_heads, position, d_model / n_heads), grown by
            ``torch.cat`` (a copy of the whole cache per token; ``None`` starts one).
        position : int
            Index of the new token, ``>= 0`` (and ``< max_len`` with learned positions).

        Returns
        -------
        h_t : Tensor, shape (B, d_model)
            As ``features(x)[:, position]``.
        caches : KVCache or list
            The same :class:`KVCache` (now ``position + 1`` entries long), or the
            new legacy list.
        """
        _check_input(x_t, "x_t", self.tokens, self.vocab_size, self.d_input, 1)
        position = _check_int(position, "position", 0)
        if self.pos is not None and position >= self.max_len:
            raise ValueError(f"position must be < max_len={self.max_len}, got {position}")
        if isinstance(caches, KVCache):
            self._check_kv(caches, x_t.shape[0])
            if position != caches.length:
                raise ValueError(f"position must equal the cache's length ({caches.length}) "
                                 f"for a KVCache, got {position}")
            if position >= caches.capacity:
                raise ValueError(f"position must be < the cache's capacity ({caches.capacity}), "
                                 f"got {position}")
            h = self.encoder(x_t) + self._step_position(position)
            for block, k, v in zip(self.blocks, caches.keys, caches.values):
                h = block.step_inplace(h, k, v, position)
            caches.length = position + 1
            return self.norm(h), caches
        if caches is not None:
            self._check_legacy(caches, x_t.shape[0])
        h = self.encoder(x_t) + self._step_position(position)
        caches = list(caches) if caches is not None else [None] * len(self.blocks)
        for i, block in enumerate(self.blocks):
            h, caches[i] = block.step(h, caches[i])
        return self.norm(h), caches
