"""Tests for ssmlib.selective_scan: Mamba's selective scan, the S6 layer and the Mamba block.

Oracles: a plain numpy loop over time in float64 written from the equations (below),
``torch.autograd.gradcheck`` in float64, and, when a mirror of state-spaces/mamba is on this
machine, the reference ``selective_scan_ref`` itself (read from the mirror at test time).
"""

from __future__ import annotations

import ast
import functools
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ssmlib.selective_scan import MambaBlock, SelectiveSSM, selective_scan


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _as_complex_steps(M, L):
    """Oracle's reading of input-dependent B/C with complex A: interleaved (re, im) on the last axis."""
    if np.iscomplexobj(M):
        return M
    return M[..., 0 : 2 * L : 2] + 1j * M[..., 1 : 2 * L : 2]


def loop_oracle(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False):
    """x_k = exp(delta_k A) x_{k-1} + delta_k B_k u_k, y_k = C_k x_k (+ D u_k) (* silu(z)), numpy float64.

    Returns (y, last_state). Loops over time, batch and channel explicitly.
    """
    u, delta, A = (np.asarray(t.detach().numpy()) for t in (u, delta, A))
    B, C = np.asarray(B.detach().numpy()), np.asarray(C.detach().numpy())
    batch, dim, L = u.shape
    N = A.shape[1]
    cplx = np.iscomplexobj(A)
    if delta_bias is not None:
        delta = delta + delta_bias.detach().numpy()[:, None]
    if delta_softplus:
        delta = _softplus(delta)
    if cplx and B.ndim >= 3:
        B = _as_complex_steps(B, L)
    if cplx and C.ndim >= 3:
        C = _as_complex_steps(C, L)

    def vec(M, b, d, k):  # the (N,) vector used by channel d at step k
        if M.ndim == 2:
            return M[d]
        if M.ndim == 3:
            return M[b, :, k]
        groups = M.shape[1]
        return M[b, d // (dim // groups), :, k]

    y = np.zeros((batch, dim, L))
    last = np.zeros((batch, dim, N), dtype=complex if cplx else float)
    for b in range(batch):
        for d in range(dim):
            x = np.zeros(N, dtype=complex if cplx else float)
            for k in range(L):
                x = np.exp(delta[b, d, k] * A[d]) * x + delta[b, d, k] * vec(B, b, d, k) * u[b, d, k]
                out = np.sum(vec(C, b, d, k) * x)
                y[b, d, k] = 2 * out.real if cplx else out
            last[b, d] = x
    if D is not None:
        y = y + u * D.detach().numpy()[:, None]
    if z is not None:
        zz = z.detach().numpy()
        y = y * zz / (1 + np.exp(-zz))
    return y, last


def _inputs(kind, *, batch=2, dim=4, N=3, L=7, groups=2, cplx=False, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(batch, dim, L, generator=g, dtype=dtype)
    delta = 0.5 * torch.rand(batch, dim, L, generator=g, dtype=dtype)
    if cplx:
        A = torch.complex(-0.5 * torch.rand(dim, N, generator=g, dtype=dtype) - 0.1,
                          torch.randn(dim, N, generator=g, dtype=dtype))
    else:
        A = -0.5 * torch.rand(dim, N, generator=g, dtype=dtype) - 0.1
    steps = 2 * L if cplx else L
    shapes = {"const": (dim, N), "var": (batch, N, steps), "group": (batch, groups, N, steps)}
    if kind == "const" and cplx:
        B = torch.randn(dim, N, generator=g, dtype=A.dtype)
        C = torch.randn(dim, N, generator=g, dtype=A.dtype)
    else:
        B = torch.randn(*shapes[kind], generator=g, dtype=dtype)
        C = torch.randn(*shapes[kind], generator=g, dtype=dtype)
    D = torch.randn(dim, generator=g, dtype=dtype)
    z = torch.randn(batch, dim, L, generator=g, dtype=dtype)
    delta_bias = 0.5 * torch.rand(dim, generator=g, dtype=dtype)
    return u, delta, A, B, C, D, z, delta_bias


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("kind", ["const", "var", "group"])
@pytest.mark.parametrize("extras", [False, True])
def test_matches_loop_oracle_float64(kind, cplx, extras):
    u, delta, A, B, C, D, z, bias = _inputs(kind, cplx=cplx)
    kw = dict(D=D, z=z, delta_bias=bias, delta_softplus=True) if extras else {}
    out, last = selective_scan(u, delta, A, B, C, return_last_state=True, **kw)
    y_ref, last_ref = loop_oracle(u, delta, A, B, C, **kw)
    assert out.shape == u.shape and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), y_ref, rtol=1e-12, atol=1e-12)  # float64, L = 7 steps
    assert last.shape == (2, 4, 3) and last.is_complex() == cplx
    np.testing.assert_allclose(last.numpy(), last_ref, rtol=1e-12, atol=1e-12)


def test_complex_B_C_tensors_equal_interleaved_real():
    u, delta, A, B, C, *_ = _inputs("var", cplx=True)
    Bc = torch.view_as_complex(B.reshape(*B.shape[:-1], -1, 2).contiguous())
    Cc = torch.view_as_complex(C.reshape(*C.shape[:-1], -1, 2).contiguous())
    torch.testing.assert_close(selective_scan(u, delta, A, Bc, Cc), selective_scan(u, delta, A, B, C),
                               rtol=0, atol=0)


def test_backends_agree():
    u, delta, A, B, C, D, z, bias = _inputs("group", L=33)
    ys = [selective_scan(u, delta, A, B, C, D, z, bias, True, backend=be)
          for be in ("sequential", "chunked", "parallel", "blelloch")]
    for y in ys[1:]:
        torch.testing.assert_close(y, ys[0], rtol=1e-12, atol=1e-12)  # float64, different summation orders


def test_float32_and_half_inputs():
    u, delta, A, B, C, D, z, bias = _inputs("var", dtype=torch.float32, L=20)
    y32 = selective_scan(u, delta, A, B, C, D, z, bias, True)
    assert y32.dtype == torch.float32
    y_ref, _ = loop_oracle(u.double(), delta.double(), A.double(), B.double(), C.double(),
                           D.double(), z.double(), bias.double(), True)
    np.testing.assert_allclose(y32.numpy(), y_ref, rtol=1e-5, atol=1e-5)  # float32 rounding over 20 steps
    ubf = u.to(torch.bfloat16)
    ybf = selective_scan(ubf, delta.to(torch.bfloat16), A, B, C, D, z.to(torch.bfloat16), bias, True)
    assert ybf.dtype == torch.bfloat16
    # computed in float32 from the bf16-rounded inputs, then rounded to bf16 (relative 2^-8)
    y_mid = selective_scan(ubf.float(), delta.to(torch.bfloat16).float(), A, B, C, D,
                           z.to(torch.bfloat16).float(), bias, True)
    torch.testing.assert_close(ybf, y_mid.to(torch.bfloat16), rtol=0, atol=0)


@pytest.mark.parametrize("kind,cplx", [("var", False), ("group", False), ("const", False), ("var", True)])
def test_gradcheck_float64(kind, cplx):
    u, delta, A, B, C, D, z, bias = _inputs(kind, batch=1, dim=2, N=2, L=5, groups=2, cplx=cplx, seed=1)
    args = [t.clone().requires_grad_() for t in (u, delta, A, B, C, D, z, bias)]

    def f(u, delta, A, B, C, D, z, bias):
        out, last = selective_scan(u, delta, A, B, C, D, z, bias, True, return_last_state=True)
        return out, torch.view_as_real(last) if last.is_complex() else last

    assert torch.autograd.gradcheck(f, args, eps=1e-6, atol=1e-7, rtol=1e-6)  # float64 finite differences


def test_gradient_matches_sequential_autograd():
    """The chunked backend's hand-written backward equals torch autograd through the plain loop."""
    u, delta, A, B, C, D, z, bias = _inputs("var", L=40, cplx=True)
    grads = []
    for backend in ("sequential", "chunked"):
        args = [t.clone().requires_grad_() for t in (u, delta, A, B, C)]
        out = selective_scan(*args, D, z, bias, True, backend=backend)
        grads.append(torch.autograd.grad((out * torch.cos(out)).sum(), args))
    for g1, g2 in zip(*grads):
        torch.testing.assert_close(g1, g2, rtol=1e-10, atol=1e-10)  # float64


def test_zero_delta_keeps_nothing_and_large_delta_forgets():
    """Delta -> 0: lambda = 1 and no input enters; a large Delta resets the state to the last input."""
    u, delta, A, B, C, *_ = _inputs("var")
    _, last = selective_scan(u, torch.zeros_like(delta), A, B, C, return_last_state=True)
    assert torch.all(last == 0)
    big = torch.full_like(delta, 1e3)
    _, last = selective_scan(u, big, A, B, C, return_last_state=True)
    expected = 1e3 * B[:, None, :, -1] * u[:, :, -1:]  # only Delta_L B_L u_L survives
    torch.testing.assert_close(last, expected, rtol=1e-12, atol=1e-9)


def test_empty_sequence():
    u, delta, A, B, C, *_ = _inputs("var", L=0)
    out, last = selective_scan(u, delta, A, B, C, return_last_state=True)
    assert out.shape == (2, 4, 0) and last.shape == (2, 4, 3) and torch.all(last == 0)


def test_errors_name_the_argument():
    u, delta, A, B, C, D, z, bias = _inputs("var")
    with pytest.raises(TypeError, match="u"):
        selective_scan(u.numpy(), delta, A, B, C)
    with pytest.raises(ValueError, match="delta"):
        selective_scan(u, delta[:, :, :-1], A, B, C)
    with pytest.raises(ValueError, match="A"):
        selective_scan(u, delta, A[:-1], B, C)
    with pytest.raises(ValueError, match="B"):
        selective_scan(u, delta, A, B[..., :-1], C)
    with pytest.raises(ValueError, match="C"):
        selective_scan(u, delta, A, B, C[:, :, None].expand(2, 3, 3, 7))  # 3 groups do not divide D = 4
    with pytest.raises(ValueError, match="B"):
        selective_scan(u, delta, A.to(torch.complex128), B, C)  # complex A wants 2L interleaved steps
    with pytest.raises(TypeError, match="B"):
        selective_scan(u, delta, A, B.to(torch.complex128), C)  # complex B with real A
    with pytest.raises(ValueError, match="D"):
        selective_scan(u, delta, A, B, C, D=D[:2])
    with pytest.raises(ValueError, match="z"):
        selective_scan(u, delta, A, B, C, z=z[:1])
    with pytest.raises(ValueError, match="delta_bias"):
        selective_scan(u, delta, A, B, C, delta_bias=bias[:3])
    with pytest.raises(TypeError, match="delta_softplus"):
        selective_scan(u, delta, A, B, C, delta_softplus=1)
    with pytest.raises(ValueError, match="u"):
        selective_scan(u * float("nan"), delta, A, B, C)


# --- the published reference, when a mirror of state-spaces/mamba is on this machine --------------

_MIRROR = Path(os.environ.get("SSMBOOK_MAMBA_MIRROR", "/work/.mirror/state-spaces+mamba/repo"))


def _einops_shim():
    """The three einops patterns selective_scan_ref uses, in torch (einops is not a dependency)."""

    def rearrange(x, pattern, **kw):
        if pattern == "... (L two) -> ... L two":
            return x.reshape(*x.shape[:-1], -1, kw["two"])
        if pattern == "d -> d 1":
            return x[:, None]
        raise NotImplementedError(pattern)

    def repeat(x, pattern, **kw):
        if pattern == "B G N L -> B (G H) N L":
            return x.repeat_interleave(kw["H"], dim=1)
        raise NotImplementedError(pattern)

    return rearrange, repeat


@functools.lru_cache(maxsize=1)
def _reference_selective_scan():
    if not (_MIRROR / "HEAD").exists() and not (_MIRROR / ".git").exists():
        pytest.skip(f"no mirror of state-spaces/mamba at {_MIRROR}")
    try:
        src = subprocess.run(
            ["git", "--git-dir", str(_MIRROR if (_MIRROR / "HEAD").exists() else _MIRROR / ".git"),
             "show", "HEAD:mamba_ssm/ops/selective_scan_interface.py"],
            check=True, capture_output=True, text=True, timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("could not read selective_scan_interface.py from the mirror")
    node = next(n for n in ast.parse(src).body
                if isinstance(n, ast.FunctionDef) and n.name == "selective_scan_ref")
    rearrange, repeat = _einops_shim()
    namespace = {"torch": torch, "F": F, "rearrange": rearrange, "repeat": repeat}
    exec(compile(ast.Module(body=[node], type_ignores=[]), "selective_scan_ref", "exec"), namespace)
    return namespace["selective_scan_ref"]


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("kind", ["const", "var", "group"])
def test_matches_published_reference(kind, cplx):
    ref = _reference_selective_scan()
    u, delta, A, B, C, D, z, bias = _inputs(kind, cplx=cplx, dtype=torch.float32, L=16)
    ours, last = selective_scan(u, delta, A, B, C, D, z, bias, True, return_last_state=True)
    theirs, last_ref = ref(u, delta, A, B, C, D, z, bias, True, return_last_state=True)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)  # float32 both, different op order
    torch.testing.assert_close(last, last_ref, rtol=1e-5, atol=1e-5)


# --- the layers -------------------------------------------------------------------------------------

def _s6_loop(m: SelectiveSSM, u: torch.Tensor) -> torch.Tensor:
    """Oracle for the layer: the projections and the recurrence written out step by step."""
    A = -torch.exp(m.A_log)  # (H, N)
    x = torch.zeros(u.shape[0], m.d_model, m.d_state, dtype=u.dtype)
    ys = []
    W = m.x_proj.weight
    r, N = m.dt_rank, m.d_state
    for k in range(u.shape[1]):
        uk = u[:, k]  # (B, H)
        dt = F.softplus(uk @ W[:r].T @ m.dt_proj.weight.T + m.dt_proj.bias)  # (B, H)
        Bk, Ck = uk @ W[r:r + N].T, uk @ W[r + N:].T  # (B, N)
        x = torch.exp(dt[..., None] * A) * x + dt[..., None] * Bk[:, None, :] * uk[..., None]
        ys.append((x * Ck[:, None, :]).sum(-1) + m.D * uk)
    return torch.stack(ys, 1)


def test_selective_ssm_matches_loop_and_project():
    torch.manual_seed(0)
    m = SelectiveSSM(5, d_state=4).double()
    u = torch.randn(2, 12, 5, dtype=torch.float64)
    y = m(u)
    assert y.shape == (2, 12, 5) and y.dtype == torch.float64
    torch.testing.assert_close(y, _s6_loop(m, u), rtol=1e-12, atol=1e-12)  # float64
    delta, Bk, Ck = m.project(u)
    assert delta.shape == (2, 12, 5) and Bk.shape == Ck.shape == (2, 12, 4) and torch.all(delta > 0)
    z = torch.randn_like(u)
    torch.testing.assert_close(m(u, z), y * F.silu(z), rtol=1e-12, atol=1e-12)


def test_selective_ssm_initialization():
    torch.manual_seed(0)
    m = SelectiveSSM(32, d_state=8, dt_min=0.01, dt_max=0.1)
    assert m.dt_rank == 2
    torch.testing.assert_close(m.A()[3], -torch.arange(1.0, 9.0))  # S4D-Real: A_n = -n
    dt0 = F.softplus(m.dt_proj.bias)
    assert torch.all(dt0 >= 0.01 * (1 - 1e-5)) and torch.all(dt0 <= 0.1 * (1 + 1e-5))  # float32


def test_selective_ssm_trains_and_errors():
    torch.manual_seed(0)
    m = SelectiveSSM(4, d_state=3)
    u = torch.randn(2, 9, 4)
    m(u).square().mean().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name
    with pytest.raises(ValueError, match="u"):
        m(torch.randn(2, 9, 3))
    with pytest.raises(ValueError, match="z"):
        m(u, torch.randn(2, 8, 4))
    with pytest.raises(TypeError, match="dt_rank"):
        SelectiveSSM(4, dt_rank="big")
    with pytest.raises(ValueError, match="dt_max"):
        SelectiveSSM(4, dt_min=0.1, dt_max=0.01)


def test_mamba_block_is_causal():
    torch.manual_seed(0)
    blk = MambaBlock(4, d_state=3, expand=2, d_conv=3).double()
    u = torch.randn(1, 10, 4, dtype=torch.float64)
    y = blk(u)
    assert y.shape == (1, 10, 4)
    u2 = u.clone()
    u2[:, 6:] += 1.0  # change the future
    torch.testing.assert_close(blk(u2)[:, :6], y[:, :6], rtol=0, atol=0)
    assert not torch.allclose(blk(u2)[:, 6:], y[:, 6:])
    with pytest.raises(ValueError, match="u"):
        blk(torch.randn(1, 10, 5, dtype=torch.float64))


def test_module_is_callable_like_scan():
    """``sl.selective_scan`` may resolve to the module (lazy exports): calling it calls the function."""
    import importlib

    mod = importlib.import_module("ssmlib.selective_scan")
    if not callable(mod):
        pytest.skip("ssmlib._lazy.make_callable is not in this tree")
    u, delta, A, B, C, *_ = _inputs("var")
    torch.testing.assert_close(mod(u, delta, A, B, C), selective_scan(u, delta, A, B, C), rtol=0, atol=0)


def test_selective_ssm_backend_choice_gives_the_same_output():
    torch.manual_seed(0)
    auto = SelectiveSSM(8, 4).double()
    seq = SelectiveSSM(8, 4, backend="sequential").double()
    seq.load_state_dict(auto.state_dict())
    u = torch.randn(2, 30, 8, dtype=torch.float64)
    # float64, 30 steps: the backends differ by rounding only
    torch.testing.assert_close(seq(u), auto(u), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="backend"):
        SelectiveSSM(8, 4, backend="fast")
