"""Reading receipts: the list (filters, sorts, dates, lines), one by id, one by cid (v2)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.api import ApiClient, assert_error
from tests.support.lifecycle import accepted_order, as_generation, create_order, helper, money

RECEIPT_KEYS = {
    "id", "cid", "venue_id", "customer_id", "sale_type_id", "service_notification_id", "source", "guests",
    "status", "order_status", "order_number", "fiscal_id", "lock", "subtotal", "discount_type",
    "discount_value", "discount_rate", "total_discount", "service_charge", "service_charge_value",
    "delivery_fee", "i_tax", "e_tax", "total_tax", "total", "remaining", "payment_methods", "description",
    "address", "created_at", "updated_at", "closed_at", "shift_date",
}  # fmt: skip
LINE_KEYS = {
    "id", "cid", "receipt_id", "product_id", "product_hash", "count", "portion_size", "price", "subtotal",
    "discount_type", "discount_value", "discount_rate", "total_discount", "receipt_discount", "total",
    "is_gift", "cost", "meta", "preprint_count", "station_printed_count", "station_aborted_count",
    "seller_id", "loyalty_type", "loyalty_value", "receipt_product_modificators", "taxes",
}  # fmt: skip
DEMO_OPEN_CID = "d24a6181-0f26-5aa9-97e5-cf5036fce0a7"


def filtered(field: str, value: str) -> dict[str, str]:
    return {"filters[0][0]": field, "filters[0][1]": value}


async def test_list_of_the_demo(api: ApiClient) -> None:
    body = (await api.get("/receipts")).json()
    assert body["success"] is True and body["total"] == 2
    assert body["sorts"] == ["id", "created_at", "updated_at", "closed_at", "total"]
    newest_first = [r["id"] for r in body["data"]]
    assert newest_first == [2, 1]
    first = body["data"][1]
    assert RECEIPT_KEYS <= first.keys() and "receipt_products" not in first
    assert (first["status"], first["source"], first["created_at"], first["closed_at"]) == (
        1,
        "pos",
        "2025-01-13 20:04:05",
        None,
    )
    assert first["shift_date"] == "2025-01-13" and isinstance(first["lock"], bool)
    closed = body["data"][0]
    assert closed["closed_at"] == "2025-01-13 20:30:00"
    assert closed["payment_methods"] == [{"id": 1, "name": "Cash", "amount": 8.5}]


async def test_list_with_lines_has_every_key(api: ApiClient) -> None:
    for include in ("receipt_products", "receipt_products.modificators"):
        data = (await api.get("/receipts", params={"with[0]": include})).json()["data"]
        for receipt in data:
            [product] = receipt["receipt_products"]
            assert LINE_KEYS <= product.keys(), LINE_KEYS - product.keys()
            assert (product["preprint_count"], product["station_printed_count"]) == (0, 0)
            assert isinstance(product["seller_id"], int) and isinstance(product["is_gift"], bool)
            assert isinstance(product["count"], int) and product["meta"]["product"]["name"] == "Pizza"


async def test_list_filters_sorts_and_pages(api: ApiClient) -> None:
    _order, receipt = await accepted_order(api)
    assert (await api.get("/receipts")).json()["total"] == 3
    assert [r["id"] for r in (await api.get("/receipts", params=filtered("status", "1"))).json()["data"]] == [
        receipt["id"],
        1,
    ]
    assert (await api.get("/receipts", params=filtered("status", "2"))).json()["total"] == 1
    assert (await api.get("/receipts", params=filtered("sale_type_id", "2"))).json()["total"] == 1
    assert (await api.get("/receipts", params=filtered("order_status", "NEW"))).json()["total"] == 3
    assert (await api.get("/receipts", params=filtered("order_status", "READY"))).json()["total"] == 0
    by_total = await api.get("/receipts", params={"sort[0]": "total", "sort[1]": "-1"})
    assert [r["id"] for r in by_total.json()["data"]] == [receipt["id"], 1, 2]
    page = (
        await api.get("/receipts", params={"sort[0]": "id", "sort[1]": "1", "limit": 1, "page": 2})
    ).json()
    assert [r["id"] for r in page["data"]] == [2] and page["total"] == 3
    by_closed = await api.get("/receipts", params={"sort_by": "closed_at", "sort_order": "desc"})
    assert by_closed.status_code == 200
    assert (await api.get("/receipts", params={"limit": 200})).status_code == 200


async def test_list_dates_are_business_days_and_venue_defaults(api: ApiClient) -> None:
    day = {"date[0]": "2025-01-13", "date[1]": "2025-01-13"}
    assert (await api.get("/receipts", params=day)).json()["total"] == 2
    assert (await api.get("/receipts", params={"date_from": "2025-01-14"})).json()["total"] == 0
    other_venue = (await api.get("/receipts", params=filtered("venue_id", "2"))).json()
    assert other_venue["total"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "201"},
        {"limit": "0"},
        {"sort[0]": "cid"},
        {"filters[0][0]": "status", "filters[0][1]": "3"},
        {"filters[0][0]": "order_status", "filters[0][1]": "DONE"},
        {"date[0]": "yesterday"},
    ],
    ids=["limit-201", "limit-0", "unknown-sort", "bad-status", "bad-order-status", "bad-date"],
)
async def test_bad_list_parameters_are_400(v1: ApiClient, params: dict) -> None:
    assert_error(await v1.get("/receipts", params=params), 400, "invalid_parameter")


async def test_one_by_id_with_lines(api: ApiClient) -> None:
    answer = await api.get("/receipts/1")
    assert answer.status_code == 200
    receipt = answer.json()["data"]
    assert RECEIPT_KEYS <= receipt.keys() and receipt["cid"] == DEMO_OPEN_CID
    [product] = receipt["receipt_products"]
    assert LINE_KEYS <= product.keys() and money(product["total"]) == money("8.5")


async def test_one_by_id_errors(api: ApiClient, other_api: ApiClient) -> None:
    got = assert_error(await api.get("/receipts/999999"), 404, "not_found")
    assert got["message"] == "Receipt not found"
    assert_error(await other_api.get("/receipts/1"), 404, "not_found")  # openapitest's, not theirs
    assert (await other_api.get("/receipts")).json()["total"] == 0
    assert_error(await api.get("/receipts/abc"), 400, "invalid_parameter")
    assert_error(await api.http.get(f"{api.prefix}/receipts/1"), 401, "unauthorized")
    assert_error(await api.http.get(f"{api.prefix}/receipts"), 401, "unauthorized")


async def test_by_cid_is_v2_only(api: ApiClient) -> None:
    v2 = await as_generation(api, "v2")
    answer = await v2.get(f"/receipts/cid/{DEMO_OPEN_CID}")
    assert answer.status_code == 200 and answer.json()["data"]["id"] == 1
    assert (await v2.get(f"/receipts/cid/{DEMO_OPEN_CID.upper()}")).json()["data"]["id"] == 1
    got = assert_error(await v2.get("/receipts/cid/not-a-uuid"), 400, "invalid_parameter")
    assert "UUID" in got["message"]
    assert_error(await v2.get(f"/receipts/cid/{uuid.uuid4()}"), 404, "not_found")
    assert_error(await v2.http.get(f"/open-api/v2/receipts/cid/{DEMO_OPEN_CID}"), 401, "unauthorized")
    v1 = await as_generation(api, "v1")
    assert_error(await v1.get(f"/receipts/cid/{DEMO_OPEN_CID}"), 404, "resource_not_found")


async def test_by_cid_of_another_brand_is_not_found(other_api: ApiClient) -> None:
    v2 = await as_generation(other_api, "v2")
    assert_error(await v2.get(f"/receipts/cid/{DEMO_OPEN_CID}"), 404, "not_found")


async def test_stock_operations_errors(api: ApiClient, other_api: ApiClient) -> None:
    v2 = await as_generation(api, "v2")
    assert (await v2.get("/receipts/2/stock-operations")).json()["data"] == []  # imported: none recorded
    assert_error(await v2.get("/receipts/999999/stock-operations"), 404, "not_found")
    theirs = await as_generation(other_api, "v2")
    assert_error(await theirs.get("/receipts/2/stock-operations"), 404, "not_found")
    assert_error(await v2.http.get("/open-api/v2/receipts/2/stock-operations"), 401, "unauthorized")
    v1 = await as_generation(api, "v1")
    assert_error(await v1.get("/receipts/2/stock-operations"), 404, "resource_not_found")


async def test_ignored_order_has_no_receipt(api: ApiClient) -> None:
    order = await create_order(api)
    await helper(api, f"/orders/{order['id']}/ignore")
    assert (await api.get("/receipts")).json()["total"] == 2
