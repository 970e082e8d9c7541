"""The SQL statements and pool checkouts of the current task, counted where they leave the process.

One way of counting for every query-count test (create, replay, the hot reads, the catalogue, a webhook
round): a regression that adds a round trip fails there, whatever path sent the statement.

- Through SQLAlchemy: its ``before_cursor_execute`` event, and its pool's ``checkout``.
- On PostgreSQL, what asyncpg sends outside SQLAlchemy's cursor: a query logger on each connection the
  task holds, from the driver's pool (``db.driver``: everything it sends) or from SQLAlchemy's (only
  transaction control, BEGIN and COMMIT: its other statements are already counted by the cursor event,
  and asyncpg logs an ``executemany`` again).
- On SQLite, what the hot paths send on the sqlite3 connection itself (``db.sqlite_driver.execute``).

Only the current task's statements count: background tasks (the directory refresh, a webhook dispatcher)
share the engine, so the tests also turn those off or make them rare.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from clopos_server.db import sqlite_driver
from clopos_server.db.engine import Database

_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "END"}


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0  # SQLAlchemy's pool
    driver_checkouts: int = 0  # the driver's own pool (PostgreSQL)

    def __str__(self) -> str:
        checkouts = f"{self.checkouts} + {self.driver_checkouts} checkout(s)"
        return "\n".join([checkouts, *(statement[:120] for statement in self.statements)])


@contextmanager
def counted(db: Database) -> Iterator[Counted]:
    """What the current task sends to ``db`` while the block runs (BEGIN and COMMIT included)."""
    engine = db.engine.sync_engine
    postgres = engine.dialect.name == "postgresql"
    task = asyncio.current_task()
    seen = Counted()

    def note(sql: str) -> None:
        seen.statements.append(" ".join(sql.split()))

    def statement(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        if asyncio.current_task() is task:
            note(text)

    def logged(query: Any) -> None:  # added only to connections the task holds
        note(query.query)

    def logged_control(query: Any) -> None:
        if query.query.split(maxsplit=1)[0].rstrip(";").upper() in _TRANSACTION_CONTROL:
            note(query.query)

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if asyncio.current_task() is task:
            seen.checkouts += 1
            if postgres:
                record.driver_connection.add_query_logger(logged_control)

    def checkin(dbapi_connection: Any, record: Any) -> None:
        if postgres and record.driver_connection is not None:
            record.driver_connection.remove_query_logger(logged_control)

    sent_to_sqlite = sqlite_driver.execute

    async def sqlite_execute(connection: Any, sql: str, parameters: Any = ()) -> Any:
        if asyncio.current_task() is task:
            note(sql)
        return await sent_to_sqlite(connection, sql, parameters)

    driver = db.driver
    if driver is not None:
        driver_connection = driver.connection

        @asynccontextmanager
        async def logged_connection() -> AsyncIterator[Any]:
            async with driver_connection() as conn:
                if asyncio.current_task() is not task:
                    yield conn
                    return
                seen.driver_checkouts += 1
                conn.add_query_logger(logged)
                try:
                    yield conn
                finally:
                    # asyncpg calls a query logger with call_soon: let the last statement's call run
                    # before the block ends (the pool's check-in no longer yields to the loop)
                    await asyncio.sleep(0)
                    conn.remove_query_logger(logged)

        setattr(driver, "connection", logged_connection)  # noqa: B010  (on the instance, for the block)
    setattr(sqlite_driver, "execute", sqlite_execute)  # noqa: B010  (for the block)
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield seen
    finally:
        setattr(sqlite_driver, "execute", sent_to_sqlite)  # noqa: B010
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
        if driver is not None:
            delattr(driver, "connection")
