"""Requests exactly as a published Python client sends them, and the general rules that make them work.

The client's customer search misspells the second half of a filter pair (``filter[0][1]``), and its v1
receipt update repeats the receipt's figures in its own neutral spelling (``discount_type: 0``,
``discount_value: null``). Both must be read as the real API reads them.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.api import ApiClient, V1Client, assert_error
from tests.support.lifecycle import accepted_order, money

SEARCH = "/open-api/customers?filters[0][0]=name&filter[0][1]=aysel"


async def test_the_customer_search_with_a_misspelt_half(v1: V1Client) -> None:
    answer = await v1.http.get(SEARCH, headers=v1.headers())
    assert answer.status_code == 200, answer.text
    assert [customer["id"] for customer in answer.json()["data"]] == [10]


def _ids(answer: Any) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["data"]]


@pytest.mark.parametrize(
    "path, field, value",
    [
        ("/customers", "group_id", "5"),
        ("/products", "station_id", "3"),
        ("/categories", "type", "INGREDIENT"),
        ("/sale-types", "system_type", "DELIVERY"),
        ("/orders", "status", "IGNORE"),
        ("/receipts", "status", "2"),
    ],
)
async def test_either_half_misspelt_is_one_filter_everywhere(
    api: ApiClient, path: str, field: str, value: str
) -> None:
    expected = _ids(await api.get(f"{path}?filters[0][0]={field}&filters[0][1]={value}"))
    everything = _ids(await api.get(f"{path}?limit=100"))
    for raw in (
        f"filters[0][0]={field}&filter[0][1]={value}",
        f"filter[0][0]={field}&filters[0][1]={value}",
        f"filter[0][1]={value}&filters[0][0]={field}",
    ):
        assert _ids(await api.get(f"{path}?{raw}")) == expected, raw
    if path != "/orders":  # the demo has no ignored orders: the filter must still narrow the others
        assert expected != everything


async def test_the_receipt_update_in_the_clients_spelling(v1: V1Client) -> None:
    _, receipt = await accepted_order(v1, meta={"comment": ""})  # no discount
    assert receipt["discount_type"] is None and money(receipt["delivery_fee"]) == 0
    body = {"discount_type": 0, "discount_rate": 0, "discount_value": None, "delivery_fee": 0}
    answer = await v1.http.put(f"/open-api/receipts/{receipt['id']}", json=body, headers=v1.headers())
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["discount_type"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"discount_type": "0", "discount_rate": "0", "discount_value": "0", "delivery_fee": "0"},
        {"discount_type": None, "discount_rate": None, "total_discount": 0},
        {"order_number": "A-1"},  # every figure absent
        {"discount_type": 0, "discount_value": 0.0, "delivery_fee": "0.00", "order_number": "A-2"},
    ],
    ids=["strings", "nulls", "absent", "mixed"],
)
async def test_no_discount_in_any_spelling_is_the_same_figure(v1: V1Client, body: dict[str, Any]) -> None:
    current = (await v1.get("/receipts/2")).json()["data"]
    answer = await v1.put("/receipts/2", json={**current, **body})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "body, message",
    [
        ({"discount_type": 1}, "discount_type is None"),
        ({"discount_value": "0.5"}, "discount_value is 0"),
        ({"delivery_fee": 2}, "delivery_fee is 0"),
    ],
)
async def test_a_real_difference_is_still_409(v1: V1Client, body: dict[str, Any], message: str) -> None:
    got = assert_error(await v1.put("/receipts/2", json={"id": 2, **body}), 409, "conflict")
    assert message in got["message"]
    assert (await v1.get("/receipts/2")).json()["data"]["discount_type"] is None
