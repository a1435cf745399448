"""A recall task defined at every length, for length generalization (chapter 11).

:func:`generate_recall` draws sequences whose first token is a *key*, one of
``n_classes`` key tokens, followed by ``length - 1`` *distractors* drawn
uniformly from ``n_noise`` other tokens. The label is the key. The answer is
defined, and equally simple, at every length, so a model trained at one length
can be tested at longer ones: whatever changes with the length is the distance
over which the key must be carried (``length - 1`` steps to the last token), not
the rule.

Token ids: ``0`` is padding (never generated), ``1 .. n_classes`` are the keys
(label ``c`` is token ``1 + c``), ``n_classes + 1 .. n_classes + n_noise`` are the
distractors; :func:`recall_vocab_size` is the size of that vocabulary.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_rng, check_size

__all__ = ["generate_recall", "recall_vocab_size"]

#: Largest number of tokens one call generates (n * length), held in memory.
_MAX_TOKENS = 1 << 28


def recall_vocab_size(n_classes: int = 4, n_noise: int = 8) -> int:
    """Number of token ids of :func:`generate_recall`: padding, keys and distractors."""
    n_classes = check_size(n_classes, "n_classes", 2, 1 << 16)
    n_noise = check_size(n_noise, "n_noise", 1, 1 << 16)
    return 1 + n_classes + n_noise


def generate_recall(n: int, length: int, *, n_classes: int = 4, n_noise: int = 8,
                    seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sequences whose label is their first token.

    Parameters
    ----------
    n : int
        Number of sequences (>= 1).
    length : int
        Tokens per sequence, ``L >= 1``: the key, then ``L - 1`` distractors.
    n_classes : int
        Number of keys, i.e. of classes (>= 2).
    n_noise : int
        Number of distractor tokens (>= 1).
    seed : int, numpy Generator or None
        Random source.

    Returns
    -------
    x : ndarray, shape (n, length), int64
        Token ids: ``x[:, 0] = 1 + y``, ``x[:, 1:]`` uniform over the distractors
        ``n_classes + 1 .. n_classes + n_noise``.
    y : ndarray, shape (n,), int64
        Labels, uniform over ``0 .. n_classes - 1``.
    """
    n = check_size(n, "n", 1, _MAX_TOKENS)
    length = check_size(length, "length", 1, _MAX_TOKENS)
    vocab = recall_vocab_size(n_classes, n_noise)
    if n * length > _MAX_TOKENS:
        raise ValueError(f"n * length = {n * length} tokens is more than 2**28 (memory); "
                         f"got n={n}, length={length}")
    rng = as_rng(seed, "seed")
    y = rng.integers(0, n_classes, n, dtype=np.int64)
    x = rng.integers(1 + n_classes, vocab, (n, length), dtype=np.int64)
    x[:, 0] = 1 + y
    return x, y
