"""Tests for ssmlib.s4_kernel: S4's DPLR kernel by Cauchy kernels, Woodbury and an inverse FFT.

Oracles: explicit matrix powers C Abar^l Bbar in numpy float64, with Abar, Bbar from
``ssmlib.bilinear`` of the dense matrix (independent of the module's own dense helpers), the
dense resolvent for the generating function, and HiPPO-LegS's dense matrix from chapter 7.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ssmlib as sl
from ssmlib.s4_kernel import (
    cauchy_kernel,
    dplr_generating_function,
    dplr_kernel,
    dplr_kernel_powers,
    dplr_truncated_C,
    hippo_legs_nplr,
)


def _random_dplr(N=8, r=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    Lam = torch.complex(-torch.rand(N, generator=g, dtype=torch.float64) - 0.1,
                        3 * torch.randn(N, generator=g, dtype=torch.float64))
    P = 0.3 * torch.randn(N, r, generator=g, dtype=torch.complex128)
    Q = 0.3 * torch.randn(N, r, generator=g, dtype=torch.complex128)
    B = torch.randn(N, generator=g, dtype=torch.complex128)
    C = torch.randn(N, generator=g, dtype=torch.complex128)
    return Lam, P, Q, B, C


def _powers_oracle(Lam, P, Q, B, C, dt, L):
    """K_l = C Abar^l Bbar, numpy float64, bilinear from ssmlib.discretize."""
    A = np.diag(Lam.numpy()) - P.numpy().reshape(len(Lam), -1) @ Q.numpy().reshape(len(Lam), -1).conj().T
    Ad, Bd = sl.bilinear(A, B.numpy(), dt)
    out, x = [], Bd
    for _ in range(L):
        out.append(C.numpy() @ x)
        x = Ad @ x
    return np.array(out)


@pytest.mark.parametrize("L", [1, 2, 15, 16, 64])
@pytest.mark.parametrize("r", [1, 2])
def test_kernel_matches_matrix_powers(L, r):
    Lam, P, Q, B, C = _random_dplr(N=8, r=r, seed=L + r)
    dt = 0.1
    K = dplr_kernel(Lam, P, Q, B, C, dt, L)
    ref = _powers_oracle(Lam, P, Q, B, C, dt, L)
    assert K.shape == (L,) and K.dtype == torch.complex128
    scale = np.abs(ref).max()
    np.testing.assert_allclose(K.numpy(), ref, rtol=0, atol=1e-12 * scale)  # float64, well conditioned
    np.testing.assert_allclose(dplr_kernel_powers(Lam, P, Q, B, C, dt, L).numpy(), ref,
                               rtol=0, atol=1e-13 * scale)


def test_rank_one_vector_P_Q_and_real_dt_tensor_with_gradient():
    Lam, P, Q, B, C = _random_dplr(N=6, r=1, seed=3)
    dt = torch.tensor(0.05, dtype=torch.float64, requires_grad=True)
    K = dplr_kernel(Lam, P[:, 0], Q[:, 0], B, C, dt, 32)
    np.testing.assert_allclose(K.detach().numpy(), _powers_oracle(Lam, P, Q, B, C, 0.05, 32),
                               rtol=0, atol=1e-12)
    (g,) = torch.autograd.grad(K.real.sum(), dt)
    h = 1e-6  # central difference in float64: error ~ h^2 + eps/h ~ 1e-10
    fd = (_powers_oracle(Lam, P, Q, B, C, 0.05 + h, 32).real.sum()
          - _powers_oracle(Lam, P, Q, B, C, 0.05 - h, 32).real.sum()) / (2 * h)
    np.testing.assert_allclose(float(g), fd, rtol=1e-6)


def test_hippo_legs_nplr_reconstructs_legs_and_its_kernel():
    N = 16
    Lam, P, B, V = hippo_legs_nplr(N)
    A, B_legs = sl.hippo_legs(N)
    Vn = V.numpy()
    np.testing.assert_allclose(Vn.conj().T @ Vn, np.eye(N), atol=1e-13)  # unitary
    A_rec = Vn @ (np.diag(Lam.numpy()) - np.outer(P.numpy(), P.numpy().conj())) @ Vn.conj().T
    np.testing.assert_allclose(A_rec, A, atol=1e-12 * np.abs(A).max())
    np.testing.assert_allclose(Vn @ B.numpy(), B_legs[:, 0], atol=1e-12)
    np.testing.assert_allclose(Lam.numpy().real, -0.5, atol=1e-15)
    # the kernel of the real LegS system, with a real output row c, through the DPLR form
    c = np.random.default_rng(0).standard_normal(N)
    dt, L = 0.01, 128
    K = dplr_kernel(Lam, P, P, B, torch.from_numpy(c @ Vn), dt, L)
    Ad, Bd = sl.bilinear(A, B_legs[:, 0], dt)
    ref = np.array([c @ np.linalg.matrix_power(Ad, l) @ Bd for l in range(L)])
    scale = np.abs(ref).max()
    np.testing.assert_allclose(K.numpy().real, ref, rtol=0, atol=1e-11 * scale)  # float64, N = 16
    np.testing.assert_allclose(K.numpy().imag, 0, atol=1e-11 * scale)  # the system is real


def test_generating_function_is_the_resolvent_and_nyquist_limit():
    Lam, P, Q, B, C = _random_dplr(N=5, r=2, seed=7)
    dt = 0.2
    z = torch.tensor([0.3 + 0.1j, -0.9j, 1.0, -1.0, 2.0 - 1.0j], dtype=torch.complex128)
    got = dplr_generating_function(Lam, P, Q, B, C, dt, z).numpy()
    A = np.diag(Lam.numpy()) - P.numpy() @ Q.numpy().conj().T
    Ad, Bd = sl.bilinear(A, B.numpy(), dt)
    ref = [C.numpy() @ np.linalg.solve(np.eye(5) - Ad * zz, Bd) for zz in z.numpy()]
    np.testing.assert_allclose(got, ref, rtol=1e-12)  # float64, moderate condition numbers
    # z = -1 (Nyquist) uses the limit dt/2 * C B, which the dense resolvent confirms
    np.testing.assert_allclose(got[3], dt / 2 * np.sum(C.numpy() * B.numpy()), rtol=1e-12)


def test_truncation_is_needed():
    """Without C~ = C (I - Abar^L) the inverse FFT gives the aliased infinite kernel, not K."""
    Lam, P, Q, B, C = _random_dplr(N=6, seed=1)
    Lam = torch.complex(Lam.real * 0.05, Lam.imag)  # slow decay: Abar^L far from 0
    dt, L = 0.1, 16
    ref = _powers_oracle(Lam, P, Q, B, C, dt, L)
    C_tilde = dplr_truncated_C(Lam, P, Q, C, dt, L)
    K = dplr_kernel(Lam, P, Q, B, C_tilde, dt, L, C_is_tilde=True)
    np.testing.assert_allclose(K.numpy(), ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    K_untruncated = dplr_kernel(Lam, P, Q, B, C, dt, L, C_is_tilde=True)
    assert np.abs(K_untruncated.numpy() - ref).max() > 1e-2 * np.abs(ref).max()


def test_cauchy_kernel_definition():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((2, 4)) + 1j * rng.standard_normal((2, 4))
    w = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    lam = rng.standard_normal(4) - 2 + 1j * rng.standard_normal(4)
    got = cauchy_kernel(torch.from_numpy(v), torch.from_numpy(w), torch.from_numpy(lam)).numpy()
    ref = np.array([[sum(v[a, n] / (w[j] - lam[n]) for n in range(4)) for j in range(3)] for a in range(2)])
    np.testing.assert_allclose(got, ref, rtol=1e-14)
    with pytest.raises(ValueError, match="v"):
        cauchy_kernel(torch.from_numpy(v[:, :3]), torch.from_numpy(w), torch.from_numpy(lam))


def test_errors_name_the_argument():
    Lam, P, Q, B, C = _random_dplr(N=4, r=2)
    with pytest.raises(TypeError, match="Lambda"):
        dplr_kernel(Lam.numpy(), P, Q, B, C, 0.1, 8)
    with pytest.raises(ValueError, match="P"):
        dplr_kernel(Lam, P[:3], Q, B, C, 0.1, 8)
    with pytest.raises(ValueError, match="Q"):
        dplr_kernel(Lam, P, Q[:, :1], B, C, 0.1, 8)
    with pytest.raises(ValueError, match="B"):
        dplr_kernel(Lam, P, Q, B[:3], C, 0.1, 8)
    with pytest.raises(ValueError, match="C"):
        dplr_kernel(Lam, P, Q, B, C[:3], 0.1, 8)
    with pytest.raises(ValueError, match="dt"):
        dplr_kernel(Lam, P, Q, B, C, 0.0, 8)
    with pytest.raises(ValueError, match="dt"):
        dplr_kernel(Lam, P, Q, B, C, torch.tensor(-1.0), 8)
    with pytest.raises(ValueError, match="L"):
        dplr_kernel(Lam, P, Q, B, C, 0.1, 0)
    with pytest.raises(TypeError, match="L"):
        dplr_kernel(Lam, P, Q, B, C, 0.1, 8.0)
    with pytest.raises(ValueError, match="Lambda"):
        dplr_kernel(Lam * float("nan"), P, Q, B, C, 0.1, 8)
    with pytest.raises(ValueError, match="N"):
        hippo_legs_nplr(0)


def test_gradcheck_float64():
    """The Cauchy/Woodbury route is plain torch ops: its gradients are checked by finite differences."""
    Lam, P, Q, B, C = _random_dplr(N=3, r=1, seed=5)
    args = [t.clone().requires_grad_() for t in (Lam, P, Q, B, C)]
    dt = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)

    def f(Lam, P, Q, B, C, dt):
        return torch.view_as_real(dplr_kernel(Lam, P, Q, B, C, dt, 6))

    assert torch.autograd.gradcheck(f, (*args, dt), eps=1e-6, atol=1e-7, rtol=1e-6)  # float64


def test_cauchy_kernel_blocks_match_one_block(monkeypatch):
    """The blocked evaluation (cache-sized row blocks) equals the single-block one."""
    import ssmlib.s4_kernel as S

    rng = np.random.default_rng(1)
    v = torch.from_numpy(rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5)))
    w = torch.exp(-2j * np.pi * torch.arange(37, dtype=torch.float64) / 37)
    lam = torch.from_numpy(rng.standard_normal(5) - 2 + 1j * rng.standard_normal(5))
    whole = cauchy_kernel(v, w, lam)
    monkeypatch.setattr(S, "_CAUCHY_BLOCK", 10)  # 2 rows per block
    torch.testing.assert_close(cauchy_kernel(v, w, lam), whole, rtol=1e-15, atol=1e-15)
    assert cauchy_kernel(v, w[:0], lam).shape == (3, 0)
