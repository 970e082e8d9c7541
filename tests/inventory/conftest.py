"""Fixtures of the inventory and access tests: the demo's v2 integrator, the other brand's, and operator
changes made through the same functions the CLI uses (a scope revoked, a role given)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from clopos_server.auth.access import change_scopes, set_role
from clopos_server.db.engine import Database
from clopos_server.inventory.operator import record_at_venue
from clopos_server.services import Services
from tests.board.conftest import browser, server  # noqa: F401  (the browser tests of test_browser.py)
from tests.support.api import OTHER_BRAND_LOGIN, TEST_INTEGRATOR, ApiClient

DEMO = "openapitest"
BAR = 4  # the demo's second storage at venue 1

Change = Callable[..., Awaitable[None]]


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


@pytest.fixture
def database(app: FastAPI) -> Database:
    """The app's own database (writes here are what the API reads)."""
    return services_of(app).db


@pytest.fixture
async def v2(client: httpx.AsyncClient) -> ApiClient:
    """The demo brand's test integrator (every scope) as staff user 1 (owner: every ability)."""
    return await ApiClient.login(client, "v2")


@pytest.fixture
async def other_v2(client: httpx.AsyncClient) -> ApiClient:
    """The ``demo-other`` brand under v2 (its production integrator)."""
    return await ApiClient.login(client, "v2", **OTHER_BRAND_LOGIN)


@pytest.fixture
def revoke_scope(app: FastAPI) -> Change:
    async def change(scope: str) -> None:
        services = services_of(app)
        await change_scopes(services.db, TEST_INTEGRATOR, remove=[scope])
        await services.directory.refresh(services.db)

    return change


@pytest.fixture
def give_role(app: FastAPI) -> Change:
    """Give the demo client's staff user (``owner``) another role."""

    async def change(role: str) -> None:
        await set_role(services_of(app).db, DEMO, "owner", role)

    return change


Record = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def record(database: Database) -> Record:
    """Record a document at venue 1 of the demo as the CLI does (published unless ``publish=False``)."""

    async def write(publish: bool = True, venue: int = 1, **body: Any) -> dict[str, Any]:
        return await record_at_venue(database, DEMO, venue, body, publish=publish)

    return write


def closed_sale(*lines: tuple[int, int]) -> dict[str, Any]:
    """A v1 closed sale of ``(product_id, count)`` lines at 2.00 each, paid in cash."""
    total = sum(2 * count for _, count in lines)
    return {
        "cid": str(uuid.uuid4()),
        "payment_methods": [{"id": 1, "name": "Cash", "amount": total}],
        "subtotal": total,
        "total": total,
        "receipt_products": [
            {"product_id": product, "count": count, "price": 2, "subtotal": 2 * count, "total": 2 * count}
            for product, count in lines
        ],
    }
