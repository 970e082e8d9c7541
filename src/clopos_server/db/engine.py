"""The database: one async engine per process, with read and write connection helpers.

SQLite runs in WAL mode, its statements in the event loop's thread (db/sqlite_driver.py); a write
transaction first takes the process's write turn (db/sqlite_writer.py), then starts with ``BEGIN
IMMEDIATE``, so that writers queue in Python instead of sleeping in SQLite's busy handler, and never fail
half-way (docs/decisions/0003-sqlite-writes.md).

On PostgreSQL the hot paths (create, replay, the order reads) use the driver's own pool instead
(``Database.driver``, db/driver_pool.py, docs/decisions/0006), set up with the same bounds; the two pools
together hold at most twice the pool size per process (``fit_pool`` in serving.py counts on that).

Every wait is bounded (``DbTimeouts``): on PostgreSQL the server cancels a statement after the statement
timeout and a lock wait after the lock timeout (both set at connect); the driver gives up on its own a
second later (a frozen server cancels nothing); connecting and waiting for a pooled connection give up
after the pool timeout. A connection that timed out or was cancelled is closed, never returned to the pool
half-way. ``unavailable_reason`` names the errors that mean "not available now", which the API answers
with a 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from clopos_server import jsonio, metrics
from clopos_server.db import sqlite_driver
from clopos_server.db.driver_pool import DriverPool
from clopos_server.db.sqlite_writer import SqliteWriter
from clopos_server.db.unavailable import unavailable_reason
from clopos_server.settings import Settings

__all__ = ["Database", "DbTimeouts", "create_engine", "unavailable_reason"]

T = TypeVar("T")


@dataclass(frozen=True)
class DbTimeouts:
    """Seconds. ``statement``: one statement (on SQLite: waiting for the write lock); ``lock``: waiting
    for a row or table lock (PostgreSQL); ``pool``: connecting, and waiting for a pooled connection."""

    statement: float = 5.0
    lock: float = 2.0
    pool: float = 2.0

    @property
    def driver(self) -> float:
        """The driver's own bound on a statement: a frozen server never sends the cancellation."""
        return self.statement + 1.0


def create_engine(url: str, *, pool_size: int = 10, timeouts: DbTimeouts | None = None) -> AsyncEngine:
    """An engine for ``url``; on PostgreSQL a pool of ``pool_size`` connections, no overflow (the driver's
    pool of the hot paths holds as many again: ``Database``)."""
    timeouts = timeouts or DbTimeouts()
    options: dict[str, Any] = {"json_serializer": jsonio.dumps_str, "json_deserializer": jsonio.loads_exact}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Statements run in the loop's thread, lock waits sleep in asyncio (db/sqlite_driver.py).
        options["creator"] = sqlite_driver.connector(parsed, busy_wait=timeouts.statement)
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip per checkout. A connection whose end the driver has already seen
    # (the server restarted, an operator ended the backend) is replaced at checkout, as the driver's pool
    # does (``_replace_closed``); one dropped unseen fails its request with a 503 (nothing half-written: the
    # transaction is gone) and the pool replaces it.
    options.update(
        pool_size=pool_size,
        max_overflow=0,
        pool_recycle=1800,
        pool_timeout=timeouts.pool,
        connect_args={
            "timeout": timeouts.pool,
            "command_timeout": timeouts.driver,
            "server_settings": {
                "statement_timeout": str(int(timeouts.statement * 1000)),
                "lock_timeout": str(int(timeouts.lock * 1000)),
            },
        },
    )
    engine = create_async_engine(url, **options)
    _count_pool_use(engine)
    _replace_closed(engine)
    return engine


def _replace_closed(engine: AsyncEngine) -> None:
    """A pooled connection the driver knows is closed is not handed out: SQLAlchemy discards it and
    checks out another (a new one when none is idle). No round trip: the driver saw the server's goodbye."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


def _count_pool_use(engine: AsyncEngine) -> None:
    """Connections in use, for ``clopos_db_pool_in_use``."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _out(*_: Any) -> None:
        metrics.DB_POOL_IN_USE.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def _in(*_: Any) -> None:
        metrics.DB_POOL_IN_USE.dec()


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Once per connection: WAL (readers never wait for the writer), foreign keys, no fsync per commit
    (WAL's NORMAL); the busy wait is the connection's own (db/sqlite_driver.py)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def dialect_of(source: Database | AsyncConnection | Connection) -> str:
    """Which database this is, ``"postgresql"`` or ``"sqlite"``: the one way the code asks, of a
    ``Database`` or of a connection (async, or the sync one of ``run_sync`` and Alembic)."""
    if isinstance(source, Database):
        return source.dialect
    return source.dialect.name


# What leaves a connection in an unknown state: closed at once, never given back to the pool.
_ABANDONED: tuple[type[BaseException], ...] = (TimeoutError, asyncio.CancelledError)


class Database:
    """The process's engine, and the two ways to use it: ``read()`` and ``write()``."""

    def __init__(self, url: str, *, pool_size: int = 10, timeouts: DbTimeouts | None = None) -> None:
        self.url = url
        self.timeouts = timeouts or DbTimeouts()
        self.engine = create_engine(url, pool_size=pool_size, timeouts=self.timeouts)
        self.dialect = self.engine.dialect.name
        # SQLite: the process's writers take turns here before BEGIN IMMEDIATE (docs/decisions/0003).
        self.sqlite_writer: SqliteWriter | None = None
        if self.dialect == "sqlite":
            self.sqlite_writer = SqliteWriter(self.engine, wait=self.timeouts.statement)
        # The hot paths' pool (PostgreSQL only), as many connections again as SQLAlchemy's.
        self.driver: DriverPool | None = None
        if self.dialect == "postgresql":
            t = self.timeouts
            self.driver = DriverPool(
                url,
                size=pool_size,
                statement=t.statement,
                lock=t.lock,
                pool=t.pool,
                driver=t.driver,
                on_lost=self._recycle_pool,
            )

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int | None = None) -> Database:
        """The database of ``settings``, with its timeouts (CLOPOS_DB_*_TIMEOUT)."""
        timeouts = DbTimeouts(
            statement=settings.db_statement_timeout,
            lock=settings.db_lock_timeout,
            pool=settings.db_pool_timeout,
        )
        return cls(settings.database_url, pool_size=pool_size or settings.db_pool_size, timeouts=timeouts)

    @property
    def is_sqlite(self) -> bool:
        """Kept for the tests that ask it; the code asks ``dialect_of(db)``."""
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            if dialect_of(self) == "sqlite":
                async with conn.begin():
                    yield conn
                return
            try:
                transaction = await conn.begin()
                async with _settled(transaction.rollback, transaction.commit):
                    yield conn
            except _ABANDONED:
                await self._abandon(conn)
                raise

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction, committed when the block ends, rolled back when it raises.

        On PostgreSQL this is SQLAlchemy's own transaction: the create path, whose statements once ran on
        the driver connection inside it (in AUTOCOMMIT under asyncpg's transaction), now runs on the
        driver's pool (``self.driver``: docs/decisions/0006).
        """
        if self.sqlite_writer is not None:
            async with self.sqlite_writer.transaction() as conn:
                yield conn
            return
        async with self.engine.connect() as conn:
            try:
                transaction = await conn.begin()
                async with _settled(transaction.rollback, transaction.commit):
                    yield conn
            except _ABANDONED:
                await self._abandon(conn)
                raise

    def _recycle_pool(self, lost: BaseException) -> None:
        """A connection lost under the driver's pool usually means the server restarted: SQLAlchemy's
        pooled connections opened before now are reopened at their next checkout too, as SQLAlchemy does
        for a disconnect it sees itself, instead of failing one request each."""
        self.engine.sync_engine.pool._invalidate(None, lost, _checkin=False)  # type: ignore[arg-type]

    async def _abandon(self, conn: AsyncConnection) -> None:
        """Close a connection whose statement timed out or was cancelled, without a word to the server:
        it may be frozen, and a polite goodbye would wait for its answer."""
        if conn.invalidated:
            return
        if dialect_of(self) != "sqlite":
            fairy = getattr(conn.sync_connection, "_dbapi_connection", None)  # no revalidation
            raw = getattr(fairy, "driver_connection", None)
            if raw is not None:
                raw.terminate()
        await conn.invalidate()

    async def ping(self, within: float) -> None:
        """``SELECT 1`` answered within ``within`` seconds, else ``TimeoutError``: the readiness probe.

        Run in a task of its own that is not awaited past the bound, so that the probe answers in time
        even while the connection's own clean-up waits for a frozen server.
        """
        await bounded(self._select_one(), within)

    async def _select_one(self) -> None:
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self.driver is not None:
            await self.driver.close()
        await self.engine.dispose()


@asynccontextmanager
async def _settled(
    rollback: Callable[[], Awaitable[Any]], commit: Callable[[], Awaitable[Any]]
) -> AsyncIterator[None]:
    """Commit when the block ends, roll back when it raises; but not a word to the server when it was
    cancelled or timed out (the caller closes the connection instead: the server may not answer)."""
    try:
        yield
    except _ABANDONED:
        raise
    except BaseException:
        await rollback()
        raise
    await commit()


async def bounded(job: Awaitable[T], seconds: float) -> T:
    """``job``'s result if it finishes within ``seconds``; else it is cancelled (and finishes its clean-up
    on its own) and ``TimeoutError`` is raised at once."""
    task = asyncio.ensure_future(job)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(_consume)
        raise TimeoutError(f"no answer within {seconds:g} s")
    return task.result()


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" in the log
