"""``POST /open-api/v2/receipts/{id}/close``: every rule, the stock it spends, the customer's figures, the
order delivered; and the refusals, none of which leaves anything half-written."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.support.api import ApiClient, assert_error
from tests.support.lifecycle import (
    accepted_order,
    as_generation,
    helper,
    line,
    money,
    switch_payment_method,
)

CASH = {"id": 1, "name": "Cash"}


def pay(*amounts: object, method: dict | None = None) -> dict:
    return {
        "payment_methods": [
            {**(method or CASH), "amount": str(a) if isinstance(a, Decimal) else a} for a in amounts
        ]
    }


async def customer(api: ApiClient, customer_id: int) -> dict:
    data: dict = (await api.get(f"/customers/{customer_id}")).json()["data"]
    return data


async def assert_untouched(v2: ApiClient, receipt_id: int) -> None:
    receipt = (await v2.get(f"/receipts/{receipt_id}")).json()["data"]
    assert receipt["status"] == 1 and receipt["closed_at"] is None and receipt["payment_methods"] == []
    assert money(receipt["remaining"]) == money(receipt["total"])
    assert (await v2.get(f"/receipts/{receipt_id}/stock-operations")).json()["data"] == []


async def test_close_an_open_pos_receipt(v2: ApiClient) -> None:
    answer = await v2.post("/receipts/1/close", json=pay("8.50"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["message"] == "Receipt closed"
    receipt = body["data"]
    assert receipt["status"] == 2 and money(receipt["remaining"]) == 0
    assert receipt["payment_methods"] == [{"id": 1, "name": "Cash", "amount": 8.5}]
    assert receipt["closed_at"] >= receipt["created_at"] and receipt["receipt_products"]
    assert (await v2.get("/receipts/1/stock-operations")).json()["data"] == []  # Pizza spends nothing


async def test_close_spends_stock_counts_for_the_customer_and_delivers(v2: ApiClient) -> None:
    before = await customer(v2, 9)
    order, receipt = await accepted_order(
        v2,
        products=[line(1, 2, 187, 201), line(111, 1)],
        meta={"discount": {"discount_type": 1, "discount_value": 10}},
    )
    total = money(receipt["total"])
    answer = await v2.post(f"/receipts/{receipt['id']}/close", json=pay(total))
    assert answer.status_code == 200, answer.text
    operations = (await v2.get(f"/receipts/{receipt['id']}/stock-operations")).json()["data"]
    spent = {op["product_id"]: op for op in operations}
    assert set(spent) == {301, 302, 111}
    tomato = spent[301]
    assert money(tomato["quantity"]) == money("0.2") and money(tomato["before_quantity"]) == 100
    assert money(tomato["after_quantity"]) == money("99.8") and money(tomato["cost"]) == money("0.8")
    assert money(tomato["total_cost"]) == money("0.16") and tomato["storage_id"] == 1
    assert tomato["product"] == {"id": 301, "name": "Test_Tomato"} and tomato["stock"]["storage"]["id"] == 1
    assert len(tomato["operated_at"]) == 19
    assert money(spent[302]["quantity"]) == money("0.1") and money(spent[111]["quantity"]) == 1
    lines = {p["id"]: p for p in answer.json()["data"]["receipt_products"]}
    assert {op["receipt_product_id"] for op in operations} == set(lines)
    after = await customer(v2, 9)
    assert after["receipt_count"] == before["receipt_count"] + 1
    assert money(after["spent"]) == money(before["spent"]) + total
    assert money(after["total_discount"]) == money(before["total_discount"]) + money(
        receipt["total_discount"]
    )
    shown = (await v2.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"]
    assert shown["status"] == "DELIVERED" and [h["status"] for h in shown["history"]][-1] == "DELIVERED"


async def test_a_second_close_spends_from_what_the_first_left(v2: ApiClient) -> None:
    for expected_before in (Decimal(100), Decimal("99.9")):
        _order, receipt = await accepted_order(v2)
        await v2.post(f"/receipts/{receipt['id']}/close", json=pay(receipt["total"]))
        ops = (await v2.get(f"/receipts/{receipt['id']}/stock-operations")).json()["data"]
        tomato = next(op for op in ops if op["product_id"] == 301)
        assert money(tomato["before_quantity"]) == expected_before


async def test_closing_the_receipt_of_a_delivered_order_leaves_it_delivered(v2: ApiClient) -> None:
    order, receipt = await accepted_order(v2)
    assert (await helper(v2, f"/orders/{order['id']}/deliver")).status_code == 200
    assert (await v2.post(f"/receipts/{receipt['id']}/close", json=pay("16.2"))).status_code == 200
    shown = (await v2.get(f"/orders/{order['id']}", params={"with[]": "history"})).json()["data"]
    assert shown["status"] == "DELIVERED"
    assert [h["status"] for h in shown["history"]] == ["PENDING", "RECEIVED", "DELIVERED"]


async def test_amounts_as_numbers_or_strings_split_over_methods(v2: ApiClient) -> None:
    body = {"payment_methods": [{**CASH, "amount": 5}, {"id": 2, "name": "Card", "amount": "3.50"}]}
    answer = await v2.post("/receipts/1/close", json=body)
    assert answer.status_code == 200, answer.text
    assert [money(p["amount"]) for p in answer.json()["data"]["payment_methods"]] == [5, money("3.5")]


async def test_closing_a_closed_receipt_is_409(v2: ApiClient) -> None:
    got = assert_error(await v2.post("/receipts/2/close", json=pay("8.50")), 409, "conflict")
    assert "already closed" in got["message"]


async def test_sum_off_by_a_cent_is_400_naming_both_sums(v2: ApiClient) -> None:
    for amount in ("8.49", "8.51", 8.49):
        got = assert_error(await v2.post("/receipts/1/close", json=pay(amount)), 400, "validation_failed")
        assert str(amount) in got["message"] and "8.5" in got["message"]
        assert got["error"][0]["field"] == "payment_methods"
    await assert_untouched(v2, 1)


async def test_disabled_or_unknown_method_is_400(v2: ApiClient, db_url: str) -> None:
    await switch_payment_method(db_url, 2, 1, 0)
    got = assert_error(
        await v2.post("/receipts/1/close", json=pay("8.50", method={"id": 2, "name": "Card"})),
        400,
        "validation_failed",
    )
    assert "not enabled at venue 1" in got["message"] and got["error"][0]["field"] == "payment_methods[0].id"
    got = assert_error(
        await v2.post("/receipts/1/close", json=pay("8.50", method={"id": 10000, "name": "Cash"})),
        400,
        "validation_failed",
    )
    assert "not a payment method of this brand" in got["message"]
    got = assert_error(
        await v2.post("/receipts/1/close", json=pay("8.50", method={"id": 3, "name": "Customer Balance"})),
        400,
        "validation_failed",
    )
    assert "needs a customer" in got["message"]
    await assert_untouched(v2, 1)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "payment_methods"),
        ({"payment_methods": []}, "payment_methods"),
        ({"payment_methods": {"id": 1}}, "payment_methods"),
        ({"payment_methods": [{"id": "x", "amount": 8.5}]}, "payment_methods[0].id"),
        ({"payment_methods": [{"id": 1, "amount": "eight"}]}, "payment_methods[0].amount"),
        ({"payment_methods": [{"id": 1, "amount": "-8.50"}]}, "payment_methods[0].amount"),
        ({"payment_methods": [{"id": 1, "amount": "8.500001"}]}, "payment_methods[0].amount"),
        ({"payment_methods": [{"id": 1, "amount": "NaN"}]}, "payment_methods[0].amount"),
        ({**pay("8.5"), "closed_at": "not a time"}, "closed_at"),
        ({**pay("8.5"), "id": 2}, "id"),
        ({**pay("8.5"), "cid": "8136ac18-fe81-50ff-887a-4ffcf8666d0e"}, "cid"),
    ],
    ids=[
        "no-payments",
        "empty",
        "object",
        "bad-id",
        "bad-amount",
        "negative",
        "too-precise",
        "nan",
        "bad-closed-at",
        "other-id",
        "other-cid",
    ],
)
async def test_bad_bodies_are_400(v2: ApiClient, body: dict, field: str) -> None:
    got = assert_error(await v2.post("/receipts/1/close", json=body), 400, "validation_failed")
    assert field in [e.get("field") for e in got["error"]]
    await assert_untouched(v2, 1)


async def test_own_id_and_cid_are_tolerated(v2: ApiClient) -> None:
    body = {**pay("8.5"), "id": 1, "cid": "d24a6181-0f26-5aa9-97e5-cf5036fce0a7"}
    assert (await v2.post("/receipts/1/close", json=body)).status_code == 200


async def test_closed_at_must_be_later_than_created_at(v2: ApiClient) -> None:
    for moment in ("2025-01-13 20:04:05", "2025-01-13 20:04:04", "2025-01-13T20:04:05.000000Z"):
        got = assert_error(
            await v2.post("/receipts/1/close", json={**pay("8.5"), "closed_at": moment}),
            400,
            "validation_failed",
        )
        assert got["message"] == "closed_at must be greater than created_at"
    answer = await v2.post("/receipts/1/close", json={**pay("8.5"), "closed_at": "2025-01-13 20:04:06"})
    assert answer.status_code == 200 and answer.json()["data"]["closed_at"] == "2025-01-13 20:04:06"


async def test_closed_at_as_epoch_milliseconds(v2: ApiClient) -> None:
    answer = await v2.post("/receipts/1/close", json={**pay("8.5"), "closed_at": 1736799000000})
    assert answer.status_code == 200 and answer.json()["data"]["closed_at"] == "2025-01-13 20:10:00"


async def test_closing_at_once_after_accepting_is_never_refused(v2: ApiClient) -> None:
    _order, receipt = await accepted_order(v2)  # created this very second
    answer = await v2.post(f"/receipts/{receipt['id']}/close", json=pay(receipt["total"]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["closed_at"] >= receipt["created_at"]


async def test_two_simultaneous_closes_one_wins(v2: ApiClient) -> None:
    _order, receipt = await accepted_order(v2)
    answers = await asyncio.gather(
        *(v2.post(f"/receipts/{receipt['id']}/close", json=pay(receipt["total"])) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    ops = (await v2.get(f"/receipts/{receipt['id']}/stock-operations")).json()["data"]
    assert len(ops) == 2  # tomato and onion, once
    assert (await v2.get("/customers/9")).json()["data"]["receipt_count"] == 1


async def test_idempotent_replay_closes_once(v2: ApiClient) -> None:
    headers = {"Idempotency-Key": "close-receipt-1"}
    first = await v2.post("/receipts/1/close", json=pay("8.5"), headers=headers)
    second = await v2.post("/receipts/1/close", json=pay("8.5"), headers=headers)
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert second.headers["Idempotent-Replayed"] == "true"


async def test_close_is_v2_only_scoped_and_authenticated(api: ApiClient, other_api: ApiClient) -> None:
    v1 = await as_generation(api, "v1")
    assert_error(await v1.post("/receipts/1/close", json=pay("8.5")), 404, "resource_not_found")
    theirs = await as_generation(other_api, "v2")
    got = assert_error(await theirs.post("/receipts/1/close", json=pay("8.5")), 404, "not_found")
    assert got["message"] == "Receipt not found"
    v2 = await as_generation(api, "v2")
    assert_error(await v2.http.post("/open-api/v2/receipts/1/close", json=pay("8.5")), 401, "unauthorized")
    assert_error(await v2.post("/receipts/abc/close", json=pay("8.5")), 400, "invalid_parameter")
    await assert_untouched(v2, 1)


async def test_test_helper_closes_with_the_first_enabled_method(api: ApiClient, db_url: str) -> None:
    order, receipt = await accepted_order(api)
    await switch_payment_method(db_url, 1, 1, 0)  # Cash off at venue 1: Card is the first one left
    answer = await helper(api, f"/receipts/{receipt['id']}/close")
    assert answer.status_code == 200, answer.text
    closed = answer.json()["data"]
    assert closed["payment_methods"] == [{"id": 2, "name": "Card", "amount": 16.2}]
    assert (await api.get(f"/orders/{order['id']}")).json()["data"]["status"] == "DELIVERED"
    assert_error(await helper(api, f"/receipts/{receipt['id']}/close"), 409, "conflict")
    with_body = await helper(api, "/receipts/1/close", json=pay("8.5", method={"id": 2, "name": "Card"}))
    assert with_body.status_code == 200
