"""Tests for ssmlib.lru: the LRU layer, block, classifier and parameter groups."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch

import ssmlib as sl
from ssmlib.lru import LRU, LRUBlock, LRUClassifier, lru_param_groups, masked_mean


def _loop_reference(m: LRU, u: torch.Tensor) -> torch.Tensor:
    """Independent oracle: the equations with explicit complex matrices and a loop."""
    lam = torch.exp(-torch.exp(m.nu_log) + 1j * torch.exp(m.theta_log))
    gamma = torch.exp(m.gamma_log)
    B = (m.B_re + 1j * m.B_im) * gamma[:, None]
    C = m.C_re + 1j * m.C_im
    x = torch.zeros(u.shape[0], m.d_state, dtype=B.dtype)
    ys = []
    for k in range(u.shape[1]):
        x = lam * x + u[:, k].to(B.dtype) @ B.T
        ys.append((x @ C.T).real + m.D * u[:, k])
    return torch.stack(ys, 1)


def test_forward_matches_loop_oracle_float64():
    torch.manual_seed(0)
    m = LRU(6, 10, r_min=0.4, r_max=0.95).double()
    u = torch.randn(3, 40, 6, dtype=torch.float64)
    y = m(u)
    assert y.shape == (3, 40, 6) and y.dtype == torch.float64
    torch.testing.assert_close(y, _loop_reference(m, u), rtol=1e-10, atol=1e-10)  # float64


def test_ring_initialization():
    torch.manual_seed(1)
    r_min, r_max, max_phase = 0.5, 0.9, math.pi / 3
    m = LRU(4, 4000, r_min, r_max, max_phase)
    lam = m.lam().detach().to(torch.complex128)
    r2 = lam.abs().numpy() ** 2
    assert r2.min() >= r_min**2 - 1e-5 and r2.max() <= r_max**2 + 1e-5
    # |lambda|^2 uniform on [r_min^2, r_max^2] and phase uniform on [0, max_phase]
    assert scipy.stats.kstest(r2, "uniform", args=(r_min**2, r_max**2 - r_min**2)).pvalue > 1e-3
    phase = np.angle(lam.numpy())
    assert scipy.stats.kstest(phase, "uniform", args=(0, max_phase)).pvalue > 1e-3
    # B and C scales of the paper: var 1/(2H) and 1/N per real part
    assert abs(m.B_re.var().item() * 2 * 4 - 1) < 0.1
    assert abs(m.C_re.var().item() * 4000 - 1) < 0.1


def test_gamma_is_exp_of_gamma_log_at_init():
    torch.manual_seed(2)
    m = LRU(5, 32, r_min=0.9, r_max=0.999)
    expected = torch.sqrt(1 - m.lam().abs() ** 2)
    torch.testing.assert_close(m.gamma(), expected, rtol=1e-4, atol=1e-6)  # float32 exp/log
    torch.testing.assert_close(m.B_norm(), torch.complex(m.B_re, m.B_im) * expected[:, None],
                               rtol=1e-4, atol=1e-6)
    assert torch.all(m.gamma_log < 0) and torch.all(m.gamma() > 0)


def _impulse_energy(m: LRU, L: int) -> float:
    u = torch.zeros(1, L, 1, dtype=torch.float64)
    u[0, 0, 0] = 1.0
    with torch.no_grad():
        return float((m(u) ** 2).sum())


def _scalar_lru(r: float) -> LRU:
    """H = N = 1, real lambda = r, B = C = 1, D = 0: y_k = gamma r^k for an impulse."""
    m = LRU(1, 1).double()
    with torch.no_grad():
        m.nu_log.fill_(math.log(-math.log(r)))
        m.theta_log.fill_(-60.0)  # phase exp(-60) ~ 0
        m.gamma_log.fill_(math.log(math.sqrt(1 - r**2)))
        m.B_re.fill_(1.0), m.B_im.fill_(0.0), m.C_re.fill_(1.0), m.C_im.fill_(0.0), m.D.fill_(0.0)
    return m


@pytest.mark.parametrize("r", [0.5, 0.99, 0.999])
def test_gamma_normalizes_impulse_energy(r):
    """sum_k (gamma r^k)^2 = gamma^2 (1 - r^{2L}) / (1 - r^2) = 1 - r^{2L}."""
    L = 20000
    m = _scalar_lru(r)
    assert _impulse_energy(m, L) == pytest.approx(1 - r ** (2 * L), rel=1e-9)  # float64


def test_gamma_pitfall_would_be_caught(monkeypatch):
    """Using gamma_log itself (negative) instead of exp(gamma_log) breaks the normalization."""
    m = _scalar_lru(0.999)
    monkeypatch.setattr(m, "gamma", lambda: m.gamma_log)
    energy = _impulse_energy(m, 20000)
    assert not energy == pytest.approx(1.0, rel=1e-2)
    assert energy > 100  # (log sqrt(1 - r^2))^2 / (1 - r^2) ~ 4.8e3


def test_step_equals_parallel_forward():
    torch.manual_seed(3)
    m = LRU(4, 12, r_min=0.8, r_max=0.99, max_phase=math.pi).double()
    u = torch.randn(2, 30, 4, dtype=torch.float64)
    x0 = torch.randn(2, 12, dtype=torch.complex128)
    y, xL = m(u, state=x0, return_state=True)
    state, ys = x0, []
    for k in range(30):
        yk, state = m.step(u[:, k], state)
        ys.append(yk)
    torch.testing.assert_close(torch.stack(ys, 1), y, rtol=1e-12, atol=1e-12)  # float64
    torch.testing.assert_close(state, xL, rtol=1e-12, atol=1e-12)


def _stepped(blk, x):
    """``blk.step`` over the time axis of ``x`` (B, L, H) from a zero state, outputs
    stacked to (B, L, H)."""
    state, ys = None, []
    for k in range(x.shape[1]):
        yk, state = blk.step(x[:, k], state)
        ys.append(yk)
    return torch.stack(ys, 1)


@pytest.mark.parametrize("norm", ["layer", "batch"])
def test_block_step_equals_forward_in_eval(norm):
    torch.manual_seed(4)
    blk = LRUBlock(6, 8, r_min=0.5, dropout=0.1, norm=norm).double()
    blk.train()
    blk(torch.randn(4, 10, 6, dtype=torch.float64))  # populate BatchNorm running stats
    blk.eval()
    x = torch.randn(2, 15, 6, dtype=torch.float64)
    y = blk(x)
    torch.testing.assert_close(_stepped(blk, x), y, rtol=1e-10, atol=1e-10)


def test_stable_for_any_parameter_values():
    torch.manual_seed(5)
    m = LRU(3, 64)
    with torch.no_grad():
        m.nu_log.uniform_(-12, 8)
        m.theta_log.uniform_(-10, 10)
        m.gamma_log.uniform_(-8, 2)
    lam = m.lam()
    assert torch.all(lam.abs() <= 1.0)  # float32 may round |lambda| up to exactly 1
    y = m(torch.randn(2, 3000, 3))
    assert torch.isfinite(y).all()
    m64 = m.double()
    with torch.no_grad():
        m64.nu_log.uniform_(-20, 8)
    assert torch.all(m64.lam().abs() < 1.0)  # strict in float64 for nu_log > -36


def test_gradients_flow_to_every_parameter():
    torch.manual_seed(6)
    model = LRUClassifier(5, d_model=8, d_state=8, n_layers=2, vocab_size=18)
    x = torch.randint(1, 18, (3, 25))
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 3, 4]))
    loss.backward()
    for name, p in model.named_parameters():
        if name.startswith("encoder"):
            continue  # the padding row of the embedding has zero gradient
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_classifier_shapes_and_padding_mask():
    torch.manual_seed(7)
    model = LRUClassifier(10, d_model=16, d_state=8, n_layers=2, vocab_size=18).eval()
    x = torch.randint(1, 18, (2, 20))
    padded = torch.cat([x, torch.randint(1, 18, (2, 7))], dim=1)  # garbage after the end
    mask = torch.zeros(2, 27, dtype=torch.bool)
    mask[:, :20] = True
    out = model(x)
    assert out.shape == (2, 10)
    torch.testing.assert_close(model(padded, mask), out, rtol=1e-5, atol=1e-5)  # float32
    assert not torch.allclose(model(padded), out, atol=1e-3)
    cont = LRUClassifier(2, d_model=8, d_state=4, n_layers=1, d_input=1, norm="batch")
    assert cont(torch.randn(3, 50, 1)).shape == (3, 2)


def test_classifier_step_equals_features():
    torch.manual_seed(9)
    model = LRUClassifier(3, d_model=8, d_state=6, n_layers=2, vocab_size=10).double().eval()
    x = torch.randint(1, 10, (2, 12))
    feats = model.features(x)
    states = None
    for t in range(12):
        h, states = model.step(x[:, t], states)
        torch.testing.assert_close(h, feats[:, t], rtol=1e-10, atol=1e-10)  # float64


def test_masked_mean():
    x = torch.arange(12.0).reshape(1, 4, 3).repeat(2, 1, 1)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    out = masked_mean(x, mask)
    torch.testing.assert_close(out[0], x[0, :2].mean(0))
    torch.testing.assert_close(out[1], x[1].mean(0))
    with pytest.raises(ValueError, match="mask"):
        masked_mean(x, mask[:, :3])
    with pytest.raises(ValueError, match="mask"):
        masked_mean(x, torch.zeros(2, 4, dtype=torch.bool))


def test_overfits_a_tiny_batch():
    torch.manual_seed(8)
    model = LRUClassifier(4, d_model=32, d_state=32, n_layers=2, vocab_size=12)
    x = torch.randint(1, 12, (16, 20))
    y = torch.randint(0, 4, (16,))
    opt = torch.optim.AdamW(lru_param_groups(model, lr=1e-2))
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    assert (model(x).argmax(1) == y).float().mean() == 1.0
    assert loss.item() < 0.1


def test_param_groups():
    model = LRUClassifier(3, d_model=8, d_state=4, n_layers=2, vocab_size=10)
    groups = lru_param_groups(model, lr=1e-3, lr_factor=0.5, weight_decay=0.05)
    rec, other = groups
    assert rec["lr"] == pytest.approx(5e-4) and rec["weight_decay"] == 0.0
    assert other["lr"] == pytest.approx(1e-3) and other["weight_decay"] == 0.05
    names = {id(p): n for n, p in model.named_parameters()}
    rec_names = {names[id(p)].rsplit(".", 1)[-1] for p in rec["params"]}
    assert rec_names == {"nu_log", "theta_log", "gamma_log", "B_re", "B_im"}
    assert len(rec["params"]) == 2 * 5
    ids = [id(p) for g in groups for p in g["params"]]
    assert sorted(ids) == sorted(names) and len(set(ids)) == len(ids)
    with pytest.raises(ValueError, match="lr"):
        lru_param_groups(model, lr=0)
    with pytest.raises(ValueError, match="weight_decay"):
        lru_param_groups(model, lr=1e-3, weight_decay=-1)


def test_errors():
    with pytest.raises(ValueError, match="r_min"):
        LRU(4, 4, r_min=0.9, r_max=0.5)
    with pytest.raises(ValueError, match="max_phase"):
        LRU(4, 4, max_phase=10.0)
    with pytest.raises(TypeError, match="d_state"):
        LRU(4, 2.5)
    m = LRU(4, 4)
    with pytest.raises(ValueError, match="u"):
        m(torch.randn(2, 5, 3))
    with pytest.raises(TypeError, match="u"):
        m(torch.randn(2, 5, 4, dtype=torch.complex64))
    with pytest.raises(ValueError, match="state"):
        m.step(torch.randn(2, 4), torch.zeros(3, 4, dtype=torch.complex64))
    with pytest.raises(ValueError, match="norm"):
        LRUBlock(4, 4, norm="group")
    with pytest.raises(ValueError, match="vocab_size"):
        LRUClassifier(2, 4, 4, 1)
    with pytest.raises(ValueError, match="dropout"):
        LRUBlock(4, 4, dropout=1.0)


def test_non_finite_input_is_reported_as_the_callers_argument():
    torch.manual_seed(0)
    m, block = LRU(4, 3), LRUBlock(4, 3)
    clf = LRUClassifier(3, 4, 3, 1, d_input=2)
    u = torch.randn(2, 5, 4)
    u[1, 2, 0] = float("nan")
    bad_state = torch.full((2, 3), float("inf"), dtype=torch.complex64)
    cases = [
        (lambda: m(u), r"^u must contain only finite"),
        (lambda: m(torch.randn(2, 5, 4), state=bad_state), r"^state must contain only finite"),
        (lambda: m.step(u[:, 2], check_finite=True), r"^u_t must contain only finite"),
        (lambda: m.step(torch.randn(2, 4), bad_state, check_finite=True),
         r"^state must contain only finite"),
        (lambda: block(u), r"^x must contain only finite"),
        (lambda: block.eval().step(u[:, 2], check_finite=True), r"^x_t must contain only finite"),
        (lambda: clf(torch.full((1, 3, 2), float("inf"))), r"^x must contain only finite"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()


def test_token_ids_and_pad_id_are_checked():
    clf = LRUClassifier(3, 8, 4, 1, vocab_size=10)
    with pytest.raises(ValueError, match=r"token id 10 outside the vocabulary \[0, vocab_size=10\)"):
        clf(torch.tensor([[1, 2, 10]]))
    with pytest.raises(ValueError, match="token id -3"):
        clf(torch.tensor([[1, -3]]))
    with pytest.raises(ValueError, match="x_t contains token id 12"):
        clf.step(torch.tensor([12]))
    with pytest.raises(ValueError, match="pad_id"):
        LRUClassifier(3, 8, 4, 1, vocab_size=10, pad_id=10)
    with pytest.raises(TypeError, match="pad_id"):
        LRUClassifier(3, 8, 4, 1, vocab_size=10, pad_id=None)


def test_empty_sequence_and_complex128_state():
    torch.manual_seed(1)
    m = LRU(4, 3).double()
    u = torch.zeros(2, 0, 4, dtype=torch.float64, requires_grad=True)
    state = torch.randn(2, 3, dtype=torch.complex128)
    y, last = m(u, state=state, return_state=True)
    assert y.shape == (2, 0, 4) and torch.equal(last, state)
    y.sum().backward()  # connected to autograd, zero gradient
    m32 = LRU(4, 3)
    y1, s1 = m32.step(torch.ones(2, 4), state.to(torch.complex128))  # cast to the layer's dtype
    y2, s2 = m32.step(torch.ones(2, 4), state.to(torch.complex64))
    torch.testing.assert_close(y1, y2) and torch.testing.assert_close(s1, s2)
    clf = LRUClassifier(3, 4, 3, 1, vocab_size=5)
    with pytest.raises(ValueError, match="x must have at least one time step"):
        clf(torch.zeros(2, 0, dtype=torch.long))


def test_exported_from_ssmlib():
    assert sl.LRU is LRU and sl.LRUClassifier is LRUClassifier
    assert sl.lru_param_groups is lru_param_groups and sl.LRUBlock is LRUBlock
    assert hasattr(sl.data, "generate_listops")


def test_lru_init_explorer_moves_with_sliders():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ex = sl.explorers.lru_init_explorer(d_state=16, length=100)
    try:
        lam_pts = ex.fig.axes[0].lines[-1]
        r_before = np.hypot(*lam_pts.get_data())
        box = ex.widget()
        box.children[0].value = 0.999  # r_min slider
        r_after = np.hypot(*lam_pts.get_data())
        assert r_after.min() >= 0.999 - 1e-6 > r_before.min()
        mem = ex.fig.axes[2].lines[0].get_ydata()
        # gamma-normalized: energies summed over all lags are ~1 per channel (finite window)
        assert mem[0] == pytest.approx(np.mean(1 - r_after**2), rel=1e-6)
        ex.set(max_phase=np.pi / 50)
        phase = np.angle(np.array(lam_pts.get_data()[0]) + 1j * np.array(lam_pts.get_data()[1]))
        assert np.all(phase >= -1e-9) and np.all(phase <= np.pi / 50 + 1e-9)
    finally:
        plt.close("all")


def test_step_cache_follows_parameter_updates():
    """Under no_grad the step caches lam, diag(gamma) B, C and the GLU weights; the cache
    must be rebuilt after an optimizer step, load_state_dict and a dtype change (no silent
    staleness), and a step with autograd on must give the parameters gradients."""
    torch.manual_seed(4)
    clf = LRUClassifier(3, 8, 4, 2, vocab_size=7).eval()
    x = torch.randint(1, 7, (2, 6))

    def steps_vs_features(model, rtol, atol):
        with torch.no_grad():
            feats, states = model.features(x), None
            for t in range(x.shape[1]):
                h, states = model.step(x[:, t], states)
                torch.testing.assert_close(h, feats[:, t], rtol=rtol, atol=atol)

    steps_vs_features(clf, 1e-5, 1e-5)  # float32: a few roundings of O(1) features
    assert "_step_cache" in clf.__dict__
    opt = torch.optim.AdamW(lru_param_groups(clf, lr=0.5))
    clf.train()
    loss = clf(x).sum()
    loss.backward()
    opt.step()  # in-place updates bump the parameters' version counters
    clf.eval()
    steps_vs_features(clf, 1e-5, 1e-5)
    other = LRUClassifier(3, 8, 4, 2, vocab_size=7).eval()
    clf.load_state_dict(other.state_dict())
    steps_vs_features(clf, 1e-5, 1e-5)
    steps_vs_features(clf.double(), 1e-12, 1e-12)  # float64: the cache follows the dtype
    # autograd on: the step is differentiable in the recurrent parameters
    clf.zero_grad()
    h, _ = clf.step(x[:, 0])
    h.sum().backward()
    lru = clf.blocks[0].lru
    assert all(p.grad is not None for p in (lru.nu_log, lru.theta_log, lru.gamma_log, lru.B_re,
                                            lru.C_im, clf.blocks[0].out2.weight))


def test_classifier_step_names_the_bad_state():
    clf = LRUClassifier(3, 4, 3, 2, vocab_size=5).eval()
    good = clf.blocks[0].lru.initial_state(2)
    bad = torch.full((2, 3), float("nan"), dtype=torch.complex64)
    with pytest.raises(ValueError, match=r"^states\[1\] must contain only finite"):
        clf.step(torch.tensor([1, 2]), [good, bad], check_finite=True)
    with pytest.raises(ValueError, match=r"states\[0\] must have shape"):
        clf.step(torch.tensor([1, 2]), [good[:1], good])
    clf2 = LRUClassifier(3, 4, 3, 1, d_input=2).eval()
    with pytest.raises(ValueError, match="^x_t must contain only finite"):
        clf2.step(torch.tensor([[0.0, float("inf")]]), check_finite=True)
    with pytest.raises(TypeError, match=r"states\[0\]"):
        clf.step(torch.tensor([1, 2]), ["not a tensor", good])
    with pytest.raises(ValueError, match=r"states\[1\] must be on the layer's device"):
        clf.step(torch.tensor([1, 2]), [good, good.to("meta")])


def test_step_does_not_check_values_unless_asked():
    """The step is the hot loop of inference: no pass over the values by default (a NaN
    state gives a NaN output, no error); check_finite=True names the argument."""
    torch.manual_seed(2)
    clf = LRUClassifier(3, 4, 3, 2, vocab_size=5).eval()
    bad = torch.full((2, 3), float("nan"), dtype=torch.complex64)
    with torch.no_grad():
        h, states = clf.step(torch.tensor([1, 2]), [bad, bad])
    assert torch.isnan(h).all() and torch.isnan(states[0]).all()
    m = LRU(4, 3)
    y, x = m.step(torch.randn(2, 4), bad)
    assert torch.isnan(y).all()
    with pytest.raises(ValueError, match="^state must contain only finite"):
        m.step(torch.randn(2, 4), bad, check_finite=True)


@pytest.mark.parametrize("d_model, d_state", [(4, 3), (5, 3), (64, 64), (200, 40)])
@pytest.mark.parametrize("batch", [1, 3])
def test_block_step_matches_forward_with_and_without_autograd(d_model, d_state, batch):
    """The block's step (GELU with 1/sqrt(2) folded into the LRU's output and the GLU
    weight, odd H included) matches the sequence forward pass in float64, under no_grad
    (the cached plan) and with autograd on (the plan built every call)."""
    torch.manual_seed(5)
    blk = LRUBlock(d_model, d_state, r_min=0.5).double().eval()
    x = torch.randn(batch, 6, d_model, dtype=torch.float64)
    with torch.no_grad():
        y = blk(x)
        stepped = _stepped(blk, x)
    torch.testing.assert_close(stepped, y, rtol=1e-10, atol=1e-10)
    stepped = _stepped(blk, x)  # autograd on
    assert stepped.requires_grad
    torch.testing.assert_close(stepped.detach(), y, rtol=1e-10, atol=1e-10)


def test_block_step_float32_contiguous_batch_one():
    """float32, batch 1 (contiguous tensors, the case F.gelu would send to oneDNN):
    the step matches the forward pass to float32 rounding."""
    torch.manual_seed(12)
    blk = LRUBlock(16, 8).eval()
    x = torch.randn(1, 20, 16)
    with torch.no_grad():
        y, stepped = blk(x), _stepped(blk, x)
    torch.testing.assert_close(stepped, y, rtol=1e-5, atol=1e-5)


def test_step_cache_follows_replaced_parameters_and_modules():
    """The cached plan is rebuilt when a parameter or a submodule is replaced (not only
    updated in place), and when the model moves to another dtype."""
    torch.manual_seed(6)
    clf = LRUClassifier(3, 6, 4, 2, vocab_size=7).eval()
    x = torch.randint(1, 7, (2, 5))

    def check(rtol=1e-5, atol=1e-5):
        with torch.no_grad():
            feats, states = clf.features(x), None
            for t in range(x.shape[1]):
                h, states = clf.step(x[:, t], states)
                torch.testing.assert_close(h, feats[:, t], rtol=rtol, atol=atol)

    check()
    lru = clf.blocks[1].lru
    lru.nu_log = torch.nn.Parameter(lru.nu_log.detach() - 1.0)  # a new Parameter object
    check()
    clf.blocks[0].out2 = torch.nn.Linear(6, 6)  # a new submodule
    check()
    clf.encoder.weight = torch.nn.Parameter(torch.randn(7, 6))
    check()


def test_lru_training_step_skips_the_scan_value_check(monkeypatch):
    """In a training step (train mode, autograd on) LRU.forward calls the scan with
    check_finite=False (no pass over the states, no device synchronization); in eval
    mode or under no_grad it checks."""
    import ssmlib.lru as lru_module

    seen = []
    real_scan = lru_module.scan

    def spy(*args, **kwargs):
        seen.append(kwargs.get("check_finite", True))
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(lru_module, "scan", spy)
    m = LRU(4, 3)
    u = torch.randn(2, 5, 4)
    m(u)
    with torch.no_grad():
        m(u)
    m.eval()(u)
    assert seen == [False, True, True]
