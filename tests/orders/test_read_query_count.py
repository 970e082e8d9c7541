"""The hot reads' SQL statements, counted (not timed): a regression that adds a round trip fails here.

``GET /orders/{id}``, ``GET /orders?limit=50``, ``GET /receipts/{id}`` and a page of the events feed, each
after a warm-up request of the same kind (asyncpg prepares a statement on its first use on a connection,
and may ask the server about its types then). Every statement the request's own task sends is counted:
through SQLAlchemy (``before_cursor_execute``, and on PostgreSQL an asyncpg query logger on SQLAlchemy's
connections, for BEGIN and COMMIT) and, on PostgreSQL, on the driver's own pool (a query logger on each
connection it hands out). Checkouts of either pool are counted too: on PostgreSQL the hot reads take no
SQLAlchemy connection at all (docs/decisions/0005).

Change the expected counts only on purpose, and preferably downwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event
from tests.support.api import ApiClient, example
from tests.support.lifecycle import accepted_order

from clopos_server.db.driver_pool import DriverPool
from clopos_server.settings import Settings

# Statements per request. PostgreSQL: each read is one statement on a connection of the driver's pool,
# with no BEGIN or COMMIT (a statement commits on its own); a receipt is two (the receipt, its lines).
# SQLite: the same statements through SQLAlchemy, after its BEGIN (SQLite's COMMIT is not a cursor
# statement).
EXPECTED = {
    "postgresql": {"order": 1, "list": 1, "feed": 1, "receipt": 2},
    "sqlite": {"order": 2, "list": 2, "feed": 2, "receipt": 3},
}
# (SQLAlchemy's pool, the driver's pool) checkouts per request.
EXPECTED_CHECKOUTS = {"postgresql": (0, 1), "sqlite": (1, 0)}


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The suite's settings, with no background work on the same pools during a counted request."""
    return Settings(
        database_url=db_url,
        rate_limits="off",
        secret_key="test-secret-key-0123456789-read-counts",
        revocation_refresh_seconds=60,
        webhook_dispatcher="off",
    )


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0
    driver_checkouts: int = 0

    def __str__(self) -> str:
        return "\n".join([f"{self.checkouts} + {self.driver_checkouts} checkout(s)", *self.statements])


@contextmanager
def counted(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    """The statements and checkouts of the current task on the app's two pools while the block runs."""
    engine = app.state.services.db.engine.sync_engine
    task = asyncio.current_task()
    seen = Counted()

    def statement(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        if asyncio.current_task() is task:
            seen.statements.append(" ".join(text.split())[:120])

    def logged(query: Any) -> None:
        seen.statements.append(" ".join(query.query.split())[:120])

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if asyncio.current_task() is task:
            seen.checkouts += 1
            if engine.dialect.name == "postgresql":
                record.driver_connection.add_query_logger(logged)

    def checkin(dbapi_connection: Any, record: Any) -> None:
        if engine.dialect.name == "postgresql" and record.driver_connection is not None:
            record.driver_connection.remove_query_logger(logged)

    original = DriverPool.connection

    @asynccontextmanager
    async def driver_connection(pool: DriverPool) -> AsyncIterator[Any]:
        async with original(pool) as conn:
            mine = asyncio.current_task() is task
            if mine:
                seen.driver_checkouts += 1
                conn.add_query_logger(logged)
            try:
                yield conn
            finally:
                if mine:
                    conn.remove_query_logger(logged)

    monkeypatch.setattr(DriverPool, "connection", driver_connection)
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
        monkeypatch.setattr(DriverPool, "connection", original)


def dialect(app: FastAPI) -> str:
    name: str = app.state.services.db.dialect
    return name


async def ok(api: ApiClient, path: str) -> None:
    answer = await api.get(path)
    assert answer.status_code == 200, answer.text


async def test_hot_read_statement_counts(
    app: FastAPI, v2: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, receipt = await accepted_order(v2)
    created = await v2.post("/orders", json=example("create-order.v1.request.json"))
    assert created.status_code == 201, created.text
    paths = {
        "order": f"/orders/{order['id']}",
        "list": "/orders?limit=50",
        "feed": "/events?limit=50",
        "receipt": f"/receipts/{receipt['id']}",
    }
    expected = EXPECTED[dialect(app)]
    for name, path in paths.items():
        await ok(v2, path)  # warm-up: the statement prepared on the connection
        with counted(app, monkeypatch) as seen:
            await ok(v2, path)
        assert len(seen.statements) == expected[name], (name, str(seen))
        assert (seen.checkouts, seen.driver_checkouts) == EXPECTED_CHECKOUTS[dialect(app)], (name, str(seen))


async def test_the_list_is_one_statement_whatever_its_filters(
    app: FastAPI, v2: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A status filter, several venues, dates, another sort, an empty page: still the page and its total
    in one statement."""
    await v2.post("/orders", json=example("create-order.v1.request.json"))
    paths = [
        "/orders?status=PENDING",
        "/orders?filters[0][0]=venue_id&filters[0][1][0]=1&filters[0][1][1]=2",
        "/orders?date_from=2026-01-01&date_to=2030-01-01&sort[0]=id&sort[1]=1",
        "/orders?page=1000",
    ]
    for path in paths:
        await ok(v2, path)
        with counted(app, monkeypatch) as seen:
            await ok(v2, path)
        assert len(seen.statements) == EXPECTED[dialect(app)]["list"], (path, str(seen))
