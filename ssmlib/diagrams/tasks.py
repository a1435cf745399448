"""The inputs of the Long Range Arena tasks, as a sequence model reads them (chapter 11).

Every LRA task hands the model one sequence (two for Retrieval), one token or one
pixel per step :math:`k = 1, \\dots, L`.

* :func:`token_tasks_diagram`: ListOps (a generated expression, token by token),
  Text (bytes) and Retrieval (two byte sequences, encoded separately). The
  ListOps row is drawn from :func:`ssmlib.data.generate_listops`; the Text and
  Retrieval rows are schematic (short made-up strings, not IMDb reviews or ACL
  papers) and are labelled so.
* :func:`image_tasks_diagram`: an image read pixel by pixel, row by row. Image
  (CIFAR-10) is schematic (a small synthetic picture, labelled so); Pathfinder
  (32x32) and Path-X (128x128) are generated with
  :func:`ssmlib.data.generate_pathfinder`, with the steps at which the two dots
  are read marked on the flattened sequence.

Only matplotlib and numpy are needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["token_tasks_diagram", "image_tasks_diagram"]

#: Font size (points) of the token labels; the figures are drawn at page width.
TOKEN_SIZE = 9
_INK = "0.15"
_BOX = "#dbe7f3"
_KEY = "#f6d7a7"


def _check_seed(seed: Any) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    return int(seed)


def _token_row(ax: Any, y: float, tokens: list[str], *, x0: float = 0.0, width: float = 0.62,
               color: str = _BOX, gid: str, steps: bool = True) -> float:
    """One box per token at height ``y``, the step index k under the first and last box.

    Returns the x coordinate just right of the last box.
    """
    from matplotlib.patches import Rectangle

    x = x0
    for j, tok in enumerate(tokens):
        ax.add_patch(Rectangle((x, y - 0.3), width * 0.92, 0.6, facecolor=color,
                               edgecolor=_INK, lw=0.6, gid=gid))
        ax.text(x + width * 0.46, y, tok, ha="center", va="center", fontsize=TOKEN_SIZE,
                family="monospace", gid=gid)
        if steps and (j == 0 or j == len(tokens) - 1):
            ax.text(x + width * 0.46, y - 0.48, f"$k={j + 1}$", ha="center", va="top",
                    fontsize=TOKEN_SIZE, color="0.35")
        x += width
    return x


def token_tasks_diagram(*, seed: int = 2, max_tokens: int = 16) -> Any:
    """ListOps, Text and Retrieval as the token sequences a model reads.

    Parameters
    ----------
    seed : int
        Seed of the generated ListOps expression (:func:`ssmlib.data.generate_listops`,
        depth at most 3, 10 to ``max_tokens`` tokens).
    max_tokens : int, in [10, 16]
        Longest ListOps expression drawn (one box per token must fit the page width).

    Returns
    -------
    matplotlib.figure.Figure
        One axes without ticks. Row titles are texts starting with ``"ListOps"``,
        ``"Text"`` and ``"Retrieval"``; the token boxes are patches with ``gid``
        ``"listops"``, ``"text"`` and ``"retrieval"`` (the byte values under the text
        row: texts with ``gid="byte"``). The ListOps title gives the
        label of the drawn expression (its value, :func:`ssmlib.data.evaluate`).

    Raises
    ------
    TypeError
        ``seed`` or ``max_tokens`` not an int.
    ValueError
        ``seed`` negative, ``max_tokens`` outside [10, 16].
    """
    import matplotlib.pyplot as plt

    from ..data import ListOpsTokenizer, evaluate, generate_listops
    from ..explorers._style import RC, WIDTH, check_int
    from ..widgets import style_context

    seed = _check_seed(seed)
    max_tokens = check_int(max_tokens, "max_tokens", 10, 16)
    tok = ListOpsTokenizer()
    source, label = generate_listops(1, min_length=10, max_length=max_tokens + 1, max_depth=3,
                                     seed=seed)[0]
    tokens = tok.decode(tok.encode(source)).split()
    assert evaluate(source) == label

    text = "a great film"
    doc1, doc2 = "see [12] for", "[12] we show"
    with style_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH, 4.3), layout="constrained")
        ax.set_axis_off()
        ax.set_xlim(-0.1, 10.6)
        ax.set_ylim(-0.9, 8.1)
        # ListOps: generated
        ax.text(0, 7.75, f"ListOps (generated): {len(tokens)} tokens, label {label} "
                "(the value of the expression)", fontsize=10, va="center", gid="title")
        _token_row(ax, 7.0, tokens, gid="listops")
        # Text: schematic bytes
        ax.text(0, 5.55, "Text (schematic): one byte per step, the label is the review's "
                "sentiment", fontsize=10, va="center", gid="title")
        _token_row(ax, 4.9, [c if c != " " else "\u2423" for c in text], gid="text",
                   steps=False)
        for j, b in enumerate(text.encode()):
            ax.text(j * 0.62 + 0.29, 4.45, str(b), ha="center", va="top", fontsize=TOKEN_SIZE,
                    color="0.35", gid="byte")
        ax.text(len(text) * 0.62 + 0.2, 4.9, "\u2026 up to 4K bytes (IMDb reviews)",
                fontsize=10, va="center")
        ax.text(len(text) * 0.62 + 0.2, 4.3, "byte values ($k$ = 1, 2, ...)",
                fontsize=TOKEN_SIZE, va="center", color="0.35")
        # Retrieval: schematic, two documents, one shared encoder (no attention across)
        ax.text(0, 3.05, "Retrieval (schematic): two documents of up to 4K bytes each; does "
                "one cite the other?", fontsize=10, va="center", gid="title")
        for yy, doc, name in ((2.2, doc1, "doc. 1"), (0.4, doc2, "doc. 2")):
            ax.text(0, yy, name, fontsize=10, va="center")
            end = _token_row(ax, yy, [c if c != " " else "\u2423" for c in doc], x0=1.0,
                             gid="retrieval")
            ax.annotate("", xy=(end + 0.9, 1.3), xytext=(end + 0.1, yy),
                        arrowprops=dict(arrowstyle="->", color=_INK, lw=0.9))
        ax.text(end + 1.0, 1.3, "one encoder\nreads each,\nthen compare\n(2 classes)",
                fontsize=10, va="center", ha="left")
    return fig


def _schematic_image(n: int = 8) -> np.ndarray:
    """A small synthetic greyscale picture (a bright disc on a gradient), values 0-255."""
    r, c = np.mgrid[0:n, 0:n]
    img = 60 + 120 * c / (n - 1)
    img[(r - 0.35 * n) ** 2 + (c - 0.6 * n) ** 2 < (0.25 * n) ** 2] = 240
    img[r > 0.75 * n] = 40
    return img.astype(np.uint8)


def image_tasks_diagram(*, seed: int = 0) -> Any:
    """Image, Pathfinder and Path-X: a picture read pixel by pixel, row by row.

    Top row: the pictures (Image is schematic: an 8x8 synthetic picture standing for
    a 32x32 CIFAR-10 one; Pathfinder 32x32 and Path-X 128x128 are generated with
    :func:`ssmlib.data.generate_pathfinder`, ``seed``, label 1: the dots are
    joined). Bottom row: the same pixels as the sequence the model reads, pixel
    ``(row, col)`` of a ``W``-wide picture at step ``k = row * W + col + 1``; for
    Pathfinder and Path-X, the steps of the pixels under the two dots are marked.

    Parameters
    ----------
    seed : int
        Seed of the generated Pathfinder and Path-X images.

    Returns
    -------
    matplotlib.figure.Figure
        Six axes: three images (titles start with ``"Image"``, ``"Pathfinder"``,
        ``"Path-X"``), then three sequence panels whose x axis is the step ``k``
        (1 to 64, 1024 and 16384). Each Pathfinder/Path-X sequence panel has two
        vertical lines with ``gid="dot"`` at the dots' steps.

    Raises
    ------
    TypeError, ValueError
        ``seed`` not a non-negative int.
    """
    import matplotlib.pyplot as plt

    from ..data import generate_pathfinder
    from ..explorers._style import RC, WIDTH
    from ..widgets import style_context

    seed = _check_seed(seed)
    small = _schematic_image(8)
    panels = [("Image (schematic): 8x8 here,\nCIFAR-10 32x32 = 1024 steps", small, None)]
    for res, name in ((32, "Pathfinder"), (128, "Path-X")):
        X, y, geo = generate_pathfinder(1, res, seed=seed, return_geometry=True)
        steps = [int(np.floor(py)) * res + int(np.floor(px)) + 1 for px, py in geo[0]["markers"]]
        panels.append((f"{name} (generated):\n{res}x{res} = {res * res} steps, label {int(y[0])}",
                       X[0], sorted(steps)))
    with style_context(RC):
        fig, axes = plt.subplots(2, 3, figsize=(WIDTH, 4.4), layout="constrained",
                                 gridspec_kw={"height_ratios": [2.2, 1.0]})
        for (title, img, steps), top, bottom in zip(panels, axes[0], axes[1]):
            top.imshow(img, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            top.set_title(title, fontsize=10)
            top.set_xticks([]), top.set_yticks([])
            top.grid(False)
            seq = img.reshape(-1).astype(float)
            k = np.arange(1, seq.size + 1)
            bottom.plot(k, seq, color=_INK, lw=0.5 if seq.size > 100 else 1.0)
            bottom.set_xlim(1, seq.size)
            bottom.set_ylim(-10, 275)
            bottom.set_yticks([0, 255])
            bottom.set_xticks([1, seq.size])
            bottom.set_xlabel("step $k$", fontsize=10, labelpad=1)
            if steps is not None:
                for s in steps:
                    bottom.axvline(s, color="tab:red", lw=1.0, gid="dot")
                bottom.set_title(f"dots at $k$ = {steps[0]}, {steps[1]}", fontsize=10)
            else:
                for r in range(1, img.shape[0]):  # row boundaries of the small picture
                    bottom.axvline(r * img.shape[1] + 0.5, color="0.7", lw=0.6)
                bottom.set_title("one row after another", fontsize=10)
        axes[1, 0].set_ylabel("grey level", fontsize=10)
    return fig
