"""Tests for ssmlib.inference: the LRU / GRU / Transformer inference benchmark (chapter 11)."""

from __future__ import annotations

import json

import pytest
import torch

from ssmlib.inference import GRUBaseline, benchmark_inference, matched_gru
from ssmlib.lru import LRUClassifier

TIMES = ("lru_step", "gru_step", "tf_step", "tf_cat_step", "lru_seq", "gru_seq", "tf_seq")


def test_rows_keys_spread_and_strict_json():
    rows = benchmark_inference([8, 32], d_model=16, d_state=8, n_layers=1, n_heads=2, repeats=3)
    assert [r["length"] for r in rows] == [8, 32]
    text = json.dumps(rows, allow_nan=False)  # strictly valid JSON: no NaN/inf, no tensors
    assert json.loads(text) == rows
    for r in rows:
        for stem in TIMES:
            lo, med, hi = r[f"{stem}_min_s"], r[f"{stem}_s"], r[f"{stem}_max_s"]
            assert 0 < lo <= med <= hi, stem
        assert r["repeats"] == 3 and r["batch"] == 1 and r["device"] == "cpu"
        assert r["lru_seq_peak_bytes"] is None  # CPU: no peak-memory counter
        assert r["lru_state_bytes"] == 8 * 8  # complex64 (1, 8): constant in L
        assert r["gru_state_bytes"] == 4 * _gru_hidden(r)  # float32 (1 layer, 1, hidden)
    assert rows[1]["tf_state_bytes"] == 4 * rows[0]["tf_state_bytes"]  # the cache grows with L
    assert rows[0]["gru_state_bytes"] == rows[1]["gru_state_bytes"]


def _gru_hidden(row):
    """hidden width of the matched GRU from its parameter count (vocab 18, 1 layer)."""
    for h in range(4, 4097, 4):
        if 18 * h + 3 * (2 * h * h + 2 * h) == row["gru_params"]:
            return h
    raise AssertionError("no width matches gru_params")


def test_gru_matches_the_lru_parameter_count():
    torch.manual_seed(0)
    lru = LRUClassifier(2, 64, 64, 2, vocab_size=18)
    target = sum(p.numel() for p in lru.parameters()) - sum(p.numel() for p in lru.decoder.parameters())
    gru = matched_gru(target, 18, 2)
    n = sum(p.numel() for p in gru.parameters())
    h = gru.gru.hidden_size
    assert h % 4 == 0
    for other in (h - 4, h + 4):  # the closest among hidden widths that are multiples of 4
        m = sum(p.numel() for p in GRUBaseline(18, other, 2).parameters())
        assert abs(n - target) <= abs(m - target)
    rows = benchmark_inference([4], d_model=16, d_state=8, n_layers=2, n_heads=2, repeats=1)
    assert abs(rows[0]["gru_params"] - rows[0]["lru_params"]) < 0.2 * rows[0]["lru_params"]


def test_gru_baseline_step_equals_features():
    torch.manual_seed(1)
    gru = GRUBaseline(10, 12, 2).eval()
    x = torch.randint(0, 10, (3, 7))
    with torch.no_grad():
        feats = gru.features(x)
        h = gru.initial_state(3)
        for t in range(7):
            y, h = gru.step(x[:, t], h)
            torch.testing.assert_close(y, feats[:, t], rtol=1e-5, atol=1e-6)


def test_threads_are_set_for_the_measurement_and_restored():
    before = torch.get_num_threads()
    rows = benchmark_inference([4], d_model=8, d_state=4, n_layers=1, n_heads=2, repeats=1,
                               threads=1)
    assert rows[0]["threads"] == 1 and torch.get_num_threads() == before


@pytest.mark.parametrize("call, exc, match", [
    (lambda: matched_gru(0, 18, 2), ValueError, "n_params"),
    (lambda: matched_gru(100, 1, 2), ValueError, "vocab_size"),
    (lambda: matched_gru(100, 18, 1.5), TypeError, "n_layers"),
    (lambda: GRUBaseline(18, 0, 1), ValueError, "hidden"),
    (lambda: benchmark_inference([4], repeats=0), ValueError, "repeats"),
    (lambda: benchmark_inference("4"), TypeError, "lengths"),
    (lambda: benchmark_inference([4], threads=0), ValueError, "threads"),
])
def test_bad_arguments_are_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
