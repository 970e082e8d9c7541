"""Migration 0013 (a delivery that succeeded at once is its attempt alone; attempts found by their
delivery) keeps every attempt on SQLite and PostgreSQL, down and up again (SQLite rebuilds the table;
going down, each lone attempt gets a delivery row again), and an endpoint's deletion still takes all of
its attempts along."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete
from tests.conftest import fresh_database
from tests.support.databases import BACKENDS
from tests.support.migrations import migrate
from tests.support.webhook_rows import add_attempts, add_endpoint, attempts_by_event, deliveries

from clopos_server.db.engine import Database
from clopos_server.webhooks.repository import DELIVERIES, ENDPOINTS


@pytest.mark.parametrize("backend", BACKENDS)
async def test_0013_keeps_every_attempt_down_and_up(backend: str, tmp_root: Path) -> None:
    async with fresh_database(backend, tmp_root) as url:
        db = Database(url, pool_size=1)
        try:
            endpoint = await add_endpoint(db)
            await add_attempts(db, endpoint, "evt_1", 2)
            await add_attempts(db, endpoint, "evt_2", 1, status=None)
            assert await attempts_by_event(db) == [("evt_1", True, 2), ("evt_2", False, 1)]

            await migrate(db, "downgrade", "0012")  # every attempt belongs to a delivery again
            assert await attempts_by_event(db) == [("evt_1", True, 2), ("evt_2", True, 1)]
            assert await deliveries(db) == [("evt_1", "delivered", 2), ("evt_2", "delivered", 1)]
            await migrate(db, "upgrade", "head")
            assert await attempts_by_event(db) == [("evt_1", True, 2), ("evt_2", True, 1)]

            await add_attempts(db, endpoint, "evt_3", 1, status=None)
            async with db.write() as conn:  # a stored delivery takes its attempts along
                await conn.execute(delete(DELIVERIES).where(DELIVERIES.c.event_id == "evt_1"))
            assert await attempts_by_event(db) == [("evt_2", True, 1), ("evt_3", False, 1)]
            async with db.write() as conn:  # an endpoint all of its attempts, stored delivery or not
                await conn.execute(delete(ENDPOINTS))
            assert await attempts_by_event(db) == []
            assert await deliveries(db) == []
        finally:
            await db.dispose()
