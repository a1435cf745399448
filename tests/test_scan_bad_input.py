"""Bad input to the public scan primitives (``ssmlib.scan.__all__``) fails early and by name.

``sl.scan`` validates its arguments; the primitives it is built from (``scan_sequential``,
``scan_hillis_steele``, ``scan_blelloch``, ``scan_chunked``, ``scan_compiled``) are public
too, and run the same checks (one shared helper): a TypeError or ValueError naming the
argument, never an AttributeError or a torch RuntimeError from deep inside; a NaN or inf
input named by default (``check_finite=True``), passed through with ``check_finite=False``;
an overflow reported. ``sl.scan`` itself calls the unchecked primitives (no second check).
Also ``default_chunk``, ``lam_powers`` and ``combine``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ssmlib as sl
from ssmlib.scan import (
    chunked,
    combine,
    compiled,
    default_chunk,
    parallel,
    scan_blelloch,
    scan_chunked,
    scan_compiled,
    scan_hillis_steele,
    scan_sequential,
    sequential,
)
from ssmlib.scan.parallel import lam_powers

needs_numba = pytest.mark.skipif(not compiled.numba_available(), reason="numba is not installed")

#: name -> (public function, the unchecked one sl.scan calls, takes x0?)
PRIMITIVES = {
    "scan_sequential": (scan_sequential, sequential._scan_sequential, True),
    "scan_hillis_steele": (scan_hillis_steele, parallel._scan_hillis_steele, False),
    "scan_blelloch": (scan_blelloch, parallel._scan_blelloch, False),
    "scan_chunked": (scan_chunked, chunked._scan_chunked, False),
    "scan_compiled": (scan_compiled, compiled._scan_compiled, True),
}


def _params(*rows):
    """pytest params; the rows of scan_compiled marked ``needs_numba``."""
    return [pytest.param(*r, marks=needs_numba) if r[0] == "scan_compiled" else
            pytest.param(*r) for r in rows]


NAMES = _params(*((n,) for n in PRIMITIVES))
WITH_X0 = _params(*((n,) for n in PRIMITIVES if PRIMITIVES[n][2]))


def _problem(dtype=torch.complex64, time_varying=False, batch=2, length=9, n=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    shape = (batch, length, n) if time_varying else (n,)
    radius = 0.5 + 0.4 * torch.rand(shape, generator=g, dtype=torch.float64)
    lam = torch.polar(radius, torch.rand(shape, generator=g, dtype=torch.float64) * 6.0)
    b = torch.randn(batch, length, n, generator=g, dtype=torch.complex128)
    if not dtype.is_complex:
        lam, b = lam.real, b.real
    return lam.to(dtype), b.to(dtype)


def _call(name, lam, b, x0=None, **kw):
    fn = PRIMITIVES[name][0]
    return fn(lam, b, x0, **kw) if x0 is not None else fn(lam, b, **kw)


# --- argument types, dtypes, shapes, devices --------------------------------------------
BAD_TENSORS = ["abc", 1.5, None, [0.5, 0.5, 0.5], np.ones(3)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", BAD_TENSORS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("arg", ["lam", "b"])
def test_non_tensor_lam_or_b_is_a_type_error_naming_it(name, arg, bad):
    lam, b = _problem()
    args = {"lam": lam, "b": b, arg: bad}
    with pytest.raises(TypeError, match=rf"^{arg} must be a torch.Tensor"):
        _call(name, args["lam"], args["b"])


@pytest.mark.parametrize("name", WITH_X0)
@pytest.mark.parametrize("bad", ["abc", float("nan"), [0.0, 0.0, 0.0], np.zeros((2, 3))],
                         ids=["str", "nan", "list", "ndarray"])
def test_non_tensor_x0_is_a_type_error_naming_it(name, bad):
    lam, b = _problem()
    with pytest.raises(TypeError, match=r"^x0 must be a torch.Tensor"):
        _call(name, lam, b, bad)


def _bad_shapes():
    lam, b = _problem()
    tv, _ = _problem(time_varying=True)
    return {
        "b 2-D": (lam, b[0], "b", ValueError),
        "b empty 1-D": (lam, torch.zeros(0, dtype=b.dtype), "b", ValueError),
        "lam wrong N": (lam[:2], b, "lam", ValueError),
        "lam empty": (lam[:0], b, "lam", ValueError),
        "lam 2-D": (lam[None], b, "lam", ValueError),
        "time-varying lam wrong L": (tv[:, :4], b, "lam", ValueError),
        "b int": (lam, torch.ones(2, 9, 3, dtype=torch.int64), "b", TypeError),
        "lam other dtype": (lam.to(torch.complex128), b, "lam", TypeError),
        "lam real, b complex": (lam.real.contiguous(), b, "lam", TypeError),
        "lam on another device": (lam.to("meta"), b, "lam", ValueError),
    }


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", list(_bad_shapes()))
def test_bad_shape_dtype_device_names_the_argument(name, case):
    lam, b, arg, exc = _bad_shapes()[case]
    with pytest.raises(exc, match=rf"{arg}\b"):
        _call(name, lam, b)


@pytest.mark.parametrize("name", WITH_X0)
def test_bad_x0_names_it(name):
    lam, b = _problem()
    for x0, exc in [(torch.zeros(3, dtype=b.dtype), ValueError),         # 1-D
                    (torch.zeros(2, 4, dtype=b.dtype), ValueError),      # wrong N
                    (torch.zeros(3, 3, dtype=b.dtype), ValueError),      # wrong B
                    (torch.zeros(2, 3, dtype=torch.complex128), TypeError),
                    (torch.zeros(2, 3, dtype=b.dtype, device="meta"), ValueError)]:
        with pytest.raises(exc, match=r"^x0 "):
            _call(name, lam, b, x0)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("flag", [1, "yes", None, np.array([True, False])],
                         ids=["int", "str", "None", "array"])
def test_check_finite_must_be_a_bool(name, flag):
    lam, b = _problem()
    with pytest.raises(TypeError, match="check_finite"):
        _call(name, lam, b, check_finite=flag)


@needs_numba
def test_scan_compiled_report_and_device():
    lam, b = _problem()
    for bad in ("abc", (), {}, 0):
        with pytest.raises(TypeError, match="^report must be None or a list"):
            scan_compiled(lam, b, None, bad)
    with pytest.raises(ValueError, match="CPU"):
        scan_compiled(lam.to("meta"), b.to("meta"))


def test_scan_compiled_without_numba_is_a_clear_error(monkeypatch):
    lam, b = _problem()
    monkeypatch.setattr(compiled, "numba_available", lambda: False)
    with pytest.raises(ValueError, match="numba"):
        scan_compiled(lam, b)


# --- values: NaN/inf inputs named, overflow reported, check_finite=False passes through ---
NAME_WHERE = _params(*[(n, w) for w in ("b", "lam") for n in PRIMITIVES],
                     *[(n, "x0") for n in PRIMITIVES if PRIMITIVES[n][2]])


@pytest.mark.parametrize("name, where", NAME_WHERE)
@pytest.mark.parametrize("time_varying", [False, True])
@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_input_is_named(name, time_varying, where, value):
    lam, b = _problem(time_varying=time_varying)
    x0 = torch.zeros(2, 3, dtype=b.dtype) if where == "x0" else None
    bad = {"b": b, "lam": lam, "x0": x0}[where].clone()
    bad.view(-1)[-1] = value  # the last step/channel: every output up to it stays finite
    args = {"lam": lam, "b": b, "x0": x0, where: bad}
    with pytest.raises(ValueError, match=rf"^{where} must contain only finite values"):
        _call(name, args["lam"], args["b"], args["x0"])
    out = _call(name, args["lam"], args["b"], args["x0"], check_finite=False)
    assert out.shape == b.shape
    if where == "b":  # the bad entry shows up in the result, silently, as asked
        assert not torch.isfinite(torch.view_as_real(out)).all()


@pytest.mark.parametrize("name", NAMES)
def test_nan_in_a_coefficient_no_output_depends_on_is_still_named(name):
    """lam[:, 0] multiplies the zero initial state: a NaN there is still reported."""
    lam, b = _problem(time_varying=True)
    lam = lam.clone()
    lam[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="^lam must contain only finite"):
        _call(name, lam, b)


@pytest.mark.parametrize("name", NAMES)
def test_overflow_is_reported(name):
    lam = torch.full((1,), 1.5, dtype=torch.complex64)
    b = torch.ones(1, 300, 1, dtype=torch.complex64)  # 1.5^300 ~ 1e52 > 3.4e38
    with pytest.raises(ValueError, match="overflows"):
        _call(name, lam, b)


@pytest.mark.parametrize("name", ["scan_hillis_steele", "scan_blelloch"])
def test_overflowing_products_with_finite_states_are_told_apart(name):
    """|lam| = 1.5 over 300 steps with b zero but for the last step: the states are finite
    (0, ..., 0, 1) but the log-depth schedules' products 1.5^256 overflow complex64 (and
    multiply zeros: NaN). The error says so (sl.scan returns the loop's values)."""
    lam = torch.full((2,), 1.5, dtype=torch.complex64)
    b = torch.zeros(1, 300, 2, dtype=torch.complex64)
    b[:, -1] = 1.0
    with pytest.raises(ValueError, match=rf"^{name}: the running products of lam overflow"):
        _call(name, lam, b)
    assert not torch.isfinite(torch.view_as_real(_call(name, lam, b, check_finite=False))).all()
    torch.testing.assert_close(sl.scan(lam, b, backend="parallel"), scan_sequential(lam, b))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("time_varying", [False, True])
def test_empty_time_axis_checks_the_inputs(name, time_varying):
    lam, b = _problem(time_varying=time_varying, length=0)
    assert _call(name, lam, b).shape == (2, 0, 3)
    if not time_varying:
        bad = lam.clone()
        bad[1] = float("nan")
        with pytest.raises(ValueError, match="^lam must contain only finite"):
            _call(name, bad, b)


# --- good input: the values of the unchecked primitives, and of sl.scan -------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.complex64, torch.float64])
@pytest.mark.parametrize("time_varying", [False, True])
def test_good_input_gives_the_same_values(name, dtype, time_varying):
    lam, b = _problem(dtype, time_varying, length=37, seed=3)
    public, private, has_x0 = PRIMITIVES[name]
    x0 = torch.ones(2, 3, dtype=dtype) if has_x0 else None
    with torch.no_grad():
        expect = private(lam, b, x0) if has_x0 else private(lam, b)
        for check in (True, False):
            got = _call(name, lam, b, x0, check_finite=check)
            torch.testing.assert_close(got, expect, rtol=0, atol=0)
    backend = {"scan_sequential": "sequential", "scan_compiled": "compiled"}.get(name)
    if backend:
        torch.testing.assert_close(sl.scan(lam, b, x0, backend=backend), expect, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["scan_blelloch", "scan_chunked"])
@pytest.mark.parametrize("time_varying", [False, True])
def test_in_place_primitives_are_differentiable(name, time_varying):
    """scan_blelloch and scan_chunked work on private buffers in place: with inputs that
    require grad they get the shared backward pass (before: a torch RuntimeError)."""
    lam, b = _problem(torch.complex128, time_varying, length=13, seed=5)
    ins = [t.clone().requires_grad_() for t in (lam, b)]
    ref = [t.clone().requires_grad_() for t in (lam, b)]
    x = _call(name, *ins)
    x_ref = scan_sequential(*ref)
    torch.testing.assert_close(x, x_ref)
    dy = torch.randn(b.shape, dtype=b.dtype, generator=torch.Generator().manual_seed(6))
    for g, r in zip(torch.autograd.grad(x, ins, dy), torch.autograd.grad(x_ref, ref, dy)):
        torch.testing.assert_close(g, r)


def test_scan_calls_the_unchecked_primitives(monkeypatch):
    """sl.scan validates once; the checks of the public primitives are not run again."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a public primitive's check ran inside sl.scan")

    for module in (sequential, parallel, compiled):  # chunked: through parallel
        monkeypatch.setattr(module, "check_scan_args", forbidden)
    lam, b = _problem(torch.complex64, length=20)
    x0 = torch.zeros(2, 3, dtype=b.dtype)
    backends = ["sequential", "parallel", "blelloch", "chunked"]
    if compiled.numba_available():
        backends.append("compiled")
    for backend in backends:
        for check in (True, False):
            sl.scan(lam, b, x0, backend=backend, check_finite=check)
            sl.scan(lam.clone().requires_grad_(), b, backend=backend,
                    check_finite=check).abs().sum().backward()


# --- scan_chunked(chunk=...) and default_chunk(length) ----------------------------------
@pytest.mark.parametrize("chunk, exc", [
    (0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError),
    ("abc", TypeError), (float("inf"), TypeError), (float("nan"), TypeError),
    (torch.tensor(4), TypeError), ([4], TypeError),
])
def test_chunk_is_validated(chunk, exc):
    lam, b = _problem()
    with pytest.raises(exc, match="^chunk must be"):
        scan_chunked(lam, b, chunk=chunk)


def test_chunk_longer_than_the_sequence_is_the_sequence():
    """chunk = 10**12 (48 TB of padding before) is the whole sequence: same values as
    chunk = L, no allocation beyond the input's size."""
    lam, b = _problem(torch.complex128, time_varying=True, length=23, seed=8)
    with torch.no_grad():
        expect = scan_chunked(lam, b, chunk=23)
        for chunk in (24, 10**12, 10**40, np.int64(2**62)):
            torch.testing.assert_close(scan_chunked(lam, b, chunk=chunk), expect, rtol=0, atol=0)
        torch.testing.assert_close(scan_chunked(lam, b, chunk=np.int32(4)),
                                   scan_chunked(lam, b, chunk=4), rtol=0, atol=0)


@pytest.mark.parametrize("length, exc", [
    (0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError),
    (None, TypeError), ("abc", TypeError), (float("inf"), TypeError),
    (float("-inf"), TypeError), (float("nan"), TypeError),
])
def test_default_chunk_validates_length(length, exc):
    with pytest.raises(exc, match="^length must be"):
        default_chunk(length)


def test_default_chunk_values():
    for length in list(range(1, 2000)) + [2**20, 2**20 + 1, 10**6, 2**40 + 7]:
        assert default_chunk(length) == max(1, int(math.ceil(math.sqrt(length))))
    assert default_chunk(np.int64(100)) == 10
    assert default_chunk(10**40 + 1) == 10**20 + 1  # exact (integer square root)


# --- lam_powers and combine ---------------------------------------------------------------
@pytest.mark.parametrize("lam, exponents, exc, arg", [
    ("abc", 3, TypeError, "lam"),
    (0.5, 3, TypeError, "lam"),
    (np.ones(3), 3, TypeError, "lam"),
    (torch.ones(2, 3), 3, ValueError, "lam"),
    (torch.ones(3, dtype=torch.int64), 3, TypeError, "lam"),
    (torch.ones(3), 2.5, TypeError, "exponents"),
    (torch.ones(3), True, TypeError, "exponents"),
    (torch.ones(3), "3", TypeError, "exponents"),
    (torch.ones(3), None, TypeError, "exponents"),
    (torch.ones(3), [1, 2], TypeError, "exponents"),
    (torch.ones(3), torch.tensor([1.0, 2.0]), TypeError, "exponents"),
    (torch.ones(3), torch.tensor([True]), TypeError, "exponents"),
    (torch.ones(3), torch.ones(2, 2, dtype=torch.int64), ValueError, "exponents"),
    (torch.ones(3), 10**30, ValueError, "exponents"),
])
def test_lam_powers_validates(lam, exponents, exc, arg):
    with pytest.raises(exc, match=rf"^{arg} must"):
        lam_powers(lam, exponents)


def test_lam_powers_values_and_value_check():
    lam = torch.tensor([0.5 + 0.5j, -0.9 + 0.0j], dtype=torch.complex64)
    e = torch.tensor([0, 1, 5])
    torch.testing.assert_close(lam_powers(lam, e), parallel._lam_powers(lam, e), rtol=0, atol=0)
    torch.testing.assert_close(lam_powers(lam, np.int64(5)), lam_powers(lam, 5), rtol=0, atol=0)
    assert lam_powers(lam, torch.zeros(0, dtype=torch.int64)).shape == (0, 2)
    bad = lam.clone()
    bad[0] = float("nan")
    with pytest.raises(ValueError, match="^lam must contain only finite"):
        lam_powers(bad, 3)
    assert torch.isnan(lam_powers(bad, 3, check_finite=False)[0].real)
    big = torch.tensor([10.0], dtype=torch.float32)
    with pytest.raises(ValueError, match="not finite"):
        lam_powers(big, torch.tensor([100]))  # 1e100 > float32's largest value
    with pytest.raises(ValueError, match="not finite"):
        lam_powers(torch.zeros(1), -1)  # 0 ** -1
    with pytest.raises(TypeError, match="check_finite"):
        lam_powers(lam, 3, check_finite="no")


@pytest.mark.parametrize("first, second, exc, arg", [
    ((1.0, 2.0, 3.0), (1.0, 2.0), ValueError, "first"),
    ((1.0, 2.0), (1.0,), ValueError, "second"),
    (1.0, (1.0, 2.0), TypeError, "first"),
    ((1.0, 2.0), "ab", TypeError, "second"),
    ((1.0, 2.0), None, TypeError, "second"),
    (("a", 2.0), (1.0, 2.0), TypeError, "first"),
    ((1.0, 2.0), (1.0, None), TypeError, "second"),
    ((True, 2.0), (1.0, 2.0), TypeError, "first"),
    (torch.ones(2), (1.0, 2.0), TypeError, "first"),
])
def test_combine_names_the_bad_pair(first, second, exc, arg):
    with pytest.raises(exc, match=rf"^{arg} must be a pair"):
        combine(first, second)


def test_combine_values_and_value_check():
    a1, b1, a2, b2 = (torch.tensor(v, dtype=torch.float64) for v in (0.5, 1.0, -2.0, 3.0))
    assert combine((a1, b1), (a2, b2)) == (a1 * a2, a2 * b1 + b2)
    assert combine([0.5, 1.0], [2.0, 3.0]) == (1.0, 5.0)
    assert combine((0.5j, 1), (2, 3.0)) == (1j, 5.0)
    nan = torch.tensor(float("nan"), dtype=torch.float64)
    with pytest.raises(ValueError, match="^first must contain only finite"):
        combine((a1, nan), (a2, b2))
    with pytest.raises(ValueError, match="^second must contain only finite"):
        combine((a1, b1), (float("inf"), b2))
    out = combine((a1, nan), (a2, b2), check_finite=False)
    assert torch.isnan(out[1])
    big = torch.tensor(1e200, dtype=torch.float64)
    with pytest.raises(ValueError, match="overflows"):
        combine((big, b1), (big, b2))
    with pytest.raises(TypeError, match="check_finite"):
        combine((a1, b1), (a2, b2), check_finite=None)
