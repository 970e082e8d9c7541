"""``PATCH /receipts/{id}``: four editable fields, the lock, and everything else refused."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import ApiClient, assert_error
from tests.support.lifecycle import accepted_order, money


async def patch(api: ApiClient, receipt_id: int | str, body: object) -> httpx.Response:
    return await api.request("PATCH", f"/receipts/{receipt_id}", json=body)


async def test_patch_the_editable_fields(api: ApiClient) -> None:
    body = {"order_status": "READY", "order_number": "A-17", "fiscal_id": "FX-1", "id": 1}
    answer = await patch(api, 1, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "Operation completed successfully"
    receipt = answer.json()["data"]
    assert (receipt["order_status"], receipt["order_number"], receipt["fiscal_id"]) == (
        "READY",
        "A-17",
        "FX-1",
    )
    assert receipt["receipt_products"] and receipt["updated_at"] > "2025-01-13 20:04:05"
    cleared = (await patch(api, 1, {"order_number": None, "fiscal_id": None})).json()["data"]
    assert cleared["order_number"] is None and cleared["fiscal_id"] is None


async def test_patch_works_on_a_closed_receipt(api: ApiClient) -> None:
    answer = await patch(api, 2, {"order_status": "COMPLETED", "fiscal_id": "F-2"})
    assert answer.status_code == 200 and answer.json()["data"]["status"] == 2
    assert answer.json()["data"]["order_status"] == "COMPLETED"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"total": 1}, "total"),
        ({"total": 8.5}, "total"),
        ({"status": 2}, "status"),
        ({"order_status": "READY", "subtotal": 0}, "subtotal"),
        ({"id": 2}, "id"),
        ({"order_status": "DONE"}, "order_status"),
        ({"lock": "maybe"}, "lock"),
        ({"order_number": 17}, "order_number"),
        ({"fiscal_id": "x" * 256}, "fiscal_id"),
        ({}, "body"),
        ({"id": 1}, "body"),
    ],
    ids=[
        "total",
        "same-total",
        "status",
        "with-a-good-field",
        "other-id",
        "bad-order-status",
        "bad-lock",
        "number-as-int",
        "long-fiscal-id",
        "empty",
        "only-id",
    ],
)
async def test_anything_else_is_400(v1: ApiClient, body: dict, field: str) -> None:
    got = assert_error(await patch(v1, 1, body), 400, "validation_failed")
    assert got["message"] == "Invalid field values provided"
    assert field in [e.get("field") for e in got["error"]]
    receipt = (await v1.get("/receipts/1")).json()["data"]
    assert receipt["order_status"] == "NEW" and money(receipt["total"]) == money("8.5")


async def test_a_locked_receipt_refuses_all_but_unlocking(api: ApiClient) -> None:
    assert (await patch(api, 1, {"lock": True})).json()["data"]["lock"] is True
    for body in ({"order_status": "READY"}, {"lock": True}, {"lock": False, "order_status": "READY"}):
        got = assert_error(await patch(api, 1, body), 409, "conflict")
        assert "locked" in got["message"]
    v2 = await ApiClient.login(api.http, "v2")
    close = {"payment_methods": [{"id": 1, "name": "Cash", "amount": 8.5}]}
    assert_error(await v2.post("/receipts/1/close", json=close), 409, "conflict")
    unlocked = await patch(api, 1, {"lock": False})
    assert unlocked.status_code == 200 and unlocked.json()["data"]["lock"] is False
    assert (await patch(api, 1, {"order_status": "READY"})).status_code == 200


async def test_patch_of_an_accepted_orders_receipt(api: ApiClient) -> None:
    _order, receipt = await accepted_order(api)
    answer = await patch(api, receipt["id"], {"order_status": "IN_PROGRESS", "lock": True})
    assert answer.status_code == 200
    assert (answer.json()["data"]["order_status"], answer.json()["data"]["lock"]) == ("IN_PROGRESS", True)


async def test_patch_errors(api: ApiClient, other_api: ApiClient) -> None:
    got = assert_error(await patch(api, 999999, {"order_status": "READY"}), 404, "not_found")
    assert got["message"] == "Receipt not found"
    assert_error(await patch(other_api, 1, {"order_status": "READY"}), 404, "not_found")
    assert_error(await patch(api, "abc", {"order_status": "READY"}), 400, "invalid_parameter")
    answer = await api.http.request("PATCH", f"{api.prefix}/receipts/1", json={"order_status": "READY"})
    assert_error(answer, 401, "unauthorized")
    malformed = await api.request(
        "PATCH", "/receipts/1", content=b"{", headers={"content-type": "application/json"}
    )
    assert_error(malformed, 400, "validation_failed")
    assert (await api.get("/receipts/1")).json()["data"]["order_status"] == "NEW"
