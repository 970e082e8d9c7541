"""SQLAlchemy's pool (db/engine.py) on PostgreSQL: a pooled connection whose end the driver has seen (the
server restarted, an operator ended the backend) is replaced at checkout, without a round trip, as the
driver's pool does (tests/db/test_driver_pool.py); the request that would have met it is served."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from tests.support.api import ApiClient
from tests.support.databases import admin_connection, end_other_backends

from clopos_server.db.engine import Database

pytestmark = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


async def end_backends(db_url: str, *pids: int) -> None:
    """End ``pids`` (every other backend of the database when none is given), then let the pooled
    connections read the server's goodbye."""
    async with admin_connection(db_url) as conn:
        await end_other_backends(conn, pids=pids)
    await asyncio.sleep(0.2)


async def backend_pid(db: Database) -> int:
    async with db.read() as conn:
        pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def test_a_connection_the_server_closed_is_replaced_at_checkout(db_url: str) -> None:
    db = Database(db_url, pool_size=1)
    try:
        first = await backend_pid(db)
        await end_backends(db_url, first)
        assert await backend_pid(db) != first
    finally:
        await db.dispose()


async def test_a_read_after_the_servers_backends_were_ended_is_served(api: ApiClient, db_url: str) -> None:
    assert (await api.get("/customers")).status_code == 200  # the pool now holds a connection
    await end_backends(db_url)
    answer = await api.get("/customers")
    assert answer.status_code == 200, answer.text
