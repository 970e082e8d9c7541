"""The order in which pytest-xdist hands out the tests: the long ones first, each beside a short one.

xdist's ``load`` scheduler gives each worker the next tests of the collection as it finishes (``make
test`` keeps the batches to two with ``--maxschedchunk 2``), so whatever comes late comes last: a
minute-long fuzz run handed out near the end would be the run's tail. The multi-process tests (the
``slow`` marker: real servers, browsers) and the fuzz run go first, longest kind first, and each is
followed by a short test, so that the first batches of two never put two long tests on one worker
while another runs short ones.
"""

from __future__ import annotations

import pytest

# Relative weight of a test's kind; everything else is 0 (milliseconds).
FUZZ = "tests/api/test_fuzz.py"
WEIGHT_FUZZ = 3  # a quarter of a database's fuzz run (CLOPOS_FUZZ_SHARDS): 20-110 s
WEIGHT_BROWSER = 2  # a server process and a Chromium page: 5-30 s
WEIGHT_SLOW = 1  # a server process or a subprocess: 2-15 s


def weight(item: pytest.Item) -> int:
    if item.nodeid.startswith(FUZZ):
        return WEIGHT_FUZZ
    if "browser" in getattr(item, "fixturenames", ()):
        return WEIGHT_BROWSER
    if item.get_closest_marker("slow") is not None:
        return WEIGHT_SLOW
    return 0


def long_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with the weighted ones first (heaviest first, otherwise in collection order), each
    followed by one of the others; the rest after, in collection order."""
    weighted = sorted((item for item in items if weight(item)), key=weight, reverse=True)
    light = [item for item in items if not weight(item)]
    paired: list[pytest.Item] = []
    for index, item in enumerate(weighted):
        paired.append(item)
        if index < len(light):
            paired.append(light[index])
    return paired + light[len(weighted) :]
