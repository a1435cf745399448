"""Tests for ssmlib.data.pathfinder: generator, release layout, loader."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage
import torch

from ssmlib.data import PathfinderDataset, pad_collate
from ssmlib.data import pathfinder as pf


def test_shapes_balance_determinism():
    X, y = pf.generate_pathfinder(12, seed=0)
    assert X.shape == (12, 32, 32) and X.dtype == np.uint8
    assert y.dtype == np.int64 and y.sum() == 6
    X2, y2 = pf.generate_pathfinder(12, seed=0)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert X.max() == 255  # markers are fully on


def test_label_is_connectivity_of_solid_drawing():
    """Oracle: flood fill of the solid (undashed) drawing joins the markers iff label 1.

    With 1.5-pixel strokes of full contrast, every pixel whose centre lies within
    1/2 pixel of a centre line is brighter than 1/2 after the two-pixel tent filter,
    which makes each line 8-connected; a separation of 4.5 px keeps markers (radius
    1.5) and lines of different paths from touching, so components are exactly the
    paths.
    """
    cfg = pf.PathfinderConfig(resolution=48, n_paddles=10, min_separation=4.5, n_distractors=3,
                              thickness=1.5, contrast=1.0, distractor_contrast=1.0)
    X, y, geo = pf.generate_pathfinder(16, config=cfg, seed=1, dashed=False, return_geometry=True)
    for img, label, g in zip(X, y, geo):
        comp, _ = scipy.ndimage.label(img > 127, structure=np.ones((3, 3)))
        (x0, y0), (x1, y1) = g["markers"]
        c0, c1 = comp[int(y0), int(x0)], comp[int(y1), int(x1)]
        assert c0 > 0 and c1 > 0
        assert (c0 == c1) == bool(label)


def test_paths_keep_their_distance():
    cfg = pf.PRESETS[32]
    _, _, geo = pf.generate_pathfinder(6, seed=2, return_geometry=True)
    for g in geo:
        paths = g["paths"]
        assert len(paths) >= 2
        for i in range(len(paths)):
            for j in range(i + 1, len(paths)):
                d = np.min(np.linalg.norm(paths[i][:, None] - paths[j][None], axis=2))
                assert d >= cfg.min_separation - 0.75  # grid of half pixels


def test_pathx_resolution():
    X, y = pf.generate_pathfinder(2, resolution=128, seed=0)
    assert X.shape == (2, 128, 128)
    X, _ = pf.generate_pathfinder(1, resolution=48, seed=0)
    assert X.shape == (1, 48, 48)


def test_release_layout_roundtrip(tmp_path):
    X, y = pf.generate_pathfinder(7, seed=3)
    base = pf.write_pathfinder_tree(tmp_path / "pathfinder32", X, y, per_batch=3)
    assert base.name == "curv_contour_length_14"
    assert (base / "imgs" / "2" / "sample_0.png").is_file()
    row = (base / "metadata" / "1.npy").read_text().splitlines()[0].split()
    assert row[:4] == ["imgs/1", "sample_0.png", "0", str(y[3])]
    for root in (tmp_path / "pathfinder32", base):
        X2, y2 = pf.load_pathfinder(root)
        assert np.array_equal(X2, X) and np.array_equal(y2, y)


def test_loader_reads_true_npy_without_pickle(tmp_path):
    X, y = pf.generate_pathfinder(2, seed=4)
    base = pf.write_pathfinder_tree(tmp_path, X, y)
    rows = [line.split() for line in (base / "metadata" / "0.npy").read_text().splitlines()]
    np.save(base / "metadata" / "0.npy", np.array(rows))  # unicode array: no pickle needed
    X2, y2 = pf.load_pathfinder(tmp_path)
    assert np.array_equal(y2, y)
    np.save(base / "metadata" / "0.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        pf.load_pathfinder(tmp_path)


@pytest.mark.parametrize("row, exc, match", [
    ("imgs/0 sample_0.png 0", ValueError, "malformed"),
    ("imgs/0 sample_0.png 0 x 14", ValueError, "not an integer"),
    ("imgs/0 sample_0.png 0 3 14", ValueError, r"not in \{0, 1\}"),
    ("imgs/0 sample_9.png 9 1 14", FileNotFoundError, "image not found"),
])
def test_loader_malformed(tmp_path, row, exc, match):
    X, y = pf.generate_pathfinder(1, seed=5)
    base = pf.write_pathfinder_tree(tmp_path, X, y)
    (base / "metadata" / "0.npy").write_text(row + "\n")
    with pytest.raises(exc, match=match):
        pf.load_pathfinder(tmp_path)


def test_loader_missing_dirs(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        pf.load_pathfinder(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="metadata"):
        pf.load_pathfinder(tmp_path)


def test_argument_errors():
    with pytest.raises(ValueError, match="resolution"):
        pf.generate_pathfinder(1, resolution=4)
    with pytest.raises(ValueError, match="n"):
        pf.generate_pathfinder(-2)
    with pytest.raises(ValueError, match="max_turn"):
        pf.PathfinderConfig(max_turn=4.0)
    with pytest.raises(ValueError, match="fractions"):
        pf.split_indices(10, (0.5, 0.6))


def test_split_and_dataset():
    tr, va, te = pf.split_indices(100, seed=0)
    assert (len(tr), len(va), len(te)) == (80, 10, 10)
    assert len(np.unique(np.concatenate([tr, va, te]))) == 100
    X, y = pf.generate_pathfinder(4, seed=6)
    ds = PathfinderDataset(X, y)
    x, mask, yy = pad_collate([ds[i] for i in range(4)])
    assert x.shape == (4, 1024, 1) and x.dtype == torch.float32
    assert mask.all() and float(x.max()) == 1.0
    assert torch.equal(x[2, :, 0], torch.from_numpy(X[2].reshape(-1) / 255.0).float())


# --- loaders that cannot be tricked -----------------------------------------------------------
@pytest.mark.parametrize("row, match", [
    ("../outside sample_0.png 0 1 14", r"\.\."),
    ("imgs/../../outside sample_0.png 0 1 14", r"\.\."),
    ("/etc passwd 0 1 14", "absolute"),
])
def test_loader_confines_paths_to_the_root(tmp_path, row, match):
    X, y = pf.generate_pathfinder(1, seed=5)
    base = pf.write_pathfinder_tree(tmp_path / "root", X, y)
    (base / "metadata" / "0.npy").write_text(row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=match) as exc:
        pf.load_pathfinder(tmp_path / "root")
    assert "0.npy:1" in str(exc.value)  # names the metadata file and row


def test_loader_refuses_symlinks_out_of_the_root(tmp_path):
    X, y = pf.generate_pathfinder(1, seed=5)
    outside = pf.write_pathfinder_tree(tmp_path / "other", X, y)
    base = pf.write_pathfinder_tree(tmp_path / "root", X, y)
    (base / "imgs" / "link").symlink_to(outside / "imgs" / "0")
    (base / "metadata" / "0.npy").write_text("imgs/link sample_0.png 0 1 14\n", encoding="utf-8")
    with pytest.raises(ValueError, match="outside the data root"):
        pf.load_pathfinder(tmp_path / "root")


def test_loader_skips_empty_and_duplicate_images_and_names_corrupt_ones(tmp_path):
    X, y = pf.generate_pathfinder(4, seed=7)
    base = pf.write_pathfinder_tree(tmp_path, X, y)
    (base / "imgs" / "0" / "sample_1.png").write_bytes(b"")  # the release has an empty image
    meta = (base / "metadata" / "0.npy").read_text(encoding="utf-8")
    (base / "metadata" / "combined.npy").write_text(meta, encoding="utf-8")  # duplicates all
    X2, y2, info = pf.load_pathfinder(tmp_path, return_info=True)
    assert len(y2) == 3 and np.array_equal(X2, X[[0, 2, 3]]) and np.array_equal(y2, y[[0, 2, 3]])
    assert info["empty_skipped"] == 1 and info["duplicates_skipped"] == 4 and info["n_rows"] == 8
    (base / "imgs" / "0" / "sample_2.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ValueError, match="sample_2.png.*corrupt"):
        pf.load_pathfinder(tmp_path)


def test_metadata_encoding(tmp_path):
    X, y = pf.generate_pathfinder(2, seed=8)
    base = pf.write_pathfinder_tree(tmp_path, X, y)
    meta = base / "metadata" / "0.npy"
    meta.write_bytes(b"\xef\xbb\xbf" + meta.read_bytes())  # UTF-8 byte-order mark: accepted
    assert np.array_equal(pf.load_pathfinder(tmp_path)[1], y)
    meta.write_bytes(meta.read_bytes() + b"imgs/0 \xff.png 0 1 14\n")
    with pytest.raises(ValueError, match=r"0\.npy:3"):
        pf.load_pathfinder(tmp_path)


def test_writers_and_dataset_check_labels_and_scaling(tmp_path):
    X, _ = pf.generate_pathfinder(2, seed=9)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        pf.write_pathfinder_tree(tmp_path, X, np.array([0, 2]))
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        PathfinderDataset(X, np.array([1, -1]))
    floats = X.astype(np.float32) / 255.0
    a, b = PathfinderDataset(X, np.array([0, 1])), PathfinderDataset(floats, np.array([0, 1]))
    torch.testing.assert_close(a[1][0], b[1][0])  # float input in [0, 1] is not divided again
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        PathfinderDataset(X.astype(np.float64), np.array([0, 1]))


def test_split_indices_arguments():
    with pytest.raises(ValueError, match="n must be >= 0"):
        pf.split_indices(-1)
    with pytest.raises(TypeError, match="seed"):
        pf.split_indices(10, seed="x")
    with pytest.raises(ValueError, match="seed"):
        pf.split_indices(10, seed=-3)
    assert [len(s) for s in pf.split_indices(0)] == [0, 0, 0]


# --- appearance of the LRA release (issue 12) --------------------------------------------------
@pytest.fixture(scope="module")
def release_like():
    X, y, geo = pf.generate_pathfinder(40, seed=0, return_geometry=True)
    return X, y, geo, pf.pathfinder_statistics(X, geo)


def test_defaults_are_the_lra_pathfinder32_parameters():
    cfg = pf.PRESETS[32]
    # lra_benchmarks/data/pathfinder.py, Pathfinder32 docstring; gap = 2 * paddle_margin
    assert (cfg.n_paddles, cfg.paddle_length, cfg.gap, cfg.thickness, cfg.marker_radius) == \
        (14, 2.0, 2.0, 0.5, 1.5)
    assert (cfg.n_distractors, cfg.distractor_paddles, cfg.seed_distance) == (5, 4, 7.0)
    assert cfg.max_turn == pytest.approx(np.pi / 2)  # continuity 1.0
    assert (cfg.contrast, cfg.distractor_contrast) == (0.75 * 2, 2.0)


def test_dashes_have_gaps_and_markers_are_brightest(release_like):
    X, _, geo, st = release_like
    # nominal dash 2 px and gap 2 px; anti-aliasing blurs both by a fraction of a pixel
    assert 1.5 <= st["dash_length"] <= 3.0 and 1.0 <= st["gap_length"] <= 2.5
    # a 0.5 px dash fills at most 0.44 of the tent filter: 0.66 x 255 for targets (contrast
    # 1.5), 0.88 x 255 for distractors (contrast 2); markers reach 255
    assert st["marker_level"] > 245
    assert 0.45 * 255 < st["target_level"] < 0.7 * 255
    assert st["target_level"] < st["distractor_level"] < st["marker_level"]
    for img, g in zip(X, geo):  # the brightest pixels belong to the markers
        rows, cols = np.nonzero(img >= 250)
        centres = np.stack([cols + 0.5, rows + 0.5], axis=1)
        d = np.linalg.norm(centres[:, None] - g["markers"][None], axis=2).min(axis=1)
        assert d.max() <= 1.5 + 0.75


def test_paths_use_the_whole_image(release_like):
    X, _, geo, st = release_like
    assert st["near_border"] >= 0.9  # lit pixels in the outer two rows/cols of most images
    spans = [np.ptp(np.concatenate(g["paths"][:2]), axis=0).min() for g in geo]
    assert np.median(spans) >= 0.7 * 32
    assert 0.25 < st["lit_fraction"] < 0.6 and st["distractors"] >= 2.5


def test_marker_positions_do_not_give_the_label_away(release_like):
    X, y, geo, _ = release_like
    assert y.sum() == 20
    for label, g in zip(y, geo):
        i, j = g["target"]
        assert (i == j) == bool(label)
        start = g["segments"][i][0, 0]
        end = g["segments"][j][-1, 1]
        np.testing.assert_allclose(g["markers"], [start, end])
        first = g["segments"][0][0, 0]  # the first target starts in the centre square,
        assert np.all((first >= 14) & (first <= 18))  # 2 * seed_distance from the borders
        assert np.linalg.norm(start - first) <= 7.0 + 1e-9  # the second seed_distance away
    # one marker is a start, the other an end, for both labels: their distance has
    # similar distributions
    dist = np.array([np.linalg.norm(np.subtract(*g["markers"])) for g in geo])
    assert abs(dist[y == 1].mean() - dist[y == 0].mean()) < 5.0


def test_statistics_arguments():
    X, _, geo = pf.generate_pathfinder(2, seed=0, return_geometry=True)
    with pytest.raises(ValueError, match="geometry"):
        pf.pathfinder_statistics(X, geo[:1])
    with pytest.raises(ValueError, match="images"):
        pf.pathfinder_statistics(X.astype(float), geo)
    with pytest.raises(ValueError, match="antialias_scale"):
        pf.PathfinderConfig(antialias_scale=0)
    with pytest.raises(ValueError, match="contrast"):
        pf.PathfinderConfig(contrast=0.0)
