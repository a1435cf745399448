"""Tests of scripts/gpu_run.sh, the prepared GPU session (issue 16): argument handling, and a
cheap --smoke step on CPU (the full --smoke run takes minutes: run it by hand,
``bash scripts/gpu_run.sh --smoke --out /tmp/gpu_smoke``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_run.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None,
                                reason="needs bash and coreutils timeout")


def run(*args, env=None, timeout=120):
    full_env = {**os.environ, "PY": sys.executable, **(env or {})}
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def test_help_describes_steps_and_device_call():
    proc = run("--help")
    assert proc.returncode == 0
    for word in ("--smoke", "--out", "--resume-from", "--final", "provenance.json", "timeout_s",
                 "benchmarks/results/", "book/data/lra/"):
        assert word in proc.stdout, word


@pytest.mark.parametrize("args, message", [
    (("--bogus",), "unknown argument"),
    (("--out",), "--out needs a folder"),
    (("--only", "tests,nonsense"), "unknown step 'nonsense'"),
    (("--resume-from", "/nonexistent/folder"), "--resume-from needs an existing folder"),
])
def test_bad_arguments_exit_2_with_a_message(tmp_path, args, message):
    proc = run(*args, "--out", str(tmp_path / "out")) if args[0] != "--out" else run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "out").exists()  # nothing started


def test_bad_time_cap_exits_2(tmp_path):
    proc = run("--smoke", "--out", str(tmp_path), env={"T_LISTOPS": "ten"})
    assert proc.returncode == 2 and "T_LISTOPS must be a positive integer" in proc.stderr


def test_smoke_listops_step_writes_results_and_provenance(tmp_path):
    """One step of --smoke (ListOps: data generated in the background, 20 LRU training steps)."""
    out = tmp_path / "out"
    env = {"GPU_RUN_DATA": str(tmp_path / "data"), "TMPDIR": str(tmp_path)}
    proc = run("--smoke", "--only", "listops", "--out", str(out), "--commit", "abc123", env=env,
               timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["listops_lru.tar.gz", "logs.tar.gz", "provenance.json"]
    assert all(p.is_file() for p in out.iterdir())  # no subfolders: the device tool returns files
    info = json.loads((out / "provenance.json").read_text())
    assert info["git_commit"] == "abc123" and info["smoke"] is True
    assert {"torch", "triton", "device", "date_utc", "command"} <= info.keys()
    steps = {s["step"]: s for s in info["steps"]}
    assert steps["data"]["exit"] == 0 and steps["listops"]["exit"] == 0
    with tarfile.open(out / "listops_lru.tar.gz") as tar:
        names = tar.getnames()
        metrics = json.load(tar.extractfile("listops_lru_gpu/metrics.json"))
    assert "listops_lru_gpu/state.pt" in names and "listops_lru_gpu/data_provenance.json" in names
    assert metrics["test"]["accuracy"] is not None
    with tarfile.open(out / "logs.tar.gz") as tar:
        assert "logs/listops.log" in tar.getnames()
