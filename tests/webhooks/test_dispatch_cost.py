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

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from clopos_server.db.engine import Database
from clopos_server.db.events_models import Event
from clopos_server.settings import Settings
from clopos_server.webhooks import queue
from clopos_server.webhooks.dispatcher import Dispatcher, EndpointRunner, attempt
from clopos_server.webhooks.repository import ENDPOINTS
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


async def cycle(runner: EndpointRunner) -> tuple[Counted, Counted, list[queue.Result]]:
    """One round that makes due and claims, the attempts, one round that records them (and releases)."""
    runtime = runner.dispatcher.runtime
    with counted(runner.dispatcher.db) as claiming:
        claimed, _ = await runner._round([])
    assert runner.endpoint is not None
    sender = runner._sender(runner.endpoint.url)
    results = [(delivery, await attempt(runtime, runner.endpoint, delivery, sender)) for delivery in claimed]
    with counted(runner.dispatcher.db) as recording:
        await runner._round(results)
    return claiming, recording, results


async def test_a_round_costs_the_same_statements_for_2_or_30_deliveries(
    app: FastAPI, v2: ApiClient, receiver: Receiver
) -> None:
    services = app.state.services
    db: Database = services.db
    endpoint = await make_endpoint(v2, receiver.url(), ["order.created"])
    async with db.read() as conn:
        brand_id = (
            await conn.execute(select(ENDPOINTS.c.brand_id).where(ENDPOINTS.c.id == endpoint["id"]))
        ).scalar()
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
    # each round's 7 statements, and its transaction: BEGIN IMMEDIATE on SQLite (whose COMMIT is not a
    # cursor statement), BEGIN and COMMIT on PostgreSQL
    control = {"sqlite": 1, "postgresql": 2}[db.dialect]
    # lock, sender lease, due retries, newest event, events, insert (leased), cursor
    assert len(claiming.statements) == 7 + control, claiming.statements
    # lock, attempts, deliveries, due retries, newest event, release (deliveries, endpoint)
    assert len(recording.statements) == 7 + control, recording.statements
