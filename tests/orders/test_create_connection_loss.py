"""PostgreSQL connections that die under the create path or while pooled: never a 500, never a half write.

The create path runs on the driver's pool (db/driver_pool.py, docs/decisions/0006). A connection lost
under a create's statement is the 503 of spec/api.md, with nothing written, and every pooled connection
(the driver's and SQLAlchemy's) is reopened at its next checkout; a pooled connection that died while idle
(a server restart between two requests) is replaced at checkout, so no create fails for it.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from fastapi import FastAPI
from tests.support.api import ApiClient, assert_error, example
from tests.support.databases import admin_connection, end_other_backends

from clopos_server.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Without the webhook dispatcher: it polls through the same pool and would meet the dead connection
    before the create does (its own recovery is tests/webhooks'). A lock wait long enough for the test to
    end the create's connection while the create waits."""
    return settings.model_copy(update={"webhook_dispatcher": "off", "db_lock_timeout": 30})


async def orders_in_db(db_url: str) -> int:
    async with admin_connection(db_url) as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM orders")
    return count


def skip_on_sqlite(app: FastAPI) -> None:
    if app.state.services.db.is_sqlite:
        pytest.skip("a pooled server connection exists only on PostgreSQL")


async def test_a_connection_lost_under_a_create_is_a_503_then_the_pool_recovers(
    app: FastAPI, api: ApiClient, db_url: str
) -> None:
    skip_on_sqlite(app)
    body = example("create-order.v1.request.json")
    assert (await api.post("/orders", json=body)).status_code == 201  # the pools now hold connections
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with admin_connection(db_url) as locker:
        async with locker.transaction():
            await locker.execute("LOCK TABLE orders IN EXCLUSIVE MODE")  # the create's INSERT waits
            create = asyncio.ensure_future(api.post("/orders", json=body, headers=key))
            deadline = time.monotonic() + 30
            while not await end_other_backends(locker, only_waiting=True):
                assert not create.done(), create.result().text
                assert time.monotonic() < deadline, "the create never waited for the lock"
                await asyncio.sleep(0.05)
            lost = await create
    assert_error(lost, 503, "unavailable")
    assert "Traceback" not in lost.text and "asyncpg" not in lost.text

    retried = await api.post("/orders", json=body, headers=key)
    assert retried.status_code == 201, retried.text
    assert (await api.post("/orders", json=body, headers=key)).headers["idempotent-replayed"] == "true"
    assert (await api.get("/orders")).json()["total"] == 2  # the first order and the retried one


async def test_a_pooled_connection_that_died_idle_fails_no_create(
    app: FastAPI, api: ApiClient, db_url: str
) -> None:
    skip_on_sqlite(app)
    body = example("create-order.v1.request.json")
    assert (await api.post("/orders", json=body)).status_code == 201  # the pool now holds a connection
    async with admin_connection(db_url) as conn:
        assert await end_other_backends(conn) >= 1
    await asyncio.sleep(0.2)  # the server's goodbye reaches the pooled connection

    key = {"Idempotency-Key": str(uuid.uuid4())}
    created = await api.post("/orders", json=body, headers=key)
    assert created.status_code == 201, created.text
    replayed = await api.post("/orders", json=body, headers=key)
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.content == created.content
    assert await orders_in_db(db_url) == 2
