"""Tests for ssmlib.s4d: initializations, discretization, the Vandermonde kernel and the S4D layer.

Oracles: the closed-form initializations of the S4D paper, ``numpy.linalg.eigvals`` of the
normal part of HiPPO-LegS, ``scipy.linalg.expm`` and ``ssmlib.bilinear`` on the equivalent dense
real system, ``ssmlib.convolution_kernel`` on the full conjugate-pair system (the factor 2 and
the real part), ``ssmlib.causal_convolution(method="direct")``, FFT convolution vs recurrence,
and the published minimal S4D kernel when a mirror of state-spaces/s4 is on this machine.
"""

from __future__ import annotations

import ast
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

import ssmlib as sl
from ssmlib.s4d import (
    S4D,
    S4D_INITS,
    S4DKernel,
    fft_causal_conv,
    s4d_discretize,
    s4d_init,
    s4d_kernel,
    s4d_vandermonde,
)


def test_init_closed_forms():
    N = 16
    n = np.arange(N // 2)
    A = s4d_init(N, "lin", dtype=torch.complex128).numpy()
    np.testing.assert_allclose(A, -0.5 + 1j * np.pi * n, rtol=0, atol=1e-15)
    A = s4d_init(N, "inv", dtype=torch.complex128).numpy()
    np.testing.assert_allclose(A, -0.5 + 1j * N / np.pi * (N / (2 * n + 1) - 1), rtol=1e-15, atol=1e-13)
    assert s4d_init(N).dtype == torch.complex64 and s4d_init(N).shape == (8,)


def test_init_legs_is_the_normal_part_spectrum():
    """S4D-LegS: eigenvalues of A_LegS + p p^T, p_n = sqrt(n + 1/2), positive imaginary half."""
    N = 12
    A, _ = sl.hippo_legs(N)
    p = np.sqrt(np.arange(N) + 0.5)
    ev = np.linalg.eigvals(A + np.outer(p, p))  # independent oracle (general eig)
    ev = np.sort_complex(ev[ev.imag > 0])
    ev = ev[np.argsort(ev.imag)]
    got = s4d_init(N, "legs", dtype=torch.complex128).numpy()
    np.testing.assert_allclose(got, ev, rtol=1e-10, atol=1e-10)  # float64 eig of a normal matrix
    np.testing.assert_allclose(got.real, -0.5, atol=1e-15)
    assert np.all(np.diff(got.imag) > 0)


@pytest.mark.parametrize("method", ["zoh", "bilinear"])
def test_discretize_against_dense_real_system(method):
    """One complex mode a + ib is the real 2x2 block [[a, -b], [b, a]]; compare with expm / bilinear."""
    A = s4d_init(8, "inv", dtype=torch.complex128)
    dt = 0.03
    lam, Bbar = s4d_discretize(A, dt, method=method)
    for s, l_n, b_n in zip(A.numpy(), lam.numpy(), Bbar.numpy()):
        M = np.array([[s.real, -s.imag], [s.imag, s.real]])
        if method == "zoh":
            Ad = scipy.linalg.expm(M * dt)
            Bd = np.linalg.solve(M, (Ad - np.eye(2)) @ np.array([1.0, 0.0]))
        else:
            Ad, Bd = sl.bilinear(M, np.array([1.0, 0.0]), dt)
        # the complex number a + ib acts as the vector (a, b)
        np.testing.assert_allclose([l_n.real, l_n.imag], Ad[:, 0], rtol=1e-12, atol=1e-13)  # float64
        np.testing.assert_allclose([b_n.real, b_n.imag], Bd, rtol=1e-12, atol=1e-13)


def test_discretize_broadcasts_dt_per_channel_and_B():
    A = s4d_init(6, "lin", dtype=torch.complex128).repeat(3, 1)
    dt = torch.tensor([0.01, 0.1, 1.0], dtype=torch.float64)
    B = torch.randn(3, 3, dtype=torch.complex128)
    lam, Bbar = s4d_discretize(A, dt, B)
    torch.testing.assert_close(lam, torch.exp(dt[:, None] * A))
    torch.testing.assert_close(Bbar, (torch.exp(dt[:, None] * A) - 1) / A * B)
    with pytest.raises(ValueError, match="dt"):
        s4d_discretize(A, dt[:2])
    with pytest.raises(ValueError, match="dt"):
        s4d_discretize(A, -1.0)
    with pytest.raises(ValueError, match="method"):
        s4d_discretize(A, 0.1, method="euler")
    with pytest.raises(TypeError, match="A"):
        s4d_discretize(A.real, 0.1)
    with pytest.raises(ValueError, match="B"):
        s4d_discretize(A, 0.1, B[:, :2])
    with pytest.raises(ValueError, match="A"):
        s4d_discretize(torch.zeros(2, dtype=torch.complex128), 0.1)


@pytest.mark.parametrize("method", ["zoh", "bilinear"])
def test_kernel_equals_full_conjugate_pair_system(method):
    """K_l = 2 Re sum C Bbar lam^l equals C_full Lambda_full^l Bbar_full over the N modes and conjugates."""
    torch.manual_seed(0)
    H, N, L = 3, 10, 64
    A = s4d_init(N, "inv", dtype=torch.complex128).repeat(H, 1)
    C = torch.randn(H, N // 2, dtype=torch.complex128)
    B = torch.randn(H, N // 2, dtype=torch.complex128)
    dt = torch.tensor([0.001, 0.01, 0.1], dtype=torch.float64)
    K = s4d_kernel(A, C, dt, L, B=B, method=method)
    assert K.shape == (H, L) and K.dtype == torch.float64
    lam, Bbar = s4d_discretize(A, dt, B, method)
    for h in range(H):
        lam_f = np.concatenate([lam[h].numpy(), lam[h].numpy().conj()])
        B_f = np.concatenate([Bbar[h].numpy(), Bbar[h].numpy().conj()])[:, None]
        C_f = np.concatenate([C[h].numpy(), C[h].numpy().conj()])[None, :]
        K_ref = sl.convolution_kernel(lam_f, B_f, C_f, L)[:, 0, 0]
        np.testing.assert_allclose(K_ref.imag, 0, atol=1e-9)
        scale = np.abs(K_ref).max()
        np.testing.assert_allclose(K[h].numpy(), K_ref.real, rtol=0, atol=1e-11 * scale)  # float64


def test_vandermonde_matches_powers():
    torch.manual_seed(1)
    W = torch.randn(4, dtype=torch.complex128)
    lam = torch.tensor([0.9, -0.5 + 0.5j, 0.99j, -0.3], dtype=torch.complex128)
    K = s4d_vandermonde(W, torch.log(lam), 30)
    ref = 2 * np.real(np.array([np.sum(W.numpy() * lam.numpy() ** l) for l in range(30)]))
    np.testing.assert_allclose(K.numpy(), ref, rtol=1e-12, atol=1e-13)  # float64
    # lam = 0 (bilinear with dt A = -2): K_0 = 2 Re W, then nothing
    K0 = s4d_vandermonde(W[:1], torch.log(torch.zeros(1, dtype=torch.complex128)), 3)
    torch.testing.assert_close(K0, torch.tensor([2 * W[0].real, 0.0, 0.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="L"):
        s4d_vandermonde(W, torch.log(lam), 0)
    with pytest.raises(ValueError, match="log_lam"):
        s4d_vandermonde(W, torch.log(lam[:3]), 5)
    with pytest.raises(ValueError, match="log_lam"):
        s4d_vandermonde(W, torch.log(lam) * float("nan"), 5)


def test_s4dkernel_module_formula():
    """The module's kernel is the minimal S4D formula 2 Re sum C (exp(dtA) - 1)/A exp(l dtA)."""
    torch.manual_seed(0)
    k = S4DKernel(3, N=8).double()
    L = 40
    dt = torch.exp(k.log_dt)
    A = -torch.exp(k.log_A_real) + 1j * k.A_imag
    C = torch.view_as_complex(k.C)
    ref = torch.stack([
        2 * (C * (torch.exp(dt[:, None] * A) - 1) / A * torch.exp(l * dt[:, None] * A)).sum(-1).real
        for l in range(L)
    ], -1)
    torch.testing.assert_close(k(L), ref, rtol=1e-12, atol=1e-12)  # float64
    assert torch.all((dt >= 0.001 * (1 - 1e-12)) & (dt <= 0.1 * (1 + 1e-12)))
    torch.testing.assert_close(k.A()[0], s4d_init(8, "lin", dtype=torch.complex128), rtol=1e-6, atol=1e-6)
    frozen = S4DKernel(2, N=4, lr=0.0)
    assert {n for n, _ in frozen.named_parameters()} == {"C"}
    lr = S4DKernel(2, N=4, lr=1e-3)
    assert lr.log_dt._optim == {"weight_decay": 0.0, "lr": 1e-3}


def test_fft_causal_conv_matches_direct():
    rng = np.random.default_rng(0)
    u = rng.standard_normal((2, 33, 3))
    K = rng.standard_normal((3, 33))
    y = fft_causal_conv(torch.from_numpy(u), torch.from_numpy(K)).numpy()
    for b in range(2):
        ref = sl.causal_convolution(np.stack([np.diag(K[:, j]) for j in range(33)]), u[b], method="direct")
        np.testing.assert_allclose(y[b], ref, rtol=1e-12, atol=1e-12)  # float64
    with pytest.raises(ValueError, match="K"):
        fft_causal_conv(torch.from_numpy(u), torch.from_numpy(K[:2]))


@pytest.mark.parametrize("method", ["zoh", "bilinear"])
@pytest.mark.parametrize("init", S4D_INITS)
def test_layer_fft_equals_recurrence_float64(init, method):
    torch.manual_seed(0)
    m = S4D(4, d_state=8, init=init, method=method, dt_min=0.01, dt_max=0.5).double()
    u = torch.randn(2, 70, 4, dtype=torch.float64)
    y_fft = m.ssm(u, "fft")
    y_rec = m.ssm(u, "recurrence")
    scale = y_fft.detach().abs().max()
    torch.testing.assert_close(y_rec, y_fft, rtol=0, atol=1e-11 * float(scale))  # float64, FFT rounding
    torch.testing.assert_close(m(u, "recurrence"), m(u), rtol=1e-10, atol=1e-10)
    state, ys = None, []
    for k in range(u.shape[1]):
        y_k, state = m.step(u[:, k], state)
        ys.append(y_k)
    torch.testing.assert_close(torch.stack(ys, 1), m(u), rtol=1e-10, atol=1e-10)


def test_layer_float32_and_gradients_agree():
    torch.manual_seed(0)
    m = S4D(3, d_state=16)
    u = torch.randn(2, 50, 3)
    y_fft, y_rec = m(u), m(u, "recurrence")
    assert y_fft.dtype == torch.float32 and y_fft.shape == (2, 50, 3)
    torch.testing.assert_close(y_rec, y_fft, rtol=1e-4, atol=1e-5)  # float32 FFT vs scan rounding
    grads = []
    for mode in ("fft", "recurrence"):
        m.zero_grad()
        m(u, mode).square().mean().backward()
        grads.append({n: p.grad.clone() for n, p in m.named_parameters()})
    for name in grads[0]:
        assert torch.isfinite(grads[0][name]).all()
        torch.testing.assert_close(grads[1][name], grads[0][name], rtol=1e-3, atol=1e-5)  # float32


def test_layer_empty_sequence_and_errors():
    m = S4D(3, d_state=4)
    assert m(torch.zeros(2, 0, 3)).shape == (2, 0, 3)
    assert m(torch.zeros(2, 0, 3), "recurrence").shape == (2, 0, 3)
    with pytest.raises(ValueError, match="u"):
        m(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="mode"):
        m(torch.zeros(2, 5, 3), "loop")
    with pytest.raises(ValueError, match="u_t"):
        m.step(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="state"):
        m.step(torch.zeros(2, 3), torch.zeros(2, 3, 3, dtype=torch.complex64))
    with pytest.raises(ValueError, match="N"):
        s4d_init(7)
    with pytest.raises(ValueError, match="init"):
        s4d_init(8, "legt")
    with pytest.raises(ValueError, match="dropout"):
        S4D(3, dropout=1.0)
    with pytest.raises(ValueError, match="dt_max"):
        S4DKernel(3, dt_min=0.1, dt_max=0.01)
    with pytest.raises(TypeError, match="d_model"):
        S4D(3.0)


# --- the published minimal S4D kernel, when a mirror of state-spaces/s4 is on this machine -----------

_MIRROR = Path(os.environ.get("SSMBOOK_S4_MIRROR", "/work/.mirror/state-spaces+s4/repo"))


def _reference_s4d_kernel_class():
    git_dir = _MIRROR if (_MIRROR / "HEAD").exists() else _MIRROR / ".git"
    if not (git_dir / "HEAD").exists():
        pytest.skip(f"no mirror of state-spaces/s4 at {_MIRROR}")
    try:
        src = subprocess.run(["git", "--git-dir", str(git_dir), "show", "HEAD:models/s4/s4d.py"],
                             check=True, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("could not read models/s4/s4d.py from the mirror")
    node = next(n for n in ast.parse(src).body if isinstance(n, ast.ClassDef) and n.name == "S4DKernel")

    def repeat(x, pattern, **kw):  # the one einops pattern the class uses
        if pattern == "n -> h n":
            return x[None].repeat(kw["h"], 1)
        raise NotImplementedError(pattern)

    namespace = {"torch": torch, "nn": nn, "math": math, "repeat": repeat}
    exec(compile(ast.Module(body=[node], type_ignores=[]), "S4DKernel", "exec"), namespace)
    return namespace["S4DKernel"]


def test_same_parameters_give_the_published_kernel():
    Ref = _reference_s4d_kernel_class()
    torch.manual_seed(0)
    ours = S4DKernel(4, N=16, init="inv")
    ref = Ref(4, N=16)
    with torch.no_grad():
        for name in ("log_dt", "C", "log_A_real", "A_imag"):
            getattr(ref, name).copy_(getattr(ours, name))
    torch.testing.assert_close(ours(100), ref(L=100), rtol=1e-6, atol=1e-6)  # float32, same formula
    # and the published initialization is S4D-Lin
    fresh, lin = Ref(4, N=16), S4DKernel(4, N=16, init="lin")
    torch.testing.assert_close(fresh.A_imag, lin.A_imag)
    torch.testing.assert_close(fresh.log_A_real, lin.log_A_real)


def test_kernel_gradcheck_float64():
    torch.manual_seed(0)
    A = s4d_init(4, "inv", dtype=torch.complex128).repeat(2, 1).requires_grad_()
    C = torch.randn(2, 2, dtype=torch.complex128, requires_grad=True)
    dt = torch.tensor([0.05, 0.2], dtype=torch.float64, requires_grad=True)
    for method in ("zoh", "bilinear"):
        assert torch.autograd.gradcheck(lambda A, C, dt: s4d_kernel(A, C, dt, 8, method=method),
                                        (A, C, dt), eps=1e-6, atol=1e-7, rtol=1e-6)  # float64
