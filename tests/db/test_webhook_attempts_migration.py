"""Migration 0013 (webhook attempts keyed by their delivery alone) keeps every attempt on SQLite and
PostgreSQL, down and up again (SQLite rebuilds the table), and the deletions that used the dropped keys
still reach the attempts through their delivery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select
from tests.conftest import fresh_database
from tests.support.databases import BACKENDS
from tests.support.migrations import migrate

from clopos_server.db.engine import Database
from clopos_server.db.models import Brand
from clopos_server.timeutil import utcnow
from clopos_server.webhooks.repository import ATTEMPTS, DELIVERIES, ENDPOINTS


async def add_webhook_rows(db: Database) -> None:
    """An endpoint of the demo brand with two deliveries: the first attempted twice, the second once."""
    now = utcnow()
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == "openapitest"))).scalar_one()
        endpoint_id = (
            await conn.execute(
                insert(ENDPOINTS)
                .values(
                    brand_id=brand_id, url="https://example.com/hook", description="", events=["*"],
                    enabled=True, secret_box="sealed", cursor=0, created_at=now, updated_at=now,
                )
                .returning(ENDPOINTS.c.id)
            )
        ).scalar_one()  # fmt: skip
        deliveries = []
        for n in (1, 2):
            row: dict[str, Any] = {
                "brand_id": brand_id, "endpoint_id": endpoint_id, "event_id": f"evt_{n}",
                "event_type": "order.created", "message_id": f"evt_{n}", "body": "", "status": "delivered",
                "attempts": 3 - n, "next_at": 0, "created_at": now,
            }  # fmt: skip
            deliveries.append(
                (await conn.execute(insert(DELIVERIES).values(row).returning(DELIVERIES.c.id))).scalar_one()
            )
        attempts = [
            {
                "brand_id": brand_id, "endpoint_id": endpoint_id, "delivery_id": delivery_id,
                "event_id": f"evt_{n}", "message_id": f"evt_{n}", "number": number, "at": now,
                "duration_ms": 1, "response_status": 204, "response_body": "",
            }
            for n, delivery_id in enumerate(deliveries, start=1)
            for number in range(1, 4 - n)
        ]  # fmt: skip
        await conn.execute(insert(ATTEMPTS), attempts)


async def attempts_by_delivery(db: Database) -> list[tuple[str, int]]:
    async with db.read() as conn:
        query = select(ATTEMPTS.c.event_id, func.count()).group_by(ATTEMPTS.c.event_id)
        return sorted((event, int(count)) for event, count in (await conn.execute(query)).all())


@pytest.mark.parametrize("backend", BACKENDS)
async def test_0013_keeps_attempts_and_their_deletions(backend: str, tmp_root: Path) -> None:
    async with fresh_database(backend, tmp_root) as url:
        db = Database(url, pool_size=1)
        try:
            await add_webhook_rows(db)
            await migrate(db, "downgrade", "0012")
            assert await attempts_by_delivery(db) == [("evt_1", 2), ("evt_2", 1)]
            await migrate(db, "upgrade", "head")
            assert await attempts_by_delivery(db) == [("evt_1", 2), ("evt_2", 1)]

            async with db.write() as conn:  # the prune's deletion: a delivery takes its attempts along
                await conn.execute(delete(DELIVERIES).where(DELIVERIES.c.event_id == "evt_1"))
            assert await attempts_by_delivery(db) == [("evt_2", 1)]
            async with db.write() as conn:  # an endpoint's: through its deliveries
                await conn.execute(delete(ENDPOINTS))
            assert await attempts_by_delivery(db) == []
            async with db.read() as conn:
                assert (await conn.execute(select(func.count()).select_from(DELIVERIES))).scalar_one() == 0
        finally:
            await db.dispose()
