"""Where and how the benchmark scripts store a run: new names, atomic writes.

A run is stored as ``<kind>-<date>.json`` (and ``.md``) in the results folder. If a
run of the same kind was already stored that day, the new one is named
``<kind>-<date>T<HHMMSS>Z`` (UTC) instead, which sorts after it (chapter 8 shows
the newest file by name), so an earlier run is never overwritten. Files are
written to a temporary file in the same folder and moved into place with
``os.replace``: an interrupted run leaves no half-written file.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ssmlib.runstate import _atomic_write


def new_stem(folder: Path, kind: str, suffixes: tuple[str, ...] = (".json", ".md"),
             now: _dt.datetime | None = None) -> str:
    """A file stem in ``folder`` that no stored run uses with any of ``suffixes``."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    candidates = [f"{kind}-{now.date().isoformat()}", f"{kind}-{now:%Y-%m-%dT%H%M%S}Z"]
    for stem in candidates:
        if not any((folder / (stem + s)).exists() for s in suffixes):
            return stem
    raise FileExistsError(f"{folder}: a run named {candidates[-1]} is already stored; "
                          "wait a second and run again")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: ssmlib's own temporary file +
    ``os.replace`` writer (:mod:`ssmlib.runstate`), as for training runs."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    data = text.encode("utf-8")
    _atomic_write(Path(path), lambda f: f.write(data))
