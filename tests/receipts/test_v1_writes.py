"""v1 only: ``POST /receipts`` (a sale closed elsewhere), ``PUT`` and ``DELETE /receipts/{id}``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.api import ApiClient, assert_error
from tests.support.lifecycle import accepted_order, money


def sale(**changes: Any) -> dict[str, Any]:
    """A closed sale in the shape of the docs' example: Fanta 0.5 L x2 and Pizza, 12.50 in cash."""
    body: dict[str, Any] = {
        "cid": str(uuid.uuid4()),
        "created_at": "2025-08-18 12:45:16",
        "closed_at": "2025-08-18 13:47:05",
        "user_id": 2,
        "customer_id": 10,
        "sale_type_id": 1,
        "guests": 2,
        "discount_type": 0,
        "discount_value": 0,
        "delivery_fee": 0,
        "by_cash": 12.5,
        "address": "",
        "meta": {"preprint_count": 0, "sale_type": {"name": "Yerinde"}},
        "payment_methods": [{"id": 1, "name": "Cash", "amount": 12.5}],
        "subtotal": 12.5,
        "total": 12.5,
        "receipt_products": [
            {"cid": str(uuid.uuid4()), "product_id": 111, "count": 2, "portion_size": 1, "is_gift": 0,
             "price": 2, "subtotal": 4, "total": 4},
            {"product_id": 101, "count": 1, "price": 8.5, "subtotal": 8.5, "total": 8.5,
             "meta": {"product": {"name": "Pizza", "price": 8.5}}},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


async def test_record_a_closed_sale(v1: ApiClient, v2: ApiClient) -> None:
    before = (await v1.get("/customers/10")).json()["data"]
    body = sale()
    answer = await v1.post("/receipts", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["message"] == "Receipt created"
    receipt = answer.json()["data"]
    assert receipt["cid"] == body["cid"] and receipt["status"] == 2 and receipt["source"] == "pos"
    assert (receipt["created_at"], receipt["closed_at"]) == ("2025-08-18 12:45:16", "2025-08-18 13:47:05")
    assert receipt["shift_date"] == "2025-08-18" and receipt["venue_id"] == 1 and receipt["user_id"] == 2
    assert money(receipt["remaining"]) == 0 and receipt["payment_methods"][0]["name"] == "Cash"
    fanta, pizza = receipt["receipt_products"]
    assert fanta["cid"] == body["receipt_products"][0]["cid"] and fanta["is_gift"] is False
    assert fanta["seller_id"] == 2 and fanta["meta"]["product"]["name"] == "Fanta 0.5 L"
    assert pizza["meta"] == {"product": {"name": "Pizza", "price": 8.5}}
    ops = (await v2.get(f"/receipts/{receipt['id']}/stock-operations")).json()["data"]
    assert [(op["product_id"], money(op["quantity"])) for op in ops] == [(111, 2)]
    assert money(ops[0]["after_quantity"]) == 98 and ops[0]["operated_at"] == "2025-08-18 13:47:05"
    after = (await v1.get("/customers/10")).json()["data"]
    assert after["receipt_count"] == before["receipt_count"] + 1
    assert money(after["spent"]) == money(before["spent"]) + money("12.5")
    assert (await v1.get("/receipts", params={"date[0]": "2025-08-18", "date[1]": "2025-08-18"})).json()[
        "total"
    ] == 1


async def test_times_as_epoch_milliseconds_and_defaults(v1: ApiClient) -> None:
    answer = await v1.post("/receipts", json=sale(created_at=1755521116000, closed_at="1755524825000"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["created_at"] == "2025-08-18 12:45:16"
    assert answer.json()["data"]["closed_at"] == "2025-08-18 13:47:05"
    bare = {"cid": str(uuid.uuid4()), "payment_methods": [{"id": 2, "name": "Card", "amount": "3"}],
            "subtotal": 3, "total": "3.00"}  # fmt: skip
    minimal = await v1.post("/receipts", json=bare)
    assert minimal.status_code == 201, minimal.text
    data = minimal.json()["data"]
    assert data["receipt_products"] == [] and data["closed_at"] >= data["created_at"] and data["user_id"] == 1


async def test_a_repeated_cid_is_409(v1: ApiClient) -> None:
    body = sale()
    assert (await v1.post("/receipts", json=body)).status_code == 201
    got = assert_error(await v1.post("/receipts", json=sale(cid=body["cid"])), 409, "conflict")
    assert body["cid"] in got["message"]
    demo = assert_error(
        await v1.post("/receipts", json=sale(cid="d24a6181-0f26-5aa9-97e5-cf5036fce0a7")), 409, "conflict"
    )
    assert demo["code"] == "conflict"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"cid": "nope"}, "cid"),
        ({"cid": None}, "cid"),
        ({"payment_methods": []}, "payment_methods"),
        ({"total": 12.49}, "payment_methods"),
        ({"total": None}, "total"),
        ({"subtotal": "x"}, "subtotal"),
        ({"closed_at": "2025-08-18 12:45:15"}, "closed_at"),
        ({"created_at": "soon"}, "created_at"),
        ({"customer_id": 10000}, "customer_id"),
        ({"user_id": 10000}, "user_id"),
        ({"sale_type_id": 10000}, "sale_type_id"),
        ({"receipt_products": [{"product_id": 10000, "count": 1}]}, "receipt_products[0].product_id"),
        ({"receipt_products": [{"product_id": 111, "count": 0}]}, "receipt_products[0].count"),
        ({"receipt_products": {"product_id": 111}}, "receipt_products"),
        ({"payment_methods": [{"id": 10000, "name": "Cash", "amount": 12.5}]}, "payment_methods[0].id"),
    ],
    ids=[
        "bad-cid",
        "no-cid",
        "no-payments",
        "sum-off",
        "no-total",
        "bad-subtotal",
        "closed-before-created",
        "bad-created-at",
        "foreign-customer",
        "foreign-user",
        "foreign-sale-type",
        "foreign-product",
        "zero-count",
        "lines-not-a-list",
        "foreign-payment-method",
    ],
)
async def test_bad_sales_are_400_and_write_nothing(v1: ApiClient, changes: dict, field: str) -> None:
    got = assert_error(await v1.post("/receipts", json=sale(**changes)), 400, "validation_failed")
    assert field in [e.get("field") for e in got["error"]], got
    assert (await v1.get("/receipts")).json()["total"] == 2


async def test_put_updates_editable_fields(v1: ApiClient) -> None:
    current = (await v1.get("/receipts/1")).json()["data"]
    body = {**current, "order_status": "READY", "description": "table by the window", "guests": 3,
            "meta_customer": {"id": 9, "name": "Rahid Akhundzada"}}  # fmt: skip
    answer = await v1.put("/receipts/1", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "Operation completed successfully"
    receipt = answer.json()["data"]
    assert (receipt["order_status"], receipt["description"], receipt["guests"]) == (
        "READY",
        "table by the window",
        3,
    )
    assert receipt["customer_id"] == 9 and receipt["status"] == 1
    via_meta = await v1.put("/receipts/1", json={"id": 1, "meta": {"customer": {"id": 11}}})
    assert via_meta.json()["data"]["customer_id"] == 11


async def test_put_closes_an_open_receipt(v1: ApiClient) -> None:
    body = {"id": 1, "cid": "d24a6181-0f26-5aa9-97e5-cf5036fce0a7", "closed_at": "2025-01-13 21:00:00",
            "payment_methods": [{"id": 1, "name": "Cash", "amount": 8.5}]}  # fmt: skip
    answer = await v1.put("/receipts/1", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "Receipt closed"
    assert (
        answer.json()["data"]["status"] == 2 and answer.json()["data"]["closed_at"] == "2025-01-13 21:00:00"
    )
    again = await v1.put("/receipts/1", json={**body, "fiscal_id": "F-1"})  # same payments: ignored
    assert again.status_code == 200 and again.json()["data"]["fiscal_id"] == "F-1"
    other = {**body, "payment_methods": [{"id": 2, "name": "Card", "amount": 8.5}]}
    assert_error(await v1.put("/receipts/1", json=other), 409, "conflict")


async def test_put_keeps_the_figures(v1: ApiClient) -> None:
    same = await v1.put("/receipts/2", json={"id": 2, "total": 8.5, "subtotal": "8.50", "order_number": "7"})
    assert same.status_code == 200 and same.json()["data"]["order_number"] == "7"
    got = assert_error(await v1.put("/receipts/2", json={"id": 2, "total": 9}), 409, "conflict")
    assert "total is 8.5" in got["message"]
    assert_error(await v1.put("/receipts/1", json={"id": 1, "delivery_fee": 1}), 409, "conflict")
    assert money((await v1.get("/receipts/2")).json()["data"]["total"]) == money("8.5")


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"id": 2}, 400, "validation_failed"),
        ({"cid": "8136ac18-fe81-50ff-887a-4ffcf8666d0e"}, 400, "validation_failed"),
        ({"order_status": "DONE"}, 400, "validation_failed"),
        ({"customer_id": 10000}, 400, "validation_failed"),
        ({"closed_at": "2025-01-13 21:00:00"}, 400, "validation_failed"),
        ({"payment_methods": [{"id": 1, "name": "Cash", "amount": 8}]}, 400, "validation_failed"),
    ],
    ids=["other-id", "other-cid", "bad-order-status", "foreign-customer", "closed-at-alone", "short-payment"],
)
async def test_put_refusals(v1: ApiClient, body: dict, status: int, code: str) -> None:
    assert_error(await v1.put("/receipts/1", json=body), status, code)
    assert (await v1.get("/receipts/1")).json()["data"]["status"] == 1


async def test_put_on_a_locked_receipt(v1: ApiClient) -> None:
    await v1.request("PATCH", "/receipts/1", json={"lock": True})
    assert_error(await v1.put("/receipts/1", json={"order_status": "READY"}), 409, "conflict")
    assert (await v1.put("/receipts/1", json={"lock": False})).json()["data"]["lock"] is False


async def test_delete_gives_back_stock_and_refuses_twice(v1: ApiClient, v2: ApiClient) -> None:
    receipt = (await v1.post("/receipts", json=sale())).json()["data"]
    fanta_level = (await v2.get(f"/receipts/{receipt['id']}/stock-operations")).json()["data"][0]
    answer = await v1.request("DELETE", f"/receipts/{receipt['id']}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "Receipt removed successfully"
    assert_error(await v1.get(f"/receipts/{receipt['id']}"), 404, "not_found")
    got = assert_error(await v1.request("DELETE", f"/receipts/{receipt['id']}"), 404, "not_found")
    assert got["message"] == "Receipt not found"
    again = (await v1.post("/receipts", json=sale())).json()["data"]  # the level is back at 100
    ops = (await v2.get(f"/receipts/{again['id']}/stock-operations")).json()["data"]
    assert money(ops[0]["before_quantity"]) == money(fanta_level["before_quantity"]) == 100
    assert (await v1.get("/customers/10")).json()["data"]["receipt_count"] == 1


async def test_delete_refusals(v1: ApiClient, other_v1: ApiClient) -> None:
    order, receipt = await accepted_order(v1)
    got = assert_error(await v1.request("DELETE", f"/receipts/{receipt['id']}"), 409, "conflict")
    assert f"order {order['id']}" in got["message"]
    assert_error(await other_v1.request("DELETE", "/receipts/1"), 404, "not_found")
    assert_error(await v1.http.delete("/open-api/receipts/1"), 401, "unauthorized")
    await v1.request("PATCH", "/receipts/1", json={"lock": True})
    assert_error(await v1.request("DELETE", "/receipts/1"), 409, "conflict")
    assert (await v1.get("/receipts")).json()["total"] == 3


async def test_v1_writes_do_not_exist_under_v2(v2: ApiClient) -> None:
    """v2 serves other methods on these paths, so a v1-only method is a wrong method there: 405, and
    ``Allow`` does not offer it."""
    for answer, method in (
        (await v2.post("/receipts", json=sale()), "POST"),
        (await v2.put("/receipts/1", json={"order_status": "READY"}), "PUT"),
        (await v2.request("DELETE", "/receipts/1"), "DELETE"),
    ):
        assert_error(answer, 405, "method_not_allowed")
        assert method not in answer.headers["allow"].split(", ")
    assert (await v2.get("/receipts")).json()["total"] == 2


async def test_foreign_brand_and_no_token(v1: ApiClient, other_v1: ApiClient, v2: ApiClient) -> None:
    assert_error(await other_v1.put("/receipts/1", json={"order_status": "READY"}), 404, "not_found")
    assert_error(await v1.http.post("/open-api/receipts", json=sale()), 401, "unauthorized")
    assert_error(
        await v1.http.put("/open-api/receipts/1", json={"order_status": "READY"}), 401, "unauthorized"
    )
    theirs = await other_v1.post(
        "/receipts",
        json=sale(
            user_id=None,
            customer_id=None,
            sale_type_id=10000,
            payment_methods=[{"id": 10000, "name": "Cash", "amount": 2}],
            subtotal=2,
            total=2,
            receipt_products=[{"product_id": 10002, "count": 1, "price": 2}],
        ),
    )
    assert theirs.status_code == 201, theirs.text
    receipt_id = theirs.json()["data"]["id"]
    assert_error(await v1.get(f"/receipts/{receipt_id}"), 404, "not_found")
    assert_error(await v1.request("PATCH", f"/receipts/{receipt_id}", json={"lock": True}), 404, "not_found")
    assert_error(await v1.post(f"/test-helpers/receipts/{receipt_id}/close"), 404, "not_found")
    assert_error(await v2.get(f"/receipts/{receipt_id}/stock-operations"), 404, "not_found")
    assert (await other_v1.get(f"/receipts/{receipt_id}")).json()["data"]["lock"] is False
