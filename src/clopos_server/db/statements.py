"""Hot statements written once, in SQLAlchemy Core, and compiled once per dialect at import.

Decision 0002: on PostgreSQL the create path's statements run on the asyncpg connection, skipping
SQLAlchemy's per-statement work. They used to be written twice, as SQL text with ``$n`` parameters for
asyncpg and as a Core twin for SQLite. Now each is one Core statement: SQLite executes it as usual, and
``on_driver`` compiles it for asyncpg here, once, to the text asyncpg prepares (with the column types as
casts) and the order of its named parameters.

The values sent to the driver are what the column types would store (``db/types.py``: ``stored_time``,
``stored_money``; JSON as text), since SQLAlchemy's type processing is skipped on that path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_ASYNCPG = asyncpg.dialect()  # type: ignore[no-untyped-call]


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
