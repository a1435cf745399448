"""Synthetic tasks that need content-aware memory (chapter 10): selective copying and induction recall.

Selective copying (Gu and Dao 2023, "Mamba", Section 3.1 and Appendix E.1) asks a model to
copy ``n_tokens`` data tokens that sit at random positions among noise tokens, in their
order, after the whole sequence has been read. The layout follows the published generator
``torch_copying_data(L, M, A, variable=True)`` of ``src/dataloaders/datasets/copying.py`` in
``state-spaces/s4`` (the code base of the S4 and Mamba papers' synthetic tasks); this is an
independent numpy implementation with the same conventions:

* vocabulary ``0 .. vocab_size - 1``: ``0`` is the noise (blank) token, ``1 .. vocab_size - 2``
  are the data tokens (drawn uniformly, with repetition), ``vocab_size - 1`` is the marker;
* the first ``length`` positions hold ``n_tokens`` data tokens at distinct random positions
  (kept in increasing order) and noise elsewhere; then come ``n_tokens`` markers, at which the
  model must output the data tokens in order. The input has ``length + n_tokens`` tokens;
* with ``variable=False`` the data tokens are the first ``n_tokens`` positions: the ordinary
  copying task, which a time-invariant model can solve with a fixed delay.

Induction recall (the "induction heads" task of the same paper, Section 4.1.2, simplified):
a sequence of random tokens contains a trigger token once, followed by an answer token; the
sequence ends with the trigger again, and the model must output the answer. The model has to
remember the token that *followed the trigger*, wherever the trigger was: what to store
depends on the content. Conventions: tokens ``0 .. vocab_size - 2`` are ordinary,
``vocab_size - 1`` is the trigger.

Both generators are numpy only and take ``rng`` (a seed or a ``numpy.random.Generator``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_rng, check_size

__all__ = ["selective_copying", "induction_recall", "copying_accuracy"]

#: Largest sequence length / batch accepted (the arrays are held in memory).
_MAX_LENGTH = 1 << 20
_MAX_BATCH = 1 << 20


def selective_copying(
    batch: int, length: int, n_tokens: int = 16, vocab_size: int = 16, *,
    variable: bool = True, rng: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the (selective) copying task.

    Parameters
    ----------
    batch : int, >= 1
        Number of sequences.
    length : int, >= n_tokens
        Positions that hold the data and noise tokens (the S4 generator's ``L + M``); the
        input then has ``length + n_tokens`` tokens. The Mamba paper uses 4096.
    n_tokens : int, >= 1
        Data tokens to copy (the generator's ``M``; 16 in the paper).
    vocab_size : int, >= 3
        Vocabulary size including the noise token ``0`` and the marker ``vocab_size - 1``
        (the generator's ``A``; 16 in the paper).
    variable : bool
        True: data tokens at random positions (selective copying). False: at the first
        ``n_tokens`` positions (the ordinary copying task).
    rng : None, int or numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (batch, length + n_tokens), int64
        Input tokens: data and noise, then ``n_tokens`` markers ``vocab_size - 1``.
    y : ndarray, shape (batch, n_tokens), int64
        Targets: the data tokens in order, to be output at the marker positions
        ``x[:, length:]``.
    """
    batch = check_size(batch, "batch", 1, _MAX_BATCH)
    n_tokens = check_size(n_tokens, "n_tokens", 1, _MAX_LENGTH)
    length = check_size(length, "length", 1, _MAX_LENGTH)
    if length < n_tokens:
        raise ValueError(f"length must be >= n_tokens ({n_tokens}), got {length}")
    vocab_size = check_size(vocab_size, "vocab_size", 3, 1 << 16)
    if not isinstance(variable, bool):
        raise TypeError(f"variable must be a bool, got {type(variable).__name__}")
    rng = as_rng(rng)
    tokens = rng.integers(1, vocab_size - 1, size=(batch, n_tokens))  # 1 .. vocab_size - 2
    if variable:
        # n_tokens distinct positions per row, in increasing order
        pos = np.sort(np.argsort(rng.random((batch, length)), axis=1)[:, :n_tokens], axis=1)
    else:
        pos = np.broadcast_to(np.arange(n_tokens), (batch, n_tokens))
    x = np.zeros((batch, length + n_tokens), dtype=np.int64)
    np.put_along_axis(x, pos, tokens, axis=1)
    x[:, length:] = vocab_size - 1
    return x, tokens.astype(np.int64)


def induction_recall(
    batch: int, length: int, vocab_size: int = 16, *, rng: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the induction-recall task: output the token that followed the trigger.

    Each row is ``length`` tokens drawn uniformly from ``0 .. vocab_size - 2``, except that
    the trigger ``vocab_size - 1`` sits once at a random position ``p`` in
    ``[0, length - 3]`` and again at the last position; the target is ``x[p + 1]``.

    Parameters
    ----------
    batch : int, >= 1
    length : int, >= 3
        Sequence length (the answer is read at the last position).
    vocab_size : int, >= 3
        Ordinary tokens ``0 .. vocab_size - 2`` plus the trigger.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (batch, length), int64
    y : ndarray, shape (batch,), int64
        The answer, in ``0 .. vocab_size - 2``.
    """
    batch = check_size(batch, "batch", 1, _MAX_BATCH)
    length = check_size(length, "length", 3, _MAX_LENGTH)
    vocab_size = check_size(vocab_size, "vocab_size", 3, 1 << 16)
    rng = as_rng(rng)
    trigger = vocab_size - 1
    x = rng.integers(0, trigger, size=(batch, length))
    p = rng.integers(0, length - 2, size=batch)  # 0 .. length - 3
    rows = np.arange(batch)
    x[rows, p] = trigger
    x[:, -1] = trigger
    return x.astype(np.int64), x[rows, p + 1].astype(np.int64)


def copying_accuracy(pred: Any, y: Any) -> float:
    """Fraction of target tokens predicted correctly (token-level accuracy).

    Parameters
    ----------
    pred, y : array_like of int, same shape
        Predicted and target tokens (numpy arrays or CPU tensors).

    Returns
    -------
    float in [0, 1]
    """
    p = np.asarray(pred)
    t = np.asarray(y)
    if p.shape != t.shape:
        raise ValueError(f"pred must have y's shape {t.shape}, got {p.shape}")
    if t.size == 0:
        raise ValueError("y must not be empty")
    if not np.issubdtype(p.dtype, np.integer):
        raise TypeError(f"pred must hold integers, got dtype {p.dtype}")
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"y must hold integers, got dtype {t.dtype}")
    return float(np.mean(p == t))
