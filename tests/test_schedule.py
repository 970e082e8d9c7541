"""The suite's own order under pytest-xdist (tests/support/schedule.py): long tests first, the ones that
wait spread out, every test exactly once; and the watchdog's bound on each."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.support.schedule import SECONDS_FUZZ, SECONDS_SHORT, WAITERS_WITHIN, long_first, waits, weight
from tests.support.watchdog import SLOWER_BY, bound


@dataclass
class FakeItem:
    """What the schedule reads of a pytest item: its node id, its fixtures and its ``slow`` marker."""

    nodeid: str
    slow: dict[str, Any] | None = None
    fixturenames: tuple[str, ...] = field(default_factory=tuple)

    def get_closest_marker(self, name: str) -> SimpleNamespace | None:
        """The marker as the schedule reads it: its keyword arguments."""
        return SimpleNamespace(kwargs=self.slow) if name == "slow" and self.slow is not None else None


def _ordered(items: list[FakeItem]) -> list[FakeItem]:
    return cast(list[FakeItem], long_first(cast(list[pytest.Item], items)))


def _suite() -> list[FakeItem]:
    short = [FakeItem(f"tests/short.py::test_{n}") for n in range(2000)]
    computing = [FakeItem(f"tests/api/test_fuzz.py::test_contract[{n}]") for n in range(4)]
    computing += [FakeItem(f"tests/board/test_b.py::test_{n}", fixturenames=("browser",)) for n in range(20)]
    waiting = [FakeItem("tests/w.py::test_lease", {"seconds": 36, "waits": True})]
    waiting += [FakeItem(f"tests/w.py::test_timeout_{n}", {"seconds": 16, "waits": True}) for n in range(3)]
    return short[:700] + waiting[:2] + computing + short[700:] + waiting[2:]


def test_every_test_once_and_the_computing_long_ones_first_each_beside_a_short_one() -> None:
    items = _suite()
    ordered = _ordered(items)
    assert sorted(item.nodeid for item in ordered) == sorted(item.nodeid for item in items)
    long_ones = [index for index, item in enumerate(ordered) if not item.nodeid.startswith("tests/short")]
    computing = [ordered[index] for index in long_ones if ordered[index].slow is None]
    shards = [f"tests/api/test_fuzz.py::test_contract[{n}]" for n in range(4)]
    assert [item.nodeid for item in computing[:4]] == shards
    assert long_ones[len(computing) - 1] < 2 * len(computing) + 4  # all of them at the start
    # no two long ones that compute in one batch of two (xdist's first chunks, --maxschedchunk 2)
    at = [index for index in long_ones if ordered[index].slow is None]
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(at))


def _usual_seconds(item: FakeItem) -> float:
    return weight(cast(pytest.Item, item)) or SECONDS_SHORT


def _waits(item: FakeItem) -> bool:
    return waits(cast(pytest.Item, item))


def _simulated(ordered: list[FakeItem], workers: int = 4) -> list[tuple[float, float]]:
    """Each test's start and end when ``workers`` take the tests in order, each the next when free."""
    free = [0.0] * workers
    spans = []
    for item in ordered:
        first = free.index(min(free))
        spans.append((free[first], free[first] + _usual_seconds(item)))
        free[first] = spans[-1][1]
    return spans


def test_the_waiting_ones_are_dealt_through_the_first_two_thirds_of_the_run_one_at_a_time() -> None:
    ordered = _ordered(_suite())
    spans = _simulated(ordered)
    makespan = max(end for _start, end in spans)
    waiting = [span for span, item in zip(spans, ordered, strict=True) if _waits(item)]
    assert ordered[spans.index(waiting[0])].nodeid == "tests/w.py::test_lease"  # longest first
    assert len(waiting) == 4
    assert waiting[-1][0] < makespan * WAITERS_WITHIN  # none left for the run's end
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(waiting))  # never two at once


def test_without_waiting_tests_the_order_is_the_long_ones_then_the_rest() -> None:
    items = [FakeItem(f"tests/short.py::test_{n}") for n in range(5)] + [
        FakeItem("tests/slow.py::test_x", {"seconds": 9})
    ]
    assert [item.nodeid for item in _ordered(items)] == [
        "tests/slow.py::test_x",
        *(f"tests/short.py::test_{n}" for n in range(5)),
    ]


def test_a_long_tests_bound_grows_with_its_usual_seconds() -> None:
    """The watchdog (tests/support/watchdog.py) gives each test the timeout, and a long one ten times its
    usual seconds where that is longer: a fuzz shard on a slow machine is not a hang."""
    timeout = 300.0
    assert bound(cast(pytest.Item, FakeItem("tests/short.py::test_0")), timeout) == timeout
    slow = FakeItem("tests/w.py::test_lease", {"seconds": 36, "waits": True})
    assert bound(cast(pytest.Item, slow), timeout) == 360
    fuzz = FakeItem("tests/api/test_fuzz.py::test_contract[0]")
    assert bound(cast(pytest.Item, fuzz), timeout) == SLOWER_BY * SECONDS_FUZZ
    assert bound(cast(pytest.Item, fuzz), 5000.0) == 5000.0
