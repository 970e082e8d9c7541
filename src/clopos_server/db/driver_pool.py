"""The driver's own connection pool (asyncpg) for the hot paths on PostgreSQL: docs/decisions/0006.

SQLAlchemy's pool checkout, its per-statement execution context and the greenlet hop cost more worker
CPU than the round trips of a create (decision 0002). The hot paths (create, replay, the order reads)
therefore take a connection from this pool and send statements compiled once at import
(``db.statements.on_driver``). SQLAlchemy keeps its own pool for migrations, the importer and the cold
paths; ``Database`` owns both, opens this one on first use and closes both.

The connections are set up as SQLAlchemy's are (``db/engine.py``): the server cancels a statement after
the statement timeout and a lock wait after the lock timeout (sent at connect), the driver gives up a
second later, connecting and waiting for a free connection give up after the pool timeout, and ``jsonb``
is sent as JSON text and read with ``jsonio.loads_exact`` (Decimals, as everywhere else). Errors become
those ``db.unavailable`` turns into the JSON 503: a connection lost under a statement
(``DisconnectionError``; every connection of both pools is then reopened at its next checkout, since
the server probably restarted), no connection free in time (SQLAlchemy's pool ``TimeoutError``). A
connection that died while idle in the pool is replaced at checkout, without a failed request. A
connection whose statement timed out or was cancelled is closed, never returned to the pool half-way.

Example::

    from clopos_server.db.statements import on_driver

    _NEWEST = on_driver(select(Order.id).where(Order.brand_id == bindparam("brand")).limit(10))

    async with db.driver.connection() as conn:  # an asyncpg connection; autocommit per statement
        rows = await conn.fetch(_NEWEST.sql, *_NEWEST.args({"brand": brand_id}))

    async with db.driver.transaction() as conn:  # BEGIN ... COMMIT (ROLLBACK when the block raises)
        ...

Pooled connections are for statements and transactions only: no ``SET``, ``LISTEN`` or advisory locks
(a connection goes back to the pool without asyncpg's reset query, which would cost a round trip each).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from clopos_server import jsonio, metrics
from clopos_server.kit.tasks import wait_set

__all__ = ["DRIVER_DISCONNECTS", "DriverPool", "plain_dsn"]

# asyncpg's errors for a connection that is gone (closed, terminated, the server shutting down).
DRIVER_DISCONNECTS: tuple[type[BaseException], ...] = (
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.InternalClientError,  # the protocol met the server's goodbye mid-state
    asyncpg.PostgresConnectionError,  # with ConnectionDoesNotExistError
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    OSError,
)
# What leaves a connection in an unknown state: closed at once, never given back to the pool.
_ABANDONED: tuple[type[BaseException], ...] = (TimeoutError, asyncio.CancelledError)


def plain_dsn(url: str) -> str:
    """``postgresql+asyncpg://...`` as the ``postgresql://...`` asyncpg reads."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _jsonb_encoder(text: str) -> bytes:
    """JSON text (``jsonio.dumps_str``) as jsonb's binary form: version 1, then the text."""
    return b"\x01" + text.encode()


def _jsonb_decoder(data: bytes) -> Any:
    return jsonio.loads_exact(data[1:])


def _json_decoder(data: bytes) -> Any:
    return jsonio.loads_exact(data)


async def _set_up(conn: Any) -> None:
    """Per new connection: the JSON codecs SQLAlchemy's asyncpg dialect installs, with our (de)serialiser."""
    await conn.set_type_codec(
        "jsonb", encoder=_jsonb_encoder, decoder=_jsonb_decoder, schema="pg_catalog", format="binary"
    )
    await conn.set_type_codec(
        "json", encoder=str.encode, decoder=_json_decoder, schema="pg_catalog", format="binary"
    )


# An idle connection older than this is closed at checkout rather than reused (as asyncpg's pool does
# after 300 s): a firewall or a proxy may have dropped it without a word.
IDLE_SECONDS = 300.0


@dataclass(eq=False)
class _Kept:
    """A connection of the pool, with the generation it was opened in and when it was last handed back."""

    conn: Any
    generation: int
    idle_since: float = 0.0


class DriverPool:
    """Up to ``size`` asyncpg connections, opened on first need, idle ones reused last in first out; a
    request that finds them all busy waits in line, at most the pool timeout.

    Not asyncpg's own pool: its checkout (a ``wait_for``) and its check-in (a shielded task and a timeout
    each) were a tenth of a worker's CPU per read of one order (py-spy, ``bench/profiling.py order``).
    Here a checkout of an idle connection is a pop and a check-in an append or a hand-over to the first
    waiter. What asyncpg's pool did for us is kept: a connection found closed at checkout is replaced, one
    lost under a statement expires every older one (``_lost``), one that timed out or was cancelled is
    terminated, never reused, and one still in a transaction (never, on our paths) is closed rather than
    rolled back on the way."""

    def __init__(
        self,
        url: str,
        *,
        size: int,
        statement: float,
        lock: float,
        pool: float,
        driver: float,
        on_lost: Callable[[BaseException], None] | None = None,
    ) -> None:
        """``on_lost``: told when a connection was lost under a statement (``Database`` then has
        SQLAlchemy's pool reopen its connections too: the server probably restarted)."""
        self.dsn = plain_dsn(url)
        self.on_lost = on_lost
        self.size = size
        self.pool_timeout = pool
        self._connect_options: dict[str, Any] = {
            "timeout": pool,  # connecting
            "command_timeout": driver,  # a frozen server never sends the cancellation
            "server_settings": {
                "statement_timeout": str(int(statement * 1000)),
                "lock_timeout": str(int(lock * 1000)),
            },
        }
        self._idle: list[_Kept] = []
        self._open: set[_Kept] = set()  # every connection open or being opened, idle or in use
        self._waiters: collections.deque[asyncio.Future[_Kept | None]] = collections.deque()
        self._generation = 0
        self._discarded = asyncio.Event()  # set at each connection closed (``close`` waits on it)

    @property
    def in_use(self) -> int:
        """Connections open and not idle: handed out, or being opened."""
        return len(self._open) - len(self._idle)

    async def _checkout(self) -> _Kept:
        """An idle connection, a new one while fewer than ``size`` are open, or the first handed back."""
        while True:
            while self._idle:
                kept = self._idle.pop()
                if self._reusable(kept) and time.monotonic() - kept.idle_since < IDLE_SECONDS:
                    return kept
                self._discard(kept)
            if len(self._open) < self.size:
                return await self._connect()
            handed = await self._wait()
            if handed is not None:
                return handed
            # None: a connection was closed, so there is room to open one

    async def _connect(self) -> _Kept:
        kept = _Kept(None, self._generation)
        self._open.add(kept)
        try:
            kept.conn = await asyncpg.connect(self.dsn, **self._connect_options)
            await _set_up(kept.conn)
        except BaseException:
            if kept.conn is not None:
                kept.conn.terminate()
            self._open.discard(kept)
            self._wake_one(None)
            raise
        return kept

    async def _wait(self) -> _Kept | None:
        """The first connection handed back, or None for room to open one, within the pool timeout."""
        waiter: asyncio.Future[_Kept | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.pool_timeout):
                return await waiter
        except BaseException as exc:
            if not waiter.done() or waiter.cancelled():  # (the timeout cancels it)
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            else:  # handed over just as this wait gave up: pass it on
                handed = waiter.result()
                if handed is None:
                    self._wake_one(None)
                else:
                    self._checkin(handed)
            if isinstance(exc, TimeoutError):
                raise PoolTimeoutError("no database connection was free in time") from exc
            raise

    def _reusable(self, kept: _Kept) -> bool:
        conn = kept.conn
        return kept.generation == self._generation and not conn.is_closed() and not conn.is_in_transaction()

    def _checkin(self, kept: _Kept) -> None:
        """A connection back from a block: to the first waiter, else idle; closed if it cannot serve."""
        if not self._reusable(kept):
            self._discard(kept)
            return
        kept.idle_since = time.monotonic()
        if not self._wake_one(kept):
            self._idle.append(kept)

    def _wake_one(self, handed: _Kept | None) -> bool:
        """Give ``handed`` (or, with None, room for a new connection) to the first live waiter."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(handed)
                return True
        return False

    def _discard(self, kept: _Kept) -> None:
        """Close a connection that may not serve again (no goodbye that could wait on a frozen server)."""
        self._open.discard(kept)
        if not kept.conn.is_closed():
            kept.conn.terminate()
        self._discarded.set()
        self._wake_one(None)

    def _lost(self) -> None:
        """The server probably restarted: every connection opened before now is closed at its next
        checkout or check-in."""
        self._generation += 1
        idle, self._idle = self._idle, []
        for kept in idle:
            self._discard(kept)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled asyncpg connection for the block; each statement commits on its own. Failing to connect
        raises the driver's own error (``db.unavailable`` reads it: refused, starting, too many...)."""
        kept = await self._checkout()
        metrics.DB_POOL_IN_USE.inc()  # both pools' connections in use (SQLAlchemy's: db/engine.py)
        try:
            yield kept.conn
        except _ABANDONED:
            self._discard(kept)  # the server may be frozen: no goodbye that would wait for its answer
            raise
        except DRIVER_DISCONNECTS as lost:
            self._discard(kept)
            self._lost()
            if self.on_lost is not None:
                self.on_lost(lost)
            raise DisconnectionError("the database connection was lost") from lost
        finally:
            metrics.DB_POOL_IN_USE.dec()
            if kept in self._open:
                self._checkin(kept)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A pooled connection in one transaction: committed when the block ends, rolled back when it
        raises (and not a word to the server when it was cancelled or timed out: the connection is
        closed instead)."""
        async with self.connection() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                yield conn
            except _ABANDONED:
                raise
            except BaseException:
                if not conn.is_closed():
                    await transaction.rollback()
                raise
            await transaction.commit()

    async def close(self) -> None:
        """Close every connection: the idle ones at once, those in use as their blocks end, waiting at
        most the pool timeout for them, then terminating what is left. The pool stays usable: a later
        checkout opens a new connection (an app's shutdown closes it; a test may start the app again)."""
        closing = self._generation
        self._lost()
        deadline = time.monotonic() + self.pool_timeout
        while remaining := [kept for kept in self._open if kept.generation <= closing]:
            left = deadline - time.monotonic()
            if left <= 0:
                for kept in remaining:
                    if kept.conn is not None:
                        kept.conn.terminate()
                    self._open.discard(kept)
                return
            self._discarded.clear()
            await wait_set(self._discarded, left)
