"""Tests for ssmlib.train: schedule, device, presets, the loop, the CLI, the benchmark."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from ssmlib import train as T
from ssmlib.lru import LRUClassifier


TINY = dict(n_train=48, n_val=16, n_test=16, min_length=5, max_length=30, d_model=16,
            d_state=8, n_layers=1, batch_size=16, epochs=1, progress=False)


def test_cosine_warmup_schedule():
    total, warm = 100, 10
    f = [T.cosine_warmup(s, total, warm) for s in range(total)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert f[10] == pytest.approx(1.0)
    assert f[55] == pytest.approx(0.5)  # half-way through the cosine
    assert all(a >= b for a, b in zip(f[10:], f[11:]))
    assert T.cosine_warmup(total, total, warm) == pytest.approx(0.0)


def test_select_device():
    assert T.select_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert T.select_device("auto").type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device"):
            T.select_device("cuda")


def test_presets_cite_s5_sizes():
    p = T.PRESETS["listops"]
    assert (p["d_model"], p["d_state"], p["n_layers"], p["batch_size"], p["epochs"]) == (128, 16, 8, 50, 40)
    assert T.PRESETS["pathx"]["resolution"] == 128 and T.PRESETS["pathx"]["r_min"] == 0.999
    for preset in T.PRESETS.values():
        T.TrainConfig(**preset).validate()


def test_config_validation():
    with pytest.raises(ValueError, match="task"):
        T.TrainConfig(task="imdb").validate()
    with pytest.raises(ValueError, match="batch_size"):
        T.TrainConfig(batch_size=0).validate()
    with pytest.raises(ValueError, match="n_heads"):
        T.TrainConfig(model="transformer", d_model=10, n_heads=4).validate()


def test_train_function_metrics_and_checkpoint(tmp_path):
    m = T.train(T.TrainConfig(**TINY, out_dir=str(tmp_path), seed=1))
    assert set(m) >= {"config", "device", "versions", "history", "test", "timings", "data"}
    assert m["config"]["d_model"] == 16 and m["device"]["type"] in ("cpu", "cuda")
    assert m["data"]["sizes"] == [48, 16, 16]
    assert 0.0 <= m["test"]["accuracy"] <= 1.0 and len(m["history"]) == 1
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    assert on_disk["test"] == m["test"]
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    model = LRUClassifier(10, 16, 8, 1, vocab_size=18)
    model.load_state_dict(state)  # strict: same keys and shapes


def test_train_is_reproducible():
    a = T.train(T.TrainConfig(**TINY, seed=3))
    b = T.train(T.TrainConfig(**TINY, seed=3))
    assert a["history"][0]["train_loss"] == b["history"][0]["train_loss"]
    assert a["test"] == b["test"]


def test_train_learns_listops_above_majority():
    """A short run on easy ListOps (shallow trees) beats the majority class on held-out data."""
    cfg = T.TrainConfig(n_train=600, n_val=100, n_test=200, min_length=3, max_length=12,
                        max_depth=3, d_model=32, d_state=32, n_layers=1, batch_size=32,
                        epochs=6, lr=5e-3, progress=False, seed=0)
    m = T.train(cfg)
    assert m["test"]["accuracy"] > m["data"]["majority_accuracy"]["test"] + 0.1


def test_pathfinder_and_transformer_paths(tmp_path):
    m = T.train(T.TrainConfig(task="pathfinder", model="transformer", n_train=8, n_val=4, n_test=4,
                              resolution=16, d_model=8, n_heads=2, n_layers=1, batch_size=4,
                              epochs=1, progress=False))
    assert m["data"]["n_classes"] == 2 and m["data"]["sizes"] == [8, 4, 4]


def test_listops_release_dir(tmp_path):
    from ssmlib.data import listops as lo

    for i, split in enumerate(("train", "val", "test")):
        lo.write_listops_tsv(tmp_path / f"basic_{split}.tsv",
                             lo.generate_listops(20, min_length=5, max_length=20, seed=i))
    m = T.train(T.TrainConfig(**{**TINY, "data_dir": str(tmp_path)}))
    assert m["data"]["sizes"] == [20, 20, 20] and "release" in m["data"]["source"]
    with pytest.raises(FileNotFoundError):
        T.train(T.TrainConfig(**{**TINY, "data_dir": str(tmp_path / "missing")}))


def test_cli_one_epoch(tmp_path, capsys):
    rc = T.main(["--task", "listops", "--epochs", "1", "--n-train", "32", "--n-val", "16",
                 "--n-test", "16", "--min-length", "5", "--max-length", "30", "--d-model", "16",
                 "--d-state", "8", "--n-layers", "1", "--out-dir", str(tmp_path), "--no-progress"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["metrics"] == str(tmp_path / "metrics.json")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["n_train"] == 32 and metrics["config"]["epochs"] == 1
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_cli_preset_then_override():
    cfg = T.config_from_args(["--task", "listops", "--preset", "--epochs", "2"])
    assert cfg.d_model == 128 and cfg.n_layers == 8 and cfg.epochs == 2
    with pytest.raises(SystemExit):
        T.config_from_args(["--task", "nope"])


def test_transformer_step_equals_forward():
    torch.manual_seed(0)
    tf = T.TransformerClassifier(3, d_model=8, n_layers=2, n_heads=2, vocab_size=10).double().eval()
    x = torch.randint(1, 10, (2, 9))
    feats = tf.features(x)
    caches = None
    for t in range(9):
        h, caches = tf.step(x[:, t], caches, position=t)
        torch.testing.assert_close(h, feats[:, t], rtol=1e-10, atol=1e-10)  # float64


def test_benchmark_inference_rows():
    rows = T.benchmark_inference([16, 64], d_model=16, d_state=8, n_layers=1, n_heads=2, repeats=2)
    assert [r["length"] for r in rows] == [16, 64]
    assert rows[0]["lru_state_bytes"] == rows[1]["lru_state_bytes"] == 8 * 8  # complex64 (1, 8)
    assert rows[1]["tf_state_bytes"] == 4 * rows[0]["tf_state_bytes"]  # cache grows with L
    assert all(r[k] > 0 for r in rows for k in ("lru_step_s", "tf_step_s", "lru_seq_s", "tf_seq_s"))
