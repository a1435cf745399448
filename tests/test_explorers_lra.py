"""Chapter 11 slider: Pathfinder images and the distance of the dots in the pixel sequence."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import ssmlib as sl
from ssmlib.explorers.lra import raster_index


def test_raster_index_is_row_major():
    R = 32
    img = np.zeros((R, R))
    img[7, 20] = 1.0  # row 7, column 20: the pixel covering x in [20, 21), y in [7, 8)
    k = raster_index(np.array([20.4, 7.9]), R)
    assert img.ravel()[k] == 1.0 and k == 7 * R + 20
    assert raster_index(np.array([R + 3.0, -2.0]), R) == R - 1  # clipped into the image
    with pytest.raises(ValueError, match="point"):
        raster_index(np.array([1.0, np.nan]), R)
    with pytest.raises(ValueError, match="resolution"):
        raster_index(np.array([1.0, 1.0]), 0)


def test_pathfinder_explorer_shows_the_generated_images():
    ex = sl.explorers.pathfinder_explorer(n_examples=2, resolutions=(32, 64), seed=1)
    try:
        X, y, geom = sl.data.generate_pathfinder(2, 64, seed=1, return_geometry=True)
        ex.set(resolution=64, example=1)
        shown = np.asarray(ex.fig.axes[0].images[0].get_array())
        np.testing.assert_array_equal(shown, X[1])
        seq = ex.fig.axes[1].lines[0].get_ydata()
        np.testing.assert_array_equal(seq, X[1].ravel())
        # the marker lines sit on pixels that the markers light up
        ks = sorted(int(line.get_xdata()[0]) for line in ex.fig.axes[1].lines[1:3])
        assert ks == sorted(raster_index(m, 64) for m in geom[1]["markers"])
        assert all(X[1].ravel()[k] > 128 for k in ks)
        assert ("not joined" in ex.fig.axes[0].get_title()) == (y[1] == 0)
        before = np.asarray(ex.fig.axes[0].images[0].get_array()).copy()
        box = ex.widget()
        assert [lab for lab, _ in box.children[0].options] == ["32x32 (Pathfinder)", "64x64"]
        box.children[0].value = 32  # the resolution buttons
        assert np.asarray(ex.fig.axes[0].images[0].get_array()).shape == (32, 32)
        assert ex.fig.axes[1].lines[0].get_xdata().size == 32 * 32 != before.size
    finally:
        plt.close("all")


def test_pathfinder_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_examples"):
        sl.explorers.pathfinder_explorer(n_examples=0)
    with pytest.raises(ValueError, match="resolutions"):
        sl.explorers.pathfinder_explorer(resolutions=(64, 32))
