"""A bound on every test: past ``CLOPOS_TEST_TIMEOUT`` seconds (default 300), or ten times its usual seconds
where that is longer (tests/support/schedule.py: a fuzz shard's 85 s), it is ended, with its stacks.

Why: one test that waited on something that never came held a CI run for its whole 90 minutes and printed
nothing about where. Now the worker prints, to the run's output, the test's name, every thread's stack and
every unfinished asyncio task's stack (a hung coroutine shows only an idle event loop in the threads'),
then exits; pytest-xdist reports that test as "crashed" and goes on with a new worker, so the run ends
red within minutes. Run without xdist, the run itself ends there.

The bound covers the whole protocol of a test: setup, call, teardown, and for a worker's last test the
session's teardown. A long test's bound grows with its usual time because the machine's speed does not
stay put: on 2026-12-07 a fuzz shard took 173 s of wall time, and 300 s would have been two slower runs
away from ending a test that was working (docs/testing.md).
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import sys
import threading
import time
from collections.abc import Generator

import pytest

from tests.support.schedule import weight

DEFAULT_TIMEOUT = 300.0
SLOWER_BY = 10  # a long test is hung past this many times its usual seconds (when that passes the timeout)


def bound(item: pytest.Item, timeout: float) -> float:
    """The seconds ``item`` may take: ``timeout``, or ``SLOWER_BY`` times its usual seconds if longer."""
    return max(timeout, SLOWER_BY * weight(item))


class Watchdog:
    """One thread for the whole run, looking once a second at the test that runs (a timer thread per test
    cost 0.26 ms of CPU each, a second of the suite's)."""

    def __init__(self, config: pytest.Config, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._running: tuple[str, float, float] | None = None  # the test, its bound and deadline (monotonic)
        threading.Thread(target=self._watch, name="clopos-test-watchdog", daemon=True).start()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        seconds = bound(item, self.timeout)
        self._running = (item.nodeid, seconds, time.monotonic() + seconds)
        try:
            yield
        finally:
            self._running = None

    def _watch(self) -> None:
        while True:
            time.sleep(1.0)
            running = self._running
            if running is not None and time.monotonic() > running[2]:
                self._expire(*running[:2])

    def _expire(self, nodeid: str, seconds: float) -> None:
        capture = self.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)  # to the run's real stderr, not a test's capture
        out = sys.stderr
        out.write(f"\n\n=== {nodeid} ran past {seconds:g} s: the threads' and tasks' stacks ===\n")
        out.flush()
        faulthandler.dump_traceback(file=out, all_threads=True)
        for task in list(asyncio.tasks._all_tasks):  # private, but the only view from another thread
            if not task.done():
                out.write(f"\n--- {task!r}\n")
                task.print_stack(file=out)
        out.write(f"=== ending this worker: {nodeid} timed out ===\n")
        out.flush()
        os._exit(3)


def install(config: pytest.Config) -> None:
    timeout = float(os.environ.get("CLOPOS_TEST_TIMEOUT", DEFAULT_TIMEOUT))
    if timeout > 0:
        config.pluginmanager.register(Watchdog(config, timeout), "clopos-watchdog")
