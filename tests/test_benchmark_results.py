"""benchmarks/_results.py: a stored run is never overwritten, files appear whole."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_results.py"
_spec = importlib.util.spec_from_file_location("benchmark_results", _PATH)
results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results)

NOW = dt.datetime(2026, 11, 30, 21, 5, 7, tzinfo=dt.timezone.utc)


def test_new_stem_keeps_earlier_runs_and_sorts_after_them(tmp_path):
    first = results.new_stem(tmp_path, "cpu", now=NOW)
    assert first == "cpu-2026-11-30"
    (tmp_path / f"{first}.json").write_text("{}", encoding="utf-8")
    second = results.new_stem(tmp_path, "cpu", now=NOW)
    assert second == "cpu-2026-11-30T210507Z"
    (tmp_path / f"{second}.md").write_text("", encoding="utf-8")  # any suffix counts
    later = results.new_stem(tmp_path, "cpu", now=NOW + dt.timedelta(seconds=3))
    assert later == "cpu-2026-11-30T210510Z"
    # chapter 8 shows the newest run: the later names sort after the date-only name
    names = sorted(f"{s}.json" for s in (later, second, first))
    assert names == [f"{first}.json", f"{second}.json", f"{later}.json"]
    with pytest.raises(FileExistsError, match="already stored"):
        results.new_stem(tmp_path, "cpu", now=NOW)
    assert results.new_stem(tmp_path, "cuda", now=NOW) == "cuda-2026-11-30"


def test_write_text_atomic_replaces_whole_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "run.json"
    results.write_text_atomic(path, json.dumps({"a": 1}))
    results.write_text_atomic(path, json.dumps({"a": "ü"}, ensure_ascii=False))
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": "ü"}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_write_text_atomic_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "run.json"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        results.write_text_atomic(path, None)  # not text: fails while writing
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]
