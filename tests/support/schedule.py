"""The order in which pytest-xdist hands out the tests: the long ones first, longest first, each beside a
short one; the ones that mostly wait spread through the run.

xdist's ``load`` scheduler gives each worker the next tests of the collection as it finishes (``make
test`` keeps the batches to two with ``--maxschedchunk 2``), so whatever comes late comes last: a
minute-long fuzz run or a test that waits 30 s for a lease, handed out near the end, is the run's tail
(a run of 2026-12-06 spent its last 40 s with one worker in the hanging-receiver tests and two idle).
Longest first is the classic rule for sharing jobs between machines; the length is a test's usual wall
time, as its ``slow`` marker states it (``@pytest.mark.slow(seconds=36)``), or its kind's below.
Each long test is followed by a short one, so that the first batches of two never put two long tests on
one worker while another runs short ones.

A long test that spends its time waiting (a lease to expire, an attempt's timeout, a database outage)
says so: ``@pytest.mark.slow(seconds=36, waits=True)``. Handed out among the other long ones, those all
started together, after the fuzz shards: every worker waited and both cores were idle for about 30 s
(``docs/testing.md``). They are dealt instead through the first two thirds of the run, one at a time
(on the tests' usual seconds, shared out among the workers as xdist does), beside workers with CPU work
to do, and far from the run's end.
"""

from __future__ import annotations

import os

import pytest

# A test's usual wall seconds, by kind, where its marker does not say; everything else is 0 (milliseconds).
FUZZ = "tests/api/test_fuzz.py"
SECONDS_FUZZ = 85.0  # a quarter of the fuzz run (CLOPOS_FUZZ_SHARDS), both databases, four side by side
SECONDS_BROWSER = 8.0  # a server process and a Chromium page
SECONDS_SLOW = 4.0  # a server process or a subprocess
SECONDS_SHORT = 0.14  # any other test: their mean in a run of the suite (2026-12-06)
WAITERS_WITHIN = 2 / 3  # the waiting tests are dealt through this share of the run's usual time


def weight(item: pytest.Item) -> float:
    """The test's usual wall seconds if it is a long one, else 0."""
    marker = item.get_closest_marker("slow")
    if marker is not None and "seconds" in marker.kwargs:
        return float(marker.kwargs["seconds"])
    if item.nodeid.startswith(FUZZ):
        return SECONDS_FUZZ
    if "browser" in getattr(item, "fixturenames", ()):
        return SECONDS_BROWSER
    if marker is not None:
        return SECONDS_SLOW
    return 0.0


def waits(item: pytest.Item) -> bool:
    """Whether the test's marker says it spends its time waiting rather than computing."""
    marker = item.get_closest_marker("slow")
    return marker is not None and bool(marker.kwargs.get("waits", False))


def _seconds(item: pytest.Item) -> float:
    """The test's usual wall seconds, a short one's included."""
    return weight(item) or SECONDS_SHORT


def long_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with the long ones that compute first (longest first, otherwise in collection order), each
    followed by a short one; then the short ones in collection order; the long ones that wait dealt among
    them all (``_dealt``)."""
    waiting = sorted((item for item in items if waits(item)), key=weight, reverse=True)
    weighted = sorted((item for item in items if weight(item) and not waits(item)), key=weight, reverse=True)
    light = [item for item in items if not weight(item) and not waits(item)]
    paired: list[pytest.Item] = []
    for index, item in enumerate(weighted):
        paired.append(item)
        if index < len(light):
            paired.append(light[index])
    return _dealt(paired + light[len(weighted) :], waiting)


def _dealt(order: list[pytest.Item], waiting: list[pytest.Item]) -> list[pytest.Item]:
    """``order`` with the ``waiting`` tests put in, in their order, through its first ``WAITERS_WITHIN``.

    The order's usual times are shared out as xdist would among the workers (each test to the first one
    free), and each waiting test goes where that reaches both its even share of the span and the end of
    the waiting test before it: by count, or by seconds added up, they all came together, since the long
    tests at the start run side by side and take most of the run's time."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "4"))
    free = [0.0] * workers  # when each simulated worker is next free
    span = sum(map(_seconds, order)) / workers * WAITERS_WITHIN
    dealt: list[pytest.Item] = []
    placed, previous_end = 0, 0.0
    for item in order:
        if placed < len(waiting) and min(free) >= max(previous_end, span * placed / len(waiting)):
            previous_end = _take(free, waiting[placed])
            dealt.append(waiting[placed])
            placed += 1
        _take(free, item)
        dealt.append(item)
    return dealt + waiting[placed:]


def _take(free: list[float], item: pytest.Item) -> float:
    """The first free simulated worker runs ``item``: when it ends."""
    first = free.index(min(free))
    free[first] += _seconds(item)
    return free[first]
