"""Chapter 11 slider: a Pathfinder image and the pixel sequence an LRU actually reads."""

from __future__ import annotations

import numpy as np

from ..widgets import Choice, Explorer, Param
from ._style import COLORS, DPI, RC, check_int, subplots

__all__ = ["pathfinder_explorer", "raster_index"]


def raster_index(point: np.ndarray, resolution: int) -> int:
    """Position in the row-major pixel sequence of the pixel holding ``point``.

    Parameters
    ----------
    point : array_like, shape (2,)
        ``(x, y)`` in pixels, as in the geometry returned by
        :func:`ssmlib.data.generate_pathfinder` (pixel ``(i, j)`` covers
        ``x`` in ``[j, j + 1)`` and ``y`` in ``[i, i + 1)``).
    resolution : int
        Image side ``R``; the sequence has ``R * R`` steps.

    Returns
    -------
    int
        ``floor(y) * R + floor(x)``, in ``[0, R * R)``.
    """
    if isinstance(point, (str, bytes)) or point is None:
        raise TypeError(f"point must be a finite (x, y) pair of numbers, got {point!r}")
    try:
        p = np.asarray(point, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"point must be a finite (x, y) pair of numbers, got {point!r}") from None
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"point must be a finite (x, y) pair, got {point!r}")
    if isinstance(resolution, (bool, np.bool_)):
        raise TypeError(f"resolution must be a positive int, got {type(resolution).__name__}")
    if not isinstance(resolution, (int, np.integer)) or resolution < 1:
        raise ValueError(f"resolution must be a positive int, got {resolution!r}")
    j, i = (np.clip(np.floor(p), 0, resolution - 1)).astype(int)
    return int(i * resolution + j)


def pathfinder_explorer(n_examples: int = 4, resolutions: tuple[int, ...] = (32, 64, 128),
                        seed: int = 0) -> Explorer:
    """Generated Pathfinder images and their flattened pixel sequences.

    Buttons for the image side ``R`` (32 is LRA Pathfinder, 128 is Path-X) and an
    integer slider for the example shown. Left: the image, with the two markers circled and the
    label (joined or not). Right: the same image as the sequence of ``R * R``
    grey levels the model reads, one pixel per step in row-major order, with the
    two markers' positions marked: the distance between them in steps is how far
    back the model must remember to relate one dot to the other. Static grid:
    ``len(resolutions) * n_examples`` frames.

    Parameters
    ----------
    n_examples : int, in [1, 16]
        Examples per resolution, drawn once (seeded) when the explorer is built.
    resolutions : tuple of int
        Image sides offered by the buttons, increasing, each in [8, 256].
    seed : int, >= 0
        Seed of :func:`ssmlib.data.generate_pathfinder`.

    Returns
    -------
    Explorer
        Parameters ``resolution`` (a :class:`~ssmlib.widgets.Choice` of the ints in
        ``resolutions``) and ``example``.
        ``fig.axes[0].images[0]``: the image; ``fig.axes[1].lines[0]``: the
        sequence; ``fig.axes[1].lines[1:3]``: the two marker positions.
    """
    from ..data.pathfinder import generate_pathfinder

    n_examples = check_int(n_examples, "n_examples", 1, 16)
    seed = check_int(seed, "seed", 0)
    try:
        res = [int(r) for r in resolutions]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"resolutions must be increasing ints >= 8, got {resolutions!r}") from None
    if (not res or any(r < 8 for r in res) or sorted(set(res)) != res
            or any(not float(r) == float(r0) for r, r0 in zip(res, resolutions))):
        raise ValueError(f"resolutions must be increasing ints >= 8, got {resolutions!r}")
    if res[-1] > 256:
        raise ValueError(f"resolutions must be <= 256 (a 256x256 image is a 65536-step "
                         f"sequence), got {res[-1]}")

    samples = {}
    for R in res:
        X, y, geom = generate_pathfinder(n_examples, R, seed=seed, return_geometry=True)
        samples[R] = (X, y, geom)

    fig, (ax_img, ax_seq) = subplots(1, 2, height=2.7, width_ratios=[1, 2.3])
    im = ax_img.imshow(np.zeros((res[0], res[0])), cmap="gray", vmin=0, vmax=255)
    (rings,) = ax_img.plot([], [], "o", mfc="none", mec=COLORS["orange"], mew=1.5, ms=11)
    ax_img.set_xticks([]), ax_img.set_yticks([])
    (seq,) = ax_seq.plot([], [], color=COLORS["blue"], lw=0.6)
    m1 = ax_seq.axvline(0, color=COLORS["orange"], lw=1.5)
    m2 = ax_seq.axvline(0, color=COLORS["orange"], lw=1.5, ls="--")
    ax_seq.set(ylim=(-10, 265), xlabel="step $k$ (pixel index, row-major)", ylabel="grey level")
    title = fig.suptitle("")

    def update(resolution: int, example: int) -> None:
        R = int(resolution)
        X, y, geom = samples[R]
        i = int(round(example))
        img = X[i]
        im.set_data(img)
        im.set_extent((-0.5, R - 0.5, R - 0.5, -0.5))
        ax_img.set(xlim=(-0.5, R - 0.5), ylim=(R - 0.5, -0.5))
        markers = np.asarray(geom[i]["markers"], dtype=float)
        # pixel (i, j) is drawn centred on (j, i): shift the (x, y) geometry by -1/2
        rings.set_data(markers[:, 0] - 0.5, markers[:, 1] - 0.5)
        rings.set_markersize(11 * 32 / R + 4)
        k = np.arange(R * R)
        seq.set_data(k, img.ravel())
        ax_seq.set_xlim(0, R * R - 1)
        k1, k2 = sorted(raster_index(m, R) for m in markers)
        m1.set_xdata([k1, k1])
        m2.set_xdata([k2, k2])
        verdict = "joined (label 1)" if y[i] == 1 else "not joined (label 0)"
        ax_img.set_title(f"{R}x{R}, {verdict}", fontsize=9.5)
        title.set_text(f"sequence of {R * R} steps; the dots are {k2 - k1} steps apart")

    params = [
        Choice("resolution", [(_side_label(R), R) for R in res], default=res[0],
               label="image side R"),
        Param("example", list(range(n_examples)), default=0, label="example", fmt="{:.0f}",
              integer=True),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption="A Pathfinder image and the pixel sequence the model reads.")


def _side_label(R: int) -> str:
    names = {32: " (Pathfinder)", 128: " (Path-X)"}
    return f"{R}x{R}{names.get(R, '')}"
