"""The dispatcher's SQL per round, counted (not timed): a round that makes 30 deliveries due and one that
records 30 attempts send as many statements, and take as many pool connections, as rounds of 2. The
dispatcher shares each worker's pool and CPU with the API: a statement per delivery would be a cost per
create-order (docs/webhooks.md, "What a delivery costs").

Rounds are driven by hand (``EndpointRunner._round``) with the background dispatcher off, so the count
sees this task's statements only, and each cycle starts from the same state (the endpoint released).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import Database
from clopos_server.db.events_models import Event
from clopos_server.settings import Settings
from clopos_server.webhooks import queue
from clopos_server.webhooks.dispatcher import Dispatcher, EndpointRunner, attempt
from clopos_server.webhooks.repository import ATTEMPTS, DELIVERIES, ENDPOINTS
from tests.support.api import ApiClient
from tests.support.counting import Counted, counted
from tests.support.lifecycle import create_order
from tests.webhooks.conftest import FAST, make_endpoint
from tests.webhooks.receiver import WAIT, Receiver


@pytest.fixture
def settings(db_url: str) -> Settings:
    """No background dispatcher (its polls would share the engine) and no directory refresh meanwhile."""
    return Settings(
        database_url=db_url,
        rate_limits="off",
        secret_key="test-secret-key-0123456789-abcdefgh",
        revocation_refresh_seconds=60,
        **{**FAST, "webhook_dispatcher": "off"},
    )


async def all_visible(db: Database, brand_id: int) -> None:
    """Wait until the dispatcher can see every event written (PostgreSQL's commit-ordered horizon)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        async with db.read() as conn:
            newest = (
                await conn.execute(select(func.max(Event.seq)).where(Event.brand_id == brand_id))
            ).scalar()
            if await queue.latest_cursor(conn, brand_id) >= (newest or 0):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the events did not become visible")


async def brand_of(db: Database, endpoint_id: int) -> int:
    async with db.read() as conn:
        return int(
            (
                await conn.execute(select(ENDPOINTS.c.brand_id).where(ENDPOINTS.c.id == endpoint_id))
            ).scalar_one()
        )


async def cursor_of(conn: AsyncConnection, endpoint_id: int) -> int:
    return int(
        (await conn.execute(select(ENDPOINTS.c.cursor).where(ENDPOINTS.c.id == endpoint_id))).scalar_one()
    )


async def cycle(runner: EndpointRunner) -> tuple[Counted, Counted, list[queue.Result]]:
    """One round that makes due and claims, the attempts, one round that records them (and releases)."""
    runtime = runner.dispatcher.runtime
    with counted(runner.dispatcher.db) as claiming:
        claimed, _ = await runner._round([], [])
    assert runner.endpoint is not None
    sender = runner._sender(runner.endpoint.url)
    results = [(delivery, await attempt(runtime, runner.endpoint, delivery, sender)) for delivery in claimed]
    with counted(runner.dispatcher.db) as recording:
        await runner._round(results, [])
    return claiming, recording, results


async def test_a_round_costs_the_same_statements_for_2_or_30_deliveries(
    app: FastAPI, v2: ApiClient, receiver: Receiver
) -> None:
    services = app.state.services
    db: Database = services.db
    endpoint = await make_endpoint(v2, receiver.url(), ["order.created"])
    brand_id = await brand_of(db, endpoint["id"])
    runner = EndpointRunner(Dispatcher(db, services.webhooks.runtime, 1.0), endpoint["id"])
    rounds = {}
    try:
        for orders in (1, 2, 30):  # the first takes the statement caches' misses
            for _ in range(orders):
                await create_order(v2)
            await all_visible(db, brand_id)
            claiming, recording, results = await cycle(runner)
            assert len(results) == orders and all(outcome.ok for _claimed, outcome in results), results
            rounds[orders] = (claiming, recording)
    finally:
        for sender in runner._senders.values():
            await sender.aclose()
    assert len(receiver.of_type("order.created")) == 33
    for few, many in zip(rounds[2], rounds[30], strict=True):
        assert len(many.statements) == len(few.statements), (few.statements, many.statements)
        assert few.checkouts == many.checkouts == 1
    claiming, recording = rounds[30]
    # each round's statements, and its transaction: BEGIN IMMEDIATE on SQLite (whose COMMIT is not a
    # cursor statement), BEGIN and COMMIT on PostgreSQL
    control = {"sqlite": 1, "postgresql": 2}[db.dialect]
    # lock, sender lease, due retries, newest event, events (nothing written: the deliveries are new)
    assert len(claiming.statements) == 5 + control, claiming.statements
    # lock, attempts, due retries, newest event, cursor, release (deliveries, endpoint)
    assert len(recording.statements) == 7 + control, recording.statements
    # each delivery written once, when its attempt was recorded: having succeeded at once, as its
    # attempt alone (no delivery row, no body kept: nothing sends it again); the cursor past every event
    assert await deliveries_of(db, endpoint["id"]) == []
    assert await attempts_of(db, endpoint["id"]) == [(False, 1, 33)]
    async with db.read() as conn:
        assert await cursor_of(conn, endpoint["id"]) == await queue.latest_cursor(conn, brand_id)


async def attempts_of(db: Database, endpoint_id: int) -> list[tuple[Any, ...]]:
    """(of a stored delivery, attempt number) of each of the endpoint's attempts, counted."""
    stored = ATTEMPTS.c.delivery_id.is_not(None)
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(stored, ATTEMPTS.c.number, func.count())
                .where(ATTEMPTS.c.endpoint_id == endpoint_id)
                .group_by(stored, ATTEMPTS.c.number)
            )
        ).all()
    return sorted(tuple(row) for row in rows)


async def bodies_of(db: Database, endpoint_id: int) -> set[str]:
    """The bodies the endpoint's stored deliveries keep."""
    async with db.read() as conn:
        query = select(DELIVERIES.c.body).where(DELIVERIES.c.endpoint_id == endpoint_id)
        return set((await conn.execute(query)).scalars())


async def deliveries_of(db: Database, endpoint_id: int) -> list[tuple[Any, ...]]:
    """(status, attempts, leased) of each of the endpoint's stored deliveries, counted."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(
                    DELIVERIES.c.status,
                    DELIVERIES.c.attempts,
                    DELIVERIES.c.lease_owner.is_not(None),
                    func.count(),
                )
                .where(DELIVERIES.c.endpoint_id == endpoint_id)
                .group_by(DELIVERIES.c.status, DELIVERIES.c.attempts, DELIVERIES.c.lease_owner.is_not(None))
            )
        ).all()
    return sorted(tuple(row) for row in rows)


async def test_new_deliveries_given_up_unsent_are_stored_pending_and_sent_later(
    app: FastAPI, v2: ApiClient, receiver: Receiver
) -> None:
    """A sender that stops with new deliveries queued (here: the endpoint disabled meanwhile) stores them
    pending before it lets go, so the cursor can move past their events; once enabled again they are
    claimed and sent like retries: each event once, no delivery written twice."""
    services = app.state.services
    db: Database = services.db
    endpoint = await make_endpoint(v2, receiver.url(), ["order.created"])
    brand_id = await brand_of(db, endpoint["id"])
    runner = EndpointRunner(Dispatcher(db, services.webhooks.runtime, 1.0), endpoint["id"])
    try:
        for _ in range(5):
            await create_order(v2)
        await all_visible(db, brand_id)
        claimed, going = await runner._round([], [])
        assert going and len(claimed) == 5 and all(delivery.id is None for delivery in claimed)
        assert await deliveries_of(db, endpoint["id"]) == []  # nothing written before an attempt
        runner.queue.put_all(claimed)
        disabled = await v2.request("PATCH", f"/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
        assert disabled.status_code == 200, disabled.text
        assert await runner._round([], []) == ([], False)  # stopped and released
        assert await deliveries_of(db, endpoint["id"]) == [("pending", 0, False, 5)]
        assert await bodies_of(db, endpoint["id"]) == {d.body for d in claimed}  # kept while pending
        async with db.read() as conn:
            assert await cursor_of(conn, endpoint["id"]) == await queue.latest_cursor(conn, brand_id)

        enabled = await v2.request("PATCH", f"/webhook-endpoints/{endpoint['id']}", json={"enabled": True})
        assert enabled.status_code == 200, enabled.text
        runner = EndpointRunner(Dispatcher(db, services.webhooks.runtime, 1.0), endpoint["id"])
        _claiming, _recording, results = await cycle(runner)
        assert len(results) == 5 and all(delivery.id is not None for delivery, _outcome in results)
    finally:
        for sender in runner._senders.values():
            await sender.aclose()
    assert await deliveries_of(db, endpoint["id"]) == [("delivered", 1, False, 5)]
    assert await bodies_of(db, endpoint["id"]) == {""}  # finished: nothing sends it again
    received = receiver.of_type("order.created")
    assert len(received) == 5 and len({r.webhook_id for r in received}) == 5
    assert {r.body.decode() for r in received} == {delivery.body for delivery in claimed}
