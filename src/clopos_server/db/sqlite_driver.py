"""SQLite's statements run in the event loop's thread, with a busy wait that sleeps in asyncio.

aiosqlite runs each connection in a thread of its own and hands every call over to it and back: through
SQLAlchemy's adapter that made ~35 hand-overs per create-order (cursor, execute, fetch, close for each
statement, then commit and the pool's rollback), each a thread wake-up and a wait for the GIL, which cost
more than SQLite's own work (docs/decisions/0003-sqlite-writes.md). SQLite is a library working on a
local file: a statement of the API's takes microseconds, so it runs where it is called.

The one wait SQLite can impose is another process's lock (a second worker, the CLI beside the server).
Its own busy handler would sleep in the loop's thread, so the connection's ``busy_timeout`` is 0 and a
statement that meets ``SQLITE_BUSY`` is retried here after an ``asyncio.sleep`` (1 ms, doubling up to
50 ms), until the statement timeout; then the error goes up as SQLite's "database is locked" (a 503).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

__all__ = ["InlineConnection", "connector", "execute"]

# SQLITE_BUSY and SQLITE_BUSY_RECOVERY: another connection holds the lock, worth waiting for.
# SQLITE_BUSY_SNAPSHOT is not: the transaction's snapshot is stale and retrying cannot help.
_RETRIED = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_BUSY | (1 << 8)})
_FIRST_SLEEP = 0.001
_LONGEST_SLEEP = 0.05


async def _at_once() -> None:
    """Awaited by every statement: SQLAlchemy's async ``execute`` insists that its driver awaited
    something (``AwaitRequired``), and this completes without a pass through the event loop."""


class InlineCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        self._waiting(super().execute, sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> InlineCursor:
        self._waiting(super().executemany, sql, seq_of_parameters)
        return self

    def _waiting(self, run: Callable[[str, Any], object], sql: str, parameters: Any) -> None:
        """``run(sql, parameters)``, retried while another connection holds the lock (bounded)."""
        if in_greenlet():
            await_(_at_once())
        connection = self.connection
        assert isinstance(connection, InlineConnection)
        wait = _BusyWait(connection.busy_wait)
        while True:
            try:
                run(sql, parameters)
                return
            except sqlite3.OperationalError as exc:
                pause = wait.pause_after(exc)
            _sleep(pause)

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async result asks its driver to close the cursor early; ours has nothing to
        hand back to a thread (the rows are read as the result is read, as with plain sqlite3)."""


def _sleep(seconds: float) -> None:
    """In SQLAlchemy's greenlet (every statement of the app): the loop runs other work meanwhile."""
    if in_greenlet():
        await_(asyncio.sleep(seconds))
    else:  # a plain synchronous caller: nothing else runs in this thread anyway
        time.sleep(seconds)


class _BusyWait:
    """The pauses of one statement that meets another connection's lock: 1 ms, doubling up to 50 ms,
    until ``bound`` seconds after the first refusal; then the refusal goes up."""

    def __init__(self, bound: float) -> None:
        self.bound = bound
        self.deadline = 0.0
        self.pause = _FIRST_SLEEP

    def pause_after(self, exc: sqlite3.OperationalError) -> float:
        """Seconds to sleep before the retry; raises ``exc`` when it is not worth a retry or time is up."""
        if getattr(exc, "sqlite_errorcode", None) not in _RETRIED:
            raise exc
        now = time.monotonic()
        self.deadline = self.deadline or now + self.bound
        if now >= self.deadline:
            raise exc
        pause = min(self.pause, self.deadline - now)
        self.pause = min(self.pause * 2, _LONGEST_SLEEP)
        return pause


async def execute(connection: InlineConnection, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
    """``sql`` on ``connection`` from a coroutine (no SQLAlchemy, no greenlet): the hot statements compiled
    at import (db/statements.py); the busy wait sleeps in asyncio as ``InlineCursor``'s does."""
    wait = _BusyWait(connection.busy_wait)
    while True:
        try:
            return sqlite3.Cursor(connection).execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            pause = wait.pause_after(exc)
        await asyncio.sleep(pause)


class InlineConnection(sqlite3.Connection):
    """The DBAPI connection SQLAlchemy's aiosqlite dialect is given (``creator``): plain sqlite3, with
    the two things the dialect asks of its async adapter."""

    busy_wait = 5.0

    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)

    def terminate(self) -> None:
        """What the dialect calls to drop a connection it gave up on."""
        self.close()

    @property
    def _connection(self) -> InlineConnection:
        """The "driver connection" the dialect hands out for ``get_raw_connection``: this one."""
        return self


def connector(url: URL, *, busy_wait: float) -> Callable[[], InlineConnection]:
    """The ``creator`` of the engine: connections to ``url``'s file (its options read as SQLAlchemy's
    sqlite dialect reads them) that wait at most ``busy_wait`` s for a lock held by another process."""
    args, options = SQLiteDialect_pysqlite().create_connect_args(url)
    options.update(
        timeout=0,  # SQLite's busy handler would sleep in the loop's thread: InlineCursor waits instead
        isolation_level=None,  # we emit BEGIN ourselves (engine.py)
        check_same_thread=False,  # SQLAlchemy's pool may close it from the thread that collects garbage
    )

    def connect() -> InlineConnection:
        connection = sqlite3.connect(args[0], factory=InlineConnection, **options)
        connection.busy_wait = busy_wait
        return connection

    return connect
