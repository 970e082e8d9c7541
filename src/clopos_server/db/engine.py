"""The database: one async engine per process, with read and write connection helpers.

SQLite runs in WAL mode with a busy timeout, and write transactions start with ``BEGIN IMMEDIATE`` so
that two writers queue for the lock instead of failing half-way (the recipe in SQLAlchemy's SQLite docs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from clopos_server import jsonio

SQLITE_BUSY_TIMEOUT_MS = 15000


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine for ``url``; on PostgreSQL a pool of ``pool_size`` connections and as many overflow."""
    options: dict[str, Any] = {"json_serializer": jsonio.dumps_str, "json_deserializer": jsonio.loads_exact}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip per checkout. A connection the server dropped fails its request
    # with a 503 (nothing half-written: the transaction is gone) and the pool replaces it.
    options.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
    return create_async_engine(url, **options)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# asyncpg's errors for a connection that is gone (closed, terminated, the server shutting down).
_DRIVER_DISCONNECTS: tuple[type[BaseException], ...] = (
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.InternalClientError,  # the protocol met the server's goodbye mid-state
    asyncpg.PostgresConnectionError,  # with ConnectionDoesNotExistError
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    OSError,
)


async def driver_of(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn`` (PostgreSQL only): statements sent on it skip SQLAlchemy's
    per-statement work and use asyncpg's own prepared-statement cache.

    Kept in the pooled connection's ``info``, which SQLAlchemy clears when it replaces the connection:
    asking SQLAlchemy for it costs a greenlet switch, and the create path asks five times.
    """
    info = conn.info
    driver = info.get("clopos.driver")
    if driver is None:
        driver = info["clopos.driver"] = (await conn.get_raw_connection()).driver_connection
    return driver


class Database:
    """The process's engine, and the two ways to use it: ``read()`` and ``write()``."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction, committed when the block ends, rolled back when it raises.

        On PostgreSQL the transaction is asyncpg's own and SQLAlchemy runs in AUTOCOMMIT inside it (it then
        sends no BEGIN or COMMIT of its own), so that the create path can send its statements on the
        driver connection (``driver_of``) in the same transaction: docs/decisions/0002.
        """
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                conn = await conn.execution_options(sqlite_immediate=True)
                async with conn.begin():
                    yield conn
                return
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                async with (await driver_of(conn)).transaction():
                    yield conn
            except _DRIVER_DISCONNECTS as lost:  # SQLAlchemy never saw it: drop the connection here
                await conn.invalidate()
                raise DisconnectionError("the database connection was lost") from lost

    async def dispose(self) -> None:
        await self.engine.dispose()
