"""Migration 0014: on PostgreSQL the orders' and events' documents become ``json`` (the text as written)
and go back to ``jsonb`` on the way down, their values kept both ways; on SQLite nothing changes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from tests.conftest import fresh_database
from tests.support.databases import BACKENDS
from tests.support.migrations import migrate

from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.events_models import Event
from clopos_server.events import log

COLUMNS = [("orders", "payload"), ("orders", "pricing"), ("orders", "warnings"), ("events", "data")]
DATA = {"id": 7, "total": Decimal("12.50"), "lines": [{"name": "Çay", "price": Decimal("1.5000")}]}


async def kinds(db: Database) -> list[str]:
    """The documents' column types on PostgreSQL (none on SQLite, where JSON is text either way)."""
    query = text(
        "SELECT data_type FROM information_schema.columns WHERE table_name = :table AND column_name = :column"
    )
    async with db.read() as conn:
        if dialect_of(conn) != "postgresql":
            return []
        return [(await conn.execute(query, {"table": t, "column": c})).scalar_one() for t, c in COLUMNS]


async def stored(db: Database) -> list[object]:
    async with db.read() as conn:
        return list(
            (await conn.execute(select(Event.data).where(Event.type == log.CUSTOMER_CREATED))).scalars()
        )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_0014_documents_are_json_text_and_keep_their_values(backend: str, tmp_root: Path) -> None:
    async with fresh_database(backend, tmp_root) as url:
        db = Database(url, pool_size=1)
        try:
            postgres = dialect_of(db) == "postgresql"
            assert await kinds(db) == (["json"] * 4 if postgres else [])
            async with db.write() as conn:
                await log.record(conn, log.CUSTOMER_CREATED, 1, 1, DATA)
            assert await stored(db) == [{"object": DATA}]

            await migrate(db, "downgrade", "0013")
            await db.engine.dispose()  # the statements its connection prepared are of the old types
            assert await kinds(db) == (["jsonb"] * 4 if postgres else [])
            assert await stored(db) == [{"object": DATA}]
            await migrate(db, "upgrade", "head")
            await db.engine.dispose()
            assert await kinds(db) == (["json"] * 4 if postgres else [])
            assert await stored(db) == [{"object": DATA}]
        finally:
            await db.dispose()
