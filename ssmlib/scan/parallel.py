"""Log-depth associative scans in plain torch ops (chapter 8).

The recurrence ``x_k = a_k x_{k-1} + b_k`` is a prefix "sum" of the pairs
``e_k = (a_k, b_k)`` under the associative operator (chapter 8)

    (a_1, b_1) o (a_2, b_2) = (a_1 a_2,  a_2 b_1 + b_2),

where ``(a_1, b_1)`` is the earlier element. ``x_k`` is the second component of
``e_0 o e_1 o ... o e_k``. Two classical schedules compute all prefixes:

* Hillis-Steele (:func:`scan_hillis_steele`): ``ceil(log2 L)`` levels, each
  combining every element with the one ``2^j`` steps back. Depth ``log2 L``,
  work ``O(L log L)``.
* Blelloch (:func:`scan_blelloch`): an up-sweep (reduction tree) and a
  down-sweep. Depth ``2 log2 L``, work ``O(L)``.

Both work on any device. The schedules themselves (which element combines with
which at each level, as index pairs) are in :mod:`ssmlib.schedules`.
"""

from __future__ import annotations

import cmath
from numbers import Number

import torch

from .._validation import check_tensor
from ._autograd import LinearScan
from ._checks import (
    SCAN_DTYPES,
    _all_finite,
    _compiling,
    check_flag,
    check_scan_args,
    check_scan_result,
)
from .sequential import _scan_sequential

__all__ = [
    "combine",
    "lam_powers",
    "scan_hillis_steele",
    "scan_blelloch",
]


def combine(
    first: tuple[torch.Tensor, torch.Tensor],
    second: tuple[torch.Tensor, torch.Tensor],
    *,
    check_finite: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The scan operator ``(a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2)`` (chapter 8).

    ``first`` is the earlier element: applying ``first`` then ``second`` to a
    state ``x`` gives ``a2 (a1 x + b1) + b2``.

    Parameters
    ----------
    first, second : pair (tuple or list of two)
        ``(a, b)`` pairs of tensors (broadcastable against each other) or numbers.
    check_finite : bool
        Check the result's values: a NaN or inf entry of ``first`` or ``second``,
        or a product that overflows, raises ``ValueError``. ``False`` skips it.

    Returns
    -------
    tuple
        ``(a1 a2, a2 b1 + b2)``.

    Raises
    ------
    TypeError
        If ``first`` or ``second`` is not a pair of tensors or numbers, or
        ``check_finite`` is not a bool.
    ValueError
        If ``first`` or ``second`` does not have two entries, or (``check_finite``)
        for non-finite values.
    """
    check_finite = check_flag(check_finite)
    _check_pair(first, "first")
    _check_pair(second, "second")
    out = _combine(first, second)
    if check_finite and not _compiling() and not all(_finite_value(v) for v in out):
        for pair, name in ((first, "first"), (second, "second")):
            if not all(_finite_value(v) for v in pair):
                raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
        raise ValueError("combine(first, second) overflows (non-finite result from finite "
                         "first and second): the products a1 a2 or a2 b1 leave the dtype's range")
    return out


def _combine(first, second):
    """:func:`combine` without checks (the sweeps of :func:`scan_blelloch`)."""
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2


def _check_pair(pair, name: str) -> None:
    if not isinstance(pair, (tuple, list)):
        raise TypeError(f"{name} must be a pair (a, b) of tensors or numbers, "
                        f"got {type(pair).__name__}")
    if len(pair) != 2:
        raise ValueError(f"{name} must be a pair (a, b) of two entries, got {len(pair)}")
    for part, v in zip("ab", pair):
        if isinstance(v, bool) or not isinstance(v, (torch.Tensor, Number)):
            raise TypeError(f"{name} must be a pair (a, b) of tensors or numbers; its {part} "
                            f"is a {type(v).__name__}")


def _finite_value(v) -> bool:
    if isinstance(v, torch.Tensor):
        return v.numel() == 0 or _all_finite(v)
    try:
        return cmath.isfinite(complex(v))
    except (TypeError, ValueError, OverflowError):  # a Number that is not complex-like
        return True


def _expand(lam: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return lam.expand_as(b) if lam.ndim == 1 else lam


def lam_powers(lam: torch.Tensor, exponents: torch.Tensor | int, *,
               check_finite: bool = True) -> torch.Tensor:
    """``lam ** e`` for a time-invariant ``lam`` (N,) and integer exponents ``e`` (M,): (M, N)
    (for a Python int ``e``: shape (N,)).

    Computed as :math:`|\\lambda|^e e^{i e \\arg\\lambda} = \\exp(e \\log|\\lambda|)
    e^{i e \\arg \\lambda}` in float64 and rounded once to ``lam``'s dtype, so the relative
    error is a few units of that dtype's rounding whatever ``e``. Repeated multiplication
    (``lam^{2d} = lam^d lam^d``) instead repeats the same rounding error in both factors:
    the error of ``lam^e`` grows like ``e`` times the unit roundoff (about 1e-2 at
    ``e = 10^6`` in complex64), which is what the log-depth scans lost at long ``L``.

    Parameters
    ----------
    lam : Tensor, shape (N,)
        complex64, complex128, float32 or float64.
    exponents : int or Tensor, shape (M,)
        Integer exponents: a Python (or numpy) int, or a 1-D tensor of an integer dtype.
    check_finite : bool
        Check the result's values: a NaN or inf in ``lam`` raises ``ValueError``
        naming it, and so does a power that overflows the dtype (or a zero ``lam``
        with a negative exponent). ``False`` skips it.

    Returns
    -------
    Tensor, shape (M, N), or (N,) for an int exponent; dtype of ``lam``

    Raises
    ------
    TypeError
        If ``lam`` is not a tensor of one of those dtypes, ``exponents`` is not an int
        or an integer tensor, or ``check_finite`` is not a bool.
    ValueError
        For a wrong number of dimensions, and (``check_finite``) non-finite values.
    """
    check_finite = check_flag(check_finite)
    check_tensor(lam, "lam", ndim=1, dtypes=SCAN_DTYPES, finite=False)
    if isinstance(exponents, torch.Tensor):
        if exponents.dtype.is_floating_point or exponents.dtype.is_complex or \
                exponents.dtype == torch.bool:
            raise TypeError(f"exponents must have an integer dtype, got {exponents.dtype}")
        if exponents.ndim != 1:
            raise ValueError(f"exponents must be an int or a 1-D tensor, got shape "
                             f"{tuple(exponents.shape)}")
    elif isinstance(exponents, Number) and not isinstance(exponents, bool) and \
            hasattr(exponents, "__index__"):
        exponents = exponents.__index__()  # int, numpy integer
        if not -(2**63) <= exponents < 2**63:
            raise ValueError(f"exponents must be within the int64 range, got {exponents}")
    else:
        raise TypeError(f"exponents must be an int or an integer tensor, "
                        f"got {type(exponents).__name__}")
    out = _lam_powers(lam, exponents)
    if check_finite and not _compiling() and out.numel() and not _all_finite(out):
        check_tensor(lam, "lam", finite=True)
        raise ValueError(
            f"lam ** exponents is not finite in {lam.dtype} (max |lam| = "
            f"{float(lam.abs().max()):.6g}): a power overflows the dtype, or a zero lam has "
            "a negative exponent")
    return out


def _lam_powers(lam: torch.Tensor, exponents: torch.Tensor | int) -> torch.Tensor:
    """:func:`lam_powers` without checks (for validated input)."""
    if isinstance(exponents, int):  # one power, (N,): no tensor, no host-device copy
        if exponents == 0:
            return torch.ones_like(lam)
        e: float | torch.Tensor = float(exponents)
    else:
        e = exponents.to(device=lam.device, dtype=torch.float64)[:, None]
    wide = lam.to(torch.complex128 if lam.is_complex() else torch.float64)  # exact
    mag = torch.exp(e * torch.log(wide.abs()))  # 0**e = 0 for e > 0
    if lam.is_complex():
        out = torch.polar(mag, e * wide.angle())
    elif isinstance(exponents, int):
        out = -mag if exponents % 2 else mag
        out = torch.where(wide < 0, out, mag)
    else:
        odd = torch.remainder(exponents.to(lam.device), 2)[:, None] == 1
        out = torch.where(odd & (wide < 0), -mag, mag)
    if not isinstance(exponents, int):
        out = torch.where(e == 0, torch.ones_like(out), out)  # lam**0 = 1 (also lam = 0)
    return out.to(lam.dtype)


def _powers_of(lam: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """``lam ** counts`` (M, N) for integer ``counts`` (M,) taking few distinct values."""
    if counts.device.type != "cpu":  # torch.unique would wait for the device
        return _lam_powers(lam, counts)
    values, inverse = torch.unique(counts, return_inverse=True)
    return _lam_powers(lam, values)[inverse]


def _run_checked(primitive, lam, b, check_finite, *, native_grad: bool,
                 name: str) -> torch.Tensor:
    """A public primitive: the checks of :func:`ssmlib.scan`, then the unchecked
    ``primitive(lam, b)``. With an input that requires grad (and grad mode on), a
    primitive that works in place on private buffers (``native_grad=False``) runs
    through :class:`~ssmlib.scan._autograd.LinearScan`, the shared backward pass."""
    check_finite = check_flag(check_finite)
    check_scan_args(lam, b)
    if not native_grad and torch.is_grad_enabled() and (lam.requires_grad or b.requires_grad):
        out = LinearScan.apply(lam, b, primitive)
    else:
        out = primitive(lam, b)
    if not check_finite:
        return out
    return check_scan_result(out, lam, b, name=name,
                             loop=lambda: _scan_sequential(lam.detach(), b.detach()))


def scan_hillis_steele(lam: torch.Tensor, b: torch.Tensor, *,
                       check_finite: bool = True) -> torch.Tensor:
    """Inclusive scan of ``x_k = lam_k x_{k-1} + b_k`` (``x_{-1} = 0``) by Hillis-Steele.

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N)
        Coefficients, time-invariant (one per channel) or time-varying; same dtype
        and device as ``b``.
    b : Tensor, shape (B, L, N), complex64, complex128, float32 or float64
        Inputs, channel-last (batch, time, channel).
    check_finite : bool
        Check the result's values (one reduction): a NaN or inf input raises
        ``ValueError`` naming it, and so does a non-finite result from finite inputs
        (an overflow, e.g. of the running products of ``lam`` for ``|lam| > 1``).
        ``False`` returns the values as computed.

    Returns
    -------
    Tensor, shape (B, L, N)

    Raises
    ------
    TypeError
        If ``lam`` or ``b`` is not a tensor or has the wrong dtype, or
        ``check_finite`` is not a bool.
    ValueError
        For mismatched shapes or devices, and (``check_finite=True``) non-finite values.

    Notes
    -----
    Level ``j`` replaces every element ``k >= d`` (``d = 2^j``) by
    ``e_{k-d} o e_k``, so after level ``j`` element ``k`` holds the composition
    of the ``min(k + 1, 2^{j+1})`` inputs ending at ``k``. Out of place, so it
    is differentiable by torch autograd too (at ``O(L log L)`` memory).
    For a time-invariant ``lam`` the products are the powers ``lam^d``, taken from
    :func:`lam_powers` (accurate at any ``d``) instead of repeated squaring.
    :func:`ssmlib.scan` (``backend="parallel"``) runs the same checks and then the
    unchecked scan, with the shared backward pass.
    """
    return _run_checked(_scan_hillis_steele, lam, b, check_finite, native_grad=True,
                        name="scan_hillis_steele")


def _scan_hillis_steele(lam: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """:func:`scan_hillis_steele` without checks (for validated input)."""
    x = b
    length = b.shape[1]
    d = 1
    if lam.ndim == 1:
        # Time-invariant: at level j every updated element's product is lam^d exactly
        # (it composes the d inputs ending at k - ... k), computed accurately once.
        while d < length:
            lam_d = _lam_powers(lam, d)
            x = torch.cat([x[:, :d], lam_d * x[:, :-d] + x[:, d:]], dim=1)
            d *= 2
        return x
    a = lam
    while d < length:
        x = torch.cat([x[:, :d], a[:, d:] * x[:, :-d] + x[:, d:]], dim=1)
        if 2 * d < length:  # the last level does not need the products
            a = torch.cat([a[:, :d], a[:, :-d] * a[:, d:]], dim=1)
        d *= 2
    return x


def scan_blelloch(lam: torch.Tensor, b: torch.Tensor, *,
                  check_finite: bool = True) -> torch.Tensor:
    """Inclusive scan of ``x_k = lam_k x_{k-1} + b_k`` (``x_{-1} = 0``) by Blelloch's algorithm.

    Parameters
    ----------
    lam : Tensor, shape (N,) or (B, L, N)
        Coefficients, time-invariant (one per channel) or time-varying; same dtype
        and device as ``b``.
    b : Tensor, shape (B, L, N), complex64, complex128, float32 or float64
        Inputs, channel-last (batch, time, channel).
    check_finite : bool
        Check the result's values (one reduction): a NaN or inf input raises
        ``ValueError`` naming it, and so does a non-finite result from finite inputs
        (an overflow, e.g. of the running products of ``lam`` for ``|lam| > 1``).
        ``False`` returns the values as computed.

    Returns
    -------
    Tensor, shape (B, L, N)

    Raises
    ------
    TypeError
        If ``lam`` or ``b`` is not a tensor or has the wrong dtype, or
        ``check_finite`` is not a bool.
    ValueError
        For mismatched shapes or devices, and (``check_finite=True``) non-finite values.

    Notes
    -----
    The length is padded to a power of two ``P`` with identity elements
    ``(1, 0)``. The up-sweep builds a reduction tree in place: at stride ``d``
    element ``i = 2d m + 2d - 1`` becomes ``e_{i-d} o e_i``. The down-sweep
    turns it into the exclusive scan: the root is set to the identity, and at
    stride ``d`` the pair ``(left, right) = (i - d, i)`` becomes
    ``(right, right o left)``, where ``right`` holds the prefix of everything
    before the subtree. The inclusive result is ``x_k = a_k E_k + b_k`` from
    the exclusive prefix ``E_k``. In place on private buffers, so not traced by
    autograd: when ``lam`` or ``b`` requires grad (and grad mode is on), the sweeps get
    the hand-written backward pass that :func:`ssmlib.scan` (``backend="blelloch"``)
    uses too, the reversed scan.

    For a time-invariant ``lam`` every product is a power ``lam^c``, ``c`` the number
    of (non-padding) inputs it composes: the sweeps then carry the integer exponents
    ``c`` (exact) and take the powers from :func:`lam_powers`.
    """
    return _run_checked(_scan_blelloch, lam, b, check_finite, native_grad=False,
                        name="scan_blelloch")


def _scan_blelloch(lam: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """:func:`scan_blelloch` without checks (for validated input)."""
    batch, length, n = b.shape
    if length == 0:
        return b.clone()
    size = 1 << (length - 1).bit_length()
    if lam.ndim == 1:
        return _blelloch_invariant(lam, b, size)
    a_in = _expand(lam, b)
    a = torch.ones(batch, size, n, dtype=b.dtype, device=b.device)
    x = torch.zeros(batch, size, n, dtype=b.dtype, device=b.device)
    a[:, :length] = a_in
    x[:, :length] = b
    # up-sweep
    d = 1
    while d < size:
        av = a.view(batch, size // (2 * d), 2 * d, n)
        xv = x.view(batch, size // (2 * d), 2 * d, n)
        left_a, left_x = av[:, :, d - 1], xv[:, :, d - 1]
        right_a, right_x = av[:, :, 2 * d - 1], xv[:, :, 2 * d - 1]
        new_a, new_x = _combine((left_a, left_x), (right_a, right_x))
        av[:, :, 2 * d - 1] = new_a
        xv[:, :, 2 * d - 1] = new_x
        d *= 2
    # down-sweep (exclusive scan)
    a[:, size - 1] = 1
    x[:, size - 1] = 0
    d = size // 2
    while d >= 1:
        av = a.view(batch, size // (2 * d), 2 * d, n)
        xv = x.view(batch, size // (2 * d), 2 * d, n)
        left = (av[:, :, d - 1].clone(), xv[:, :, d - 1].clone())
        right = (av[:, :, 2 * d - 1].clone(), xv[:, :, 2 * d - 1].clone())
        av[:, :, d - 1], xv[:, :, d - 1] = right
        new_a, new_x = _combine(right, left)
        av[:, :, 2 * d - 1] = new_a
        xv[:, :, 2 * d - 1] = new_x
        d //= 2
    # inclusive: x_k = a_k * E_k + b_k
    return a_in * x[:, :length] + b


def _blelloch_invariant(lam: torch.Tensor, b: torch.Tensor, size: int) -> torch.Tensor:
    """Blelloch's sweeps for ``lam`` (N,): exponents instead of products."""
    batch, length, n = b.shape
    x = torch.zeros(batch, size, n, dtype=b.dtype, device=b.device)
    x[:, :length] = b
    c = torch.zeros(size, dtype=torch.int64, device=b.device)  # e_k = (lam^c_k, x_k)
    c[:length] = 1
    d = 1
    while d < size:  # up-sweep
        cv, xv = c.view(size // (2 * d), 2 * d), x.view(batch, size // (2 * d), 2 * d, n)
        xv[:, :, 2 * d - 1] += _powers_of(lam, cv[:, 2 * d - 1]) * xv[:, :, d - 1]
        cv[:, 2 * d - 1] += cv[:, d - 1]
        d *= 2
    c[size - 1] = 0
    x[:, size - 1] = 0
    d = size // 2
    while d >= 1:  # down-sweep: (left, right) <- (right, right o left)
        cv, xv = c.view(size // (2 * d), 2 * d), x.view(batch, size // (2 * d), 2 * d, n)
        left_c, left_x = cv[:, d - 1].clone(), xv[:, :, d - 1].clone()
        right_c, right_x = cv[:, 2 * d - 1].clone(), xv[:, :, 2 * d - 1].clone()
        cv[:, d - 1], xv[:, :, d - 1] = right_c, right_x
        xv[:, :, 2 * d - 1] = _powers_of(lam, left_c) * right_x + left_x
        cv[:, 2 * d - 1] = right_c + left_c
        d //= 2
    return lam * x[:, :length] + b

