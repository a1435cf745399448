"""Tests for the Triton backend of ssmlib.scan.

On CPU the kernels run in Triton's interpreter. Triton fixes the mode of every
``@triton.jit`` function (its own library included) when triton is imported, so
``TRITON_INTERPRET=1`` must be set before that: in an ordinary test run the
``interpreted`` tests are skipped in-process and run instead by
``test_interpreted_kernels_in_subprocess``, which starts pytest on this file with
``TRITON_INTERPRET=1``. (``TRITON_INTERPRET=1 pytest tests/test_scan_triton.py``
runs them directly.) Tiles are
tiny (4 x 4) so that the interpreter, which runs every element in Python,
stays within seconds, and shapes are chosen so that L and N are not multiples
of the tile (masking) and several chunks pass a carry.

The interpreter runs ``tl.associative_scan`` sequentially, so it cannot catch a
non-associative combine or tree-order rounding: the GPU-marked tests cover that
on CUDA at large L. Tolerances as in test_scan.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ssmlib as sl
from test_scan import assert_close_to, loop_oracle, random_problem

triton = pytest.importorskip("triton")

BLOCKS = dict(block_l=4, block_n=4)
INTERPRETED_HERE = os.environ.get("TRITON_INTERPRET", "0") == "1"
N_INTERPRETED = 10  # number of tests below that use the ``interpret`` fixture


@pytest.fixture
def interpret():
    if not INTERPRETED_HERE:
        pytest.skip("runs in a subprocess with TRITON_INTERPRET=1 (test_interpreted_kernels_in_subprocess)")
    from ssmlib.scan.triton_kernel import scan_triton

    return scan_triton


@pytest.mark.skipif(INTERPRETED_HERE, reason="already in the interpreter")
def test_interpreted_kernels_in_subprocess():
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    cmd = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider",
           "-k", "interpreted and not subprocess"]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    summary = re.search(r"(\d+) passed", proc.stdout)
    assert summary and int(summary.group(1)) == N_INTERPRETED, proc.stdout[-3000:]


@pytest.mark.parametrize(
    "dtype, time_varying",
    [(torch.complex64, False), (torch.complex128, True), (torch.float32, False), (torch.float64, True)],
)
def test_interpreted_forward(interpret, dtype, time_varying):
    lam, b = random_problem(2, 11, 5, dtype, r_max=0.99, time_varying=time_varying, seed=20)
    x = interpret(lam, b, **BLOCKS)
    assert x.shape == b.shape and x.dtype == b.dtype
    assert_close_to(x, loop_oracle(lam, b), dtype)


@pytest.mark.parametrize(
    "dtype, time_varying", [(torch.complex128, False), (torch.complex128, True), (torch.float64, False)]
)
def test_interpreted_backward_matches_autograd_of_loop(interpret, dtype, time_varying):
    lam, b = random_problem(2, 9, 5, dtype, r_max=0.99, time_varying=time_varying, seed=21)
    dy = torch.randn(b.shape, dtype=dtype, generator=torch.Generator().manual_seed(22))
    grads = []
    for run in (lambda l_, b_: sl.scan(l_, b_, backend="sequential"), lambda l_, b_: interpret(l_, b_, **BLOCKS)):
        l_, b_ = lam.clone().requires_grad_(), b.clone().requires_grad_()
        grads.append(torch.autograd.grad(run(l_, b_), (l_, b_), dy))
    for g_ref, g in zip(*grads):
        torch.testing.assert_close(g, g_ref, rtol=1e-10, atol=1e-10)


def test_interpreted_gradcheck(interpret):
    """gradcheck (fast mode: random projections) of the Triton forward and backward kernels."""
    lam, b = random_problem(1, 5, 2, torch.complex128, r_max=0.9, seed=23)
    inputs = (lam.requires_grad_(), b.requires_grad_())
    assert torch.autograd.gradcheck(
        lambda l_, b_: interpret(l_, b_, block_l=4, block_n=2), inputs, fast_mode=True
    )


def test_interpreted_through_scan_with_initial_state(interpret):
    lam, b = random_problem(2, 7, 3, torch.complex64, seed=24)
    x0 = torch.randn(2, 3, dtype=torch.complex64, generator=torch.Generator().manual_seed(25))
    x = sl.scan(lam, b, x0, backend="triton")  # CPU defaults: 16 x 8 tiles
    assert_close_to(x, loop_oracle(lam, b, x0), torch.complex64)


def test_interpreted_block_sizes_must_be_powers_of_two(interpret):
    lam, b = random_problem(1, 4, 2, torch.complex64, seed=26)
    with pytest.raises(ValueError, match="block_l"):
        interpret(lam, b, block_l=3, block_n=4)


# --- CUDA ---------------------------------------------------------------------
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("time_varying", [False, True])
def test_cuda_forward_backward_long(monkeypatch, time_varying):
    """Compiled kernel at L = 16384 against the chunked backend in complex128."""
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    lam, b = random_problem(3, 16384, 96, torch.complex64, r_max=0.999, time_varying=time_varying, seed=27)
    lam, b = lam.cuda(), b.cuda()
    dy = torch.randn_like(b)
    out = {}
    for name, dtype in (("triton", torch.complex64), ("chunked", torch.complex128)):
        l_ = lam.to(dtype).requires_grad_()
        b_ = b.to(dtype).requires_grad_()
        x = sl.scan(l_, b_, backend=name)
        out[name] = (x, *torch.autograd.grad(x, (l_, b_), dy.to(dtype)))
    for got, ref in zip(out["triton"], out["chunked"]):
        assert_close_to(got, ref.detach().cpu().numpy(), torch.complex64)


@pytest.mark.gpu
@needs_cuda
def test_cuda_auto_is_triton_and_compiles_without_graph_breaks(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    lam, b = random_problem(2, 1000, 64, torch.complex64, seed=28)
    lam, b = lam.cuda().requires_grad_(), b.cuda().requires_grad_()

    def loss(l_, b_):
        return sl.scan(l_, b_).real.square().mean()

    compiled = torch.compile(loss, fullgraph=True)  # fullgraph: a graph break is an error
    value = compiled(lam, b)
    grads = torch.autograd.grad(value, (lam, b))
    ref_value = loss(lam, b)
    ref_grads = torch.autograd.grad(ref_value, (lam, b))
    torch.testing.assert_close(value, ref_value, rtol=1e-5, atol=1e-6)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-6)
    explanation = torch._dynamo.explain(loss)(lam, b)
    assert explanation.graph_break_count == 0
