"""Tests for ssmlib.data.selective_copying: the selective copying and induction-recall tasks."""

from __future__ import annotations

import numpy as np
import pytest

from ssmlib.data.selective_copying import copying_accuracy, induction_recall, selective_copying


def test_selective_copying_layout_follows_the_s4_generator():
    x, y = selective_copying(64, 40, 5, 10, rng=0)
    assert x.shape == (64, 45) and y.shape == (64, 5)
    assert x.dtype == np.int64 and y.dtype == np.int64
    # markers (vocab_size - 1) fill the last n_tokens positions
    assert np.all(x[:, 40:] == 9)
    body = x[:, :40]
    # exactly n_tokens data tokens (1 .. vocab_size - 2), the rest noise 0
    assert np.all((body > 0).sum(axis=1) == 5)
    assert body.max() <= 8 and y.min() >= 1 and y.max() <= 8
    # the targets are the data tokens in their order of appearance
    for row, target in zip(body, y):
        np.testing.assert_array_equal(row[row > 0], target)
    # random positions: not always the first n_tokens
    assert np.any(body[:, :5] == 0)


def test_ordinary_copying_puts_the_tokens_first():
    x, y = selective_copying(8, 20, 4, 6, variable=False, rng=1)
    np.testing.assert_array_equal(x[:, :4], y)
    assert np.all(x[:, 4:20] == 0) and np.all(x[:, 20:] == 5)


def test_same_seed_same_batch_and_every_position_is_used():
    a = selective_copying(16, 30, 3, 8, rng=3)
    b = selective_copying(16, 30, 3, 8, rng=np.random.default_rng(3))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    x, _ = selective_copying(2000, 10, 2, 5, rng=4)
    used = (x[:, :10] > 0).mean(axis=0)
    # each position holds a token with probability 2/10; 2000 rows: std ~ 0.009
    np.testing.assert_allclose(used, 0.2, atol=0.05)


def test_induction_recall_answer_follows_the_first_trigger():
    x, y = induction_recall(500, 25, 7, rng=0)
    assert x.shape == (500, 25) and y.shape == (500,)
    assert np.all(x[:, -1] == 6)
    for row, ans in zip(x, y):
        first = np.flatnonzero(row == 6)
        assert len(first) == 2 and first[0] <= 22  # once in [0, length - 3], once at the end
        assert row[first[0] + 1] == ans and ans < 6


def test_copying_accuracy():
    assert copying_accuracy(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 0]])) == 0.75
    with pytest.raises(ValueError, match="pred"):
        copying_accuracy(np.zeros(3, int), np.zeros(4, int))
    with pytest.raises(TypeError, match="pred"):
        copying_accuracy(np.zeros(3), np.zeros(3, int))
    with pytest.raises(ValueError, match="y"):
        copying_accuracy(np.zeros(0, int), np.zeros(0, int))


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(batch=0, length=10), ValueError, "batch"),
        (dict(batch=2.0, length=10), TypeError, "batch"),
        (dict(batch=2, length=3, n_tokens=4), ValueError, "length"),
        (dict(batch=2, length=10, n_tokens=0), ValueError, "n_tokens"),
        (dict(batch=2, length=20, vocab_size=2), ValueError, "vocab_size"),
        (dict(batch=2, length=20, variable=1), TypeError, "variable"),
        (dict(batch=2, length=20, rng="x"), TypeError, "rng"),
    ],
)
def test_selective_copying_bad_input(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        selective_copying(**kwargs)


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(batch=0, length=10), ValueError, "batch"),
        (dict(batch=2, length=2), ValueError, "length"),
        (dict(batch=2, length=10, vocab_size=2), ValueError, "vocab_size"),
    ],
)
def test_induction_recall_bad_input(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        induction_recall(**kwargs)
