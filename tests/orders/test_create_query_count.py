"""The create path's SQL statements, counted (not timed): a regression that adds a round trip fails here.

Every statement the app sends during one ``POST /open-api/orders`` is counted, wherever it leaves the
process (tests/support/counting.py). A warm-up request first caches the catalogue snapshot and leaves a
pooled connection. Only statements sent by the request's own task count: background tasks (the directory
refresh) share the engine, so the refresh interval is also made long.

Round trips cost more than anything else on this path (docs/performance.md): change the expected counts
only on purpose, and preferably downwards.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from tests.support.api import V1Client, example
from tests.support.counting import counted

from clopos_server.settings import Settings

# Statements per create-order request (issue 18, docs/decisions/0006).
#   PostgreSQL, on the driver's pool, every round trip and no BEGIN or COMMIT (each statement commits on
#     its own): the customer with the stop list of the body's products (and the key, with one); the order
#     with its history row and its order.created event (and the key's row with its answer) in one
#     statement of data-modifying CTEs. A replay is the first statement alone.
#   SQLite, on the sqlite3 connection in the writer's turn (docs/decisions/0003), each statement sent,
#     COMMIT included (a trigger's own statements are SQLite's, not sent): BEGIN IMMEDIATE, the customer
#     with the stop list (and the key, with one), INSERT order, INSERT history, INSERT event (SQLite has
#     no INSERT in a WITH clause; its statements are in-process calls, not round trips), with a key
#     INSERT key (its row with the answer), COMMIT.
#     A replay: BEGIN IMMEDIATE, the reads that find the key, COMMIT.
#   The live-events relay (pg_notify) is not on the request: a background task sends queued notes in batches.
EXPECTED_STATEMENTS = {
    "sqlite": {"no_key": 6, "key": 7, "replay": 3},
    "postgresql": {"no_key": 2, "key": 2, "replay": 1},
}
# (SQLAlchemy's pool, the driver's pool) checkouts per create-order request.
EXPECTED_CHECKOUTS = {"sqlite": (1, 0), "postgresql": (0, 1)}


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The suite's settings, with a directory refresh that cannot fire during a counted request and no
    webhook dispatcher (background work on the same engine)."""
    return Settings(
        database_url=db_url,
        rate_limits="off",
        secret_key="test-secret-key-0123456789",
        revocation_refresh_seconds=60,
        webhook_dispatcher="off",  # its polls take pool connections (whose statement caches are cold)
    )


# Sellable at venue 1 with sale type 2, no required modifier group; 57 has a stop-list limit of 3.
OTHER_PRODUCTS = (57, 101, 103, 111)


def with_lines(count: int) -> dict[str, Any]:
    """The documented body with ``count`` lines of different products (the documented line first)."""
    body = example("create-order.v1.request.json")
    documented = body["payload"]["products"][0]
    others = [{"product_id": pid, "count": 1, "product_modificators": []} for pid in OTHER_PRODUCTS]
    body["payload"]["products"] = [copy.deepcopy(documented), *others][:count]
    body["payload"]["meta"].pop("orderTotal")  # the total changes with the lines
    return body


async def create(v1: V1Client, body: dict[str, Any], *, key: bool | str) -> None:
    headers = {"Idempotency-Key": key if isinstance(key, str) else str(uuid.uuid4())} if key else {}
    answer = await v1.post("/orders", json=body, headers=headers)
    assert answer.status_code == 201, answer.text


def dialect(app: FastAPI) -> str:
    name: str = app.state.services.db.dialect
    return name


async def test_create_order_statement_count(app: FastAPI, v1: V1Client) -> None:
    body = example("create-order.v1.request.json")
    await create(v1, body, key=True)  # warm-up: the catalogue snapshot is loaded once, then cached
    expected = EXPECTED_STATEMENTS[dialect(app)]

    with counted(app.state.services.db) as without_key:
        await create(v1, body, key=False)
    with counted(app.state.services.db) as with_key:
        await create(v1, body, key=True)

    assert len(without_key.statements) == expected["no_key"], without_key
    assert len(with_key.statements) == expected["key"], with_key
    assert sum("idempotency_keys" in s for s in with_key.statements) == 2, with_key
    assert not any("idempotency_keys" in s for s in without_key.statements), without_key
    for seen in (without_key, with_key):
        assert (seen.checkouts, seen.driver_checkouts) == EXPECTED_CHECKOUTS[dialect(app)], seen


async def test_replay_statement_count(app: FastAPI, v1: V1Client) -> None:
    body = example("create-order.v1.request.json")
    key = str(uuid.uuid4())
    await create(v1, body, key=key)

    with counted(app.state.services.db) as replay:
        await create(v1, body, key=key)

    assert len(replay.statements) == EXPECTED_STATEMENTS[dialect(app)]["replay"], replay
    assert all(
        "idempotency_keys" in s for s in replay.statements if s.split()[0] not in ("BEGIN", "COMMIT")
    ), replay
    assert not any("INSERT INTO orders" in s for s in replay.statements), replay
    assert (replay.checkouts, replay.driver_checkouts) == EXPECTED_CHECKOUTS[dialect(app)], replay


async def test_statement_count_does_not_grow_with_the_lines(app: FastAPI, v1: V1Client) -> None:
    await create(v1, with_lines(1), key=True)  # warm-up

    with counted(app.state.services.db) as one_line:
        await create(v1, with_lines(1), key=True)
    with counted(app.state.services.db) as five_lines:
        await create(v1, with_lines(5), key=True)

    assert len(one_line.statements) == EXPECTED_STATEMENTS[dialect(app)]["key"], one_line
    assert len(five_lines.statements) == len(one_line.statements), five_lines
    assert (five_lines.checkouts, five_lines.driver_checkouts) == EXPECTED_CHECKOUTS[dialect(app)], five_lines
