"""ssmlib.schedules: the Hillis-Steele and Blelloch schedules (chapter 8), torch-free.

The schedules are checked by what they compute: applied symbolically (each element a
span of inputs), Hillis-Steele ends in the inclusive scan and Blelloch in the exclusive
one, for every power of two up to 2^10 and, for Hillis-Steele, every n up to 70; depth
and work are the textbook counts (Blelloch 1990, "Prefix sums and their applications").
The numeric check (combining real pairs) is in tests/test_scan.py.
"""

from __future__ import annotations

import pytest

from ssmlib.schedules import MAX_ELEMENTS, _compose, blelloch_schedule, hillis_steele_schedule


def _inclusive_spans(n):
    spans = [(k, k) for k in range(n)]
    for level in hillis_steele_schedule(n):
        prev = list(spans)
        for src, dst in level:
            assert src < dst
            spans[dst] = _compose(prev[src], prev[dst])
    return spans


def _exclusive_spans(n):
    spans = [(k, k) for k in range(n)]
    schedule = blelloch_schedule(n)
    for phase, pairs in schedule:
        if phase == "up":
            for src, dst in pairs:
                spans[dst] = _compose(spans[src], spans[dst])
    spans[-1] = None
    for phase, pairs in schedule:
        if phase == "down":
            for src, dst in pairs:
                spans[src], spans[dst] = spans[dst], _compose(spans[dst], spans[src])
    return spans


@pytest.mark.parametrize("n", list(range(1, 71)) + [1024])
def test_hillis_steele_is_the_inclusive_scan(n):
    assert _inclusive_spans(n) == [(0, k) for k in range(n)]
    levels = hillis_steele_schedule(n)
    assert len(levels) == (n - 1).bit_length()  # ceil(log2 n)
    assert sum(map(len, levels)) == sum(n - 2 ** j for j in range(len(levels)))


@pytest.mark.parametrize("n", [2 ** k for k in range(11)])
def test_blelloch_is_the_exclusive_scan_with_linear_work(n):
    assert _exclusive_spans(n) == [None] + [(0, k - 1) for k in range(1, n)]
    schedule = blelloch_schedule(n)
    log = n.bit_length() - 1
    assert [p for p, _ in schedule] == ["up"] * log + ["down"] * log
    assert sum(len(p) for _, p in schedule) == 2 * (n - 1)


@pytest.mark.parametrize("fn", [hillis_steele_schedule, blelloch_schedule])
@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-4, ValueError),
                                      (MAX_ELEMENTS * 2, ValueError), (2.0, TypeError),
                                      (True, TypeError), ("8", TypeError), (None, TypeError)])
def test_bad_n_is_named(fn, bad, exc):
    with pytest.raises(exc, match="^n must be"):
        fn(bad)


def test_blelloch_needs_a_power_of_two_and_the_largest_n_runs():
    with pytest.raises(ValueError, match="power of two"):
        blelloch_schedule(12)
    assert len(blelloch_schedule(MAX_ELEMENTS)) == 2 * 16
    assert len(hillis_steele_schedule(MAX_ELEMENTS)) == 16
