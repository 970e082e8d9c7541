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
(``docs/testing.md``). They are dealt instead at even intervals of the run's usual time (each test's
seconds added up) through its first two thirds: one at a time beside three workers with CPU work to do,
and far from the run's end.
"""

from __future__ import annotations

import pytest

# A test's usual wall seconds, by kind, where its marker does not say; everything else is 0 (milliseconds).
FUZZ = "tests/api/test_fuzz.py"
SECONDS_FUZZ = 55.0  # a quarter of the fuzz run (CLOPOS_FUZZ_SHARDS), both databases
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
    """``order`` with the ``waiting`` tests put in, in their order, at even intervals of its usual time
    (the tests' seconds added up) through its first ``WAITERS_WITHIN``: by count, they all came
    together, since the long tests at the start take most of the run's time."""
    marks = [
        sum(map(_seconds, order)) * WAITERS_WITHIN * (index + 0.5) / len(waiting)
        for index in range(len(waiting))
    ]
    dealt: list[pytest.Item] = []
    elapsed = 0.0
    pending = list(zip(marks, waiting, strict=True))
    for item in order:
        while pending and elapsed >= pending[0][0]:
            dealt.append(pending.pop(0)[1])
        dealt.append(item)
        elapsed += _seconds(item)
    return dealt + [item for _mark, item in pending]
