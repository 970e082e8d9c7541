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
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from clopos_server import jsonio, metrics

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
_CLOSE_FAILED: tuple[type[BaseException], ...] = (TimeoutError, *DRIVER_DISCONNECTS)
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


async def _no_reset(conn: Any) -> None:
    """asyncpg still rolls back an open transaction on release; nothing else needs undoing (see above)."""


class DriverPool:
    """asyncpg's pool of up to ``size`` connections, opened on first use (inside the event loop)."""

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
        self._options: dict[str, Any] = {
            "min_size": 0,
            "max_size": size,
            "timeout": pool,  # connecting
            "command_timeout": driver,  # a frozen server never sends the cancellation
            "server_settings": {
                "statement_timeout": str(int(statement * 1000)),
                "lock_timeout": str(int(lock * 1000)),
            },
            "init": _set_up,
            "reset": _no_reset,
        }
        self._pool: Any = None
        self._opening: asyncio.Lock | None = None

    async def _opened(self) -> Any:
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(self.dsn, **self._options)
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A pooled asyncpg connection for the block; each statement commits on its own. Failing to connect
        raises the driver's own error (``db.unavailable`` reads it: refused, starting, too many...)."""
        pool = self._pool if self._pool is not None else await self._opened()
        try:
            conn = await pool.acquire(timeout=self.pool_timeout)
        except TimeoutError as waited:
            if pool._queue.empty():  # every connection busy: not the server's fault (asyncpg internals)
                raise PoolTimeoutError("no database connection was free in time") from waited
            raise  # connecting timed out: "did not answer in time"
        metrics.DB_POOL_IN_USE.inc()  # both pools' connections in use (SQLAlchemy's: db/engine.py)
        try:
            yield conn
        except _ABANDONED:
            conn.terminate()  # the server may be frozen: no goodbye that would wait for its answer
            raise
        except DRIVER_DISCONNECTS as lost:
            await pool.expire_connections()  # the server probably restarted: reopen every older connection
            if self.on_lost is not None:
                self.on_lost(lost)
            raise DisconnectionError("the database connection was lost") from lost
        finally:
            metrics.DB_POOL_IN_USE.dec()
            await pool.release(conn, timeout=self.pool_timeout)

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
        """Close every connection (waiting at most the pool timeout for those in use, then terminating)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), self.pool_timeout)
        except _CLOSE_FAILED:
            pool.terminate()
