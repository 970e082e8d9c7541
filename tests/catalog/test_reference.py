"""Venues, users, stations, sale types, payment methods and price lists through HTTP."""

from __future__ import annotations

import httpx
import pytest

from clopos_server.catalog.render import venue_status_map
from tests.support.api import ApiClient, V1Client, assert_error

ISO = "2025-01-01T00:00:00.000000Z"
LISTS = [
    "/venues",
    "/users",
    "/stations",
    "/sale-types",
    "/payment-methods",
    "/price-lists",
    "/price-lists/prices",
]


def ids_of(answer: httpx.Response) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["data"]]


@pytest.mark.parametrize("path", [*LISTS, "/users/1", "/stations/1"])
async def test_no_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(f"/open-api{path}"), 401, "unauthorized")


@pytest.mark.parametrize("path", LISTS)
async def test_bad_limit_is_400_naming_it(v1: V1Client, path: str) -> None:
    body = assert_error(await v1.get(path, params={"limit": "0"}), 400, "invalid_parameter")
    assert [entry["field"] for entry in body["error"]] == ["query.limit"]
    assert_error(await v1.get(path, params={"page": "-1"}), 400, "invalid_parameter")
    assert_error(await v1.get(path, params={"sort[0]": "nope"}), 400, "invalid_parameter")


@pytest.mark.parametrize("path", LISTS)
async def test_another_brand_sees_only_its_own_rows(other_v1: V1Client, path: str) -> None:
    data = (await other_v1.get(path)).json()["data"]
    if path == "/venues":  # venues are numbered per brand
        assert [(v["id"], v["name"]) for v in data] == [(1, "Other Main")]
    else:
        assert all(item["id"] >= 10000 for item in data)


async def test_venues(v1: V1Client) -> None:
    body = (await v1.get("/venues", params={"page": "1", "limit": "100"})).json()
    assert body["total"] == 3
    assert body["data"][0] == {
        "id": 1,
        "name": "Main",
        "address": "",
        "phone": "",
        "email": "",
        "status": 1,
        "is_main": 1,
        "media": [],
    }
    assert [(v["id"], v["name"], v["is_main"]) for v in body["data"]] == [
        (1, "Main", 1),
        (2, "Baku", 0),
        (3, "Masally", 0),
    ]


async def test_users(v1: V1Client) -> None:
    body = (await v1.get("/users")).json()
    assert [u["username"] for u in body["data"]] == ["owner", "cashier"] and body["total"] == 2
    owner = (await v1.get("/users/1")).json()["data"]
    assert owner == {
        "id": 1,
        "username": "owner",
        "email": None,
        "first_name": "Clopos",
        "last_name": "Test",
        "mobile_number": None,
        "pin": "****",
        "owner": 1,
        "hide": 0,
        "status": True,
        "created_at": ISO,
        "updated_at": ISO,
    }
    cashier = (await v1.get("/users/2")).json()["data"]
    assert cashier["owner"] == 0 and "password" not in str(cashier) and "hash" not in str(cashier)


async def test_one_user_errors(v1: V1Client, other_v1: V1Client) -> None:
    assert assert_error(await v1.get("/users/999"), 404, "resource_not_found")["message"] == "User not found"
    assert_error(await v1.get("/users/10000"), 404, "resource_not_found")
    assert_error(await other_v1.get("/users/1"), 404, "resource_not_found")
    assert_error(await v1.get("/users/abc"), 400, "invalid_parameter")


async def test_stations(v1: V1Client) -> None:
    body = (await v1.get("/stations")).json()
    assert ids_of(await v1.get("/stations")) == [1, 2, 3] and body["total"] == 3
    assert body["data"][2] == {
        "id": 3,
        "name": "Tandir",
        "status": 1,
        "type": 0,
        "printable": 0,
        "can_print": False,
        "created_at": ISO,
        "updated_at": ISO,
    }
    assert ids_of(await v1.get("/stations", params={"can_print": "false"})) == [3]
    assert ids_of(await v1.get("/stations", params={"can_print": "1", "status": "1"})) == [1, 2]
    assert ids_of(await v1.get("/stations", params={"status": "0"})) == []
    assert ids_of(await v1.get("/stations", params={"filters[0][0]": "type", "filters[0][1]": "1"})) == [1]
    assert ids_of(await v1.get("/stations", params={"limit": "200"})) == [1, 2, 3]
    assert (await v1.get("/stations/2")).json()["data"]["name"] == "Bar"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "2"}, "query.status"),
        ({"can_print": "maybe"}, "query.can_print"),
        ({"limit": "201"}, "query.limit"),
    ],
    ids=["status", "can-print", "limit-201"],
)
async def test_bad_station_parameters(v1: V1Client, params: dict[str, str], field: str) -> None:
    body = assert_error(await v1.get("/stations", params=params), 400, "invalid_parameter")
    assert [entry["field"] for entry in body["error"]] == [field]


async def test_one_station_errors(v1: V1Client, other_v1: V1Client) -> None:
    assert (
        assert_error(await v1.get("/stations/99"), 404, "resource_not_found")["message"]
        == "Station not found"
    )
    assert_error(await v1.get("/stations/10000"), 404, "resource_not_found")
    assert_error(await other_v1.get("/stations/1"), 404, "resource_not_found")
    assert_error(await v1.get("/stations/1x"), 400, "invalid_parameter")


async def test_sale_types_with_their_venue_status_maps(v1: V1Client) -> None:
    body = (await v1.get("/sale-types")).json()
    assert body["total"] == 3
    assert body["data"][0] == {
        "id": 1,
        "name": "Yerinde",
        "system_type": "IN",
        "channel": "IN",
        "status": {"1": 1, "2": 1, "3": 1},
        "service_charge_rate": None,
        "position": 1,
        "media": [],
        "created_at": ISO,
        "updated_at": ISO,
    }
    delivery, takeaway = body["data"][1], body["data"][2]
    assert delivery["status"] == {"1": 1, "2": 1, "3": 0}
    assert takeaway["service_charge_rate"] == 5 and takeaway["system_type"] == "TAKEAWAY"
    only = await v1.get("/sale-types", params={"filters[0][0]": "system_type", "filters[0][1]": "DELIVERY"})
    assert ids_of(only) == [2]
    bad = await v1.get("/sale-types", params={"filters[0][0]": "system_type", "filters[0][1]": "PICKUP"})
    assert_error(bad, 400, "invalid_parameter")


async def test_payment_methods(v1: V1Client) -> None:
    body = (await v1.get("/payment-methods")).json()
    assert [(p["id"], p["name"]) for p in body["data"]] == [
        (1, "Cash"),
        (2, "Card"),
        (3, "Customer Balance"),
        (4, "Cashback"),
    ]
    assert body["data"][2] == {
        "id": 3,
        "name": "Customer Balance",
        "status": {"1": 1, "2": 1, "3": 1},
        "split": 0,
        "position": 3,
        "customer_required": 1,
        "is_system": 1,
        "balance": None,
        "service": {},
        "created_at": ISO,
        "updated_at": ISO,
    }
    by_name = await v1.get("/payment-methods", params={"sort[0]": "name", "limit": "1"})
    assert ids_of(by_name) == [2] and by_name.json()["total"] == 4


def test_the_status_map_names_every_venue() -> None:
    assert venue_status_map([1, 2, 3], {1: 1, 3: 0}) == {"1": 1, "2": 0, "3": 0}
    assert venue_status_map([], {7: 1}) == {}


async def test_price_lists_and_prices(v1: V1Client) -> None:
    plain = (await v1.get("/price-lists")).json()["data"]
    assert plain == [
        {
            "id": 1,
            "name": "Takeaway prices",
            "description": None,
            "status": True,
            "created_at": ISO,
            "updated_at": ISO,
        }
    ]
    with_prices = (await v1.get("/price-lists", params={"with[]": "prices"})).json()["data"]
    assert with_prices[0]["prices"] == [{"id": 1, "list_id": 1, "product_id": 101, "price": 9}]
    prices = await v1.get(
        "/price-lists/prices", params={"filters[0][0]": "product_id", "filters[0][1]": "101"}
    )
    assert prices.json()["data"] == [{"id": 1, "list_id": 1, "product_id": 101, "price": 9}]
    none = await v1.get("/price-lists/prices", params={"filters[0][0]": "list_id", "filters[0][1]": "2"})
    assert none.json()["data"] == [] and none.json()["total"] == 0
    assert_error(await v1.get("/price-lists", params={"limit": "1000"}), 400, "invalid_parameter")
    assert ids_of(await v1.get("/price-lists", params={"limit": "999"})) == [1]


async def test_every_read_endpoint_answers_under_both_prefixes(api: ApiClient) -> None:
    """The same handlers serve ``/open-api`` and ``/open-api/v2``: one request per endpoint under each."""
    expected_first = {
        "/venues": 1,
        "/users": 1,
        "/users/2": 2,
        "/stations": 1,
        "/stations/3": 3,
        "/categories": 1,
        "/categories/6": 6,
        "/products": 1,
        "/products/130": 130,
        "/products/stop-list": 54,
        "/sale-types": 1,
        "/payment-methods": 1,
        "/price-lists": 1,
        "/price-lists/prices": 1,
        "/customers": 9,
        "/customers/12": 12,
        "/customer-groups": 1,
    }
    for path, first in expected_first.items():
        answer = await api.get(path)
        assert answer.status_code == 200, (path, answer.text)
        data = answer.json()["data"]
        assert (data[0] if isinstance(data, list) else data)["id"] == first, path
