"""The order in which pytest-xdist hands out the tests: the long ones first, longest first, each beside a
short one.

xdist's ``load`` scheduler gives each worker the next tests of the collection as it finishes (``make
test`` keeps the batches to two with ``--maxschedchunk 2``), so whatever comes late comes last: a
minute-long fuzz run or a test that waits 30 s for a lease, handed out near the end, is the run's tail
(a run of 2026-12-06 spent its last 40 s with one worker in the hanging-receiver tests and two idle).
Longest first is the classic rule for sharing jobs between machines; the length is a test's usual wall
time, as its ``slow`` marker states it (``@pytest.mark.slow(seconds=36)``), or its kind's below.
Each long test is followed by a short one, so that the first batches of two never put two long tests on
one worker while another runs short ones.
"""

from __future__ import annotations

import pytest

# A test's usual wall seconds, by kind, where its marker does not say; everything else is 0 (milliseconds).
FUZZ = "tests/api/test_fuzz.py"
SECONDS_FUZZ = 55.0  # a quarter of the fuzz run (CLOPOS_FUZZ_SHARDS), both databases
SECONDS_BROWSER = 8.0  # a server process and a Chromium page
SECONDS_SLOW = 4.0  # a server process or a subprocess


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


def long_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with the weighted ones first (longest first, otherwise in collection order), each
    followed by one of the others; the rest after, in collection order."""
    weighted = sorted((item for item in items if weight(item)), key=weight, reverse=True)
    light = [item for item in items if not weight(item)]
    paired: list[pytest.Item] = []
    for index, item in enumerate(weighted):
        paired.append(item)
        if index < len(light):
            paired.append(light[index])
    return paired + light[len(weighted) :]
