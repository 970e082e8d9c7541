"""Venue channels across instances: PostgreSQL LISTEN/NOTIFY and Redis pub/sub, with reconnects."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import redis.asyncio
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from clopos_server.app import create_app
from clopos_server.events.bus import EventBus, channel_name
from clopos_server.events.transports import PG_CHANNEL, PostgresTransport, deliver_note, note_of
from clopos_server.services import Services
from clopos_server.settings import Settings
from tests.support.api import example
from tests.support.board import create_order
from tests.support.databases import admin_connection
from tests.support.redis import private_redis, shared_redis_url

pytestmark = pytest.mark.slow


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


async def until(check: Callable[[], Awaitable[bool] | bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {timeout} s")


async def connected(app: FastAPI) -> None:
    """The app's listener up: it listens from its first subscriber on (a board stream's, here a queue's)."""
    transport = services(app).events_transport
    assert not transport.connected.is_set()
    services(app).events.subscribe(channel_name(1, 2))
    await asyncio.wait_for(transport.connected.wait(), 10)


def test_notes_are_small_and_garbage_is_dropped() -> None:
    huge = {"id": 7, "payload": {"products": [{"note": "x" * 20000}]}}
    note = note_of("me", channel_name(3, 4), {"type": "order.created", "order": huge})
    assert note is not None and len(note) < 200
    assert orjson.loads(note) == {
        "brand": 3,
        "venue": 4,
        "order_id": 7,
        "type": "order.created",
        "origin": "me",
    }
    assert note_of("me", "not-a-venue", {"order": huge}) is None
    assert note_of("me", channel_name(3, 4), {"type": "x"}) is None

    bus = EventBus()
    queue = bus.subscribe(channel_name(3, 4))
    deliver_note(bus, "me", note)  # its own note: already delivered locally
    deliver_note(bus, "other", b"{not json")
    deliver_note(bus, "other", b'{"brand": "x"}')
    assert queue.empty()
    deliver_note(bus, "other", note)
    assert queue.get_nowait() == {"type": "order.created", "order_id": 7, "remote": True}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sqlite_alone_has_no_transport(settings: Settings) -> None:
    async with running_app(settings) as (app, _):
        assert services(app).events_transport is None
        assert services(app).events.relay is None


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_postgres_carries_an_order_to_another_instance(settings: Settings) -> None:
    async with running_app(settings) as (one, client), running_app(settings) as (two, _):
        await connected(one)
        await connected(two)
        queue = services(two).events.subscribe(channel_name(1, 1))
        started = time.monotonic()
        order = await create_order(client, "", example("create-order.v1.request.json"))
        event = await asyncio.wait_for(queue.get(), 2)
        assert time.monotonic() - started < 2
        assert event == {"type": "order.created", "order_id": order["id"], "remote": True}
        # the sender got its own event once, locally, with the order
        mine = services(one).events.subscribe(channel_name(1, 1))
        await asyncio.sleep(0.3)
        assert mine.empty()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_postgres_listens_from_the_first_subscriber_on(settings: Settings) -> None:
    """An instance with no board stream has no one to wake: it holds no listening connection."""

    async def listening() -> int:
        async with admin_connection(settings.database_url) as admin:
            count: int = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'clopos-live-events' AND datname = current_database()"
            )
        return count

    async with running_app(settings) as (app, client):
        await create_order(client, "", example("create-order.v1.request.json"))
        await asyncio.sleep(0.3)
        assert await listening() == 0
        await connected(app)
        assert await listening() == 1


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_postgres_listener_reconnects_and_boards_resync(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="clopos_server.events.transports")
    async with running_app(settings) as (app, _):
        transport = services(app).events_transport
        assert isinstance(transport, PostgresTransport)
        transport.ping_seconds = 0.5
        await connected(app)
        queue = services(app).events.subscribe(channel_name(1, 1))
        dsn = make_url(settings.database_url).set(drivername="postgresql")
        admin = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'clopos-live-events' AND datname = current_database()"
            )
            assert killed == 1
            resync = await asyncio.wait_for(queue.get(), 10)
            assert resync == {"type": "resync"}
            assert any("no PostgreSQL LISTEN connection" in r.getMessage() for r in caplog.records)
            assert any("restored" in r.getMessage() for r in caplog.records)
            note = {"brand": 1, "venue": 1, "order_id": 42, "type": "order.updated", "origin": "elsewhere"}
            await admin.execute("SELECT pg_notify($1, $2)", PG_CHANNEL, orjson.dumps(note).decode())
            event = await asyncio.wait_for(queue.get(), 2)
            assert event == {"type": "order.updated", "order_id": 42, "remote": True}
        finally:
            await admin.close()


async def test_redis_carries_an_order_to_another_instance(settings: Settings) -> None:
    redis_settings = settings.model_copy(update={"redis_url": shared_redis_url()})
    async with running_app(redis_settings) as (one, client), running_app(redis_settings) as (two, _):
        await connected(one)
        await connected(two)
        queue = services(two).events.subscribe(channel_name(1, 1))
        order = await create_order(client, "", example("create-order.v1.request.json"))
        event: dict[str, Any] = {}
        while event.get("order_id") != order["id"]:  # the shared Redis may carry other tests' notes
            event = await asyncio.wait_for(queue.get(), 2)
        assert event == {"type": "order.created", "order_id": order["id"], "remote": True}


async def test_redis_listener_reconnects_after_redis_restarts(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="clopos_server.events.transports")
    with private_redis() as redis_server:
        redis_settings = settings.model_copy(update={"redis_url": redis_server.url})
        async with AsyncExitStack() as stack:
            app, _ = await stack.enter_async_context(running_app(redis_settings))
            await connected(app)
            queue = services(app).events.subscribe(channel_name(1, 1))
            redis_server.stop()
            transport = services(app).events_transport
            await until(lambda: not transport.connected.is_set(), 15, "noticing Redis is gone")
            redis_server.start()
            assert await asyncio.wait_for(queue.get(), 20) == {"type": "resync"}
            assert any("no Redis pub/sub connection" in r.getMessage() for r in caplog.records)
            publisher = redis.asyncio.Redis.from_url(redis_server.url)
            note = {"brand": 1, "venue": 1, "order_id": 43, "type": "order.updated", "origin": "elsewhere"}
            await publisher.publish("clopos:events", orjson.dumps(note))
            await publisher.aclose()
            assert await asyncio.wait_for(queue.get(), 2) == {
                "type": "order.updated",
                "order_id": 43,
                "remote": True,
            }


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("through", ["postgres", "redis"])
async def test_a_burst_of_events_arrives_complete_and_in_order(settings: Settings, through: str) -> None:
    if through == "redis":
        settings = settings.model_copy(update={"redis_url": shared_redis_url()})
    async with running_app(settings) as (one, _), running_app(settings) as (two, _):
        await connected(one)
        await connected(two)
        channel = channel_name(1, 3)
        queue = services(two).events.subscribe(channel)
        sent = list(range(900_001, 900_241))  # more than one batch, fewer than a subscriber queue holds
        for order_id in sent:
            await services(one).events.publish(channel, {"type": "order.updated", "order_id": order_id})
        got = []
        while len(got) < len(sent):
            event = await asyncio.wait_for(queue.get(), 5)
            if event["order_id"] in sent:  # the shared Redis may carry other tests' notes
                got.append(event["order_id"])
        assert got == sent
