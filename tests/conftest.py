"""Shared test fixtures: a headless matplotlib, and one book build per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# Tiny models on a 2-core machine run far faster on one thread than fighting over two.
# torch is optional (the extra ssmlib[torch]): CI runs the chapter 1-7 tests in a venv without it.
try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    pass

ROOT = Path(__file__).resolve().parents[1]
BOOK_DIR = ROOT / "book"
BUILD_DIR = ROOT / "_build"


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Give every test one intra-op thread, whatever the previous test set (training sets it)."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    yield


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close("all")


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the whole book once per session, from a clean ``_build``.

    Runs ``jupyter-book build . -W --keep-going`` with ``SSMBOOK_STATIC=1``, the
    way ``make book`` does, so every chapter is executed (a failing cell fails the
    build: ``raise_on_error: true`` in ``_config.yml``) and every Sphinx warning
    (a broken reference, a missing citation) is an error.
    Set ``SSMBOOK_SKIP_BOOK=1`` to skip the tests that need it during development.
    """
    if os.environ.get("SSMBOOK_SKIP_BOOK") == "1":
        pytest.skip("SSMBOOK_SKIP_BOOK=1: book build skipped")
    jb = Path(sys.executable).parent / "jupyter-book"
    if not jb.exists():
        pytest.fail(f"jupyter-book is not installed next to {sys.executable}")
    if not (BOOK_DIR / "_static" / "mathjax" / "tex-chtml.js").exists():
        pytest.fail("MathJax is not vendored: run `make mathjax` (make test does it)")
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    # The kernels must use their inline backend: an inherited MPLBACKEND=Agg would drop every figure.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["SSMBOOK_STATIC"] = "1"
    start = time.perf_counter()
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "-W", "--keep-going"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    BUILD_DIR.mkdir(exist_ok=True)
    log = BUILD_DIR / "book-build.log"
    log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-80:])
        pytest.fail(f"book build failed (exit {proc.returncode}, {elapsed:.0f} s); log: {log}\n{tail}")
    print(f"\nbook build: {elapsed:.0f} s")
    return BUILD_DIR / "html"
