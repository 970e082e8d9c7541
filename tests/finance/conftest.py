"""Fixtures of the finance tests: the demo brand's v2 integrator, and the operator changes that take a
scope, an ability or the cash_shift module away (through the same functions the CLI uses)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, update

from clopos_server.auth.access import change_scopes, set_role
from clopos_server.db.backoffice_models import Role
from clopos_server.db.models import Brand
from clopos_server.services import Services
from tests.support.api import TEST_INTEGRATOR, ApiClient

DEMO = "openapitest"
CASH_ACCOUNT, CARD_ACCOUNT = 1, 2
DEMO_SHIFT = "0b5e7c1a-4f2d-4e8b-9a3c-5d6e7f801234"


@pytest.fixture
async def v2(client: httpx.AsyncClient) -> ApiClient:
    """The demo brand's test integrator (every scope) as staff user 1 (owner: every ability); the demo
    brand has every module."""
    return await ApiClient.login(client, "v2")


def _services(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


Change = Callable[..., Awaitable[None]]


@pytest.fixture
def revoke_scope(app: FastAPI) -> Change:
    async def change(scope: str) -> None:
        services = _services(app)
        await change_scopes(services.db, TEST_INTEGRATOR, remove=[scope])
        await services.directory.refresh(services.db)

    return change


@pytest.fixture
def powerless_owner(app: FastAPI) -> Change:
    """Give staff user 1 (the demo client's) a custom role with no ability."""

    async def change() -> None:
        services = _services(app)
        async with services.db.write() as conn:
            await conn.execute(insert(Role).values(brand_id=1, name="nobody", abilities=[]))
        await set_role(services.db, DEMO, "owner", "nobody")

    return change


@pytest.fixture
def without_module(app: FastAPI) -> Change:
    async def change(module: str) -> None:
        services = _services(app)
        async with services.db.write() as conn:
            modules = [m for m in ("cash_shift", "restaurant_emenu", "call_center") if m != module]
            await conn.execute(update(Brand).where(Brand.slug == DEMO).values(modules=modules))
        await services.directory.refresh(services.db)

    return change


async def account_amount(api: ApiClient, account_id: int) -> Decimal:
    answer = await api.get(f"/finance/balances/{account_id}")
    assert answer.status_code == 200, answer.text
    return Decimal(str(answer.json()["data"]["amount"]))


async def transactions(api: ApiClient, **filters: Any) -> list[dict[str, Any]]:
    params = {f"filters[{k}]": str(v) for k, v in filters.items()} | {"limit": "200"}
    answer = await api.get("/finance/transactions", params=params)
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data
