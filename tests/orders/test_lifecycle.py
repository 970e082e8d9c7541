"""The order lifecycle: accept (an open receipt in the same transaction), ignore, deliver, auto-accept,
the stop list spent at accept, races, history, events, the test helpers and the CLI."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from fastapi import FastAPI
from tests.support.api import ApiClient, assert_error, example
from tests.support.cli import run_cli
from tests.support.lifecycle import (
    accept,
    accepted_order,
    create_order,
    helper,
    line,
    money,
    order_body,
    other_brand_order,
    set_limit,
)

from clopos_server import jsonio
from clopos_server.events.bus import channel_name


async def test_accept_opens_a_receipt_with_the_orders_figures(api: ApiClient) -> None:
    order, receipt = await accepted_order(api)
    assert order["status"] == "RECEIVED" and isinstance(order["receipt_id"], int)
    assert receipt["id"] == order["receipt_id"] and receipt["service_notification_id"] == order["id"]
    assert (receipt["status"], receipt["order_status"], receipt["source"], receipt["guests"]) == (
        1,
        "NEW",
        "web",
        1,
    )
    assert uuid.UUID(receipt["cid"]) and receipt["lock"] is False and receipt["payment_methods"] == []
    assert (receipt["venue_id"], receipt["customer_id"], receipt["sale_type_id"]) == (1, 9, 2)
    assert receipt["user_id"] == 1 and receipt["closed_at"] is None
    assert len(receipt["created_at"]) == 19 and receipt["created_at"][10] == " "
    assert len(receipt["shift_date"]) == 10
    pricing = order["pricing"]
    assert money(receipt["subtotal"]) == money(pricing["subtotal"]) == money("18.00")
    assert money(receipt["total_discount"]) == money("1.80") and money(receipt["total"]) == money("16.20")
    assert money(receipt["remaining"]) == money("16.20")
    assert (receipt["discount_type"], money(receipt["discount_value"]), money(receipt["discount_rate"])) == (
        1,
        10,
        10,
    )
    assert money(receipt["total_tax"]) == 0 and money(receipt["delivery_fee"]) == 0
    [product] = receipt["receipt_products"]
    assert product["product_id"] == 1 and product["count"] == 1 and product["seller_id"] == 1
    assert money(product["subtotal"]) == 18 and money(product["receipt_discount"]) == money("1.8")
    assert money(product["total"]) == money("16.2") and product["product_hash"] == "MTExODcsMTEyMDE="
    assert [m["modificator_id"] for m in product["receipt_product_modificators"]] == [187, 201]
    assert [money(m["price"]) for m in product["receipt_product_modificators"]] == [3, 15]
    assert product["meta"]["product"]["type"] == "DISH"


async def test_auto_accept_answers_received_with_the_receipt(api: ApiClient) -> None:
    answer = await api.post("/orders", json=order_body(auto_order_accept=True))
    assert answer.status_code == 201, answer.text
    order = answer.json()["data"]
    assert order["status"] == "RECEIVED" and isinstance(order["receipt_id"], int)
    assert answer.json()["message"] == "Order created"
    shown = (await api.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"]
    assert [h["status"] for h in shown["history"]] == ["PENDING", "RECEIVED"]
    receipt = (await api.get(f"/receipts/{order['receipt_id']}")).json()["data"]
    assert money(receipt["total"]) == money(order["total"])


async def test_order_shows_its_receipt_columns(api: ApiClient) -> None:
    order, _receipt = await accepted_order(api)
    answer = await api.get(
        f"/orders/{order['id']}", params={"with[0]": "receipt:id,service_notification_id,status"}
    )
    assert answer.json()["data"]["receipt"] == {
        "id": order["receipt_id"],
        "service_notification_id": order["id"],
        "status": 1,
    }


async def test_illegal_transitions_are_409_naming_the_current_status(api: ApiClient) -> None:
    order = await create_order(api)
    got = assert_error(await helper(api, f"/orders/{order['id']}/deliver"), 409, "conflict")
    assert "PENDING" in got["message"]
    await accept(api, order["id"])
    for action in ("accept", "ignore"):
        got = assert_error(await helper(api, f"/orders/{order['id']}/{action}"), 409, "conflict")
        assert "RECEIVED" in got["message"]
    got = assert_error(await api.put(f"/orders/{order['id']}", json={"status": "IGNORE"}), 409, "conflict")
    assert "RECEIVED" in got["message"]
    delivered = await helper(api, f"/orders/{order['id']}/deliver")
    assert delivered.status_code == 200 and delivered.json()["data"]["status"] == "DELIVERED"
    assert_error(await helper(api, f"/orders/{order['id']}/deliver"), 409, "conflict")
    history = (await api.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"][
        "history"
    ]
    assert [h["status"] for h in history] == ["PENDING", "RECEIVED", "DELIVERED"]
    assert all(h["by"] and h["at"].endswith("Z") for h in history)
    assert history[1]["by"].startswith("test-helper:client:")


async def test_ignore_then_nothing_else(api: ApiClient) -> None:
    order = await create_order(api)
    ignored = await helper(api, f"/orders/{order['id']}/ignore")
    assert ignored.status_code == 200 and ignored.json()["data"]["status"] == "IGNORE"
    assert ignored.json()["data"]["receipt_id"] is None
    got = assert_error(await helper(api, f"/orders/{order['id']}/accept"), 409, "conflict")
    assert "IGNORE" in got["message"]
    assert (await api.get("/receipts", params={"filters[0][0]": "status", "filters[0][1]": "1"})).json()[
        "total"
    ] == 1  # only the demo's open receipt


async def test_a_large_number_in_free_form_meta_lives_through_the_orders_life(api: ApiClient) -> None:
    """A free-form number stored as an integer literal past 64 bits (``1E+23`` is written
    ``100000000000000000000000``) is read back as a Decimal: ignoring such an order answered 500 when the
    event's previous attributes wrote it again (found by the fuzz run)."""
    body = example("create-order.v1.request.json")
    body["payload"]["meta"]["extra"] = "exponent"
    content = jsonio.dumps(body).replace(b'"exponent"', b"1e23")  # as the integrator wrote it
    headers = {"content-type": "application/json"}
    created = await api.post("/orders", content=content, headers=headers)
    assert created.status_code == 201, created.text
    order_id = created.json()["data"]["id"]
    ignored = await helper(api, f"/orders/{order_id}/ignore")
    assert ignored.status_code == 200, ignored.text
    got = await api.get(f"/orders/{order_id}")
    assert got.status_code == 200, got.text
    assert jsonio.loads_exact(got.content)["data"]["payload"]["meta"]["extra"] == Decimal("1E+23")


async def test_simultaneous_accepts_of_different_orders_all_succeed(api: ApiClient) -> None:
    """Each order gets its own receipt even when the accepts race (as two staff members on one board)."""
    orders = [await create_order(api) for _ in range(5)]
    answers = await asyncio.gather(*(helper(api, f"/orders/{order['id']}/accept") for order in orders))
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    receipts = (await api.get("/receipts", params={"sort[0]": "id", "limit": 200})).json()["data"]
    made = [r["service_notification_id"] for r in receipts]
    assert all(made.count(order["id"]) == 1 for order in orders), made


async def test_two_simultaneous_accepts_one_wins(api: ApiClient) -> None:
    order = await create_order(api)
    answers = await asyncio.gather(*(helper(api, f"/orders/{order['id']}/accept") for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert_error(loser, 409, "conflict")
    receipts = (await api.get("/receipts", params={"sort[0]": "id", "limit": 200})).json()["data"]
    assert [r["service_notification_id"] for r in receipts].count(order["id"]) == 1
    history = (await api.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"][
        "history"
    ]
    assert [h["status"] for h in history] == ["PENDING", "RECEIVED"]


async def test_sold_out_between_create_and_accept_keeps_the_order_pending(
    api: ApiClient, db_url: str
) -> None:
    order = await create_order(api, products=[line(57, 2)])  # Baklava: 3 left
    await set_limit(db_url, 57, 1)
    got = assert_error(await helper(api, f"/orders/{order['id']}/accept"), 409, "conflict")
    assert got["message"].startswith("Baklava: 2 ordered, but only 1 left") and "PENDING" in got["message"]
    still = (await api.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"]
    assert still["status"] == "PENDING" and still["receipt_id"] is None
    assert [h["status"] for h in still["history"]] == ["PENDING"]
    assert (await api.get("/receipts")).json()["total"] == 2  # the demo's two, no half-written third
    await set_limit(db_url, 57, 0)
    got = assert_error(await helper(api, f"/orders/{order['id']}/accept"), 409, "conflict")
    assert got["message"].startswith("Baklava is sold out")
    await set_limit(db_url, 57, 3)
    await accept(api, order["id"])
    stop = (await api.get("/products/stop-list")).json()["data"]
    assert {s["id"]: s["limit"] for s in stop}[57] == 1


async def test_accept_spends_the_stop_list_so_the_next_order_is_refused(api: ApiClient) -> None:
    first = await create_order(api, products=[line(57, 3)])
    second = await create_order(api, products=[line(57, 1)])  # created while 3 were still left
    await accept(api, first["id"])
    got = assert_error(await helper(api, f"/orders/{second['id']}/accept"), 409, "conflict")
    assert "Baklava is sold out" in got["message"]


async def test_events_are_published_after_commit(api: ApiClient, app: FastAPI) -> None:
    services = app.state.services
    brand = services.directory.brands_by_slug["openapitest"]
    queue = services.events.subscribe(channel_name(brand.id, 1))
    order = await create_order(api)
    await accept(api, order["id"])
    events = [queue.get_nowait() for _ in range(queue.qsize())]
    assert [e["type"] for e in events] == ["order.created", "order.accepted"]  # the event log's types
    assert events[-1]["order"]["status"] == "RECEIVED" and events[-1]["order"]["receipt_id"]
    await helper(api, f"/orders/{order['id']}/accept")  # refused: nothing published
    assert queue.empty()


async def test_helpers_need_a_token_a_test_brand_and_the_brands_order(
    api: ApiClient, other_api: ApiClient
) -> None:
    order = await create_order(api)
    for path in (f"/orders/{order['id']}/accept", f"/receipts/{order['id']}/close"):
        assert_error(await api.http.post(f"{api.prefix}/test-helpers{path}"), 401, "unauthorized")
        got = assert_error(await helper(other_api, path), 403, "forbidden")
        assert "test brands" in got["message"]
    theirs = await create_order(other_api, other_brand_order())
    assert_error(await helper(api, f"/orders/{theirs['id']}/accept"), 404, "resource_not_found")
    assert_error(await helper(api, "/orders/abc/accept"), 400, "invalid_parameter")
    assert_error(await helper(api, f"/orders/{order['id']}/accept", content=b"[1]"), 400, "validation_failed")
    assert (await api.get(f"/orders/{order['id']}")).json()["data"]["status"] == "PENDING"


@pytest.mark.parametrize("action, status", [("accept", "RECEIVED"), ("ignore", "IGNORE")])
async def test_cli_acts_on_an_order(v1: ApiClient, db_url: str, action: str, status: str) -> None:
    order = await create_order(v1)

    async def cli(*args: str) -> tuple[int, str]:
        done = await run_cli(db_url, *args)
        return done.returncode, done.output

    code, output = await cli("orders", action, str(order["id"]), "--brand", "openapitest")
    assert code == 0, output
    assert f"order {order['id']} is {status}" in output
    shown = (await v1.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"]
    assert shown["status"] == status and shown["history"][-1]["by"] == "cli"
    assert (shown["receipt_id"] is not None) == (action == "accept")
    code, output = await cli("orders", action, str(order["id"]), "--brand", "openapitest")
    assert code == 1 and status in output
    code, output = await cli("orders", "deliver", "999999", "--brand", "openapitest")
    assert code == 1 and "Order not found" in output
    code, output = await cli("orders", "deliver", "1", "--brand", "nope")
    assert code == 1 and "no brand" in output
