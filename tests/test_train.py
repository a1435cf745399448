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


# --- faults: interruption, resume, divergence, existing runs, strict JSON ---------------------
RESUMABLE = dict(TINY, epochs=2, dropout=0.1, seed=5)  # 3 steps per epoch; dropout uses the RNG


def _strict_json(path):
    def no_constants(name):
        raise AssertionError(f"{path} holds {name}: not strict JSON")
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)


@pytest.mark.parametrize("stop_at", [2, 3, 5])
def test_interrupt_then_resume_equals_uninterrupted(tmp_path, stop_at):
    """Stopping after step ``stop_at`` (mid-epoch or at an epoch boundary) and resuming gives
    exactly the numbers of an uninterrupted run: same RNG, data order, optimizer and schedule."""
    ref = T.train(T.TrainConfig(**RESUMABLE, out_dir=str(tmp_path / "ref")))
    out = tmp_path / "run"
    cfg = T.TrainConfig(**RESUMABLE, out_dir=str(out))
    losses = []

    def stop(step, loss):
        losses.append(loss)
        if step == stop_at:
            T.request_stop("test")

    with pytest.raises(T.TrainingInterrupted, match="resume"):
        T.train(cfg, on_step=stop)
    saved = _strict_json(out / "metrics.json")
    assert saved["status"] == "interrupted" and saved["timings"]["steps"] == stop_at
    with pytest.raises(FileExistsError, match="resume"):
        T.train(cfg)  # never silently replaces the interrupted run
    done = T.train(cfg, resume=True, on_step=lambda s, l: losses.append(l))
    assert done["status"] == "completed" and done["resumed"]
    assert len(losses) == ref["timings"]["steps"] == 6
    for a, b in zip(ref["history"], done["history"]):  # exact: same operations on CPU
        for k in ("steps", "train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            assert a[k] == b[k], k
    assert done["test"] == ref["test"]
    a = torch.load(tmp_path / "ref" / "checkpoint.pt", weights_only=True)
    b = torch.load(out / "checkpoint.pt", weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="already finished"):
        T.train(cfg, resume=True)


def test_sigint_finishes_the_step_and_saves(tmp_path):
    import signal

    cfg = T.TrainConfig(**RESUMABLE, out_dir=str(tmp_path))
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN in a background job
    with pytest.raises(T.TrainingInterrupted, match="SIGINT"):
        T.train(cfg, on_step=lambda s, l: signal.raise_signal(signal.SIGINT) if s == 1 else None)
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["step"] == 1 and state["batch"] == 1 and not state["finished"]
    assert signal.getsignal(signal.SIGINT) is before  # the caller's handler restored


def test_resume_refuses_a_different_config(tmp_path):
    cfg = T.TrainConfig(**RESUMABLE, out_dir=str(tmp_path))
    with pytest.raises(T.TrainingInterrupted):
        T.train(cfg, on_step=lambda s, l: T.request_stop() if s == 1 else None)
    with pytest.raises(ValueError, match="lr"):
        T.train(cfg, resume=True, lr=1e-4)
    with pytest.raises(FileNotFoundError, match="state.pt"):
        T.train(T.TrainConfig(**TINY, out_dir=str(tmp_path / "empty")), resume=True)


def test_divergence_stops_with_a_cause_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    cfg = T.TrainConfig(**RESUMABLE, out_dir=str(tmp_path))
    built, good = [], {}
    build = T.build_model
    monkeypatch.setattr(T, "build_model", lambda *a: built.append(build(*a)) or built[-1])

    def corrupt(step, loss):
        if step == 4:  # during epoch 2: poison the decoder, the next loss is not finite
            good.update(torch.load(tmp_path / "checkpoint.pt", weights_only=True))
            with torch.no_grad():
                built[0].decoder.weight.fill_(float("inf"))

    with pytest.raises(T.TrainingDiverged, match="learning rate.*grad_clip"):
        T.train(cfg, on_step=corrupt)
    metrics = _strict_json(tmp_path / "metrics.json")
    assert metrics["status"] == "diverged" and "lr=" in metrics["reason"]
    kept = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert all(torch.equal(kept[k], good[k]) for k in kept)
    assert all(torch.isfinite(v).all() for v in kept.values())


def test_overwrite_replaces_a_run(tmp_path):
    cfg = T.TrainConfig(**TINY, out_dir=str(tmp_path))
    T.train(cfg)
    with pytest.raises(FileExistsError, match="overwrite"):
        T.train(cfg)
    m = T.train(cfg, overwrite=True)
    assert m["status"] == "completed"
    with pytest.raises(ValueError, match="resume and overwrite"):
        T.train(cfg, resume=True, overwrite=True)


def test_empty_validation_split_gives_null_with_reason(tmp_path):
    m = T.train(T.TrainConfig(**{**TINY, "n_val": 0}, out_dir=str(tmp_path)))
    assert m["history"][0]["val_accuracy"] is None and m["val_accuracy"] is None
    assert m["history"][0]["val_reason"] == "empty split"
    assert m["data"]["majority_accuracy"]["val"] is None
    on_disk = _strict_json(tmp_path / "metrics.json")
    assert on_disk["test"]["accuracy"] is not None
    assert T.evaluate_model(LRUClassifier(2, 4, 2, 1, vocab_size=5), [], "cpu")["reason"] == "empty split"


def test_cli_bad_values_are_usage_errors(tmp_path, capsys):
    for argv in (["--grad-clip", "-1"], ["--lr", "inf"], ["--dropout", "1.5"], ["--device", "gpu7"],
                 ["--min-length", "50", "--max-length", "20"], ["--resume"]):
        with pytest.raises(SystemExit) as exc:
            T.main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err
    T.train(T.TrainConfig(**TINY, out_dir=str(tmp_path)))
    args = ["--n-train", "48", "--n-val", "16", "--n-test", "16", "--min-length", "5",
            "--max-length", "30", "--d-model", "16", "--d-state", "8", "--n-layers", "1",
            "--epochs", "1", "--no-progress", "--out-dir", str(tmp_path)]
    assert T.main(args) == 2 and "already holds a run" in capsys.readouterr().err
    assert T.main(args + ["--overwrite"]) == 0


def test_resume_with_a_pathlike_out_dir(tmp_path):
    cfg = T.TrainConfig(**RESUMABLE, out_dir=tmp_path / "run")  # a Path, not a str
    with pytest.raises(T.TrainingInterrupted):
        T.train(cfg, on_step=lambda s, l: T.request_stop() if s == 2 else None)
    assert T.train(cfg, resume=True)["status"] == "completed"


@pytest.mark.parametrize("n_heads", [1, 2])
def test_transformer_preallocated_cache_equals_forward(n_heads):
    """The in-place KVCache gives the full forward's features (float64, rounding) and the
    legacy torch.cat cache's, token by token; misuse names the argument."""
    torch.manual_seed(1)
    tf = T.TransformerClassifier(3, d_model=8, n_layers=2, n_heads=n_heads, vocab_size=10,
                                 max_len=16).double().eval()
    x = torch.randint(1, 10, (3, 11))
    with torch.no_grad():
        feats = tf.features(x)
        cache, legacy = tf.new_cache(3, capacity=12), None
        for t in range(11):
            h, cache = tf.step(x[:, t], cache, position=t)
            h_cat, legacy = tf.step(x[:, t], legacy, position=t)
            torch.testing.assert_close(h, feats[:, t], rtol=1e-12, atol=1e-12)  # float64
            torch.testing.assert_close(h, h_cat, rtol=1e-12, atol=1e-12)
    assert cache.length == 11 and cache.nbytes() == sum(t.numel() * 8 for kv in legacy for t in kv)
    for k_pre, (k_cat, _) in zip(cache.keys, legacy):
        torch.testing.assert_close(k_pre[:, :, :11], k_cat, rtol=0, atol=0)
    with pytest.raises(ValueError, match="position"):
        tf.step(x[:, 0], cache, position=3)  # not the cache's length
    with pytest.raises(ValueError, match="position"):
        tf.step(x[:, 0], cache.truncate(12), position=12)  # full
    with pytest.raises(ValueError, match="capacity"):
        tf.new_cache(3, capacity=17)
    with pytest.raises(ValueError, match="length"):
        cache.truncate(13)
    # restarting from a shorter prefix reuses the buffers
    h, _ = tf.step(x[:, 4], cache.truncate(4), position=4)
    torch.testing.assert_close(h, feats[:, 4], rtol=1e-12, atol=1e-12)


# --- positions, and length generalization (chapter 11) --------------------------------------
def test_sinusoidal_positions_match_the_formula():
    """Vaswani et al. (2017), section 3.5, written out with numpy (float64 oracle)."""
    from ssmlib.transformer import sinusoidal_positions

    for d in (6, 7):
        p = np.arange(0, 3000, 37)
        want = np.zeros((p.size, d))
        for j in range(d):
            angle = p / 10000.0 ** ((j - j % 2) / d)
            want[:, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
        got = sinusoidal_positions(torch.from_numpy(p), d, torch.float64).numpy()
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)  # float64 throughout
        assert sinusoidal_positions(torch.from_numpy(p), d).dtype == torch.float32
    with pytest.raises(ValueError, match="positions"):
        sinusoidal_positions(torch.tensor([3, -1]), 4)
    with pytest.raises(TypeError, match="positions"):
        sinusoidal_positions(torch.tensor([0.5]), 4)
    with pytest.raises(TypeError, match="dtype"):
        sinusoidal_positions(torch.tensor([1]), 4, torch.int64)


def test_sinusoidal_transformer_reads_past_max_len_and_learned_does_not():
    torch.manual_seed(2)
    sin = T.TransformerClassifier(3, d_model=8, n_layers=2, n_heads=2, vocab_size=10, max_len=4,
                                  positions="sinusoidal").double().eval()
    assert sin.pos is None and not any("pos" in n for n, _ in sin.named_parameters())
    x = torch.randint(1, 10, (2, 13))
    with torch.no_grad():
        feats = sin.features(x)  # 13 > max_len = 4: fine without learned embeddings
        cache = sin.new_cache(2, capacity=13)
        for t in range(13):
            h, cache = sin.step(x[:, t], cache, position=t)
            torch.testing.assert_close(h, feats[:, t], rtol=1e-12, atol=1e-12)  # float64
    learned = T.TransformerClassifier(3, d_model=8, n_layers=1, n_heads=2, vocab_size=10,
                                      max_len=4)
    assert learned.positions == "learned"
    with pytest.raises(ValueError, match="max_len"):
        learned.features(x)
    with pytest.raises(ValueError, match="positions"):
        T.TransformerClassifier(3, vocab_size=10, positions="rotary")


def test_length_generalization_trains_and_tests_every_length():
    r = T.length_generalization("lru", train_length=8, test_lengths=[8, 16], steps=60,
                                batch_size=16, d_model=16, d_state=8, n_layers=1, n_test=64,
                                seed=0)
    assert r["lengths"] == [8, 16] and len(r["accuracy"]) == 2 and r["positions"] is None
    assert r["accuracy"][0] > 0.5  # 4 classes: chance is 0.25; first-token recall at L = 8
    assert r["steps"] == 60 and r["train_s"] > 0
    assert r["n_params"] == sum(p.numel() for p in r["module"].parameters())
    again = T.length_generalization("lru", train_length=8, test_lengths=[8, 16], steps=60,
                                    batch_size=16, d_model=16, d_state=8, n_layers=1, n_test=64,
                                    seed=0)
    assert again["accuracy"] == r["accuracy"]  # seeded
    tf = T.length_generalization("transformer", train_length=8, steps=5, batch_size=8,
                                 d_model=8, n_heads=2, n_layers=1, n_test=8)
    assert tf["lengths"] == [8, 16, 32, 64] and tf["positions"] == "sinusoidal"
    assert tf["module"].positions == "sinusoidal"


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(model="gru"), ValueError, "model"), (dict(train_length=1), ValueError, "train_length"),
    (dict(test_lengths=[]), ValueError, "test_lengths"),
    (dict(test_lengths="64"), TypeError, "test_lengths"),
    (dict(test_lengths=[0]), ValueError, "test_lengths"), (dict(steps=0), ValueError, "steps"),
    (dict(lr=-1.0), ValueError, "lr"), (dict(n_classes=1), ValueError, "n_classes"),
    (dict(model="transformer", d_model=6, n_heads=4), ValueError, "n_heads"),
    (dict(r_min=0.5, r_max=0.4), ValueError, "r_min")])
def test_length_generalization_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        T.length_generalization(**kwargs)
