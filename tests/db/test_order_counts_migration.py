"""Migration 0010 (``order_counts`` and its triggers) upgrades and downgrades on SQLite and PostgreSQL,
and the counts it fills from the orders already there are exact, as are those its triggers keep after."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, inspect, select, text, update
from tests.conftest import fresh_database
from tests.support.databases import BACKENDS
from tests.support.migrations import migrate
from tests.support.order_counts import assert_counts_exact

from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.models import Brand, Order
from clopos_server.timeutil import utcnow

TRIGGERS = {"order_counts_insert", "order_counts_delete", "order_counts_update"}


async def add_orders(db: Database, *placed: tuple[int, str]) -> None:
    """Orders of the demo brand at (venue, status), written as plain rows."""
    now = utcnow()
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == "openapitest"))).scalar_one()
        rows: list[dict[str, Any]] = [
            {
                "brand_id": brand_id, "venue_id": venue, "status": status, "sale_type_id": 1, "payload": {},
                "total": Decimal(0), "pricing": {}, "created_at": now, "updated_at": now,
            }
            for venue, status in placed
        ]  # fmt: skip
        await conn.execute(insert(Order), rows)


async def schema(db: Database) -> tuple[bool, set[str]]:
    """Whether ``order_counts`` exists, and the names of the triggers on ``orders`` (and PostgreSQL's
    trigger function)."""
    async with db.read() as conn:
        exists = await conn.run_sync(lambda sync: inspect(sync).has_table("order_counts"))
        if dialect_of(conn) == "postgresql":
            found = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal "
            found += "UNION ALL SELECT proname FROM pg_proc WHERE proname = 'order_counts_follow'"
        else:
            found = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'orders'"
        names = set((await conn.execute(text(found))).scalars())
    return exists, names


@pytest.mark.parametrize("backend", BACKENDS)
async def test_0010_fills_exact_counts_and_goes_down_and_up_again(backend: str, tmp_root: Path) -> None:
    async with fresh_database(backend, tmp_root) as url:
        db = Database(url, pool_size=1)
        try:
            postgres = dialect_of(db) == "postgresql"
            everything = TRIGGERS | ({"order_counts_truncate", "order_counts_follow"} if postgres else set())
            assert await schema(db) == (True, everything)
            await add_orders(db, (1, "PENDING"), (1, "PENDING"), (2, "DELIVERED"))
            await assert_counts_exact(db)

            await migrate(db, "downgrade", "0009")
            assert await schema(db) == (False, set())
            await add_orders(db, (1, "PENDING"), (2, "IGNORE"), (3, "RECEIVED"))  # not counted: no triggers
            async with db.write() as conn:
                await conn.execute(update(Order).where(Order.venue_id == 2).values(status="RECEIVED"))

            await migrate(db, "upgrade", "head")
            assert await schema(db) == (True, everything)
            await assert_counts_exact(db)  # filled from the orders
            async with db.read() as conn:
                assert (await conn.execute(select(func.count()).select_from(Order))).scalar_one() >= 6
            await add_orders(db, (2, "PENDING"))
            async with db.write() as conn:
                await conn.execute(update(Order).where(Order.venue_id == 1).values(status="IGNORE"))
            await assert_counts_exact(db)

            await migrate(db, "downgrade", "0009")
            assert await schema(db) == (False, set())
        finally:
            await db.dispose()
