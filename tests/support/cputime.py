"""CPU seconds per test, for finding where the suite's time goes on a machine others share.

Wall time on a shared machine says more about the neighbours than about a test; the CPU a test burns does
not. With ``CLOPOS_TEST_CPU_LOG=<file>`` each test's setup, call and teardown are timed with ``os.times``:
this process's user + system seconds, plus those of the child processes it reaped in the meantime (server
processes, ``initdb``, a CLI run; not PostgreSQL's own backends, not a browser until the session ends).
One line per test is appended: ``cpu<TAB>wall<TAB>pid<TAB>nodeid``; the worker's start-up (imports,
collection) as ``<start-up>``, and the session's teardown as ``<session teardown>``: it runs in the last
test's teardown, and it is where the worker reaps what it kept for the whole session (the browser, whose
Playwright driver counts Chromium's CPU then: 14-17 s per worker in a full run), which would otherwise be
that test's. ``sort -rn`` the file, or sum it by directory (docs/testing.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from pathlib import Path

import pytest


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class CpuLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._session_teardown: tuple[float, float] | None = None

    def _add(self, nodeid: str, cpu: float, wall: float) -> None:
        with self.path.open("a") as log:  # as it goes: a run stopped half-way still tells
            log.write(f"{cpu:.3f}\t{wall:.3f}\t{os.getpid()}\t{nodeid}\n")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # CPU since the process started: the interpreter, the plugins, the conftests and the test modules
        self._add("<start-up>", _cpu(), time.monotonic() - _IMPORTED)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        cpu, wall = _cpu(), time.monotonic()
        yield
        cpu, wall = _cpu() - cpu, time.monotonic() - wall
        if self._session_teardown is not None:
            ended_cpu, ended_wall = self._session_teardown
            self._add(item.nodeid, cpu - ended_cpu, wall - ended_wall)
            self._add("<session teardown>", ended_cpu, ended_wall)
        else:
            self._add(item.nodeid, cpu, wall)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, nextitem: pytest.Item | None) -> Generator[None, None, None]:
        cpu, wall = _cpu(), time.monotonic()
        yield
        if nextitem is None:  # the last test: the session's fixtures were torn down with it
            self._session_teardown = (_cpu() - cpu, time.monotonic() - wall)


_IMPORTED = time.monotonic()  # with the root conftest: the start-up's wall leaves out the interpreter's
