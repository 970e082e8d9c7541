"""The dispatcher's hourly prune: deliveries finished before the retention horizon go, stored ones with
their attempts and those that are their attempt alone; pending ones and younger ones stay."""

from __future__ import annotations

from datetime import timedelta

from clopos_server.db.engine import Database
from clopos_server.timeutil import utcnow
from clopos_server.webhooks import queue
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
