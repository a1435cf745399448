"""Bad input to the models (LRU, GRU baseline, Transformer, recall) and the training helpers.

Each bad call must raise ``ValueError`` or ``TypeError`` whose message names the argument;
good input (including the edge cases listed at the end) must behave as before.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ssmlib.train as T
from ssmlib.inference import GRUBaseline, matched_gru
from ssmlib.lru import LRU, LRUBlock, LRUClassifier, lru_param_groups, masked_mean
from ssmlib.recall import (RecallRNN, make_recall_model, recall_gradient_norm, train_recall)
from ssmlib.transformer import KVCache, TransformerClassifier

torch.manual_seed(0)
_LRU = LRU(4, 3)
_BLOCK = LRUBlock(4, 3).eval()
_CLF = LRUClassifier(2, 4, 3, 1, vocab_size=5).eval()
_GRU = GRUBaseline(5, 8, 2).eval()
_H = _GRU.initial_state(2)
_TF = TransformerClassifier(2, 8, 2, 2, vocab_size=5, max_len=8).eval()
_X = torch.randn(2, 3, 4)
_TOK = torch.tensor([1, 2])
_REC = make_recall_model("lru")
_XR = torch.zeros(3, 4, 5)
_ARR = np.array([True, False])


def _kv(*shape, n=2):
    return KVCache([torch.zeros(shape) for _ in range(n)], [torch.zeros(shape) for _ in range(n)])


CASES = [
    # LRU.initial_state: batch and device
    ("init batch negative", lambda: _LRU.initial_state(-3), ValueError, "batch"),
    ("init batch huge", lambda: _LRU.initial_state(10**12), ValueError, r"batch.*memory"),
    ("init batch None", lambda: _LRU.initial_state(None), TypeError, "batch"),
    ("init batch float", lambda: _LRU.initial_state(2.5), TypeError, "batch"),
    ("init batch bool", lambda: _LRU.initial_state(True), TypeError, "batch"),
    ("init device str", lambda: _LRU.initial_state(2, "abc"), ValueError, "device"),
    ("init device negative", lambda: _LRU.initial_state(2, -3), ValueError, "device"),
    ("init device list", lambda: _LRU.initial_state(2, []), TypeError, "device"),
    # flags
    ("LRU return_state array", lambda: _LRU(_X, return_state=_ARR), TypeError, "return_state"),
    ("LRU return_state int", lambda: _LRU(_X, return_state=1), TypeError, "return_state"),
    ("LRU.step check_finite", lambda: _LRU.step(_X[:, 0], check_finite=_ARR), TypeError,
     "check_finite"),
    ("LRUBlock.step check_finite", lambda: _BLOCK.step(_X[:, 0], check_finite=_ARR), TypeError,
     "check_finite"),
    ("LRUClassifier.step check_finite", lambda: _CLF.step(_TOK, check_finite=_ARR), TypeError,
     "check_finite"),
    ("LRUClassifier.step check_finite str", lambda: _CLF.step(_TOK, check_finite="yes"),
     TypeError, "check_finite"),
    ("LRUBlock norm array", lambda: LRUBlock(4, 3, norm=np.array(["layer"])), TypeError, "norm"),
    ("LRUBlock norm str", lambda: LRUBlock(4, 3, norm="group"), ValueError, "norm"),
    # lru_param_groups
    ("param groups model None", lambda: lru_param_groups(None, 1e-3), TypeError, "model"),
    ("param groups lr nan", lambda: lru_param_groups(_LRU, float("nan")), ValueError, "lr"),
    ("param groups lr str", lambda: lru_param_groups(_LRU, "1"), TypeError, "lr"),
    ("param groups weight_decay", lambda: lru_param_groups(_LRU, 1e-3, weight_decay=-1.0),
     ValueError, "weight_decay"),
    # masks are masks, not weights
    ("masked_mean mask -1", lambda: masked_mean(_X, torch.full((2, 3), -1)), ValueError, "mask"),
    ("masked_mean mask 2.5", lambda: masked_mean(_X, torch.full((2, 3), 2.5)), ValueError, "mask"),
    ("masked_mean mask nan", lambda: masked_mean(_X, torch.full((2, 3), float("nan"))),
     ValueError, "mask"),
    ("masked_mean mask complex", lambda: masked_mean(_X, torch.ones(2, 3, dtype=torch.complex64)),
     TypeError, "mask"),
    ("classifier mask -1", lambda: _CLF(torch.ones(2, 3, dtype=torch.long), torch.full((2, 3), -1)),
     ValueError, "mask"),
    # sizes whose parameters cannot fit in memory
    ("LRUBlock d_model huge", lambda: LRUBlock(10**5, 4), ValueError, r"d_model.*memory"),
    ("LRUClassifier d_model huge", lambda: LRUClassifier(2, 10**5, 4, vocab_size=5), ValueError,
     r"d_model.*memory"),
    ("LRUClassifier params", lambda: LRUClassifier(2, 2**14, 2**14, vocab_size=5), ValueError,
     r"d_state.*memory"),
    ("LRUClassifier vocab", lambda: LRUClassifier(2, 2**14, 4, vocab_size=2**20), ValueError,
     r"vocab_size.*memory"),
    ("TrainConfig d_model huge", lambda: T.train(T.TrainConfig(d_model=100000)), ValueError,
     "d_model"),
    ("Transformer d_model huge", lambda: TransformerClassifier(2, 2**15, 1, 1, vocab_size=5),
     ValueError, r"d_model.*memory"),
    ("Transformer params", lambda: TransformerClassifier(2, 2**14, 8, 2, vocab_size=5),
     ValueError, r"n_layers.*memory"),
    ("Transformer positions array",
     lambda: TransformerClassifier(2, 8, 1, 2, vocab_size=5, positions=np.array(["learned"])),
     TypeError, "positions"),
    # GRUBaseline
    ("GRU step h str", lambda: _GRU.step(_TOK, "h"), TypeError, "h"),
    ("GRU step h dtype", lambda: _GRU.step(_TOK, _H.double()), TypeError, "h"),
    ("GRU step h shape", lambda: _GRU.step(_TOK, _H[:1]), ValueError, "h"),
    ("GRU step h batch", lambda: _GRU.step(_TOK[:1], _H), ValueError, "h"),
    ("GRU step x_t negative", lambda: _GRU.step(torch.tensor([-1, 2]), _H), ValueError, "x_t"),
    ("GRU step x_t too large", lambda: _GRU.step(torch.tensor([5, 2]), _H), ValueError, "x_t"),
    ("GRU step x_t float", lambda: _GRU.step(torch.tensor([1.0, 2.0]), _H), TypeError, "x_t"),
    ("GRU step x_t 2d", lambda: _GRU.step(_TOK[None], _H), ValueError, "x_t"),
    ("GRU step x_t numpy", lambda: _GRU.step(np.array([1, 2]), _H), TypeError, "x_t"),
    ("GRU step h nan", lambda: _GRU.step(_TOK, _H * float("nan"), check_finite=True), ValueError,
     "h"),
    ("GRU step check_finite", lambda: _GRU.step(_TOK, _H, check_finite=_ARR), TypeError,
     "check_finite"),
    ("GRU features float", lambda: _GRU.features(torch.zeros(2, 3)), TypeError, "x"),
    ("GRU features negative", lambda: _GRU.features(torch.full((2, 3), -1)), ValueError, "x"),
    ("GRU features empty", lambda: _GRU.features(torch.zeros(2, 0, dtype=torch.long)),
     ValueError, "x"),
    ("GRU batch negative", lambda: _GRU.initial_state(-3), ValueError, "batch"),
    ("GRU batch huge", lambda: _GRU.initial_state(10**12), ValueError, r"batch.*memory"),
    ("GRU batch bool", lambda: _GRU.initial_state(True), TypeError, "batch"),
    ("GRU too big", lambda: GRUBaseline(vocab_size=10**6, hidden=10**4, n_layers=1), ValueError,
     r"vocab_size.*memory"),
    ("matched_gru too big", lambda: matched_gru(10**12, 10**6, 2), ValueError,
     r"vocab_size.*memory"),
    # KVCache and TransformerClassifier.step
    ("KVCache empty", lambda: KVCache([], []), ValueError, "keys"),
    ("KVCache None", lambda: KVCache(None, None), TypeError, "keys"),
    ("KVCache values None", lambda: KVCache([torch.zeros(1, 2, 4, 4)], None), TypeError, "values"),
    ("KVCache lengths differ", lambda: KVCache([torch.zeros(1, 2, 4, 4)], []), ValueError,
     "values"),
    ("KVCache 3d", lambda: KVCache([torch.zeros(2, 2, 2)], [torch.zeros(2, 2, 2)]), ValueError,
     "keys"),
    ("KVCache not a tensor", lambda: KVCache([1], [2]), TypeError, "keys"),
    ("KVCache int dtype", lambda: KVCache([torch.zeros(1, 2, 4, 4, dtype=torch.long)],
                                          [torch.zeros(1, 2, 4, 4, dtype=torch.long)]),
     TypeError, "keys"),
    ("KVCache shapes differ", lambda: KVCache([torch.zeros(1, 2, 4, 4)], [torch.zeros(1, 2, 5, 4)]),
     ValueError, "values"),
    ("step KVCache blocks", lambda: _TF.step(torch.tensor([1]), _kv(1, 2, 4, 4, n=1)), ValueError,
     "caches"),
    ("step KVCache heads", lambda: _TF.step(torch.tensor([1]), _kv(1, 4, 4, 2)), ValueError,
     "caches"),
    ("step KVCache batch", lambda: _TF.step(_TOK, _TF.new_cache(1, 4)), ValueError, "caches"),
    ("step KVCache dtype", lambda: _TF.step(torch.tensor([1]), _kv(1, 2, 4, 4).__class__(
        [torch.zeros(1, 2, 4, 4, dtype=torch.float64)] * 2,
        [torch.zeros(1, 2, 4, 4, dtype=torch.float64)] * 2)), ValueError, "caches"),
    ("step legacy entry", lambda: _TF.step(torch.tensor([1]), [(1, 2), None], position=1),
     ValueError, "caches"),
    ("step legacy shape", lambda: _TF.step(torch.tensor([1]), [(torch.zeros(1, 2, 3),) * 2] * 2,
                                           position=3), ValueError, "caches"),
    ("step caches str", lambda: _TF.step(torch.tensor([1]), "abc"), ValueError, "caches"),
    # training
    ("TrainConfig epochs", lambda: T.TrainConfig(epochs=10**12).validate(), ValueError, "epochs"),
    ("TrainConfig batch_size", lambda: T.TrainConfig(batch_size=10**9).validate(), ValueError,
     "batch_size"),
    ("TrainConfig max_length", lambda: T.TrainConfig(max_length=10**9).validate(), ValueError,
     "max_length"),
    ("TrainConfig max_depth", lambda: T.TrainConfig(max_depth=1000).validate(), ValueError,
     "max_depth"),
    ("TrainConfig max_steps", lambda: T.TrainConfig(max_steps=10**12).validate(), ValueError,
     "max_steps"),
    ("TrainConfig n_layers", lambda: T.TrainConfig(n_layers=10**6).validate(), ValueError,
     "n_layers"),
    ("TrainConfig num_threads", lambda: T.TrainConfig(num_threads=10**12).validate(), ValueError,
     "num_threads"),
    ("TrainConfig seed", lambda: T.TrainConfig(seed=2**64).validate(), ValueError, "seed"),
    ("TrainConfig task array", lambda: T.TrainConfig(task=np.array(["listops"])).validate(),
     TypeError, "task"),
    ("length_generalization num_threads", lambda: T.length_generalization(num_threads=10**12),
     ValueError, "num_threads"),
    ("length_generalization model array",
     lambda: T.length_generalization(model=np.array(["lru"])), TypeError, "model"),
    ("seed_everything huge", lambda: T.seed_everything(2**64), ValueError, "seed"),
    ("train resume array", lambda: T.train(resume=_ARR), TypeError, "resume"),
    ("main argv numpy", lambda: T.main(np.array(["--epochs", "1"])), TypeError, "argv"),
    ("main argv int", lambda: T.main(3), TypeError, "argv"),
    ("main argv str", lambda: T.main("--epochs"), TypeError, "argv"),
    ("main argv non-str item", lambda: T.main(["--epochs", 1]), TypeError, "argv"),
    ("config_from_args argv", lambda: T.config_from_args(3), TypeError, "argv"),
    ("evaluate_model loader str", lambda: T.evaluate_model(_CLF, "abc", "cpu"), TypeError,
     "loader"),
    ("evaluate_model loader pairs", lambda: T.evaluate_model(_CLF, [(1, 2)], "cpu"), TypeError,
     "loader"),
    ("evaluate_model loader dict", lambda: T.evaluate_model(_CLF, {"x": 1}, "cpu"), TypeError,
     "loader"),
    # recall
    ("train_recall steps 0", lambda: train_recall(_REC, 2, steps=0), ValueError, "steps"),
    ("recall_gradient_norm y -1", lambda: recall_gradient_norm(_REC, _XR, torch.full((3,), -1)),
     ValueError, "y"),
    ("recall_gradient_norm y too large",
     lambda: recall_gradient_norm(_REC, _XR, torch.full((3,), 4)), ValueError, "y"),
    ("make_recall_model kind int", lambda: make_recall_model(3), TypeError, "kind"),
    ("RecallRNN cell array", lambda: RecallRNN(cell=np.array(["gru"])), TypeError, "cell"),
    ("RecallRNN cell str", lambda: RecallRNN(cell="lstm"), ValueError, "cell"),
]


@pytest.mark.parametrize("name, call, exc, match", CASES, ids=[c[0] for c in CASES])
def test_bad_argument_raises_naming_it(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- good input behaves as before ------------------------------------------------------------
@pytest.mark.parametrize("device", [None, "cpu", torch.device("cpu")])
def test_initial_state_devices(device):
    s = _LRU.initial_state(2, device)
    assert s.shape == (2, 3) and s.dtype == torch.complex64 and s.device.type == "cpu"
    assert not s.any()
    assert _LRU.initial_state(np.int64(0)).shape == (0, 3)


@pytest.mark.parametrize("grad", [False, True])
def test_empty_batch_step_gives_empty_output(grad):
    """A batch of zero sequences: an empty result, as forward gives, with or without autograd."""
    with torch.set_grad_enabled(grad):
        y, x = _LRU.step(torch.zeros(0, 4))
        assert y.shape == (0, 4) and x.shape == (0, 3)
        y, x = _BLOCK.step(torch.zeros(0, 4))
        assert y.shape == (0, 4) and x.shape == (0, 3)
        h, states = _CLF.step(torch.zeros(0, dtype=torch.long))
        assert h.shape == (0, 4) and [s.shape for s in states] == [(0, 3)]
        h, states = _CLF.step(torch.zeros(0, dtype=torch.long), states)
        assert h.shape == (0, 4)
    assert _LRU(torch.zeros(0, 5, 4)).shape == (0, 5, 4)


def test_step_with_autograd_matches_forward():
    """The explicit sizes of the autograd branch of the step give the features of forward."""
    u = torch.randn(2, 5, 4)
    y_seq = _LRU(u)
    state = None
    for t in range(5):
        y_t, state = _LRU.step(u[:, t], state)
        torch.testing.assert_close(y_t, y_seq[:, t], rtol=1e-5, atol=1e-5)
    y_t.sum().backward()  # gradients reach the parameters
    assert _LRU.B_re.grad is not None
    _LRU.zero_grad(set_to_none=True)


def test_masks_of_zeros_and_ones_equal_bool_masks():
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]], dtype=torch.bool)
    want = masked_mean(_X, mask)
    for dtype in (torch.int64, torch.int32, torch.float32, torch.float64):
        torch.testing.assert_close(masked_mean(_X, mask.to(dtype)), want)
    torch.testing.assert_close(masked_mean(_X, None), _X.mean(1))
    x = torch.ones(2, 3, dtype=torch.long)
    torch.testing.assert_close(_CLF(x, mask.long()), _CLF(x, mask))


def test_flags_accept_numpy_bools():
    y, last = _LRU(_X, return_state=np.True_)
    assert last.shape == (2, 3)
    assert torch.equal(_LRU(_X, return_state=np.False_), y)
    with torch.no_grad():
        h1, _ = _CLF.step(_TOK, check_finite=np.True_)
        h2, _ = _CLF.step(_TOK)
    torch.testing.assert_close(h1, h2)


def test_gru_step_matches_features_and_accepts_good_input():
    x = torch.randint(0, 5, (2, 6))
    with torch.no_grad():
        feats = _GRU.features(x)
        h = _GRU.initial_state(2)
        for t in range(6):
            y, h = _GRU.step(x[:, t], h, check_finite=True)
            torch.testing.assert_close(y, feats[:, t], rtol=1e-5, atol=1e-5)
        y32, _ = _GRU.step(x[:, 0].int(), _GRU.initial_state(2))  # int32 ids
        torch.testing.assert_close(y32, feats[:, 0], rtol=1e-5, atol=1e-5)
        y0, h0 = _GRU.step(torch.zeros(0, dtype=torch.long), _GRU.initial_state(0))
        assert y0.shape == (0, 8) and h0.shape == (2, 0, 8)
    assert isinstance(matched_gru(10_000, 5, 2), GRUBaseline)


def test_kv_cache_and_legacy_cache_good_input():
    cache = _TF.new_cache(1, 4)
    assert cache.capacity == 4 and cache.nbytes() == 0 and len(cache.keys) == 2
    x = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        feats = _TF.features(x)
        legacy = None
        for t in range(3):
            h, cache = _TF.step(x[:, t], cache, position=t)
            h2, legacy = _TF.step(x[:, t], legacy, position=t)
            torch.testing.assert_close(h, feats[:, t], rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(h2, feats[:, t], rtol=1e-5, atol=1e-5)
        # a tuple of buffers is accepted (stored as lists)
        k = [torch.zeros(1, 2, 4, 4) for _ in range(2)]
        tup = KVCache(tuple(k), tuple(torch.zeros(1, 2, 4, 4) for _ in range(2)))
        assert isinstance(tup.keys, list) and tup.capacity == 4
        _TF.step(x[:, 0], tup, position=0)
        # legacy cache started with None entries
        _TF.step(x[:, 0], [None, None], position=0)


def test_evaluate_model_and_main_accept_good_input():
    from ssmlib.data import pad_collate

    batch = pad_collate([(torch.tensor([1, 2, 3]), 1), (torch.tensor([2, 4]), 0)])
    out = T.evaluate_model(_CLF, [batch, list(batch)], "cpu")
    assert out["n"] == 4 and out["loss"] is not None
    assert T.evaluate_model(_CLF, [], "cpu")["n"] == 0
    assert T.config_from_args(("--epochs", "2")).epochs == 2  # a tuple of str is fine
    with pytest.raises(SystemExit):  # bad command-line values: argparse's exit status 2
        T.main(["--epochs", "abc"])


def test_train_config_bounds_accept_presets():
    for task, preset in T.PRESETS.items():
        T.TrainConfig(task=task, **preset).validate()
    T.TrainConfig(epochs=10_000, batch_size=1 << 16, num_threads=1024, seed=2**63 - 1).validate()
