"""Hot reads on the driver (issue 18, decision 1; docs/decisions/0005): the order and receipt reads and
the events feed.

Each statement is written once, in SQLAlchemy Core, and compiled once per dialect (``read_statement``).
On PostgreSQL it runs on a connection of the driver's own pool (``Database.driver``, docs/decisions/0006:
no SQLAlchemy pool checkout, no execution context per statement, asyncpg's prepared-statement cache), and
its rows are made into SQLAlchemy ``Row`` objects holding the values SQLAlchemy would give: the column
types' own result conversions (``Money``, ``UTCDateTime``) are applied, and JSON columns are decoded by
the pool's codec (``jsonio.loads_exact``, as SQLAlchemy's). Each statement commits on its own (no
``BEGIN``/``COMMIT``; each sees committed data, as in a READ COMMITTED transaction). On SQLite it runs the
same way on the pooled ``sqlite3`` connection itself (``statements.on_sqlite``: the column types' own
processors, none of SQLAlchemy's per-statement work), in the event loop's thread: a read in WAL mode
waits for no writer. A statement whose SQLite text would only be known at execution (an expanding
``IN``; lists are bound whole instead, by :func:`any_of`) runs on SQLAlchemy's connection, as usual.

Usage::

    async with reading(db) as reader:
        row = await reader.first(_ORDER_BY_ID, {"brand": 1, "order": 7})

    async with reading(db, cold=True) as reader:  # with statements that are not hot: all on SQLAlchemy
        row = await reader.first(_ORDER_BY_ID, {"brand": 1, "order": 7})
        history = await history_of(await reader.cold(), ...)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import ARRAY, JSON, ColumnElement, Row, Select, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

from clopos_server.db import sqlite_driver
from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.statements import DriverStatement, SqliteStatement, on_driver, on_sqlite

_ASYNCPG = asyncpg.dialect()  # type: ignore[no-untyped-call]
DIALECTS = ("postgresql", "sqlite")


@dataclass(frozen=True)
class ReadStatement:
    """A Core ``SELECT`` ready for one dialect: on PostgreSQL its asyncpg text and its columns' result
    conversions; on SQLite its ``sqlite3`` text with its processors, unless its text depends on the
    values (then only the Core statement)."""

    core: Select[Any]
    driver: DriverStatement | None
    metadata: SimpleResultMetaData
    processors: Sequence[Any] | None  # SQLAlchemy's result processors: one per column, or None
    sqlite: SqliteStatement | None = None


def read_statement(statement: Select[Any], dialect: str) -> ReadStatement:
    """``statement`` compiled for ``dialect`` (``"postgresql"`` or ``"sqlite"``), once."""
    columns = list(statement.selected_columns)
    metadata = SimpleResultMetaData([str(column.key) for column in columns])
    if dialect != "postgresql":
        compiled = on_sqlite(statement)
        expanded_later = "POSTCOMPILE" in compiled.sql  # an expanding IN: its text is made per execution
        return ReadStatement(statement, None, metadata, None, None if expanded_later else compiled)
    processors = tuple(_processor(column.type) for column in columns)
    return ReadStatement(statement, on_driver(statement), metadata, processors if any(processors) else None)


def _processor(type_: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value asyncpg returned for a column of ``type_``: only our own
    ``TypeDecorator``s convert (asyncpg already gives ints, strs, dates, aware datetimes, Decimals)."""
    if isinstance(type_, TypeDecorator):
        return partial(type_.process_result_value, dialect=_ASYNCPG)
    return None


def any_of(dialect: str, column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` equal to any value of the list bound as ``name``, in a statement whose text does not
    depend on the list's length, so that it is compiled once: ``= ANY(array)`` on PostgreSQL, ``IN``
    the values ``json_each`` reads from the list as JSON text on SQLite (an expanding ``IN`` would write
    one ``?`` per value at each execution)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(name, type_=JSON)).table_valued("value")
    return column.in_(select(listed.c.value))


def for_dialects(build: Callable[[str], Select[Any]]) -> dict[str, ReadStatement]:
    """``build(dialect)`` compiled for each dialect (at import, where it is called)."""
    return {dialect: read_statement(build(dialect), dialect) for dialect in DIALECTS}


class Reader:
    """One request's reads: ``fetch``/``first`` run compiled statements, on the driver's connection when
    there is one; ``cold()`` is SQLAlchemy's connection (opened on first use), for other statements."""

    def __init__(
        self,
        dialect: str,
        driver: Any,
        conn: AsyncConnection | None,
        db: Database | None,
        stack: AsyncExitStack | None,
        *,
        inline: bool = False,
    ) -> None:
        self.dialect = dialect
        self._driver = driver  # an asyncpg connection (PostgreSQL), else None
        self._conn = conn
        self._db = db
        self._stack = stack
        # SQLite: compiled statements run on a pooled sqlite3 connection, taken for each one, until a
        # statement needs SQLAlchemy's connection (``cold``); from then on all run there
        self.inline = inline

    async def fetch(
        self, statements: Mapping[str, ReadStatement], values: Mapping[str, Any]
    ) -> Sequence[Row[Any]]:
        """The rows of this dialect's statement for ``values`` (by parameter name), as SQLAlchemy would
        return them. ``values`` may hold names the statement does not use."""
        statement = statements[self.dialect]
        if statement.sqlite is not None and self.inline and self._conn is None and self._db is not None:
            found = await _sqlite_rows(self._db, statement.sqlite, values)
            keys = statement.metadata._key_to_index
            return [Row(statement.metadata, None, keys, row) for row in found]
        driver_statement = statement.driver
        if driver_statement is None or self._driver is None:
            rows: Sequence[Row[Any]] = (await (await self.cold()).execute(statement.core, dict(values))).all()
            return rows
        records = await self._driver.fetch(driver_statement.sql, *driver_statement.args(values))
        metadata, processors = statement.metadata, statement.processors
        keys = metadata._key_to_index
        return [Row(metadata, processors, keys, record) for record in records]

    async def first(
        self, statements: Mapping[str, ReadStatement], values: Mapping[str, Any]
    ) -> Row[Any] | None:
        rows = await self.fetch(statements, values)
        return rows[0] if rows else None

    async def cold(self) -> AsyncConnection:
        """SQLAlchemy's connection (``Database.read``), for statements that are not hot."""
        if self._conn is None:
            assert self._db is not None and self._stack is not None  # else made with a connection
            self._conn = await self._stack.enter_async_context(self._db.read())
        return self._conn


async def _sqlite_rows(
    db: Database, statement: SqliteStatement, values: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """``statement``'s rows on a sqlite3 connection of SQLAlchemy's pool, taken for this statement only
    (never beside another of the request's: a request holding one while it waits for another could
    wait for ever)."""
    pooled = await db.engine.raw_connection()
    try:
        connection = pooled.driver_connection
        assert isinstance(connection, sqlite_driver.InlineConnection)
        return await statement.rows(connection, values)
    finally:
        pooled.close()


def reader_of(source: Reader | AsyncConnection) -> Reader:
    """``source`` itself, or a reader whose statements go on SQLAlchemy's connection ``source`` (a caller
    already inside a transaction: the statements see what it sees)."""
    if isinstance(source, Reader):
        return source
    return Reader(dialect_of(source), None, source, None, None)


@asynccontextmanager
async def reading(db: Database, *, cold: bool = False) -> AsyncIterator[Reader]:
    """The reads' connection: on PostgreSQL one of the driver's pool (its errors become the JSON 503
    there: db/driver_pool.py), on SQLite a sqlite3 connection of SQLAlchemy's pool per statement.
    ``cold``: the block also sends statements that are not hot, so everything goes on SQLAlchemy's
    connection (never two connections at once: a request holding one while it waits for another could
    wait for ever)."""
    async with AsyncExitStack() as stack:
        dialect = dialect_of(db)
        if db.driver is None or cold:
            yield Reader(dialect, None, None, db, stack, inline=dialect == "sqlite" and not cold)
            return
        driver = await stack.enter_async_context(db.driver.connection())
        yield Reader("postgresql", driver, None, db, stack)
