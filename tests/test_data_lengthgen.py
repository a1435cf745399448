"""Tests for ssmlib.data.lengthgen: the recall task of chapter 11's length generalization."""

from __future__ import annotations

import numpy as np
import pytest

from ssmlib.data import lengthgen


def test_first_token_is_the_label_and_the_rest_are_distractors():
    x, y = lengthgen.generate_recall(500, 40, n_classes=5, n_noise=7, seed=0)
    assert x.shape == (500, 40) and y.shape == (500,)
    assert x.dtype == np.int64 and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0], 1 + y)
    assert x[:, 1:].min() == 6 and x[:, 1:].max() == 12  # n_classes + 1 .. n_classes + n_noise
    assert lengthgen.recall_vocab_size(5, 7) == 13 == x.max() + 1
    assert (x != 0).all()  # 0 is padding, never generated
    # labels and distractors are uniform (loose bounds: 500 and 19500 draws)
    assert set(np.unique(y)) == set(range(5))
    counts = np.bincount(x[:, 1:].ravel(), minlength=13)[6:]
    assert counts.min() > 0.8 * counts.mean()


def test_defined_at_every_length_and_reproducible():
    for L in (1, 2, 64, 513):
        x, y = lengthgen.generate_recall(3, L, seed=1)
        assert x.shape == (3, L)
        np.testing.assert_array_equal(x[:, 0], 1 + y)
    a = lengthgen.generate_recall(10, 20, seed=3)
    b = lengthgen.generate_recall(10, 20, seed=np.random.default_rng(3))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(n=0, length=5), ValueError, "n"), (dict(n=2, length=0), ValueError, "length"),
    (dict(n=2.0, length=5), TypeError, "n"), (dict(n=2, length=5, n_classes=1), ValueError,
                                                "n_classes"),
    (dict(n=2, length=5, n_noise=0), ValueError, "n_noise"),
    (dict(n=2, length=5, seed=-1), ValueError, "seed"),
    (dict(n=2, length=5, seed="a"), TypeError, "seed"),
    (dict(n=1 << 20, length=1 << 20), ValueError, "memory")])
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        lengthgen.generate_recall(**kwargs)
