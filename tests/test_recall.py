"""Tests for ssmlib.recall: the delayed-recall task and its three models (chapter 9)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ssmlib as sl  # noqa: E402
from ssmlib import recall as R  # noqa: E402


def test_batch_layout():
    x, y = R.recall_batch(50, delay=7, n_symbols=3, generator=torch.Generator().manual_seed(0))
    assert x.shape == (50, 8, 4) and y.shape == (50,) and y.dtype == torch.int64
    assert torch.equal(x[:, 0, :3].argmax(1), y) and torch.all(x[:, 0].sum(1) == 1)
    assert torch.all(x[:, 0, 3] == 0) and torch.all(x[:, 1:, 3] == 1)
    assert torch.all(x[:, 1:, :3] == 0)
    # Same seed, same batch; all symbols appear.
    x2, y2 = R.recall_batch(50, 7, 3, torch.Generator().manual_seed(0))
    assert torch.equal(x, x2) and set(y.tolist()) == {0, 1, 2}
    assert R.recall_batch(4, 0)[0].shape == (4, 1, 5)


@pytest.mark.parametrize("kind, n_params", [("tanh", 1380), ("gru", 1172), ("lru", 1252)])
def test_models_have_comparable_size_and_shapes(kind, n_params):
    m = R.make_recall_model(kind, seed=0)
    assert sum(p.numel() for p in m.parameters()) == n_params  # counted by hand in the docstring
    x, _ = R.recall_batch(3, 5)
    assert m(x).shape == (3, 4)
    # Same seed, same parameters.
    m2 = R.make_recall_model(kind, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(m.parameters(), m2.parameters()))


def test_lru_model_is_enc_lru_gelu_dec():
    m = R.make_recall_model("lru", seed=1)
    x, _ = R.recall_batch(2, 4)
    with torch.no_grad():
        ref = m.dec(torch.nn.functional.gelu(m.lru(m.enc(x)))[:, -1])
        assert torch.allclose(m(x), ref)
    assert m.lru.r_min == 0.9


def test_gradient_norm_matches_a_finite_difference_oracle():
    """d loss / d u_1 by autograd against central differences in float64."""
    m = R.make_recall_model("tanh", seed=2).double()
    x, y = R.recall_batch(3, 6, generator=torch.Generator().manual_seed(5))
    x = x.double()
    g_norm = R.recall_gradient_norm(m, x, y)
    eps, norms = 1e-6, []
    for i in range(3):
        g = torch.zeros(5, dtype=torch.float64)
        for j in range(5):
            xp, xm = x[i:i + 1].clone(), x[i:i + 1].clone()
            xp[0, 0, j] += eps
            xm[0, 0, j] -= eps
            with torch.no_grad():
                lp = torch.nn.functional.cross_entropy(m(xp), y[i:i + 1])
                lm = torch.nn.functional.cross_entropy(m(xm), y[i:i + 1])
            g[j] = (lp - lm) / (2 * eps)
        norms.append(float(g.norm()))
    # Central differences in float64 are accurate to ~eps^2 + 1e-16/eps ~ 1e-10.
    assert g_norm == pytest.approx(sum(norms) / 3, rel=1e-6)
    assert all(p.grad is None for p in m.parameters())


class _TinyGradient(torch.nn.Module):
    """logits = scale * (first input's symbol channels): d loss / d u_1 has entries ~ scale."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return self.scale * x[:, 0, :4]


def test_gradient_norm_of_tiny_float32_gradient_is_not_zero():
    """Entries ~1e-27 in float32: their squares (~1e-54) underflow float32, not the norm."""
    x, y = R.recall_batch(8, 3, generator=torch.Generator().manual_seed(0))
    u = x.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(_TinyGradient(1e-27)(u), y, reduction="sum")
    (g,) = torch.autograd.grad(loss, u)
    assert g.dtype == torch.float32 and float(g[:, 0].abs().max()) > 1e-28
    assert float(g[:, 0].norm(dim=-1).max()) == 0.0   # the float32 norm underflows
    # Oracle: logits ~ 0, so softmax = 1/4 and d loss / d u_1 = 1e-27 (1/4 - onehot(y)) on the
    # 4 symbol channels, of norm 1e-27 sqrt(3/16 + 9/16) for every sequence.
    expected = 1e-27 * (3 / 16 + 9 / 16) ** 0.5
    # float32 rounding of 1e-27 and of the products: ~1e-7 relative.
    assert R.recall_gradient_norm(_TinyGradient(1e-27), x, y) == pytest.approx(expected, rel=1e-6)


def test_gradient_norm_of_tanh_rnn_at_delay_100_matches_float64():
    """The chapter's case: the tanh RNN's gradient at the symbol after 100 blank steps."""
    x, y = R.recall_batch(32, 100, generator=torch.Generator().manual_seed(1234))
    m = R.make_recall_model("tanh", seed=0)
    g32 = R.recall_gradient_norm(m, x, y)
    g64 = R.recall_gradient_norm(m.double(), x.double(), y)
    assert 0 < g64 < 1e-20 and g32 > 0
    # A product of 100 Jacobians rounded in float32 (~1e-7 each, 1e-5 in all) in a ratio
    # of tiny numbers: a loose 1e-3.
    assert g32 == pytest.approx(g64, rel=1e-3)


def test_training_learns_a_short_delay_and_is_reproducible():
    torch.manual_seed(0)
    res = R.train_recall(R.make_recall_model("lru", seed=0), delay=5, steps=60, seed=0)
    assert isinstance(res, R.RecallResult) and res.n_params == 1252
    assert res.accuracy > 0.9  # chance is 0.25; measured 1.0
    assert res.grad_norm_init > 0
    res2 = R.train_recall(R.make_recall_model("lru", seed=0), delay=5, steps=60, seed=0)
    assert res2 == res
    r_rnn = R.train_recall(R.make_recall_model("tanh", seed=0), delay=5, steps=5, seed=0)
    assert 0.0 <= r_rnn.accuracy <= 1.0


def test_reachable_as_sl_recall():
    assert sl.recall.train_recall is R.train_recall


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: R.recall_batch(0, 5), "n"),
        (lambda: R.recall_batch(4, -1), "delay"),
        (lambda: R.recall_batch(4, 5, n_symbols=1), "n_symbols"),
        (lambda: R.recall_batch(4, 5, generator=0), "generator"),
        (lambda: R.make_recall_model("lstm"), "kind"),
        (lambda: R.make_recall_model("lru", seed=-1), "seed"),
        (lambda: R.RecallRNN(cell="relu"), "cell"),
        (lambda: R.RecallRNN(hidden=0), "hidden"),
        (lambda: R.RecallLRU(d_state=0), "d_state"),
        (lambda: R.make_recall_model("gru")(torch.zeros(2, 3, 4)), "x"),
        (lambda: R.train_recall(torch.nn.Linear(2, 2), 5), "model"),
        (lambda: R.train_recall(R.make_recall_model("gru"), 5, lr=0.0), "lr"),
        (lambda: R.train_recall(R.make_recall_model("gru"), 5, steps=-1), "steps"),
        (lambda: R.recall_gradient_norm(R.make_recall_model("gru"), torch.zeros(2, 3, 5),
                                        torch.zeros(3, dtype=torch.long)), "y"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
