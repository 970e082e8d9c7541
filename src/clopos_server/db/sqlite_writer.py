"""SQLite's writers take turns inside the process, in Python, before ``BEGIN IMMEDIATE``.

SQLite lets one transaction write at a time. When every writer of the process sent ``BEGIN IMMEDIATE``
at once, the losers slept in SQLite's busy handler, which polls with growing sleeps (up to 100 ms at a
time): the lock was mostly free while they slept, so creates fell to ~100/s with a p99 over a second at
8 connections (docs/decisions/0003-sqlite-writes.md). Here they queue on an asyncio lock, first come
first served, and the next one starts the moment the one before it has committed.

The wait is bounded by the statement timeout, as SQLite's own wait for the lock is (``busy_timeout``,
which still covers the other processes on the same file: a second worker, the CLI beside the server).
A writer that does not get its turn in time fails with ``WriterTurnTimeout``, which the API answers with
the JSON 503 ``unavailable`` (db/unavailable.py reads it as SQLite's own "database is locked").
Readers never queue here: WAL lets them read while a writer writes.

``transaction`` hands out SQLAlchemy's connection; ``driver_transaction`` the sqlite3 connection itself,
for the create path's statements compiled at import (db/statements.py: ``on_sqlite``), which skip
SQLAlchemy's per-statement work. Both are the same turn and the same BEGIN IMMEDIATE transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clopos_server.db import sqlite_driver

__all__ = ["SqliteWriter", "WriterTurnTimeout"]


class WriterTurnTimeout(sqlite3.OperationalError):
    """No turn to write within the bound: the same answer as SQLite's own "database is locked"."""


class SqliteWriter:
    """One write transaction at a time in this process, in order of arrival, each wait at most ``wait``
    seconds."""

    def __init__(self, engine: AsyncEngine, wait: float) -> None:
        self.engine = engine
        self.wait = wait
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None

    @property
    def busy(self) -> bool:
        """A writer holds the turn now (for tests and diagnostics)."""
        return self._lock.locked()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the process's write turn while the block runs; ``WriterTurnTimeout`` after ``wait`` s."""
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            # The outer transaction holds SQLite's write lock: the inner one would wait for it in vain.
            raise RuntimeError("a write transaction was opened inside another one in the same task")
        if self._lock.locked():  # queue, bounded; an uncontended turn costs no timer
            try:
                async with asyncio.timeout(self.wait):
                    await self._lock.acquire()
            except TimeoutError:
                raise WriterTurnTimeout(
                    f"database is locked: no turn to write within {self.wait:g} s (other writers queued)"
                ) from None
        else:
            await self._lock.acquire()
        self._holder = task
        try:
            # One pass of the loop with the turn held: the requests that arrived meanwhile are read and
            # queue for the turn in order of arrival. A writer that never yields (the create path on
            # sqlite3 runs from BEGIN to COMMIT without waiting) left the order to the loop's socket
            # reads instead, and at 32 connections a few requests waited seconds while others went
            # round (p99 2.3-3.2 s, the app's own p99 20 ms; with this pass 0.43 s: decision 0003).
            await asyncio.sleep(0)
            yield
        finally:
            self._holder = None
            self._lock.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction in this process's turn: ``BEGIN IMMEDIATE`` (engine.py), committed when
        the block ends, rolled back when it raises."""
        async with self.turn(), self.engine.connect() as conn:
            conn = await conn.execution_options(sqlite_immediate=True)
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def driver_transaction(self) -> AsyncIterator[sqlite_driver.InlineConnection]:
        """``transaction`` on the pooled sqlite3 connection itself: ``BEGIN IMMEDIATE`` in this process's
        turn, ``COMMIT`` when the block ends, ``ROLLBACK`` when it raises (or is cancelled: every
        statement runs in the loop's thread, so none is half-way)."""
        async with self.turn():
            pooled = await self.engine.raw_connection()
            try:
                connection = pooled.driver_connection
                assert isinstance(connection, sqlite_driver.InlineConnection)
                await sqlite_driver.execute(connection, "BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.rollback()
                    raise
                await sqlite_driver.execute(connection, "COMMIT")
            finally:
                pooled.close()
