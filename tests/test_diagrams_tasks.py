"""Tests for ssmlib.diagrams.tasks: the inputs of the LRA tasks (chapter 11)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ssmlib as sl  # noqa: E402
from ssmlib.diagrams import tasks  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_reachable_from_the_package():
    assert sl.diagrams.token_tasks_diagram is tasks.token_tasks_diagram
    assert sl.diagrams.image_tasks_diagram is tasks.image_tasks_diagram
    assert tasks.__all__ == ["token_tasks_diagram", "image_tasks_diagram"]


def test_token_tasks_draw_the_generated_listops_expression():
    fig = tasks.token_tasks_diagram(seed=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    titles = [t.get_text() for t in ax.texts if t.get_gid() == "title"]
    assert [t.split()[0] for t in titles] == ["ListOps", "Text", "Retrieval"]
    assert "schematic" in titles[1] and "schematic" in titles[2]
    assert "generated" in titles[0]
    # the ListOps boxes spell the tokens of the generated expression, whose value is the label
    tok = sl.data.ListOpsTokenizer()
    source, label = sl.data.generate_listops(1, min_length=10, max_length=17, max_depth=3,
                                             seed=2)[0]
    drawn = [t.get_text() for t in ax.texts if t.get_gid() == "listops"]
    assert drawn == tok.decode(tok.encode(source)).split()
    assert f"label {label}" in titles[0] and sl.data.evaluate(source) == label
    boxes = {g: sum(p.get_gid() == g for p in ax.patches) for g in ("listops", "text", "retrieval")}
    assert boxes["listops"] == len(drawn) and boxes["text"] == len("a great film")
    assert boxes["retrieval"] == 24  # two documents of 12 bytes
    # the byte values under the text row are the UTF-8 codes of the characters
    codes = [t.get_text() for t in ax.texts if t.get_gid() == "byte"]
    assert codes == [str(b) for b in b"a great film"]
    assert fig.get_size_inches()[0] == pytest.approx(7.0)
    assert min(t.get_fontsize() for t in ax.texts) >= 9
    fig.canvas.draw()


def test_image_tasks_mark_the_dots_at_their_steps():
    fig = tasks.image_tasks_diagram(seed=0)
    assert len(fig.axes) == 6
    titles = [a.get_title() for a in fig.axes[:3]]
    assert titles[0].startswith("Image (schematic)")
    assert titles[1].startswith("Pathfinder") and titles[2].startswith("Path-X")
    assert [a.get_xlim()[1] for a in fig.axes[3:]] == [64, 1024, 16384]
    for res, ax in ((32, fig.axes[4]), (128, fig.axes[5])):
        X, _, geo = sl.data.generate_pathfinder(1, res, seed=0, return_geometry=True)
        dots = sorted(ln.get_xdata()[0] for ln in ax.lines if ln.get_gid() == "dot")
        # step k = row * W + col + 1 of the pixel under each dot; the dots are bright there
        want = sorted(int(y) * res + int(x) + 1 for x, y in geo[0]["markers"])
        assert dots == want
        flat = X[0].reshape(-1)
        assert all(flat[k - 1] > 128 for k in want)
        # the plotted sequence is the image read row by row
        seq = next(ln for ln in ax.lines if ln.get_gid() != "dot")
        np.testing.assert_array_equal(seq.get_ydata(), flat.astype(float))
    fig.canvas.draw()


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(seed=-1), ValueError, "seed"), (dict(seed=1.5), TypeError, "seed"),
    (dict(seed=True), TypeError, "seed"), (dict(max_tokens=30), ValueError, "max_tokens"),
    (dict(max_tokens="9"), TypeError, "max_tokens")])
def test_token_tasks_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        tasks.token_tasks_diagram(**kwargs)


@pytest.mark.parametrize("seed, err", [(-2, ValueError), ("0", TypeError)])
def test_image_tasks_bad_seed(seed, err):
    with pytest.raises(err, match="seed"):
        tasks.image_tasks_diagram(seed=seed)
