"""Every writer records its event in the change's own transaction, with the object as GET by id renders it."""

from __future__ import annotations

from typing import Any

from clopos_server.catalog.service import clear_stop_limit
from clopos_server.db.engine import Database
from tests.events.conftest import events_until, feed, now
from tests.receipts.test_close import CASH
from tests.receipts.test_v1_writes import sale
from tests.support.api import ApiClient, example
from tests.support.lifecycle import accept, create_order, line, order_body, set_limit


def order_body_with(product_id: int) -> dict[str, Any]:
    """The documented order with one line of ``product_id`` (its total left for the server to work out)."""
    body = order_body(products=[line(product_id)])
    body["payload"]["meta"].pop("orderTotal", None)
    return body


async def read_back(api: ApiClient, path: str) -> dict[str, Any]:
    answer = await api.get(path)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_order_created_rides_with_the_order(v2: ApiClient) -> None:
    start = await now(v2)
    order = await create_order(v2, example("create-order.v1.request.json"))
    [event] = await events_until(v2, 1, after=start)
    assert (event["type"], event["venue_id"]) == ("order.created", order["venue_id"])
    assert event["data"] == {"object": await read_back(v2, f"/orders/{order['id']}")}
    assert event["created_at"] == order["created_at"]


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


async def test_an_order_driven_through_its_life(v2: ApiClient, v1: ApiClient) -> None:
    """Accept (receipt.created, order.accepted), close (receipt.closed, order.delivered): each event's object
    as read back by id, an update's previous_attributes holding the changed fields' old values."""
    order = await create_order(v2, example("create-order.v1.request.json"))
    start = await now(v2)
    accepted = await accept(v2, order["id"])
    opened, moved = await events_until(v2, 2, after=start)
    assert kinds([opened, moved]) == ["receipt.created", "order.accepted"]
    assert opened["data"] == {"object": await read_back(v2, f"/receipts/{accepted['receipt_id']}")}
    assert moved["data"]["object"] == accepted
    assert moved["data"]["previous_attributes"] == {"status": "PENDING", "receipt_id": None}

    total = accepted["total"]
    answer = await v2.post(
        f"/receipts/{accepted['receipt_id']}/close", json={"payment_methods": [{**CASH, "amount": total}]}
    )
    assert answer.status_code == 200, answer.text
    closed, delivered = await events_until(v2, 2, after=moved["cursor"])
    assert kinds([closed, delivered]) == ["receipt.closed", "order.delivered"]
    assert closed["data"]["object"] == await read_back(v2, f"/receipts/{accepted['receipt_id']}")
    assert closed["data"]["previous_attributes"]["status"] == 1
    assert delivered["data"]["previous_attributes"] == {"status": "RECEIVED"}
    assert delivered["data"]["object"] == await read_back(v2, f"/orders/{order['id']}")


async def test_an_ignore_by_the_integrator(v2: ApiClient) -> None:
    order = await create_order(v2, example("create-order.v1.request.json"))
    start = await now(v2)
    assert (await v2.put(f"/orders/{order['id']}", json={"status": "IGNORE"})).status_code == 200
    [ignored] = await events_until(v2, 1, after=start)
    assert ignored["type"] == "order.ignored" and ignored["data"]["previous_attributes"] == {
        "status": "PENDING"
    }


async def test_receipt_patch_and_the_v1_writes(v2: ApiClient, v1: ApiClient) -> None:
    start = await now(v2)
    patched = await v2.request("PATCH", "/receipts/1", json={"order_number": "E-1"})
    assert patched.status_code == 200, patched.text
    assert (await v2.request("PATCH", "/receipts/1", json={"order_number": "E-1"})).status_code == 200
    [updated] = await events_until(v2, 1, after=start)  # the second PATCH changed nothing: no event
    assert updated["type"] == "receipt.updated"
    assert updated["data"] == {
        "object": patched.json()["data"],
        "previous_attributes": {"order_number": None},
    }

    recorded = await v1.post("/receipts", json=sale())
    assert recorded.status_code == 201, recorded.text
    receipt_id = recorded.json()["data"]["id"]
    assert (await v1.request("DELETE", f"/receipts/{receipt_id}")).status_code == 200
    created, closed, deleted = await events_until(v2, 3, after=updated["cursor"])
    assert kinds([created, closed, deleted]) == ["receipt.created", "receipt.closed", "receipt.deleted"]
    assert created["data"]["object"] == closed["data"]["object"] == deleted["data"]["object"]
    assert created["data"]["object"]["id"] == receipt_id


async def test_stop_list_limits_set_cleared_and_spent(v2: ApiClient, db_url: str) -> None:
    start = await now(v2)
    await set_limit(db_url, 57, 3)
    order = await create_order(v2, order_body_with(57))
    await accept(v2, order["id"])
    events = await events_until(v2, 2, after=start, **{"types[]": "stop_list.updated"})
    assert [e["data"]["object"]["limit"] for e in events[:2]] == [3, 2]
    assert all(e["data"]["object"]["id"] == 57 and e["venue_id"] is None for e in events[:2])
    db = Database(db_url, pool_size=1)
    try:
        assert await clear_stop_limit(db, "openapitest", 57)
    finally:
        await db.dispose()
    [cleared] = await events_until(v2, 1, after=events[1]["cursor"], **{"types[]": "stop_list.updated"})
    assert cleared["data"]["object"]["limit"] is None


async def test_the_demo_import_recorded_catalog_updated(v2: ApiClient) -> None:
    [imported] = (await feed(v2, after="0", **{"types[]": "catalog.updated"}))["data"][:1]
    assert imported["data"]["object"]["brand"] == "openapitest"
    assert imported["data"]["object"]["created"]["products"] > 0
