"""The dispatcher's hourly prune: deliveries finished before the retention horizon go, stored ones with
their attempts and those that are their attempt alone; pending ones and younger ones stay. The first one
runs a minute after the app starts."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from clopos_server.app import create_app
from clopos_server.db.engine import Database
from clopos_server.settings import Settings
from clopos_server.timeutil import utcnow
from clopos_server.webhooks import dispatcher, queue
from tests.support.webhook_rows import add_attempts, add_endpoint, attempts_by_event, deliveries


async def test_the_prune_takes_finished_deliveries_past_the_retention(database: Database) -> None:
    endpoint = await add_endpoint(database)
    old, young = utcnow() - timedelta(days=31), utcnow() - timedelta(days=29)
    await add_attempts(database, endpoint, "old-delivered", 2, at=old)
    await add_attempts(database, endpoint, "old-failed", 3, status="failed", at=old)
    await add_attempts(database, endpoint, "old-alone", 1, status=None, at=old)
    await add_attempts(database, endpoint, "old-pending", 1, status="pending", at=old)
    await add_attempts(database, endpoint, "young-delivered", 1, at=young)
    await add_attempts(database, endpoint, "young-alone", 1, status=None, at=young)

    async with database.write() as conn:
        assert await queue.prune(conn, 30) == 3
    assert await attempts_by_event(database) == [
        ("old-pending", True, 1),
        ("young-alone", False, 1),
        ("young-delivered", True, 1),
    ]
    assert await deliveries(database) == [("old-pending", "pending", 1), ("young-delivered", "delivered", 1)]


async def test_the_running_dispatcher_prunes_a_minute_after_start_not_at_once(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pruning at once wrote a transaction at every start, before the first request was served."""
    endpoint = await add_endpoint(database)
    await add_attempts(database, endpoint, "old-delivered", 1, at=utcnow() - timedelta(days=31))
    monkeypatch.setattr(dispatcher, "FIRST_PRUNE_AFTER", 0.5)  # the minute, shortened
    app = create_app(settings.model_copy(update={"webhook_poll_seconds": 0.1}))
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.3)
        assert await deliveries(database) == [("old-delivered", "delivered", 1)]
        deadline = time.monotonic() + 5
        while await deliveries(database) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    assert await deliveries(database) == []
