"""The log itself: commit order under writers whose commits are deliberately reordered, pruning, and no
order without its order.created after the server is SIGKILLed in the middle of creates."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clopos_server.db.engine import Database
from clopos_server.db.events_models import Event
from clopos_server.db.models import Order
from clopos_server.events import log
from clopos_server.timeutil import utcnow
from tests.events.conftest import events_until, feed, now
from tests.support.api import DEMO_LOGIN, ApiClient, example
from tests.support.servers import running_servers


async def write_held(db: Database, tag: int, wrote: asyncio.Event, release: asyncio.Event) -> None:
    """One transaction that records an event, then waits to commit until released."""
    async with db.write() as conn:
        await log.record(conn, log.CUSTOMER_CREATED, 1, 1, {"id": tag})
        wrote.set()
        await release.wait()


async def read_all(db: Database, after: int) -> list[tuple[int, int]]:
    """(cursor, tag) of brand 1's events after ``after``, read a page of 3 at a time."""
    found: list[tuple[int, int]] = []
    async with db.read() as conn:
        while True:
            page = await log.read_after(conn, 1, after=after, limit=3)
            found += [(int(e["cursor"]), int(e["data"]["object"]["id"])) for e in _decoded(page.events)]
            after = page.next
            if not page.has_more:
                return found


def _decoded(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from clopos_server import jsonio

    return [jsonio.loads(jsonio.dumps(e)) for e in events]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite: one writer at a time
async def test_an_event_committed_later_never_gets_a_smaller_cursor(database: Database) -> None:
    """The first writer holds its transaction open while a second writes and commits: a reader sees
    neither until the first commits, then both, the first one first (a plain sequence would have shown the
    second at once, and the first later with a smaller cursor, behind a reader that had moved past it)."""
    async with database.read() as conn:
        start = await log.latest_cursor(conn, 1)
    wrote, release = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(write_held(database, 1, wrote, release))
    await asyncio.wait_for(wrote.wait(), 10)
    await _commit_now(database, 2)
    assert await read_all(database, start) == []  # 2 has committed, but it is behind 1, still open
    release.set()
    await first
    seen = await read_all(database, start)
    assert [tag for _cursor, tag in seen] == [1, 2]
    assert seen[0][0] < seen[1][0]


async def _commit_now(db: Database, tag: int) -> None:
    async with db.write() as conn:
        await log.record(conn, log.CUSTOMER_CREATED, 1, 1, {"id": tag})


async def test_a_reader_following_concurrent_writers_misses_nothing(database: Database) -> None:
    """40 writers commit in a shuffled order (each holds its transaction a random while) while a reader
    follows the log by cursor: what it collected, in order, is exactly the log as read at the end."""
    async with database.read() as conn:
        start = await log.latest_cursor(conn, 1)
    rng = random.Random(13)
    done = asyncio.Event()
    hold = 0.01 if database.is_sqlite else 0.3  # SQLite: one writer at a time, the others wait their turn

    async def writer(tag: int) -> None:
        await asyncio.sleep(rng.random() * 0.2)
        async with database.write() as conn:
            await log.record(conn, log.CUSTOMER_CREATED, 1, 1, {"id": tag})
            await asyncio.sleep(rng.random() * hold)  # commits out of the order the events were written

    async def reader() -> list[tuple[int, int]]:
        collected: list[tuple[int, int]] = []
        cursor = start
        while True:
            finished = done.is_set()
            batch = await read_all(database, cursor)
            collected += batch
            cursor = batch[-1][0] if batch else cursor
            if finished:
                return collected
            await asyncio.sleep(0.01)

    following = asyncio.create_task(reader())
    await asyncio.gather(*(writer(tag) for tag in range(40)))
    await asyncio.sleep(0.2 if database.is_sqlite else 1.0)
    done.set()
    collected = await asyncio.wait_for(following, 30)
    assert collected == await read_all(database, start)
    assert sorted(tag for _cursor, tag in collected) == list(range(40))


async def test_pruning_keeps_what_is_younger_than_the_retention(database: Database) -> None:
    async with database.write() as conn:
        await log.record(conn, log.CUSTOMER_CREATED, 1, 1, {"id": "old"}, at=utcnow() - timedelta(days=31))
        await log.record(conn, log.CUSTOMER_CREATED, 1, 1, {"id": "young"}, at=utcnow() - timedelta(days=29))
    async with database.write() as conn:
        assert await log.prune(conn, 30) >= 1
    async with database.read() as conn:
        kept = (
            (await conn.execute(select(Event.data).where(Event.type == log.CUSTOMER_CREATED))).scalars().all()
        )
    assert {"object": {"id": "young"}} in kept
    assert {"object": {"id": "old"}} not in kept


async def test_the_pruning_task(database: Database, app: Any) -> None:
    """What the app's lifespan runs: a prune a minute after start, then every hour
    (CLOPOS_EVENTS_RETENTION_DAYS, 30)."""
    assert app.state.services.settings.events_retention_days == 30
    async with database.write() as conn:
        await log.record(conn, log.CUSTOMER_CREATED, 1, 1, {"id": 1}, at=utcnow() - timedelta(days=40))
    task = asyncio.create_task(log.prune_forever(database, 30, interval=0.05, first_after=0))
    try:
        for _ in range(100):
            async with database.read() as conn:
                old = (
                    await conn.execute(
                        select(func.count()).where(Event.created_at < utcnow() - timedelta(days=35))
                    )
                ).scalar_one()
            if old == 0:
                break
            await asyncio.sleep(0.05)
        assert old == 0
    finally:
        task.cancel()


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgres", "sqlite"], indirect=True)
async def test_no_order_without_its_event_after_a_sigkill_mid_create(db_url: str) -> None:
    """Creates in flight when the server is SIGKILLed: every order that exists has its order.created
    event and every order.created event its order (one transaction, one statement on PostgreSQL)."""
    with running_servers(db_url) as (server,):
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            token = (await http.post("/open-api/auth", json=DEMO_LOGIN)).json()["token"]
            headers = {"x-token": token, "x-brand": "openapitest", "x-venue": "1"}
            body = example("create-order.v1.request.json")

            async def create_forever() -> None:
                while True:
                    await http.post("/open-api/orders", json=body, headers=headers)

            creators = [asyncio.create_task(create_forever()) for _ in range(8)]
            await asyncio.sleep(1.5)
            server.kill()
            await asyncio.gather(*creators, return_exceptions=True)
    db = Database(db_url, pool_size=1)
    try:
        async with db.read() as conn:
            orders = set((await conn.execute(select(Order.id).where(Order.brand_id == 1))).scalars())
            created = (
                await conn.execute(
                    select(Event.data).where(Event.type == log.ORDER_CREATED, Event.brand_id == 1)
                )
            ).scalars()
            announced = {int(data["object"]["id"]) for data in created}
    finally:
        await db.dispose()
    assert len(orders) > 5
    assert orders == announced


async def test_feed_and_log_agree(v2: ApiClient) -> None:
    start = await now(v2)
    await v2.post("/customers", json={"name": "Agrees"})
    [event] = await events_until(v2, 1, after=start)
    assert (await feed(v2, after=start))["data"] == [event]
