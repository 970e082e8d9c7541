"""Driving an order through its life over HTTP: create, the test helpers, receipts, and a few direct
database touches the API has no endpoint for (stop-list limits, a payment method switched off)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update

from clopos_server.catalog.service import set_stop_limit
from clopos_server.db.engine import Database
from clopos_server.db.models import PaymentMethodVenue
from tests.support.api import OTHER_BRAND_LOGIN, ApiClient, example

DEMO_BRAND = "openapitest"


def order_body(**payload_changes: Any) -> dict[str, Any]:
    """The documented create-order request, with keys of ``payload`` changed."""
    body = example("create-order.v1.request.json")
    body["payload"].update(copy.deepcopy(payload_changes))
    return body


def line(product_id: int, count: int | str = 1, *modifiers: int) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "count": count,
        "product_modificators": [{"modificator_id": m, "count": 1} for m in modifiers],
    }


async def create_order(api: ApiClient, body: dict[str, Any] | None = None, **payload_changes: Any) -> dict:
    answer = await api.post("/orders", json=body if body is not None else order_body(**payload_changes))
    assert answer.status_code in (200, 201), answer.text
    order: dict = answer.json()["data"]
    return order


async def helper(api: ApiClient, path: str, **kwargs: Any) -> httpx.Response:
    return await api.post(f"/test-helpers{path}", **kwargs)


async def accept(api: ApiClient, order_id: int) -> dict:
    answer = await helper(api, f"/orders/{order_id}/accept")
    assert answer.status_code == 200, answer.text
    order: dict = answer.json()["data"]
    return order


async def accepted_order(api: ApiClient, **payload_changes: Any) -> tuple[dict, dict]:
    """A new order, accepted: (the order, its receipt with lines)."""
    order = await accept(api, (await create_order(api, **payload_changes))["id"])
    receipt = await api.get(f"/receipts/{order['receipt_id']}")
    assert receipt.status_code == 200, receipt.text
    return order, receipt.json()["data"]


async def as_generation(api: ApiClient, generation: str) -> ApiClient:
    """The same brand logged in under the other prefix (v2: the close and stock-operation endpoints)."""
    if api.generation == generation:
        return api
    login = {} if api.brand == DEMO_BRAND else dict(OTHER_BRAND_LOGIN)
    return await ApiClient.login(api.http, generation, **login)


def money(value: Any) -> Decimal:
    return Decimal(str(value))


async def set_limit(db_url: str, product_id: int, limit: int) -> None:
    db = Database(db_url, pool_size=1)
    try:
        await set_stop_limit(db, DEMO_BRAND, product_id, limit)
    finally:
        await db.dispose()


async def switch_payment_method(db_url: str, method_id: int, venue_id: int, status: int) -> None:
    db = Database(db_url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.execute(
                update(PaymentMethodVenue)
                .where(
                    PaymentMethodVenue.payment_method_id == method_id, PaymentMethodVenue.venue_id == venue_id
                )
                .values(status=status)
            )
    finally:
        await db.dispose()


def other_brand_order() -> dict[str, Any]:
    """A valid order for ``demo-other`` (its own catalogue, ids from 10000)."""
    return {
        "customer_id": 0,
        "payload": {
            "service": {
                "sale_type_id": 10000,
                "sale_type_name": "Dine in",
                "venue_id": 1,
                "venue_name": "Other Main",
            },
            "customer": {"id": 0, "name": "Guest", "phone": "+994700000009"},
            "products": [{"product_id": 10002, "count": 1}],
            "meta": {},
        },
    }
