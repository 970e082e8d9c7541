"""The catalogue reads' SQL statements, counted (not timed), on both databases (decision 0004).

``GET /products?limit=100&with[]=modificator_groups`` (the bench's page) loads the catalogue snapshot once
per catalogue version, one statement per table; after that a page needs no statement and no connection,
whether it is rendered from the snapshot (a query not asked before) or found in the page cache (asked
before). A catalogue change moves the version: the next page loads the snapshot again, once. The stop
list stays a database read on every request. Counting is tests/support/counting.py's
(statements of the request's own task, wherever they leave the process).

Change the expected counts only on purpose, and preferably downwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from clopos_server import jsonio
from clopos_server.catalog.importer import export_brand, import_brand
from clopos_server.services import Services
from clopos_server.settings import Settings
from tests.support.api import V1Client
from tests.support.counting import Counted, counted

PAGE = {"limit": "100", "with[]": "modificator_groups"}
# Loading the snapshot: the 16 tables of catalog/memory.py's load_rows and the active price lists, in one
# read transaction (SQLite: its BEGIN is a statement too; PostgreSQL: BEGIN and COMMIT are asyncpg's).
EXPECTED_LOAD = {"sqlite": 18, "postgresql": 19}
# (SQLAlchemy's pool, the driver's pool) checkouts of a request that reads the database.
EXPECTED_CHECKOUTS = {"sqlite": (1, 0), "postgresql": (1, 0)}
# GET /products/stop-list: the page and its count, in one read transaction.
EXPECTED_STOP_LIST = {"sqlite": 3, "postgresql": 4}


@pytest.fixture
def settings(db_url: str) -> Settings:
    """No directory refresh and no webhook dispatcher during a counted request (background work on the
    same engine)."""
    return Settings(
        database_url=db_url,
        rate_limits="off",
        secret_key="test-secret-key-0123456789",
        revocation_refresh_seconds=60,
        webhook_dispatcher="off",
    )


def dialect(app: FastAPI) -> str:
    name: str = app.state.services.db.dialect
    return name


def pools(seen: Counted) -> tuple[int, int]:
    return seen.checkouts, seen.driver_checkouts


async def _page(v1: V1Client, app: FastAPI, **params: str) -> tuple[Counted, Any]:
    with counted(app.state.services.db) as seen:
        answer = await v1.get("/products", params={**PAGE, **params})
    assert answer.status_code == 200, answer.text
    return seen, answer.json()


async def test_a_products_page_reads_the_database_once_per_catalogue_version(
    app: FastAPI, v1: V1Client
) -> None:
    services: Services = app.state.services
    kind = dialect(app)

    cold, first = await _page(v1, app)
    assert len(cold.statements) == EXPECTED_LOAD[kind] and pools(cold) == EXPECTED_CHECKOUTS[kind], cold
    from_snapshot, other = await _page(v1, app, limit="50")
    assert from_snapshot.statements == [] and pools(from_snapshot) == (0, 0), from_snapshot
    cached, again = await _page(v1, app)
    assert cached.statements == [] and pools(cached) == (0, 0), cached
    assert again["data"] == first["data"] and other["data"] == first["data"][:50]

    document = jsonio.loads(jsonio.dumps(await export_brand(services.db, "openapitest")))
    document["products"][0]["name"] = "Renamed by an import"
    await import_brand(services.db, document)
    await services.directory.refresh(services.db)
    reload, changed = await _page(v1, app)
    assert len(reload.statements) == EXPECTED_LOAD[kind] and pools(reload) == EXPECTED_CHECKOUTS[kind], reload
    assert changed["data"][0]["name"] == "Renamed by an import"
    after, _ = await _page(v1, app)
    assert after.statements == [] and pools(after) == (0, 0), after


async def test_the_stop_list_is_read_on_every_request(app: FastAPI, v1: V1Client) -> None:
    await _page(v1, app)  # the snapshot is held: the stop list still goes to the database
    for _ in range(2):
        with counted(app.state.services.db) as seen:
            answer = await v1.get("/products/stop-list")
        assert answer.status_code == 200, answer.text
        assert (
            len(seen.statements) == EXPECTED_STOP_LIST[dialect(app)]
            and pools(seen) == EXPECTED_CHECKOUTS[dialect(app)]
        ), seen
