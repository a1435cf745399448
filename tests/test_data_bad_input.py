"""Bad input to ssmlib.data (ListOps, Pathfinder, pad_collate): errors name the argument.

Each case checks the exception type and that the message names the argument as the
caller wrote it; none may hang, recurse without bound or leak an IndexError,
AttributeError, RuntimeError or OverflowError from inside.
"""

import math

import numpy as np
import pytest
import torch

from ssmlib.data import ListOpsDataset, PathfinderDataset, pad_collate
from ssmlib.data import listops as lo
from ssmlib.data import pathfinder as pf

NAN, INF = float("nan"), float("inf")


# --- listops: generate_tree ---------------------------------------------------------------------

GENERATE_TREE_BAD = [
    (dict(operator_prob=1.0), ValueError, "operator_prob"),  # ~1e9 nodes with the defaults
    (dict(max_args=10**12, max_depth=2), ValueError, "max_args"),
    (dict(max_depth=10**6), ValueError, "max_depth"),
    (dict(max_depth=0), ValueError, "max_depth"),
    (dict(max_depth=2.5), TypeError, "max_depth"),
    (dict(max_depth=True), TypeError, "max_depth"),
    (dict(max_args=1), ValueError, "max_args"),
    (dict(max_args="10"), TypeError, "max_args"),
    (dict(operator_prob=NAN), ValueError, "operator_prob"),
    (dict(operator_prob=INF), ValueError, "operator_prob"),
    (dict(operator_prob=-0.1), ValueError, "operator_prob"),
    (dict(operator_prob=1.5), ValueError, "operator_prob"),
    (dict(operator_prob="0.25"), TypeError, "operator_prob"),
    (dict(operator_prob=None), TypeError, "operator_prob"),
    (dict(depth=0), ValueError, "depth"),
    (dict(depth=11), ValueError, "depth"),
    (dict(depth=1.0), TypeError, "depth"),
]


@pytest.mark.parametrize("kwargs, exc, name", GENERATE_TREE_BAD,
                         ids=[f"{k}" for k, _, _ in GENERATE_TREE_BAD])
def test_generate_tree_validates_arguments(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        lo.generate_tree(0, **kwargs)


@pytest.mark.parametrize("rng", ["abc", 2.5, -1, True])
def test_generate_tree_rng(rng):
    with pytest.raises((TypeError, ValueError), match="rng"):
        lo.generate_tree(rng)


def test_generate_tree_defaults_unchanged_and_size_capped(monkeypatch):
    # good input: LRA defaults still draw trees (the same as before for a seed)
    a = lo.generate_tree(np.random.default_rng(3))
    b = lo.generate_tree(np.random.default_rng(3))
    assert a == b and lo.tree_length(a) >= 1
    # a tree growing beyond the token budget is refused, not built
    monkeypatch.setattr(lo, "MAX_TREE_TOKENS", 60)
    raised = 0
    for seed in range(40):
        try:
            tree = lo.generate_tree(seed, max_depth=3, max_args=10, operator_prob=0.9)
        except ValueError as e:
            assert "tokens" in str(e) and "operator_prob" in str(e)
            raised += 1
        else:
            assert lo.tree_length(tree) <= 60
    assert raised > 0


# --- listops: tree functions --------------------------------------------------------------------

BAD_TREES = [
    ("str", "abc", TypeError),
    ("empty-list", [], TypeError),
    ("empty-array", np.array([]), TypeError),
    ("3d-array", np.zeros((2, 2, 2)), TypeError),
    ("none", None, TypeError),
    ("float", 2.5, TypeError),
    ("nan", NAN, TypeError),
    ("no-args", ("[MAX", []), ValueError),
    ("unknown-op", ("FOO", [1, 2]), ValueError),
    ("op-not-str", (3, [1, 2]), TypeError),
    ("children-not-list", ("[MAX", 3), TypeError),
    ("big-int", 10**12, ValueError),
    ("negative", -3, ValueError),
    ("bool", True, TypeError),
    ("nested-bad-leaf", ("[MAX", [1, ("[MIN", [2, 10])]), ValueError),
    ("triple", ("[MAX", [1], 3), TypeError),
]


@pytest.mark.parametrize("fn", [lo.tree_length, lo.to_lra_string, lo.tree_value],
                         ids=["tree_length", "to_lra_string", "tree_value"])
@pytest.mark.parametrize("kind, tree, exc", BAD_TREES, ids=[k for k, _, _ in BAD_TREES])
def test_tree_functions_validate_tree(fn, kind, tree, exc):
    with pytest.raises(exc, match="tree"):
        fn(tree)


@pytest.mark.parametrize("fn", [lo.tree_length, lo.to_lra_string, lo.tree_value],
                         ids=["tree_length", "to_lra_string", "tree_value"])
def test_tree_functions_bound_depth_and_size(fn):
    deep = 1
    for _ in range(5000):  # would overflow the recursion limit
        deep = ("[MAX", [deep])
    with pytest.raises(ValueError, match="tree is deeper"):
        fn(deep)
    shared = ("[MAX", [1, 2])
    for _ in range(60):  # 2**60 leaves through shared sub-lists: must not be walked
        shared = ("[SM", [shared, shared])
    with pytest.raises(ValueError, match="tree"):
        fn(shared)
    cyclic = ["[MAX", None]
    cyclic[1] = [cyclic]
    with pytest.raises(ValueError, match="tree"):
        fn(cyclic)


def test_tree_functions_good_input():
    tree = ("[MAX", [4, ("[MIN", [2, 3]), np.int64(1)])
    assert lo.tree_value(tree) == 4
    assert lo.tree_length(tree) == 8
    assert lo.to_lra_string(tree, parens=False) == "[MAX 4 [MIN 2 3 ] 1 ]"
    assert lo.tree_value(7) == 7 and lo.to_lra_string(7) == "7"


@pytest.mark.parametrize("parens", [1, "yes", None, np.array([True])])
def test_to_lra_string_parens_is_a_flag(parens):
    with pytest.raises(TypeError, match="parens"):
        lo.to_lra_string(3, parens=parens)


# --- listops: generate_listops ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(operator_prob=0.0),
    dict(operator_prob=1.0, min_length=5, max_length=20),
    dict(operator_prob=0.5, max_depth=2, max_args=3, min_length=10, max_length=20),
], ids=["p0", "p1-short-window", "shallow"])
def test_generate_listops_unreachable_window_is_value_error(kwargs):
    with pytest.raises(ValueError, match="operator_prob") as info:
        lo.generate_listops(2, **kwargs)
    msg = str(info.value)
    assert all(name in msg for name in ("min_length", "max_length", "max_depth"))
    assert isinstance(info.value, RuntimeError)  # the type raised before, still caught


def test_generate_listops_exhausted_tries_is_value_error():
    # window (1, 4) allows lengths 2 and 3, which no tree has: found only by trying
    with pytest.raises(ValueError, match="max_tries") as info:
        lo.generate_listops(2, min_length=1, max_length=4, max_depth=3, max_args=2,
                            operator_prob=0.5, max_tries=20)
    assert "operator_prob" in str(info.value) and "min_length" in str(info.value)


@pytest.mark.parametrize("exclude", [None, 3, 2.5, [3], ["ok", None]])
def test_generate_listops_exclude(exclude):
    with pytest.raises(TypeError, match="exclude"):
        lo.generate_listops(2, min_length=3, max_length=12, max_depth=3, exclude=exclude)


def test_generate_listops_good_input_unchanged():
    a = lo.generate_listops(5, min_length=5, max_length=30, seed=1)
    b = lo.generate_listops(5, min_length=5, max_length=30, seed=1, exclude=set())
    assert a == b and len(a) == 5
    for source, label in a:
        assert lo.evaluate(source) == label


# --- listops: files -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [None, 3, 2.5, ["a"]])
def test_listops_paths_are_named(bad, tmp_path):
    with pytest.raises(TypeError, match="root"):
        lo.load_listops(bad)
    with pytest.raises(TypeError, match="path"):
        lo.load_listops_tsv(bad)
    with pytest.raises(TypeError, match="path"):
        lo.write_listops_tsv(bad, [("[MAX 1 2 ]", 2)])


@pytest.mark.parametrize("samples", [None, 3, "abc"])
def test_write_listops_tsv_samples(samples, tmp_path):
    with pytest.raises(TypeError, match="samples"):
        lo.write_listops_tsv(tmp_path / "x.tsv", samples)
    assert not (tmp_path / "x.tsv").exists()


@pytest.mark.parametrize("split, exc", [(np.array(["train"]), TypeError), (None, TypeError),
                                        (3, TypeError), ("dev", ValueError)])
def test_load_listops_split(split, exc, tmp_path):
    with pytest.raises(exc, match="split"):
        lo.load_listops(tmp_path, split=split)


# --- datasets -----------------------------------------------------------------------------------

def _listops_ds():
    return ListOpsDataset([("[MAX 1 2 ]", 2), ("[MIN 3 4 ]", 3), ("[SM 5 6 ]", 1)])


def _pathfinder_ds():
    X = np.arange(3 * 8 * 8, dtype=np.uint8).reshape(3, 8, 8)
    return PathfinderDataset(X, np.array([0, 1, 1]))


@pytest.mark.parametrize("make", [_listops_ds, _pathfinder_ds], ids=["listops", "pathfinder"])
@pytest.mark.parametrize("i, exc", [(-4, IndexError), (3, IndexError), (10**12, IndexError),
                                    (-10**12, IndexError), (None, TypeError),
                                    ("abc", TypeError), (2.5, TypeError), (True, TypeError),
                                    (np.bool_(False), TypeError), (slice(0, 2), TypeError)])
def test_dataset_getitem_index(make, i, exc):
    ds = make()
    with pytest.raises(exc, match="index i"):
        ds[i]


@pytest.mark.parametrize("make", [_listops_ds, _pathfinder_ds], ids=["listops", "pathfinder"])
def test_dataset_getitem_range_in_message_and_negative_indices(make):
    ds = make()
    with pytest.raises(IndexError, match=r"-3 <= i < 3"):
        ds[3]
    for i in range(-3, 3):  # Python semantics
        x, y = ds[i]
        x0, y0 = ds[i % 3]
        assert torch.equal(x, x0) and y == y0
    assert ds[np.int64(1)][1] == ds[1][1]


@pytest.mark.parametrize("flag", [1, "yes", None, np.array([True, False])])
def test_listops_tokenizer_keep_parens(flag):
    with pytest.raises(TypeError, match="keep_parens"):
        lo.ListOpsTokenizer(keep_parens=flag)


# --- pad_collate --------------------------------------------------------------------------------

_INT_BATCH = [(torch.tensor([1, 2]), 1), (torch.tensor([3]), 0)]
_FLOAT_BATCH = [(torch.tensor([1.0, 2.0]), 1), (torch.tensor([3.0]), 0)]

PAD_BAD = [
    ("int-nan", _INT_BATCH, NAN, ValueError),
    ("int-inf", _INT_BATCH, INF, ValueError),
    ("int-minus-inf", _INT_BATCH, -INF, ValueError),
    ("int-fraction", _INT_BATCH, 2.5, ValueError),
    ("int-overflow", _INT_BATCH, 10**30, ValueError),
    ("uint8-overflow", [(torch.tensor([1, 2], dtype=torch.uint8), 1)], 300, ValueError),
    ("uint8-negative", [(torch.tensor([1, 2], dtype=torch.uint8), 1)], -1, ValueError),
    ("bool-2", [(torch.tensor([True]), 1)], 2, ValueError),
    ("float-nan", _FLOAT_BATCH, NAN, ValueError),
    ("float-inf", _FLOAT_BATCH, INF, ValueError),
    ("float32-overflow", _FLOAT_BATCH, 1e300, ValueError),
    ("float-huge-int", _FLOAT_BATCH, 10**400, ValueError),
    ("str", _INT_BATCH, "0", TypeError),
    ("bool", _INT_BATCH, True, TypeError),
    ("none", _INT_BATCH, None, TypeError),
]


@pytest.mark.parametrize("kind, batch, pad_value, exc", PAD_BAD, ids=[c[0] for c in PAD_BAD])
def test_pad_collate_pad_value(kind, batch, pad_value, exc):
    with pytest.raises(exc, match="pad_value"):
        pad_collate(batch, pad_value=pad_value)


def test_pad_collate_good_pad_values():
    x, mask, y = pad_collate(_INT_BATCH, pad_value=2.0)
    assert x.tolist() == [[1, 2], [3, 2]] and x.dtype == torch.int64
    x, _, _ = pad_collate(_INT_BATCH, pad_value=np.int64(-1))
    assert x.tolist() == [[1, 2], [3, -1]]
    x, _, _ = pad_collate(_FLOAT_BATCH, pad_value=2.5)
    assert x.tolist() == [[1.0, 2.0], [3.0, 2.5]]
    assert mask.tolist() == [[True, True], [True, False]] and y.tolist() == [1, 0]


# --- pathfinder: config -------------------------------------------------------------------------

CONFIG_BAD = [
    (dict(resolution=16, n_distractors=10**12), "n_distractors"),
    (dict(n_distractors=10**6), "n_distractors"),
    (dict(n_distractors=1000, distractor_paddles=1000), "distractor_paddles"),
    (dict(n_paddles=10**6), "n_paddles"),
    (dict(distractor_paddles=10**6), "distractor_paddles"),
    (dict(gap=1e9), "gap"),
    (dict(paddle_length=1e9), "paddle_length"),
    (dict(seed_distance=1e9), "seed_distance"),
    (dict(min_separation=1e12), "min_separation"),
    (dict(thickness=1e9), "thickness"),
    (dict(marker_radius=1e9), "marker_radius"),
    (dict(resolution=10**6), "resolution"),
    (dict(resolution=1024, antialias_scale=16), "antialias_scale"),
    (dict(n_paddles=100), "n_paddles"),  # two 100-paddle paths cannot fit in 32x32
]


@pytest.mark.parametrize("kwargs, name", CONFIG_BAD, ids=[n + str(i) for i, (_, n)
                                                           in enumerate(CONFIG_BAD)])
def test_pathfinder_config_bounds(kwargs, name):
    with pytest.raises(ValueError, match=name):
        pf.PathfinderConfig(**kwargs)


@pytest.mark.parametrize("field, value", [("n_distractors", 10**12), ("n_paddles", 10**6),
                                          ("min_separation", 1e12), ("gap", NAN),
                                          ("resolution", 2.5)])
def test_generate_pathfinder_rechecks_changed_config(field, value):
    cfg = pf.PathfinderConfig(resolution=16)
    setattr(cfg, field, value)  # a dataclass: fields can change after construction
    with pytest.raises((ValueError, TypeError), match=f"config.{field}"):
        pf.generate_pathfinder(1, config=cfg)


def test_generate_pathfinder_unplaceable_is_value_error(monkeypatch):
    monkeypatch.setattr(pf, "_PLACE_ATTEMPTS", 10)  # fail fast (200 attempts by default)
    # the second target path must start 15 px from the first in a 16x16 image
    cfg = pf.PathfinderConfig(resolution=16, seed_distance=15.0)
    with pytest.raises(ValueError, match="config.seed_distance") as info:
        pf.generate_pathfinder(1, config=cfg, seed=0)
    assert not isinstance(info.value, RuntimeError)
    assert "config.n_paddles" in str(info.value)


@pytest.mark.parametrize("kwargs, name", [(dict(dashed=1), "dashed"),
                                          (dict(dashed=np.array([True])), "dashed"),
                                          (dict(return_geometry="yes"), "return_geometry"),
                                          (dict(return_geometry=None), "return_geometry")])
def test_generate_pathfinder_flags(kwargs, name):
    with pytest.raises(TypeError, match=name):
        pf.generate_pathfinder(1, 16, **kwargs)


# --- pathfinder: render_sample ------------------------------------------------------------------

def _path():
    return pf._Path(segments=[(np.array([10.0, 10.0]), np.array([14.0, 10.0])),
                              (np.array([16.0, 10.0]), np.array([20.0, 12.0]))])


def test_render_sample_good_input():
    img = pf.render_sample([_path()], [[10.0, 10.0]], pf.PathfinderConfig(), n_targets=1)
    assert img.shape == (32, 32) and img.dtype == np.uint8 and img.max() == 255
    same = pf.render_sample([_path()], np.array([[10.0, 10.0]]), pf.PathfinderConfig())
    assert np.array_equal(img, same)  # n_targets=2 (default) > len(paths): all targets


RENDER_BAD = [
    ("cfg-str", dict(cfg="cfg"), TypeError, "cfg"),
    ("cfg-none", dict(cfg=None), TypeError, "cfg"),
    ("paths-str", dict(paths="abc"), TypeError, "paths"),
    ("paths-array", dict(paths=np.zeros((2, 3))), TypeError, "paths"),
    ("paths-item", dict(paths=[object()]), TypeError, "paths"),
    ("paths-empty-path", dict(paths=[pf._Path()]), ValueError, "paths"),
    ("markers-inf", dict(markers=[[INF, 0.0]]), ValueError, "markers"),
    ("markers-nan", dict(markers=[[NAN, 0.0]]), ValueError, "markers"),
    ("markers-huge", dict(markers=[[1e300, 0.0]]), ValueError, "markers"),
    ("markers-str", dict(markers="abc"), TypeError, "markers"),
    ("markers-shape", dict(markers=[1.0, 2.0, 3.0]), ValueError, "markers"),
    ("n_targets-neg", dict(n_targets=-3), ValueError, "n_targets"),
    ("n_targets-nan", dict(n_targets=NAN), TypeError, "n_targets"),
    ("n_targets-big", dict(n_targets=10**12), ValueError, "n_targets"),
    ("n_targets-bool", dict(n_targets=True), TypeError, "n_targets"),
    ("dashed", dict(dashed="no"), TypeError, "dashed"),
]


@pytest.mark.parametrize("kind, kwargs, exc, name", RENDER_BAD, ids=[c[0] for c in RENDER_BAD])
def test_render_sample_validates(kind, kwargs, exc, name):
    good = dict(paths=[_path()], markers=[[10.0, 10.0]], cfg=pf.PathfinderConfig())
    with pytest.raises(exc, match=name):
        pf.render_sample(**dict(good, **kwargs))


def test_render_sample_rechecks_cfg():
    cfg = pf.PathfinderConfig()
    cfg.antialias_scale = 10**6
    with pytest.raises(ValueError, match="cfg.antialias_scale"):
        pf.render_sample([_path()], [[10.0, 10.0]], cfg)


# --- pathfinder: statistics and files -----------------------------------------------------------

@pytest.fixture(scope="module")
def small_set():
    return pf.generate_pathfinder(2, seed=0, return_geometry=True)


@pytest.mark.parametrize("geometry, exc", [(np.zeros((2, 2, 2)), TypeError), (None, TypeError),
                                           ("ab", TypeError), ([{}, {}], ValueError),
                                           ([1, 2], TypeError)],
                         ids=["3d-array", "none", "str", "empty-dicts", "ints"])
def test_pathfinder_statistics_geometry(small_set, geometry, exc):
    X, _, _ = small_set
    with pytest.raises(exc, match="geometry"):
        pf.pathfinder_statistics(X, geometry)


def test_pathfinder_statistics_geometry_entries(small_set):
    X, _, geo = small_set
    bad = [dict(geo[0], markers=[[INF, 0.0]]), geo[1]]
    with pytest.raises(ValueError, match=r"geometry\[0\]\['markers'\]"):
        pf.pathfinder_statistics(X, bad)
    bad = [geo[0], dict(geo[1], paths=geo[1]["paths"][:1])]
    with pytest.raises(TypeError, match=r"geometry\[1\]\['paths'\]"):
        pf.pathfinder_statistics(X, bad)


@pytest.mark.parametrize("lit_level, exc", [(NAN, ValueError), (300, ValueError),
                                            (-1, ValueError), (INF, ValueError),
                                            ("64", TypeError), (True, TypeError)])
def test_pathfinder_statistics_lit_level(small_set, lit_level, exc):
    X, _, geo = small_set
    with pytest.raises(exc, match="lit_level"):
        pf.pathfinder_statistics(X, geo, lit_level=lit_level)


def test_pathfinder_statistics_good_and_empty(small_set):
    X, _, geo = small_set
    stats = pf.pathfinder_statistics(X, geo)
    assert all(math.isfinite(v) for v in stats.values())
    with pytest.raises(ValueError, match="images"):
        pf.pathfinder_statistics(X[:0], [])


@pytest.mark.parametrize("root", [None, 3, 2.5])
def test_write_pathfinder_tree_root(root, small_set):
    X, y, _ = small_set
    with pytest.raises(TypeError, match="root"):
        pf.write_pathfinder_tree(root, X, y)


@pytest.mark.parametrize("flag", [np.array([True]), 1, "yes", None])
def test_load_pathfinder_return_info(flag, tmp_path):
    with pytest.raises(TypeError, match="return_info"):
        pf.load_pathfinder(tmp_path, return_info=flag)
