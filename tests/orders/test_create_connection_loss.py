"""A pooled PostgreSQL connection that died under the create path: a 503, nothing written, then recovery.

The create path sends its statements on the driver connection (docs/decisions/0002), where SQLAlchemy
cannot see a lost connection; ``Database.write`` must turn it into the 503 of spec/api.md and drop the
connection from the pool, so that the next request gets a live one.
"""

from __future__ import annotations

import uuid

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI
from tests.support.api import ApiClient, assert_error, example

from clopos_server.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Without the webhook dispatcher: it polls through the same pool and would meet the dead connection
    before the create does (its own recovery is tests/webhooks')."""
    return settings.model_copy(update={"webhook_dispatcher": "off"})


async def terminate_app_connections(db_url: str) -> int:
    """End every other backend on the test database, as a server restart or an admin would."""
    admin = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        ended: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    return ended


async def test_a_dead_pooled_connection_is_a_503_then_the_pool_recovers(
    app: FastAPI, api: ApiClient, db_url: str
) -> None:
    if app.state.services.db.is_sqlite:
        pytest.skip("a pooled server connection exists only on PostgreSQL")
    body = example("create-order.v1.request.json")
    assert (await api.post("/orders", json=body)).status_code == 201  # the pool now holds a connection
    assert await terminate_app_connections(db_url) >= 1

    key = {"Idempotency-Key": str(uuid.uuid4())}
    lost = await api.post("/orders", json=body, headers=key)
    assert_error(lost, 503, "unavailable")
    assert "Traceback" not in lost.text and "asyncpg" not in lost.text

    retried = await api.post("/orders", json=body, headers=key)
    assert retried.status_code == 201, retried.text
    assert (await api.post("/orders", json=body, headers=key)).headers["idempotent-replayed"] == "true"
    assert (await api.get("/orders")).json()["total"] == 2  # the first order and the retried one
