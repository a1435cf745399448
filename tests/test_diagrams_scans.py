"""Diagrams of chapter 8 (ssmlib.diagrams.scans): what each figure must show, bad arguments."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.diagrams import scans  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig) -> list[str]:
    out = [t.get_text() for ax in fig.axes for t in ax.texts]
    out += [ax.get_title() for ax in fig.axes]
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


def _arrows(fig) -> int:
    return sum(1 for ax in fig.axes for t in ax.texts if getattr(t, "arrow_patch", None) is not None)


def _fonts_at_least_9pt(fig) -> None:
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_text():
                assert t.get_fontsize() >= 9, (t.get_text(), t.get_fontsize())


def test_public_names():
    assert set(scans.__all__) == {"hillis_steele_diagram", "blelloch_diagram", "chunked_scan_diagram"}
    for name in scans.__all__:
        assert getattr(sl.diagrams, name) is getattr(scans, name)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_hillis_steele_diagram_nodes_and_counts(n):
    fig = sl.diagrams.hillis_steele_diagram(n)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert fig.get_figwidth() == pytest.approx(7.0)
    texts = _texts(fig)
    depth = n.bit_length() - 1
    work = n * depth - n + 1  # sum_j (n - 2^j) combines
    assert f"depth {depth} levels, work {work} combines" in fig.axes[0].get_title()
    # the last row is the inclusive scan: node k holds e_1 o ... o e_k (1 for k = 1)
    assert all(f"1:{k}" in texts for k in range(2, n + 1))
    assert texts.count("1") >= depth + 1  # element 1 never changes
    assert sum(1 for t in texts if t.startswith("level ")) == depth
    # one arrow per element per level (carried or combined), plus one per combine
    assert _arrows(fig) == n * depth + work
    _fonts_at_least_9pt(fig)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_blelloch_diagram_sweeps_and_exclusive_result(n):
    fig = sl.diagrams.blelloch_diagram(n)
    texts = _texts(fig)
    depth = 2 * (n.bit_length() - 1)
    assert f"depth {depth} levels, work {2 * (n - 1)} combines" in fig.axes[0].get_title()
    assert sum(1 for t in texts if t.startswith("up-sweep")) == depth // 2
    assert sum(1 for t in texts if t.startswith("down-sweep")) == depth // 2
    assert any("identity" in t for t in texts)
    assert {"into a combine", "copy", "unchanged"} <= set(texts)
    # the last row (last n node labels drawn) is the exclusive scan: -, 1, 1:2, ..., 1:n-1
    nodes = [t for t in texts if re.fullmatch(r"-|\d+(:\d+)?", t)]
    expected = ["-", "1"] + [f"1:{k}" for k in range(2, n)]
    assert nodes[-n:] == expected[:n]
    # the up-sweep's root holds the whole product
    assert f"1:{n}" in texts
    _fonts_at_least_9pt(fig)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_diagram_rows_are_the_library_schedules(n):
    """The trees are drawn from ssmlib.schedules (one source): every combine arrow of
    a level is a pair of the library's schedule, and the work in the title is its count."""
    from ssmlib.schedules import blelloch_schedule, hillis_steele_schedule

    hs = sl.diagrams.hillis_steele_diagram(n=n)
    work = sum(len(level) for level in hillis_steele_schedule(n))
    assert f"work {work} combines" in hs.axes[0].get_title()
    bl = sl.diagrams.blelloch_diagram(n=n)
    work = sum(len(p) for _, p in blelloch_schedule(n))
    assert f"work {work} combines" in bl.axes[0].get_title()
    assert f"depth {len(blelloch_schedule(n))} levels" in bl.axes[0].get_title()


def test_schedules_import_without_torch():
    """ssmlib.schedules and the scan diagrams need neither torch nor numpy's scan code:
    a fresh interpreter that blocks torch imports them."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "import ssmlib.schedules, ssmlib.diagrams.scans\n"
            "print(len(ssmlib.schedules.blelloch_schedule(8)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "6"


@pytest.mark.parametrize("length, chunk", [(16, 4), (8, 2), (16, 8), (12, 3)])
def test_chunked_scan_diagram_three_phases_and_programs(length, chunk):
    fig = sl.diagrams.chunked_scan_diagram(length=length, chunk=chunk)
    texts = _texts(fig)
    n_chunks = length // chunk
    for phase in ("1. local scans", "2. carry scan", "3. fix-up"):
        assert phase in texts
    assert [f"{k}" for k in range(1, length + 1)] == [t for t in texts if t.isdigit()]
    assert all(f"$c = {c}$" in texts for c in range(1, n_chunks + 1))
    assert all(f"$h_{{{c}}}$" in texts for c in range(1, n_chunks + 1))
    assert "$x_0$" in texts
    assert sum(1 for t in texts if t.startswith("$P_{")) == n_chunks  # one summary per chunk
    assert any("(B, N-tiles, L-chunks)" in t for t in texts)
    assert f"$C = {n_chunks}$ chunks of $T = {chunk}$" in fig.axes[0].get_title()
    _fonts_at_least_9pt(fig)


@pytest.mark.parametrize(
    "func, kwargs, exc, match",
    [
        ("hillis_steele_diagram", {"n": 6}, ValueError, "n must be a power of two"),
        ("hillis_steele_diagram", {"n": 16}, ValueError, "n must be"),
        ("hillis_steele_diagram", {"n": 1}, ValueError, "n must be"),
        ("hillis_steele_diagram", {"n": 4.0}, TypeError, "n must be an int"),
        ("blelloch_diagram", {"n": 12}, ValueError, "n must be"),
        ("blelloch_diagram", {"n": "8"}, TypeError, "n must be an int"),
        ("chunked_scan_diagram", {"length": 64}, ValueError, "length must be"),
        ("chunked_scan_diagram", {"length": 2, "chunk": 1}, ValueError, "length must be"),
        ("chunked_scan_diagram", {"length": 16, "chunk": 1}, ValueError, "chunk must be"),
        ("chunked_scan_diagram", {"length": 16, "chunk": 16}, ValueError, "chunk must be"),
        ("chunked_scan_diagram", {"length": 16, "chunk": 5}, ValueError, "chunk must divide"),
        ("chunked_scan_diagram", {"length": 16, "chunk": True}, TypeError, "chunk must be an int"),
    ],
)
def test_bad_arguments_name_themselves(func, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        getattr(sl.diagrams, func)(**kwargs)


def test_module_needs_no_torch():
    code = ("import sys; import ssmlib.diagrams.scans as s; s.hillis_steele_diagram(4);"
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", "import matplotlib; matplotlib.use('Agg');" + code],
                   check=True, timeout=120)
