"""Fixtures of the operations tests: a private PostgreSQL (tests/operations/pg.py) and an app on it with
short timeouts, so that each fault is seen within seconds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from clopos_server.app import create_app
from clopos_server.settings import Settings
from tests.operations.pg import PrivatePostgres, unavailable_reason
from tests.support.api import V1Client
from tests.support.databases import create_pg_database, prepare_template

SECRET = "operations-test-secret-0123456789abcdef"
# Short bounds: the same code paths as the defaults (5 s, 2 s, 2 s, 10 s), seen within seconds.
FAULT_TIMEOUTS = {
    "db_statement_timeout": 1.0,
    "db_lock_timeout": 0.5,
    "db_pool_timeout": 0.5,
    "request_timeout": 3.0,
}


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
async def fault_db_url(private_pg: PrivatePostgres) -> str:
    """A database on the private server, migrated, with the demo brands."""
    url = private_pg.url("clopos_faults")
    await create_pg_database(url, replace=True)
    await prepare_template(url)
    return url


@asynccontextmanager
async def app_client(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app on ``database_url`` with these settings (rate limits off unless given), started, and an HTTP
    client to it."""
    settings = Settings(database_url=database_url, secret_key=SECRET, **{"rate_limits": "off", **overrides})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as http:
            yield http


@pytest.fixture
async def fault_client(fault_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app on the private server with the short bounds, and a client to it."""
    # No webhook dispatcher: it polls through the same pool, and a connection it reopens the moment a
    # slot frees would serve the test's requests (right in production, but not the fault under test).
    async with app_client(fault_db_url, db_pool_size=4, webhook_dispatcher="off", **FAULT_TIMEOUTS) as http:
        yield http


@pytest.fixture
async def fault_v1(fault_client: httpx.AsyncClient) -> V1Client:
    return await V1Client.login(fault_client)
