"""Tests for the compiled CPU scan (``backend="compiled"``, numba; chapter 8).

Oracle: an independent NumPy loop in complex128 (forward) and torch autograd
through that loop run in complex128/float64 (backward). The compiled kernels
carry the state in double precision and round once per stored value, so a
single-precision result is within a few units of float32 rounding (eps = 6e-8)
of the exact one relative to max|x| whatever L: tolerance 1e-6. Double
precision: 1e-12 (the recurrences here have |lam| <= 0.95, a memory of ~20
steps, so the accumulated error stays ~20 eps = 4e-15).

Without numba the whole module is skipped, except the tests of what happens
without it (a clear error, and ``"auto"`` falling back to ``"chunked"``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ssmlib as sl
import ssmlib.scan as scan_module
from ssmlib.scan import compiled
from ssmlib.scan.sequential import scan_sequential

needs_numba = pytest.mark.skipif(not compiled.numba_available(), reason="numba is not installed")

DTYPES = [torch.complex64, torch.complex128, torch.float32, torch.float64]
TOL = {torch.complex64: 1e-6, torch.float32: 1e-6, torch.complex128: 1e-12, torch.float64: 1e-12}


def _wide(dtype):
    return torch.complex128 if dtype.is_complex else torch.float64


def problem(batch, length, n, dtype, *, time_varying=False, with_x0=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    shape = (batch, length, n) if time_varying else (n,)
    radius = 0.5 + 0.45 * torch.rand(shape, generator=g, dtype=torch.float64)
    if dtype.is_complex:
        lam = torch.polar(radius, 2 * np.pi * torch.rand(shape, generator=g, dtype=torch.float64))
        b = torch.randn(batch, length, n, generator=g, dtype=torch.complex128)
        x0 = torch.randn(batch, n, generator=g, dtype=torch.complex128)
    else:
        lam = radius * torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0).double()
        b = torch.randn(batch, length, n, generator=g, dtype=torch.float64)
        x0 = torch.randn(batch, n, generator=g, dtype=torch.float64)
    return lam.to(dtype), b.to(dtype), (x0.to(dtype) if with_x0 else None)


def numpy_loop(lam, b, x0):
    lam = lam.detach().numpy().astype(np.complex128)
    b = b.detach().numpy().astype(np.complex128)
    x = np.zeros((b.shape[0], b.shape[2]), np.complex128) if x0 is None else \
        x0.detach().numpy().astype(np.complex128)
    out = np.empty_like(b)
    for k in range(b.shape[1]):
        x = (lam[:, k] if lam.ndim == 3 else lam) * x + b[:, k]
        out[:, k] = x
    return out


def rel_err(x, ref):
    x = x.detach().to(_wide(x.dtype)).numpy() if isinstance(x, torch.Tensor) else x
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else ref
    return np.abs(x - ref).max() / max(np.abs(ref).max(), 1e-300)


# --- without numba ----------------------------------------------------------------------------
def test_without_numba_compiled_is_a_clear_error_and_auto_is_chunked(monkeypatch):
    lam, b, _ = problem(2, 20, 3, torch.complex64)
    # numba_available as ssmlib.scan reads it (the auto choice) and as the compiled
    # backend's precondition check reads it
    monkeypatch.setattr(scan_module, "numba_available", lambda: False)
    monkeypatch.setattr(compiled, "numba_available", lambda: False)
    with pytest.raises(ValueError, match="backend='compiled' needs the numba package"):
        sl.scan(lam, b, backend="compiled")
    called = []
    monkeypatch.setattr(scan_module, "scan_compiled", lambda *a: called.append(a))
    x = sl.scan(lam, b)  # auto: the pure-torch chunked backend
    assert not called and rel_err(x, numpy_loop(lam, b, None)) < 1e-5


def test_compiled_rejects_non_cpu_tensors():
    lam, b, _ = problem(1, 4, 2, torch.complex64)
    with pytest.raises(ValueError, match="backend='compiled' runs on CPU tensors"):
        sl.scan(lam.to("meta"), b.to("meta"), backend="compiled")


# --- with numba ------------------------------------------------------------------------------
@needs_numba
def test_auto_uses_compiled_on_cpu(monkeypatch):
    lam, b, _ = problem(2, 20, 3, torch.complex64)
    called = []
    real = scan_module._scan_compiled  # what scan() calls (the public name adds checks)

    def spy(*args):
        called.append(args)
        return real(*args)

    monkeypatch.setattr(scan_module, "_scan_compiled", spy)
    x = sl.scan(lam, b)
    assert called and rel_err(x, numpy_loop(lam, b, None)) < TOL[torch.complex64]


#: (threads, dtype, time_varying, with_x0): every combination on the serial kernels; the
#: multi-threaded ones (each call starts threads: slow on a busy machine) for two dtypes.
CASES = [("serial", d, tv, x0) for d in DTYPES for tv in (False, True) for x0 in (False, True)] + [
    ("parallel", d, tv, True) for d in (torch.complex64, torch.float64) for tv in (False, True)]


@needs_numba
@pytest.mark.parametrize("threads, dtype, time_varying, with_x0", CASES)
def test_forward_and_backward_against_the_loop(dtype, time_varying, with_x0, threads, monkeypatch):
    """Every dtype, both lam layouts, with and without x0, on the serial kernels and on
    the multi-threaded ones (forced for this small input; B = 1 splits the channels of a
    row among the threads, N = 37 leaves a partial block)."""
    if threads == "parallel":
        monkeypatch.setattr(compiled, "PARALLEL_MIN", 0)
    batch = 1 if threads == "parallel" else 3
    lam, b, x0 = problem(batch, 41, 37, dtype, time_varying=time_varying, with_x0=with_x0,
                         seed=hash((str(dtype), time_varying, with_x0)) % 1000)
    inputs = [t.clone().requires_grad_() for t in (lam, b) + ((x0,) if with_x0 else ())]
    x = sl.scan(*inputs[:2], inputs[2] if with_x0 else None, backend="compiled")
    assert x.dtype == dtype and x.shape == b.shape
    assert rel_err(x, numpy_loop(lam, b, x0)) <= TOL[dtype]
    # backward: torch autograd through the loop in double precision
    dy = torch.randn(b.shape, dtype=_wide(dtype), generator=torch.Generator().manual_seed(1))
    grads = torch.autograd.grad(x, inputs, dy.to(dtype))
    ref_in = [t.detach().to(_wide(dtype)).requires_grad_() for t in inputs]
    ref = scan_sequential(ref_in[0], ref_in[1], ref_in[2] if with_x0 else None)
    ref_grads = torch.autograd.grad(ref, ref_in, dy)
    for name, g, r in zip(("lam", "b", "x0"), grads, ref_grads):
        assert g.dtype == dtype and g.shape == r.shape, name
        assert rel_err(g, r) <= 4 * TOL[dtype], name


@needs_numba
@pytest.mark.parametrize("time_varying", [False, True])
@pytest.mark.parametrize("dtype", [torch.complex128, torch.float64])
def test_gradcheck_serial_and_parallel(time_varying, dtype, monkeypatch):
    lam, b, x0 = problem(2, 7, 5, dtype, time_varying=time_varying, with_x0=True, seed=3)
    inputs = (lam.requires_grad_(), b.requires_grad_(), x0.requires_grad_())
    assert torch.autograd.gradcheck(compiled.scan_compiled, inputs)
    if dtype == torch.complex128 and not time_varying:  # one small case: each call starts threads
        monkeypatch.setattr(compiled, "PARALLEL_MIN", 0)
        small = problem(1, 4, 3, dtype, with_x0=True, seed=4)
        assert torch.autograd.gradcheck(compiled.scan_compiled,
                                        tuple(t.requires_grad_() for t in small))


@needs_numba
def test_partial_gradients_and_strided_input():
    """Only b requires grad (no lam gradient is formed); a non-contiguous b (a transposed
    view) gives the same result as its contiguous copy."""
    lam, b, _ = problem(2, 30, 6, torch.complex64, seed=4)
    bt = b.transpose(0, 1).contiguous().transpose(0, 1)  # same values, strided
    assert not bt.is_contiguous()
    torch.testing.assert_close(sl.scan(lam, bt, backend="compiled"),
                               sl.scan(lam, b, backend="compiled"), rtol=0, atol=0)
    b_ = b.clone().requires_grad_()
    sl.scan(lam, b_, backend="compiled").real.sum().backward()
    assert b_.grad is not None and b_.grad.shape == b.shape


@needs_numba
def test_block_split():
    """Whole rows when the batch fills the threads; else a row's channels split into
    blocks of whole 16-channel groups."""
    threads = compiled._num_threads()
    assert compiled._block(max(threads, 1), 256) == 256
    if threads > 1:
        block = compiled._block(1, 256)
        assert block % 16 == 0 and block * threads >= 256 and block < 256
    assert compiled._block(1, 3) == 3  # fewer channels than a group: one block
    assert compiled._block(1, 1) == 1


@needs_numba
@pytest.mark.parametrize("time_varying", [False, True])
def test_kernel_reports_non_finite_values_without_a_second_pass(time_varying, monkeypatch):
    """The value check of the compiled backend is the kernels' running sums: True for a
    finite result, False for a NaN input or for states that overflow complex64 when
    stored (while the double-precision state itself is still finite); sl.scan then
    names the input or reports the overflow, without reducing the output itself."""
    lam, b, _ = problem(1, 50, 4, torch.complex64, time_varying=time_varying, seed=7)
    report: list = []
    compiled.scan_compiled(lam, b, None, report)
    assert report == [True]
    bad = b.clone()
    bad[0, 10, 1] = float("nan")
    compiled.scan_compiled(lam, bad, None, report)
    assert report == [True, False]
    ones = torch.ones(1, 300, 4, dtype=torch.complex64)
    grow = torch.full((1, 300, 4) if time_varying else (4,), 1.5, dtype=torch.complex64)
    compiled.scan_compiled(grow, ones, None, report)  # 1.5^300 ~ 1e52 > 3.4e38
    assert report == [True, False, False]
    calls = []
    real = scan_module._all_finite
    monkeypatch.setattr(scan_module, "_all_finite",
                        lambda x, extra=None: calls.append(x.numel()) or real(x, extra))
    sl.scan(lam, b, backend="compiled")
    assert all(n <= lam.numel() for n in calls)  # at most the few unseen coefficients
    with pytest.raises(ValueError, match="^b must contain only finite"):
        sl.scan(lam, bad, backend="compiled")
    with pytest.raises(ValueError, match="overflows"):
        sl.scan(grow, ones, backend="compiled")


@needs_numba
@pytest.mark.parametrize("use_flag", [True, False])
def test_false_alarm_of_the_running_sum_returns_the_values(use_flag, monkeypatch):
    """Huge but finite states (each |x| ~ 2e37, their sum above float32's largest value):
    the processor's overflow flag (single-threaded kernels on Linux) sees no overflow;
    without it, the kernels' per-element sums raise a false alarm, the exact check then
    finds every value finite, and sl.scan returns them."""
    if not use_flag:
        monkeypatch.setattr(compiled, "_overflow_flag", lambda: None)
    elif compiled._overflow_flag() is None:
        pytest.skip("no usable floating-point overflow flag on this platform")
    lam = torch.full((2,), 0.5, dtype=torch.complex64)
    b = torch.full((1, 100, 2), 1e37, dtype=torch.complex64)
    report: list = []
    compiled.scan_compiled(lam, b, None, report)
    assert report == [use_flag]
    x = sl.scan(lam, b, backend="compiled")
    assert torch.isfinite(torch.view_as_real(x)).all()
    assert rel_err(x, numpy_loop(lam, b, None)) <= TOL[torch.complex64]


@needs_numba
@pytest.mark.parametrize("dtype", [torch.complex64, torch.float32, torch.complex128])
@pytest.mark.parametrize("path", ["flag", "per-element", "parallel"])
def test_a_stored_value_that_overflows_and_shrinks_again_is_reported(dtype, path, monkeypatch):
    """b = [M, M, 0, ...] with lam = 0.5: the state 1.5 M exceeds the output's largest
    value at step 1 and falls below it from step 2 on, so the final state is finite; the
    check must still report the overflowed value (the overflow flag, the per-element
    sums, or, on several threads, the per-element sums), naming no input."""
    big = 3e38 if dtype in (torch.complex64, torch.float32) else 1.5e308
    if path == "per-element":
        monkeypatch.setattr(compiled, "_overflow_flag", lambda: None)
    elif path == "parallel":
        monkeypatch.setattr(compiled, "PARALLEL_MIN", 0)
        monkeypatch.setattr(compiled, "_num_threads", lambda: 2)
    elif compiled._overflow_flag() is None:
        pytest.skip("no usable floating-point overflow flag on this platform")
    lam = torch.full((3,), 0.5, dtype=dtype)
    b = torch.zeros(2, 12, 3, dtype=dtype)
    b[1, :2, 1] = big
    report: list = []
    x = compiled.scan_compiled(lam, b, None, report)
    assert report == [False]
    assert torch.isinf(torch.view_as_real(x) if dtype.is_complex else x).any()
    with pytest.raises(ValueError, match="overflows"):
        sl.scan(lam, b, backend="compiled")
    ok = b.clone()
    ok[1, :2, 1] = big / 4  # 1.5 * big / 4 stays in range
    report = []
    compiled.scan_compiled(lam, ok, None, report)
    assert report == [True]


@needs_numba
def test_scan_leaves_torch_thread_count_alone(monkeypatch):
    """The compiled backend uses at most torch's thread count (serial kernels when the
    caller set one thread), and a multi-threaded launch, which resets the OpenMP thread
    count torch reads, puts torch's back."""
    lam, b, _ = problem(2, 64, 16, torch.complex64, seed=8)
    monkeypatch.setattr(compiled, "PARALLEL_MIN", 0)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert compiled._num_threads() == 1 and compiled._plan(b)[0] is False
        sl.scan(lam, b, backend="compiled")
        assert torch.get_num_threads() == 1
        if threads > 1 and compiled.numba_available():
            torch.set_num_threads(threads)
            if compiled._num_threads() > 1:
                assert compiled._plan(b)[0] is True
                lam_g = lam.clone().requires_grad_()
                sl.scan(lam_g, b, backend="compiled").real.sum().backward()
                assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(threads)
