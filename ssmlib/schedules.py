"""The schedules of the log-depth scans: which element combines with which (chapter 8).

The recurrence ``x_k = a_k x_{k-1} + b_k`` is a prefix "sum" of the pairs
``e_k = (a_k, b_k)`` under an associative operator (chapter 8). A parallel scan
is a *schedule*: levels of combines that can all run at once. This module holds
the two classical schedules as plain index pairs, and their symbolic
evaluation (which inputs each element holds after each level), with no
dependence on torch or numpy: the torch scans of :mod:`ssmlib.scan`, the
chapter's slider (:mod:`ssmlib.explorers.scan`) and its diagrams
(:mod:`ssmlib.diagrams.scans`) all read them from here.

* Hillis-Steele (:func:`hillis_steele_schedule`): ``ceil(log2 n)`` levels,
  each combining every element with the one ``2^j`` steps back. Depth
  ``log2 n``, work ``n log2 n - (n - 1)`` combines.
* Blelloch (:func:`blelloch_schedule`): an up-sweep (a reduction tree) and a
  down-sweep. Depth ``2 log2 n``, work ``2 (n - 1)`` combines.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Optional

__all__ = ["hillis_steele_schedule", "blelloch_schedule", "MAX_ELEMENTS"]

#: Largest ``n`` the schedules accept: Hillis-Steele lists about ``n log2 n`` pairs
#: (1.0e6 at 2^16, tens of megabytes of Python tuples).
MAX_ELEMENTS = 1 << 16

#: (first, last) input index (0-based) composed into an element; None = the identity.
Span = Optional[tuple]


def _check_n(n: Any, power_of_two: bool) -> int:
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    n = int(n)
    kind = "a power of two" if power_of_two else "an integer"
    if not 1 <= n <= MAX_ELEMENTS or (power_of_two and n & (n - 1)):
        raise ValueError(f"n must be {kind} in [1, {MAX_ELEMENTS}], got {n}")
    return n


def hillis_steele_schedule(n: int) -> list[list[tuple[int, int]]]:
    """The Hillis-Steele schedule on ``n`` elements.

    Parameters
    ----------
    n : int
        Number of elements, in ``[1, MAX_ELEMENTS]``.

    Returns
    -------
    list of list of (src, dst)
        One list per level; each pair means ``e_dst <- e_src o e_dst``, all
        pairs of a level at once (reading the previous level's values).
    """
    n = _check_n(n, power_of_two=False)
    levels = []
    d = 1
    while d < n:
        levels.append([(k - d, k) for k in range(d, n)])
        d *= 2
    return levels


def blelloch_schedule(n: int) -> list[tuple[str, list[tuple[int, int]]]]:
    """Blelloch's schedule on ``n`` elements (``n`` a power of two).

    Parameters
    ----------
    n : int
        Number of elements, a power of two in ``[1, MAX_ELEMENTS]``.

    Returns
    -------
    list of (phase, pairs)
        ``phase`` is ``"up"`` or ``"down"``. In the up-sweep a pair
        ``(src, dst)`` means ``e_dst <- e_src o e_dst``. In the down-sweep it
        means ``(e_src, e_dst) <- (e_dst, e_dst o e_src)``. Between the two
        phases the last element is set to the identity ``(1, 0)``; the result
        is the exclusive scan (combine it with the inputs for the inclusive one).
    """
    n = _check_n(n, power_of_two=True)
    out: list[tuple[str, list[tuple[int, int]]]] = []
    d = 1
    while d < n:
        out.append(("up", [(i - d, i) for i in range(2 * d - 1, n, 2 * d)]))
        d *= 2
    d = n // 2
    while d >= 1:
        out.append(("down", [(i - d, i) for i in range(2 * d - 1, n, 2 * d)]))
        d //= 2
    return out


def _compose(first: Span, second: Span) -> Span:
    """Span of ``first o second`` (first = the earlier elements)."""
    if first is None:
        return second
    if second is None:
        return first
    return (first[0], second[1])
