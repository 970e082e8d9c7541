"""Hot statements written once, in SQLAlchemy Core, and compiled once per dialect at import.

Decision 0002: on PostgreSQL the create path's statements run on the asyncpg connection, skipping
SQLAlchemy's per-statement work. They used to be written twice, as SQL text with ``$n`` parameters for
asyncpg and as a Core twin for SQLite. Now each is one Core statement: SQLite executes it as usual, and
``on_driver`` compiles it for asyncpg here, once, to the text asyncpg prepares (with the column types as
casts) and the order of its named parameters.

The values sent to the driver are what the column types would store (``db/types.py``: ``stored_time``,
``stored_money``; JSON as text), since SQLAlchemy's type processing is skipped on that path.

On SQLite the create path's statements run on the ``sqlite3`` connection inside the writer's turn
(docs/decisions/0003): ``on_sqlite`` compiles them once for the engine's dialect, and keeps the column
types' own bind and result processors, so that the values are stored and read back exactly as SQLAlchemy
stores and reads them, without its per-statement work (execution context, cache lookup, result set-up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from clopos_server import jsonio
from clopos_server.db import sqlite_driver

_ASYNCPG = asyncpg.dialect()  # type: ignore[no-untyped-call]
# The engine's SQLite dialect, with the engine's JSON functions (db/engine.py: create_engine).
_SQLITE = aiosqlite.dialect(json_serializer=jsonio.dumps_str, json_deserializer=jsonio.loads_exact)
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled for asyncpg: its text and its parameters' names in ``$n`` order."""

    sql: str
    names: tuple[str, ...]

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """``values`` (by parameter name) in the order of the statement's ``$1``, ``$2``, ..."""
        return tuple(values[name] for name in self.names)


def on_driver(statement: ClauseElement) -> DriverStatement:
    """Compile ``statement`` (a PostgreSQL construct where it differs, e.g. ``ON CONFLICT``) for asyncpg."""
    compiled = statement.compile(dialect=_ASYNCPG)
    assert isinstance(compiled, SQLCompiler)
    return DriverStatement(compiled.string, tuple(compiled.positiontup or ()))


@dataclass(frozen=True)
class SqliteStatement:
    """A Core statement compiled for SQLite: its text, its parameters' names in ``?`` order with their
    types' bind processors, and its result columns' processors."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    fixed: Mapping[str, Any]  # the values the statement itself binds (``column == 5``), by name

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """``values`` (by parameter name), as the column types store them, in the order of the ``?``."""
        given = {**self.fixed, **values} if self.fixed else values
        return tuple(
            given[name] if bind is None else bind(given[name])
            for name, bind in zip(self.names, self.binds, strict=True)
        )

    async def rows(
        self, connection: sqlite_driver.InlineConnection, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The statement's rows on ``connection``, as the column types read them."""
        cursor = await sqlite_driver.execute(connection, self.sql, self.args(values))
        found = cursor.fetchall()
        if not any(self.results):
            return found
        return [
            tuple(
                value if read is None else read(value) for value, read in zip(row, self.results, strict=True)
            )
            for row in found
        ]


def on_sqlite(statement: ClauseElement) -> SqliteStatement:
    """Compile ``statement`` (a SQLite construct where it differs) for the engine's SQLite dialect."""
    compiled = statement.compile(dialect=_SQLITE)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    binds = tuple(compiled.binds[name].type.dialect_impl(_SQLITE).bind_processor(_SQLITE) for name in names)
    returned: Sequence[Any] = getattr(statement, "exported_columns", ())  # a SELECT's, or RETURNING's
    results = tuple(column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None) for column in returned)
    fixed = {name: bind.effective_value for name in names if not (bind := compiled.binds[name]).required}
    return SqliteStatement(compiled.string, names, binds, results, fixed)
