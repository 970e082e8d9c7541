"""The hot reads' SQL statements, counted (not timed): a regression that adds a round trip fails here.

``GET /orders/{id}``, ``GET /orders?limit=50``, ``GET /receipts/{id}`` and a page of the events feed, each
after a warm-up request of the same kind (asyncpg prepares a statement on its first use on a connection,
and may ask the server about its types then). Every statement the request's own task sends is counted,
wherever it leaves the process (tests/support/counting.py), and the checkouts of either pool: on
PostgreSQL the hot reads take no SQLAlchemy connection at all (docs/decisions/0005).

Change the expected counts only on purpose, and preferably downwards.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from tests.support.api import ApiClient, example
from tests.support.counting import counted
from tests.support.lifecycle import accepted_order

from clopos_server.settings import Settings

# Statements per request: each read is one statement with no BEGIN or COMMIT (a statement commits on its
# own); a receipt is two (the receipt, its lines). PostgreSQL: on one connection of the driver's pool.
# SQLite: on the sqlite3 connection of SQLAlchemy's pool, taken for each statement.
EXPECTED = {"order": 1, "list": 1, "feed": 1, "receipt": 2}


def expected_checkouts(dialect: str, statements: int) -> tuple[int, int]:
    """(SQLAlchemy's pool, the driver's pool) checkouts of a request of ``statements`` hot reads."""
    return (0, 1) if dialect == "postgresql" else (statements, 0)


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


def dialect(app: FastAPI) -> str:
    name: str = app.state.services.db.dialect
    return name


async def ok(api: ApiClient, path: str) -> None:
    answer = await api.get(path)
    assert answer.status_code == 200, answer.text


async def test_hot_read_statement_counts(app: FastAPI, v2: ApiClient) -> None:
    order, receipt = await accepted_order(v2)
    created = await v2.post("/orders", json=example("create-order.v1.request.json"))
    assert created.status_code == 201, created.text
    paths = {
        "order": f"/orders/{order['id']}",
        "list": "/orders?limit=50",
        "feed": "/events?limit=50",
        "receipt": f"/receipts/{receipt['id']}",
    }
    for name, path in paths.items():
        await ok(v2, path)  # warm-up: the statement prepared on the connection
        with counted(app.state.services.db) as seen:
            await ok(v2, path)
        assert len(seen.statements) == EXPECTED[name], (name, str(seen))
        checkouts = expected_checkouts(dialect(app), EXPECTED[name])
        assert (seen.checkouts, seen.driver_checkouts) == checkouts, (name, str(seen))


async def test_the_list_is_one_statement_whatever_its_filters(app: FastAPI, v2: ApiClient) -> None:
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
        with counted(app.state.services.db) as seen:
            await ok(v2, path)
        assert len(seen.statements) == EXPECTED["list"], (path, str(seen))
        checkouts = expected_checkouts(dialect(app), EXPECTED["list"])
        assert (seen.checkouts, seen.driver_checkouts) == checkouts, (path, str(seen))
