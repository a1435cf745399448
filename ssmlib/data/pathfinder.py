"""Pathfinder: are the two dots joined by one dashed curve? (Long Range Arena, chapter 11).

Pathfinder (Linsley et al. 2018) shows two circular
markers and several curvy dashed paths; the label is 1 when both markers sit at
the two ends of the *same* path, 0 when they sit on different paths. LRA (Tay et al. 2021)
feeds the image pixel by pixel: a 32x32 image is a sequence of
1024 grey levels, and Path-X (128x128) one of 16384.

Drawing the images
------------------
:func:`generate_pathfinder` draws pathfinder-style images whose appearance follows
the parameters with which the LRA images were made. The LRA images come from the
generator of github.com/drewlinsley/pathfinder (``snakes2.py``), run with the
parameters listed in the docstrings of the official TFDS builders
(``lra_benchmarks/data/pathfinder.py`` in google-research/long-range-arena). For
``Pathfinder32`` these are ``contour_length = 14`` paddles per path,
``paddle_length = 2``, ``paddle_margin_list = [1]``, ``paddle_thickness = 0.5``,
``marker_radius = 1.5``, ``continuity = 1.0``, ``antialias_scale = 2``,
``seed_distance = 7``, ``snake_contrast_list = [2]``,
``paddle_contrast_list = [0.75]`` and ``20 // (14 // 3) = 5`` distractor snakes
of ``14 // 3 = 4`` paddles. This module implements the description, not the
code, of that generator:

* a path is a chain of straight dashes ("paddles") of length ``paddle_length``;
  the next paddle starts ``gap = 2 * paddle_margin`` further on (the original
  places each new paddle ``margin`` beyond a pivot that lies ``margin`` beyond
  the previous paddle's end), so Pathfinder32 has 2-pixel dashes and 2-pixel gaps;
* the heading changes between paddles by ``delta`` with density proportional to
  ``cos(continuity * delta)**2`` for ``|delta| < pi / (2 * continuity)`` (the
  original's weighting of candidate positions), i.e. ``max_turn = pi / 2`` for
  ``continuity = 1``;
* the first target path starts in the centre square that keeps
  ``2 * seed_distance`` from every border and the second starts
  ``seed_distance`` away from it; both then grow freely up to ``border`` pixels
  from the edge (the original only refuses positions outside the image), so
  14 paddles of period 4 px reach the edges of a 32x32 image;
* a positive image marks the start and the end of one target path, a negative
  image the start of one and the end of the other (so the position of the
  markers does not give the label away);
* strokes are rasterized on a grid ``antialias_scale`` times finer and filtered
  down with a tent filter two pixels wide (the original draws at twice the
  resolution and shrinks with a Lanczos filter). A target paddle has value
  ``contrast = 0.75 * 2 = 1.5``, a distractor paddle ``distractor_contrast = 2``
  (the original draws distractors with the snake contrast alone), a marker 1;
  a dash ``paddle_thickness = 0.5`` wide fills at most 0.44 of the filter, so
  its pixels reach at most about 0.66 (targets) and 0.88 (distractors) of the
  marker's intensity. Intensities are clipped to [0, 1] and each image is scaled
  so that its brightest pixel is 255, as saving a float image with
  ``scipy.misc.imsave`` (byte-scaling) does in the original.

Different paths keep ``min_separation`` pixels between their centre lines
(paths never touch, so "connected" is a property of the drawing, not only of the
label). With ``dashed=False`` the paths are drawn solid, which lets the tests
check connectivity with a flood fill. :func:`pathfinder_statistics` measures the
appearance (lit fraction, dash and gap lengths, intensities, distance to the
border, connected components).

Release layout and loader
-------------------------
The LRA release stores ``pathfinderR/curv_contour_length_14/imgs/<batch>/sample_<i>.png``
with ``pathfinderR/curv_contour_length_14/metadata/<batch>.npy``. Despite the
name, a metadata file is *text*: one space-separated row per image, ``subdir
filename index label ...`` (e.g. ``imgs/0 sample_0.png 0 1 ...``).
:func:`write_pathfinder_tree` writes that layout and :func:`load_pathfinder`
reads it. The loader parses text and never unpickles: a genuine ``.npy`` file is
read with ``numpy.load(allow_pickle=False)``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._validation import as_array, check_bool, check_int

__all__ = [
    "PathfinderConfig",
    "PRESETS",
    "generate_pathfinder",
    "render_sample",
    "pathfinder_statistics",
    "write_pathfinder_tree",
    "load_pathfinder",
    "split_indices",
    "PathfinderDataset",
]

CONTOUR_DIR = "curv_contour_length_14"
#: Attempts of :func:`generate_pathfinder` at placing the two target paths of one image.
_PLACE_ATTEMPTS = 200


@dataclass
class PathfinderConfig:
    """Geometry and appearance of generated images (lengths in pixels).

    The defaults are the LRA Pathfinder32 parameters (see the module docstring).

    Parameters
    ----------
    resolution : int
        Image side (32 for LRA Pathfinder, 128 for Path-X).
    n_paddles : int
        Paddles per target path (the release's "contour length" is 14).
    paddle_length, gap : float
        Length of one dash and of the gap after it (``gap = 2 * paddle_margin``
        of the original generator).
    thickness : float
        Line width (the original's ``paddle_thickness``).
    marker_radius : float
        Radius of the two endpoint markers.
    max_turn : float
        Largest change of heading between consecutive paddles, radians; turns have
        density proportional to ``cos(pi * delta / (2 * max_turn))**2`` on
        ``[-max_turn, max_turn]`` (``max_turn = pi / (2 * continuity)``).
    n_distractors : int
        Short distractor paths (placed when room is found).
    distractor_paddles : int
        Paddles per distractor.
    min_separation : float
        Smallest distance between the centre lines of two different paths.
    seed_distance : float
        Distance between the starts of the two target paths; the first starts at
        least ``2 * seed_distance`` from every border when the image allows it.
    border : float
        Smallest distance between a centre line and the image edge.
    contrast, distractor_contrast : float
        Intensity of a fully covered pixel of a target / distractor path, relative
        to a marker (1); clipped at 1.
    antialias_scale : int
        Supersampling factor of the rasterizer (1 = no anti-aliasing).

    Notes
    -----
    Bounds, checked at construction and again by :func:`generate_pathfinder` and
    :func:`render_sample` (fields may be changed after construction), so that
    every call finishes in bounded time and memory: ``8 <= resolution <= 1024``
    and ``resolution * antialias_scale <= 4096``; ``n_paddles`` and
    ``distractor_paddles`` in ``[1, 1000]``; ``0 <= n_distractors <= 1000`` and
    ``n_distractors * distractor_paddles <= 10000``; ``paddle_length``, ``gap``,
    ``thickness``, ``marker_radius``, ``min_separation`` and ``seed_distance`` at
    most ``resolution``; and the two target paths must fit in the image,
    ``2 * n_paddles * (paddle_length + gap) * min_separation``
    ``<= (resolution - 2 * border) ** 2`` (their centre lines, kept
    ``min_separation`` apart, cannot cover more area than that).
    """

    resolution: int = 32
    n_paddles: int = 14
    paddle_length: float = 2.0
    gap: float = 2.0
    thickness: float = 0.5
    marker_radius: float = 1.5
    max_turn: float = math.pi / 2
    n_distractors: int = 5
    distractor_paddles: int = 4
    min_separation: float = 1.5
    seed_distance: float = 7.0
    border: float = 0.5
    contrast: float = 1.5
    distractor_contrast: float = 2.0
    antialias_scale: int = 4

    def __post_init__(self) -> None:
        self._validate("")

    def _validate(self, prefix: str) -> None:
        """Check every field (see Notes); errors name ``prefix + field``."""
        p = prefix
        for f in fields(self):
            v = getattr(self, f.name)
            integral = f.type in ("int", int)
            ok = (isinstance(v, (int, np.integer)) if integral
                  else isinstance(v, (int, float, np.integer, np.floating)))
            if isinstance(v, (bool, np.bool_)) or not ok:
                raise TypeError(f"{p}{f.name} must be {'an int' if integral else 'a real number'}, "
                                f"got {type(v).__name__}")
            if not integral and not math.isfinite(v):
                raise ValueError(f"{p}{f.name} must be finite, got {v}")
        if not 8 <= self.resolution <= 1024:
            raise ValueError(f"{p}resolution must be an int in [8, 1024], got {self.resolution!r}")
        for name in ("n_paddles", "distractor_paddles"):
            if not 1 <= getattr(self, name) <= 1000:
                raise ValueError(f"{p}{name} must be in [1, 1000], got {getattr(self, name)}")
        if not 0 <= self.n_distractors <= 1000:
            raise ValueError(f"{p}n_distractors must be in [0, 1000], got {self.n_distractors}")
        if self.n_distractors * self.distractor_paddles > 10_000:
            raise ValueError(f"{p}n_distractors * {p}distractor_paddles must be <= 10000 "
                             f"(time), got {self.n_distractors} * {self.distractor_paddles}")
        for name in ("paddle_length", "thickness", "marker_radius", "min_separation",
                     "contrast", "distractor_contrast"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{p}{name} must be > 0, got {getattr(self, name)}")
        for name in ("gap", "seed_distance", "border"):
            if getattr(self, name) < 0:
                raise ValueError(f"{p}{name} must be >= 0, got {getattr(self, name)}")
        for name in ("paddle_length", "gap", "thickness", "marker_radius", "min_separation",
                     "seed_distance"):
            if getattr(self, name) > self.resolution:
                raise ValueError(f"{p}{name} must be <= {p}resolution = {self.resolution}, "
                                 f"got {getattr(self, name)}")
        if self.border >= self.resolution / 4:
            raise ValueError(f"{p}border must be < resolution / 4 = {self.resolution / 4}, "
                             f"got {self.border}")
        if not 0 <= self.max_turn <= math.pi:
            raise ValueError(f"{p}max_turn must be in [0, pi], got {self.max_turn}")
        if not 1 <= self.antialias_scale <= 16:
            raise ValueError(f"{p}antialias_scale must be in [1, 16], got {self.antialias_scale}")
        if self.resolution * self.antialias_scale > 4096:
            raise ValueError(f"{p}resolution * {p}antialias_scale must be <= 4096 (memory), "
                             f"got {self.resolution} * {self.antialias_scale}")
        need = 2 * self.n_paddles * (self.paddle_length + self.gap) * self.min_separation
        room = (self.resolution - 2 * self.border) ** 2
        if need > room:
            raise ValueError(
                f"the two target paths cannot fit: 2 * {p}n_paddles * ({p}paddle_length + "
                f"{p}gap) * {p}min_separation = {need:g} exceeds ({p}resolution - 2 * "
                f"{p}border) ** 2 = {room:g}; reduce n_paddles, paddle_length, gap or "
                "min_separation, or raise resolution")


#: Pathfinder (32x32), 64x64 and Path-X (128x128) parameters of the LRA TFDS
#: builders (``Pathfinder32``, ``Pathfinder64``, ``Pathfinder128``). For 64 and 128
#: ``paddle_length`` is the generator's default 5 and ``continuity = 1.8`` gives
#: ``max_turn = pi / 3.6``; 128 uses ``paddle_margin_list = [2, 3]`` (one margin
#: drawn per image in the original; here the mean, gap 5), distractors of
#: ``14 / 3 = 4`` paddles (integer division) and the snake contrasts 0.8 (64) and
#: 0.9 (128) for every path. ``min_separation`` and the 4x anti-aliasing are
#: choices of this generator.
PRESETS = {
    32: PathfinderConfig(resolution=32),
    64: PathfinderConfig(resolution=64, paddle_length=5.0, gap=2.0, thickness=1.0,
                         marker_radius=2.5, max_turn=math.pi / 3.6, n_distractors=22 // 4,
                         distractor_paddles=4, min_separation=2.0, seed_distance=12.0,
                         contrast=0.8, distractor_contrast=0.8),
    128: PathfinderConfig(resolution=128, paddle_length=5.0, gap=5.0, thickness=1.5,
                          marker_radius=3.0, max_turn=math.pi / 3.6, n_distractors=35 // 4,
                          distractor_paddles=4, min_separation=3.0, seed_distance=20.0,
                          contrast=0.9, distractor_contrast=0.9),
}


@dataclass
class _Path:
    """A path: paddle segments (start, end points) and dense centre-line samples."""

    segments: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        return self.segments[0][0], self.segments[-1][1]


def _dense(p: np.ndarray, q: np.ndarray, step: float = 0.5) -> np.ndarray:
    n = max(2, int(np.ceil(np.linalg.norm(q - p) / step)) + 1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    return p[None, :] * (1 - t) + q[None, :] * t


class _Occupancy:
    """Cells (of 1/``scale`` pixel) closer than ``sep`` to some placed centre line."""

    def __init__(self, resolution: int, sep: float, scale: int = 2) -> None:
        self.scale = scale
        self.grid = np.zeros((resolution * scale, resolution * scale), dtype=bool)
        r = int(np.ceil(sep * scale))
        dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
        self.disk = (dx**2 + dy**2) <= (sep * scale) ** 2
        self.r = r

    def _cells(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = np.clip((pts * self.scale).astype(int), 0, self.grid.shape[0] - 1)
        return c[:, 0], c[:, 1]

    def hits(self, pts: np.ndarray, extra: np.ndarray | None = None) -> bool:
        cx, cy = self._cells(pts)
        hit = self.grid[cy, cx]
        if extra is not None:
            hit = hit | extra[cy, cx]
        return bool(hit.any())

    def stamp(self, pts: np.ndarray, into: np.ndarray | None = None) -> None:
        grid = self.grid if into is None else into
        n = grid.shape[0]
        cx, cy = self._cells(pts)
        r = self.r
        for x, y in zip(cx, cy):
            x0, x1, y0, y1 = max(0, x - r), min(n, x + r + 1), max(0, y - r), min(n, y + r + 1)
            grid[y0:y1, x0:x1] |= self.disk[y0 - (y - r) : y1 - (y - r), x0 - (x - r) : x1 - (x - r)]


def _turn(rng: np.random.Generator, max_turn: float) -> float:
    """A heading change with density proportional to cos(pi d / (2 max_turn))**2."""
    if max_turn == 0:
        return 0.0
    while True:
        u = rng.uniform(-1.0, 1.0)
        if rng.random() < math.cos(0.5 * math.pi * u) ** 2:
            return max_turn * u


def _grow_path(rng: np.random.Generator, n_paddles: int, cfg: PathfinderConfig,
               occ: _Occupancy, tries: int = 30, start: Any = None) -> _Path | None:
    """Grow one path in free space of ``occ`` (and stamp it there); None if no room.

    ``start`` is a callable returning a start point (default: uniform in the image).
    """
    R = cfg.resolution
    lo, hi = cfg.border, R - cfg.border
    step = cfg.paddle_length + cfg.gap
    # A paddle is checked against its own path except the last `lag` paddles, which
    # are closer than min_separation along the curve by construction.
    lag = int(np.ceil(cfg.min_separation / step)) + 1
    for _ in range(tries):
        p = start() if start is not None else rng.uniform(lo, hi, size=2)
        if not (lo <= p[0] <= hi and lo <= p[1] <= hi) or occ.hits(p[None]):
            continue
        heading = rng.uniform(0, 2 * np.pi)
        path = _Path()
        own = np.zeros_like(occ.grid)  # own path, all but the last `lag` paddles
        samples: list[np.ndarray] = []
        ok = True
        for k in range(n_paddles):
            placed = False
            for _attempt in range(12):
                h = heading + (_turn(rng, cfg.max_turn) if k > 0 else 0.0)
                d = np.array([np.cos(h), np.sin(h)])
                q = p + cfg.paddle_length * d  # end of the dash
                nxt = p + step * d if k < n_paddles - 1 else q  # start of the next dash
                if not (lo <= nxt[0] <= hi and lo <= nxt[1] <= hi):
                    if k == 0:
                        heading = rng.uniform(0, 2 * np.pi)
                    continue
                seg = _dense(p, nxt)
                if occ.hits(seg, own):
                    continue
                if len(samples) >= lag:
                    occ.stamp(samples[-lag], into=own)
                path.segments.append((p.copy(), q.copy()))
                samples.append(seg)
                heading, p, placed = h, nxt, True
                break
            if not placed:
                ok = False
                break
        if ok:
            path.points = np.concatenate(samples)
            occ.stamp(path.points)
            return path
    return None


def _stamp_segment(canvas: np.ndarray, a: np.ndarray, b: np.ndarray, half: float,
                   value: float) -> None:
    """canvas = max(canvas, value) on the sub-pixels within ``half`` of segment [a, b]."""
    n = canvas.shape[0]
    x0 = max(0, int(math.floor(min(a[0], b[0]) - half)))
    x1 = min(n, int(math.ceil(max(a[0], b[0]) + half)) + 1)
    y0 = max(0, int(math.floor(min(a[1], b[1]) - half)))
    y1 = min(n, int(math.ceil(max(a[1], b[1]) + half)) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    px = np.stack([xx + 0.5, yy + 0.5], axis=-1).astype(float)
    inside = _segment_distance(px, a, b) <= half
    view = canvas[y0:y1, x0:x1]
    view[inside] = np.maximum(view[inside], value)


def _segment_distance(px: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points ``px`` (..., 2) to the segment [a, b]."""
    ab = b - a
    denom = float(ab @ ab)
    t = np.zeros(px.shape[:-1]) if denom == 0 else np.clip(((px - a) @ ab) / denom, 0.0, 1.0)
    proj = a + t[..., None] * ab
    return np.linalg.norm(px - proj, axis=-1)


def _tent_matrix(R: int, s: int) -> np.ndarray:
    """(R, R*s) weights of a tent filter two pixels wide, sampled at pixel centres."""
    d = (np.arange(R * s)[None, :] + 0.5) / s - (np.arange(R)[:, None] + 0.5)
    return np.maximum(0.0, 1.0 - np.abs(d)) / s


def render_sample(paths: Sequence[_Path], markers: Sequence[np.ndarray],
                  cfg: PathfinderConfig, dashed: bool = True,
                  n_targets: int = 2) -> np.ndarray:
    """Rasterize paths and markers into a grey image, shape (R, R), uint8.

    Each stroke is drawn with a hard edge on a grid ``cfg.antialias_scale`` times
    finer, with value ``cfg.contrast`` (the first ``n_targets`` paths),
    ``cfg.distractor_contrast`` (the others) or 1 (markers); overlapping strokes
    take the maximum. A pixel is the average of the sub-pixels weighted by a tent
    filter two pixels wide centred on it (anti-aliasing; a 0.5-pixel dash gives
    a peak of at most 0.44 of its value and a fainter neighbour, close to the
    Lanczos reduction of the original); values are clipped to [0, 1] and the
    image is scaled so that its brightest pixel is 255.

    Parameters
    ----------
    paths : list or tuple of paths
        The paths built by the generator (each with at least one paddle).
    markers : array_like, shape (M, 2)
        Marker centres ``(x, y)`` in pixels, finite, absolute values at most
        ``1e6`` (markers outside the image are not drawn).
    cfg : PathfinderConfig
        Geometry and appearance (checked as in :class:`PathfinderConfig`).
    dashed : bool
        Dashed (the task) or solid paths.
    n_targets : int
        How many of the first paths are target paths, in ``[0, max(2, len(paths))]``
        (values above ``len(paths)`` make every path a target).
    """
    if not isinstance(cfg, PathfinderConfig):
        raise TypeError(f"cfg must be a PathfinderConfig, got {type(cfg).__name__}")
    cfg._validate("cfg.")
    dashed = check_bool(dashed, "dashed")
    if not isinstance(paths, (list, tuple)):
        raise TypeError(f"paths must be a list of paths (from the generator), "
                        f"got {type(paths).__name__}")
    for k, path in enumerate(paths):
        if not isinstance(path, _Path):
            raise TypeError(f"paths[{k}] must be a path built by the generator, "
                            f"got {type(path).__name__}")
        segs = as_array(path.segments, f"paths[{k}].segments", complex_ok=False)
        if segs.ndim != 3 or segs.shape[1:] != (2, 2) or segs.shape[0] == 0:
            raise ValueError(f"paths[{k}] must have at least one paddle of two (x, y) points")
        if np.abs(segs).max() > 1e6:
            raise ValueError(f"paths[{k}]: coordinates must be at most 1e6 in absolute value")
    if isinstance(markers, np.ndarray) and markers.size == 0 or \
            isinstance(markers, (list, tuple)) and len(markers) == 0:
        markers = np.zeros((0, 2))
    markers = as_array(markers, "markers", ndim=2, complex_ok=False)
    if markers.shape[1] != 2:
        raise ValueError(f"markers must have shape (M, 2), got {markers.shape}")
    if markers.size and np.abs(markers).max() > 1e6:
        raise ValueError("markers: coordinates must be at most 1e6 in absolute value")
    n_targets = check_int(n_targets, "n_targets", minimum=0, maximum=max(2, len(paths)))
    return _render(paths, markers, cfg, dashed, n_targets)


def _render(paths: Sequence[_Path], markers: Any, cfg: PathfinderConfig, dashed: bool,
            n_targets: int) -> np.ndarray:
    """:func:`render_sample` without the checks (for the generator)."""
    R, s = cfg.resolution, int(cfg.antialias_scale)
    canvas = np.zeros((R * s, R * s))
    half = cfg.thickness * s / 2
    for k, path in enumerate(paths):
        value = cfg.contrast if k < n_targets else cfg.distractor_contrast
        if dashed:
            segs = path.segments
        else:  # solid: join consecutive paddles, bridging the gaps
            segs = [(path.segments[i][0], path.segments[i + 1][0])
                    for i in range(len(path.segments) - 1)] + [path.segments[-1]]
        for a, b in segs:
            _stamp_segment(canvas, np.asarray(a) * s, np.asarray(b) * s, half, value)
    for m in markers:
        m = np.asarray(m, dtype=float) * s
        _stamp_segment(canvas, m, m, cfg.marker_radius * s, 1.0)
    img = np.clip(_tent_matrix(R, s) @ canvas @ _tent_matrix(R, s).T, 0.0, 1.0)
    top = img.max()
    if top > 0:
        img = img / top
    return np.round(img * 255).astype(np.uint8)


def _default_config(resolution: Any) -> PathfinderConfig:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or resolution < 8:
        raise ValueError(f"resolution must be an int >= 8, got {resolution!r}")
    if resolution > 1024:
        raise ValueError(f"resolution must be <= 1024, got {resolution}")
    if resolution in PRESETS:
        return PRESETS[int(resolution)]
    s = resolution / 32
    base = PRESETS[32]
    return PathfinderConfig(
        resolution=int(resolution), paddle_length=base.paddle_length * s, gap=base.gap * s,
        thickness=base.thickness * s, marker_radius=base.marker_radius * s,
        min_separation=base.min_separation * s, seed_distance=base.seed_distance * s,
        border=min(base.border * s, resolution / 8),
    )


def generate_pathfinder(
    n: int,
    resolution: int = 32,
    *,
    config: PathfinderConfig | None = None,
    seed: int | np.random.Generator | None = 0,
    dashed: bool = True,
    return_geometry: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, list[dict]]:
    """Generate ``n`` pathfinder-style images with balanced labels.

    Parameters
    ----------
    n : int
        Number of images.
    resolution : int
        32 (Pathfinder), 64 or 128 (Path-X) use :data:`PRESETS`; other sizes scale
        the lengths of the 32 preset. Ignored when ``config`` is given.
    config : PathfinderConfig, optional
        Full geometry and appearance.
    seed : int or numpy.random.Generator
        Randomness.
    dashed : bool
        Draw dashed paths (the task) or solid ones (for connectivity checks).
    return_geometry : bool
        Also return, per image, the marker positions and the path polylines.

    Returns
    -------
    images : ndarray, shape (n, R, R), uint8
    labels : ndarray, shape (n,), int64
        1 if the markers are joined by one path, else 0; alternates 1, 0, 1, ...
        before a seeded shuffle, so classes are balanced.
    geometry : list of dict, optional
        ``{"markers": (2, 2) array, "paths": [array (M, 2), ...], "segments":
        [array (P, 2, 2), ...], "target": (i, j)}`` with points as ``(x, y)`` in
        pixel units (pixel ``(row, col)`` covers ``[col, col+1) x [row, row+1)``);
        the first two paths are the target paths, ``target`` names the paths whose
        start and end carry the markers.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if config is not None and not isinstance(config, PathfinderConfig):
        raise TypeError(f"config must be a PathfinderConfig, got {type(config).__name__}")
    dashed = check_bool(dashed, "dashed")
    return_geometry = check_bool(return_geometry, "return_geometry")
    if config is not None:
        config._validate("config.")  # fields may have been changed after construction
    cfg = config if config is not None else _default_config(resolution)
    if n * cfg.resolution**2 > 2_000_000_000:
        raise ValueError(f"n * resolution**2 = {n * cfg.resolution**2} bytes of images is more "
                         f"than 2e9 (memory); got n={n}, resolution={cfg.resolution}")
    from .._validation import as_rng

    rng = as_rng(seed, "seed")
    labels = np.array([(i + 1) % 2 for i in range(n)], dtype=np.int64)
    rng.shuffle(labels)
    images = np.zeros((n, cfg.resolution, cfg.resolution), dtype=np.uint8)
    geometry: list[dict] = []
    R = cfg.resolution
    c_lo, c_hi = 2 * cfg.seed_distance, R - 2 * cfg.seed_distance
    if c_hi - c_lo < 2:  # no centre square left: start anywhere
        c_lo, c_hi = cfg.border, R - cfg.border
    for i in range(n):
        for _attempt in range(_PLACE_ATTEMPTS):
            occ = _Occupancy(cfg.resolution, cfg.min_separation)
            first = _grow_path(rng, cfg.n_paddles, cfg, occ,
                               start=lambda: rng.uniform(c_lo, c_hi, size=2))
            if first is None:
                continue
            s0 = first.segments[0][0]

            def near_first() -> np.ndarray:
                phi = rng.uniform(0, 2 * np.pi)
                return s0 + cfg.seed_distance * np.array([np.cos(phi), np.sin(phi)])

            second = _grow_path(rng, cfg.n_paddles, cfg, occ,
                                start=near_first if cfg.seed_distance > 0 else None)
            if second is not None:
                paths = [first, second]
                break
        else:
            raise ValueError(
                f"generate_pathfinder: could not place two target paths in {_PLACE_ATTEMPTS} "
                "attempts with "
                f"config.n_paddles={cfg.n_paddles}, config.paddle_length={cfg.paddle_length}, "
                f"config.gap={cfg.gap}, config.min_separation={cfg.min_separation}, "
                f"config.seed_distance={cfg.seed_distance}, config.max_turn={cfg.max_turn:g}, "
                f"config.border={cfg.border} and config.resolution={cfg.resolution}; reduce "
                "n_paddles, paddle_length, gap, min_separation or seed_distance, or raise "
                "resolution")
        for _ in range(cfg.n_distractors):
            path = _grow_path(rng, cfg.distractor_paddles, cfg, occ, tries=10)
            if path is not None:
                paths.append(path)
        k = int(rng.integers(2))  # the path whose start carries a marker
        other = k if labels[i] == 1 else 1 - k
        markers, target = [paths[k].ends[0], paths[other].ends[1]], (k, other)
        images[i] = _render(paths, markers, cfg, dashed, 2)
        if return_geometry:
            geometry.append({"markers": np.array(markers), "target": target,
                             "paths": [p.points for p in paths],
                             "segments": [np.array(p.segments) for p in paths]})
    if return_geometry:
        return images, labels, geometry
    return images, labels


def pathfinder_statistics(images: np.ndarray, geometry: Sequence[dict],
                          lit_level: int = 64) -> dict[str, float]:
    """Measure the appearance of Pathfinder images from their pixels.

    Parameters
    ----------
    images : ndarray, shape (n, R, R), uint8
    geometry : list of dict
        From ``generate_pathfinder(..., return_geometry=True)``: the centre lines
        and markers tell which pixels to look at; all values are read from the
        images.
    lit_level : int
        Grey level above which a pixel counts as lit (default 64 = 1/4 of 255),
        a number in ``[0, 255)``.

    Returns
    -------
    dict
        ``lit_fraction`` (pixels > 0) and ``bright_fraction`` (> ``lit_level``);
        ``marker_level`` (mean grey level at the marker centres);
        ``target_level`` / ``distractor_level`` (mean of the brightest pixel of
        each dash of the target / distractor paths); ``dash_length`` and
        ``gap_length`` (mean lengths, pixels, of the runs along the target
        centre lines where the pixel under the line is above / at most half
        ``target_level``); ``border_distance`` (mean over images of the smallest
        distance, pixels, from a lit pixel to the image edge) and
        ``near_border`` (fraction of images with a lit pixel in the outermost
        two rows or columns); ``components`` (mean number of 8-connected groups
        of lit pixels); ``distractors`` (mean number of distractor paths).
    """
    from scipy import ndimage

    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 of shape (n, R, R), got {images.dtype} "
                         f"{images.shape}")
    if images.shape[0] == 0 or images.shape[1] != images.shape[2]:
        raise ValueError(f"images must hold at least one square image, got shape {images.shape}")
    if not isinstance(geometry, (list, tuple)):
        raise TypeError(f"geometry must be a list of dicts (from generate_pathfinder(..., "
                        f"return_geometry=True)), got {type(geometry).__name__}")
    if len(geometry) != len(images):
        raise ValueError(f"geometry must have one entry per image ({len(images)}), "
                         f"got {len(geometry)}")
    for k, g in enumerate(geometry):
        _check_geometry(g, f"geometry[{k}]")
    if isinstance(lit_level, (bool, np.bool_)) or not isinstance(
            lit_level, (int, float, np.integer, np.floating)):
        raise TypeError(f"lit_level must be a number, got {type(lit_level).__name__}")
    if not 0 <= lit_level < 255:  # also refuses NaN
        raise ValueError(f"lit_level must be a grey level in [0, 255), got {lit_level}")
    n, R, _ = images.shape
    yy, xx = np.mgrid[0:R, 0:R]
    edge = np.minimum(np.minimum(yy, xx), np.minimum(R - 1 - yy, R - 1 - xx))

    def pix(img: np.ndarray, pts: np.ndarray) -> np.ndarray:
        c = np.clip(np.floor(pts).astype(int), 0, R - 1)
        return img[c[:, 1], c[:, 0]].astype(float)

    marker, target, distractor, dashes, gaps, border, near, comps, ndis = ([] for _ in range(9))
    for img, g in zip(images, geometry):
        marker.extend(pix(img, np.asarray(g["markers"])))
        for k, segs in enumerate(g["segments"]):
            peaks = [pix(img, _dense(a, b, 0.25)).max() for a, b in segs]
            (target if k < 2 else distractor).extend(peaks)
        lit = img > lit_level
        border.append(edge[lit].min() if lit.any() else R / 2)
        near.append(bool((lit & (edge <= 1)).any()))
        comps.append(ndimage.label(lit, structure=np.ones((3, 3)))[1])
        ndis.append(len(g["segments"]) - 2)
    t_level = float(np.mean(target))
    for img, g in zip(images, geometry):
        for k in range(2):
            pts = np.asarray(g["paths"][k])
            on = pix(img, pts) > t_level / 2
            step = np.r_[0.0, np.linalg.norm(np.diff(pts, axis=0), axis=1)]
            # runs of equal `on`; the first and last runs are cut by the markers
            cuts = np.flatnonzero(np.diff(on.astype(int))) + 1
            for r0, r1 in zip(cuts[:-1], cuts[1:]):
                (dashes if on[r0] else gaps).append(step[r0 + 1 : r1 + 1].sum())
    return {
        "lit_fraction": float((images > 0).mean()),
        "bright_fraction": float((images > lit_level).mean()),
        "marker_level": float(np.mean(marker)),
        "target_level": t_level,
        "distractor_level": float(np.mean(distractor)) if distractor else float("nan"),
        "dash_length": float(np.mean(dashes)) if dashes else 0.0,
        "gap_length": float(np.mean(gaps)) if gaps else 0.0,
        "border_distance": float(np.mean(border)),
        "near_border": float(np.mean(near)),
        "components": float(np.mean(comps)),
        "distractors": float(np.mean(ndis)),
    }



def _check_geometry(g: Any, where: str) -> None:
    """One entry of the geometry list of :func:`generate_pathfinder` (naming ``where``)."""
    if not isinstance(g, dict):
        raise TypeError(f"{where} must be a dict with keys 'markers', 'paths' and 'segments', "
                        f"got {type(g).__name__}")
    missing = sorted({"markers", "paths", "segments"} - set(g))
    if missing:
        raise ValueError(f"{where} must be a dict with keys 'markers', 'paths' and "
                         f"'segments'; missing {missing}")
    markers = as_array(g["markers"], f"{where}['markers']", ndim=2, complex_ok=False)
    if markers.shape[1] != 2 or markers.shape[0] == 0:
        raise ValueError(f"{where}['markers'] must have shape (M, 2), M >= 1, got {markers.shape}")
    for key, shape in (("paths", "(M, 2)"), ("segments", "(P, 2, 2)")):
        items = g[key]
        if not isinstance(items, (list, tuple)) or len(items) < 2:
            raise TypeError(f"{where}['{key}'] must be a list of at least two arrays {shape} "
                            "(the two target paths first)")
        for j, a in enumerate(items):
            arr = as_array(a, f"{where}['{key}'][{j}]", complex_ok=False)
            ok = (arr.ndim == 2 and arr.shape[1] == 2) if key == "paths" else \
                (arr.ndim == 3 and arr.shape[1:] == (2, 2))
            if not ok or arr.shape[0] == 0:
                raise ValueError(f"{where}['{key}'][{j}] must have shape {shape}, non-empty, "
                                 f"got {arr.shape}")


def write_pathfinder_tree(
    root: str | os.PathLike,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    per_batch: int = 100,
) -> Path:
    """Write images in the release layout under ``root/curv_contour_length_14``.

    Batches are numbered 0, 1, ...; ``metadata/<batch>.npy`` is a text file with
    rows ``imgs/<batch> sample_<i>.png <i> <label> 14`` (the trailing field stands
    for the generation parameters of the original rows).

    Returns
    -------
    pathlib.Path
        The ``curv_contour_length_14`` directory.
    """
    from PIL import Image

    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path (str or os.PathLike), got {type(root).__name__}")
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 of shape (n, R, R), got {images.dtype} {images.shape}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must have shape (n,) = ({images.shape[0]},) to match images, "
                             f"got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) and labels.dtype != bool:
        raise TypeError(f"labels must be integers 0/1, got dtype {labels.dtype}")
    if labels.size and not np.isin(labels, (0, 1)).all():
        bad = labels[~np.isin(labels, (0, 1))][0]
        raise ValueError(f"labels must be 0 or 1, got {bad}")
    if isinstance(per_batch, bool) or not isinstance(per_batch, (int, np.integer)):
        raise TypeError(f"per_batch must be an int, got {type(per_batch).__name__}")
    if per_batch < 1:
        raise ValueError(f"per_batch must be >= 1, got {per_batch}")
    base = Path(root) / CONTOUR_DIR
    (base / "metadata").mkdir(parents=True, exist_ok=True)
    n_batches = (len(images) + per_batch - 1) // per_batch
    for b in range(n_batches):
        sub = base / "imgs" / str(b)
        sub.mkdir(parents=True, exist_ok=True)
        rows = []
        for i in range(b * per_batch, min(len(images), (b + 1) * per_batch)):
            j = i - b * per_batch
            Image.fromarray(images[i], mode="L").save(sub / f"sample_{j}.png")
            rows.append(f"imgs/{b} sample_{j}.png {j} {int(labels[i])} 14")
        (base / "metadata" / f"{b}.npy").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return base


def _metadata_rows(path: Path) -> list[list[str]]:
    """Rows of one metadata file: text, or a real .npy read without pickle."""
    raw = path.read_bytes()
    if raw.startswith(b"\x93NUMPY"):
        try:
            arr = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"{path}: binary .npy metadata needs pickle; refusing to load") from exc
        return [[str(v) for v in np.atleast_1d(row)] for row in np.atleast_2d(arr)]
    try:
        text = raw.decode("utf-8-sig")  # UTF-8; a byte-order mark is accepted
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValueError(f"{path}:{line}: metadata is neither UTF-8 text nor a .npy array "
                         f"({exc.reason})") from None
    return [line.split() for line in text.splitlines()]


def _confined(base: Path, parts: Sequence[str], where: str) -> Path:
    """``base / parts...``, refused unless it stays inside ``base`` (symlinks resolved)."""
    for part in parts:
        pure = Path(part)
        if pure.is_absolute() or part.startswith(("/", "\\")) or ":" in part:
            raise ValueError(f"{where}: absolute path {part!r} in metadata; paths must be "
                             "relative to the data root")
        if ".." in pure.parts or ".." in part.replace("\\", "/").split("/"):
            raise ValueError(f"{where}: path {part!r} in metadata leaves the data root ('..')")
    path = base.joinpath(*parts)
    root = base.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise ValueError(f"{where}: {path} resolves to {resolved}, outside the data root {root}")
    return path


def load_pathfinder(root: str | os.PathLike, *, return_info: bool = False
                    ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, dict]:
    """Load a release-layout Pathfinder directory.

    Parameters
    ----------
    root : path
        ``pathfinderR`` (containing ``curv_contour_length_14``) or the
        ``curv_contour_length_14`` directory itself.
    return_info : bool
        Also return a dict with counts: ``n_rows`` (metadata rows read),
        ``empty_skipped`` (zero-byte images, skipped as the official pipeline
        filters them: ``ds.filter(lambda x: tf.strings.length(x['image']) > 0)`` in
        ``lra_benchmarks/image/input_pipeline.py``; the S4 loader blacklists the one
        it found, ``pathfinder32/curv_baseline/imgs/0/sample_172.png``),
        ``duplicates_skipped`` (rows
        naming an image already read, e.g. from an extra ``combined.npy`` beside
        the per-batch files) and ``metadata_files``.

    Returns
    -------
    images : ndarray, shape (n, R, R), uint8
    labels : ndarray, shape (n,), int64
        In metadata order (batches sorted numerically), each image once.
    info : dict
        Only with ``return_info=True``.

    Raises
    ------
    FileNotFoundError
        For a missing directory, metadata folder or image.
    ValueError
        For a malformed metadata row, a label not in {0, 1}, a path in the
        metadata that is absolute, contains ``..`` or resolves (through symlinks)
        outside the data root, a corrupt image, or images of inconsistent or
        non-square size; the message names the metadata file and row, or the
        image.
    """
    from PIL import Image, UnidentifiedImageError

    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path, got {type(root).__name__}")
    return_info = check_bool(return_info, "return_info")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"Pathfinder directory not found: {root}")
    base = root / CONTOUR_DIR if (root / CONTOUR_DIR).is_dir() else root
    meta_dir = base / "metadata"
    if not meta_dir.is_dir():
        raise FileNotFoundError(f"no metadata directory in {base} (expected {meta_dir})")
    files = sorted(meta_dir.glob("*.npy"), key=lambda p: (not p.stem.isdigit(), int(p.stem) if p.stem.isdigit() else 0, p.stem))
    if not files:
        raise FileNotFoundError(f"no metadata/*.npy files in {base}")
    images, labels = [], []
    shape = None
    seen: set[Path] = set()
    info = {"metadata_files": len(files), "n_rows": 0, "empty_skipped": 0,
            "duplicates_skipped": 0}
    for mf in files:
        for k, row in enumerate(_metadata_rows(mf), start=1):
            if not row:
                continue
            info["n_rows"] += 1
            where = f"{mf}:{k}"
            if len(row) < 4:
                raise ValueError(f"{where}: malformed metadata row {' '.join(row)!r} "
                                 "(expected 'subdir filename index label ...')")
            try:
                label = int(row[3])
            except ValueError:
                raise ValueError(f"{where}: label {row[3]!r} is not an integer") from None
            if label not in (0, 1):
                raise ValueError(f"{where}: label {label} not in {{0, 1}}")
            img_path = _confined(base, (row[0], row[1]), where)
            if not img_path.is_file():
                raise FileNotFoundError(f"{where}: image not found: {img_path}")
            key = img_path.resolve()
            if key in seen:
                info["duplicates_skipped"] += 1
                continue
            seen.add(key)
            if img_path.stat().st_size == 0:
                info["empty_skipped"] += 1
                continue
            try:
                with Image.open(img_path) as im:
                    arr = np.asarray(im.convert("L"), dtype=np.uint8)
            except (UnidentifiedImageError, OSError, SyntaxError) as exc:
                raise ValueError(f"{img_path} (from {where}): corrupt or unreadable image "
                                 f"({exc})") from None
            if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
                raise ValueError(f"{img_path}: expected a square grey image, got shape {arr.shape}")
            if shape is None:
                shape = arr.shape
            elif arr.shape != shape:
                raise ValueError(f"{img_path}: size {arr.shape} differs from {shape}")
            images.append(arr)
            labels.append(label)
    if not images:
        raise ValueError(f"no readable images listed in {meta_dir}")
    out = (np.stack(images), np.asarray(labels, dtype=np.int64))
    return (*out, info) if return_info else out


def split_indices(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                  seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, ...]:
    """Random disjoint train/val/test index arrays (80/10/10 by default).

    The official LRA pipeline (``get_pathfinder_base_datasets`` in
    ``lra_benchmarks/image/input_pipeline.py``) takes the same proportions as
    *contiguous* slices of its TFDS split (``[:80%]``, ``[80%:90%]``,
    ``[90%:]``), in the order the TFDS builder wrote the examples; that order is
    not reproducible from the release files alone, so this function draws a
    random permutation (fixed by ``seed``) instead, as the S4 loader does
    (state-spaces/s4, ``src/dataloaders/lra.py``: ``torch.utils.data.random_split``
    with ``val_split = test_split = 0.1`` and a seeded generator, over the images in
    metadata order). Reported accuracies therefore come from a different, equally
    sized, split.

    Parameters
    ----------
    n : int, >= 0
        Number of samples.
    fractions : sequence of float
        Non-negative, summing to 1.
    seed : int, numpy.random.Generator or None
    """
    from .._validation import as_rng

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n > 10**9:
        raise ValueError(f"n must be <= 10**9 (memory), got {n}")
    try:
        fr = np.asarray(fractions, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"fractions must be a sequence of numbers, got {fractions!r}") from None
    if fr.ndim != 1 or fr.size == 0 or not np.all(np.isfinite(fr)) or np.any(fr < 0) \
            or not np.isclose(fr.sum(), 1.0):
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    perm = as_rng(seed, "seed").permutation(int(n))
    cuts = np.round(np.cumsum(fr)[:-1] * n).astype(int)
    return tuple(np.split(perm, cuts))


class PathfinderDataset:
    """Images as pixel sequences: items ``(x, label)`` with ``x`` of shape (R*R, 1).

    Pixels are read row by row (raster order), as in LRA, and scaled to [0, 1]:
    ``uint8`` images are divided by 255; floating-point images must already lie
    in [0, 1] and are used as they are (never divided twice).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        images = np.asarray(images)
        labels = np.asarray(labels)
        if images.ndim != 3:
            raise ValueError(f"images must have shape (n, R, R), got {images.shape}")
        if labels.shape != (images.shape[0],):
            raise ValueError(f"labels must have shape (n,) = ({images.shape[0]},) to match images, "
                             f"got {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer) and labels.dtype != bool:
            raise TypeError(f"labels must be integers 0/1, got dtype {labels.dtype}")
        if labels.size and not np.isin(labels, (0, 1)).all():
            raise ValueError(f"labels must be 0 or 1, got {labels[~np.isin(labels, (0, 1))][0]}")
        if images.dtype == np.uint8:
            self.scale = 255.0
        elif np.issubdtype(images.dtype, np.floating):
            if images.size and not (np.all(np.isfinite(images)) and images.min() >= 0
                                    and images.max() <= 1):
                raise ValueError("images of a float dtype must be finite and in [0, 1] "
                                 "(uint8 images are scaled by 1/255)")
            self.scale = 1.0
        else:
            raise TypeError(f"images must be uint8 (0-255) or float in [0, 1], got {images.dtype}")
        self.images = images
        self.labels = labels.astype(np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> Any:
        """Item ``i`` as ``(x, label)``.

        ``i`` is an int with Python's sequence semantics (``-len(self) <= i <
        len(self)``, negative counts from the end); another integer raises
        ``IndexError`` and a non-integer (a bool, a float, a slice) ``TypeError``.
        """
        import torch

        from .listops import _check_index

        i = _check_index(i, len(self.labels), "PathfinderDataset")
        x = torch.from_numpy(self.images[i].reshape(-1, 1).astype(np.float32) / np.float32(self.scale))
        return x, int(self.labels[i])
