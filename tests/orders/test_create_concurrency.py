"""A burst of creates on a cold catalogue cache is answered: no request holds a pooled connection while it
waits for another one (a past deadlock). On SQLite the snapshot loads on the request's own connection; on
PostgreSQL on a SQLAlchemy connection taken before the create takes its driver connection
(orders/service.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update
from tests.support.api import V1Client, example

from clopos_server.catalog import snapshot as snapshot_module
from clopos_server.db.models import Brand
from clopos_server.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One connection in each pool on PostgreSQL (SQLAlchemy's and the driver's): a burst takes them all
    at once."""
    return settings.model_copy(update={"db_pool_size": 1})


async def test_concurrent_creates_on_a_cold_cache_are_all_answered(
    app, v1: V1Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_load = snapshot_module.load_snapshot

    async def slow_load(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.5)  # meanwhile the other requests take every pooled connection
        return await real_load(*args, **kwargs)

    monkeypatch.setattr(snapshot_module, "load_snapshot", slow_load)
    services = app.state.services
    async with services.db.write() as conn:  # a catalogue change: every cached snapshot is stale
        await conn.execute(update(Brand).values(catalog_version=Brand.catalog_version + 1))
    await services.directory.refresh(services.db)
    body = example("create-order.v1.request.json")
    answers = await asyncio.wait_for(
        asyncio.gather(*(v1.post("/orders", json=body) for _ in range(8))), timeout=90
    )
    assert [a.status_code for a in answers] == [201] * 8
    assert (await v1.get("/orders")).json()["total"] == 8
