"""Reading customers and customer groups through HTTP: includes, filters, sorts, one customer."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import V1Client, assert_error

ISO = "2025-01-01T00:00:00.000000Z"
DEMO = [9, 10, 11, 12]


def ids_of(answer: httpx.Response) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["data"]]


async def test_the_customer_object(v1: V1Client) -> None:
    body = (await v1.get("/customers")).json()
    assert [c["id"] for c in body["data"]] == DEMO and body["total"] == 4
    assert body["sorts"] == ["id", "cid", "group_id", "name", "email", "address", "created_at", "updated_at"]
    assert body["data"][0] == {
        "id": 9,
        "venue_id": 1,
        "cid": "9f92f99e-8515-5207-9466-c2b0b55750f8",
        "group_id": 5,
        "balance_id": 9,
        "name": "Rahid Akhundzada",
        "email": None,
        "phone": "+994705401040",
        "phones": ["+994705401040"],
        "address": None,
        "address_data": [],
        "description": None,
        "discount": 0,
        "spent": 0,
        "total_discount": 0,
        "total_bonus": 0,
        "receipt_count": 0,
        "gender": None,
        "date_of_birth": None,
        "code": None,
        "status": True,
        "can_use_loyalty_system": True,
        "is_verified": False,
        "created_at": ISO,
        "updated_at": ISO,
    }


async def test_includes(v1: V1Client) -> None:
    params = {"with[]": ["group", "balance", "cashback_balance", "orders"]}
    customer = (await v1.get("/customers/9", params=params)).json()["data"]
    assert customer["group"] == {
        "id": 5,
        "name": "Regulars",
        "discount_type": 1,
        "discount_value": 10,
        "system_type": "",
        "created_at": ISO,
        "updated_at": ISO,
    }
    assert customer["balance"] == {
        "id": 9,
        "name": "Rahid Akhundzada",
        "type": "CUSTOMER",
        "system_type": None,
        "amount": 0,
        "position": 0,
        "venue_id": None,
        "created_at": ISO,
        "updated_at": ISO,
    }
    assert customer["cashback_balance"] == {"name": "Cashback", "type": "CASHBACK", "amount": 0}
    assert "orders" not in customer
    listed = (await v1.get("/customers", params={"with[0]": "group"})).json()["data"]
    assert [c["group"]["system_type"] for c in listed] == ["", "my_customers", "my_customers", "my_customers"]
    assert "balance" not in listed[0]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filters[0][0]": "name", "filters[0][1]": "aysel"}, [10]),
        ({"filters[0][0]": "name", "filters[0][1]": "MURAD ali"}, [11]),
        ({"filters[0][0]": "name", "filters[0][1]": "k-i"}, [12]),
        ({"filters[0][0]": "name", "filters[0][1]": "%"}, []),
        ({"filters[0][0]": "name", "filters[0][1]": "_"}, []),
        ({"filters[0][0]": "name", "filters[0][1]": "Walk%"}, []),
        ({"filters[0][0]": "name", "filters[0][1]": "'; DROP TABLE customers; --"}, []),
        ({"filters[0][0]": "name", "filters[0][1]": "\\"}, []),
        ({"filters[0][0]": "phones", "filters[0][1]": "+994501112233"}, [10]),
        (
            {
                "filters[0][0]": "phones",
                "filters[0][1][0]": "+994705401040",
                "filters[0][1][1]": "+994552223344",
            },
            [9, 11],
        ),
        ({"filters[0][0]": "phones", "filters[0][1]": "+99450"}, []),
        ({"filters[0][0]": "phones", "filters[0][1]": "994552223344"}, [11]),
        ({"filters[0][0]": "phone", "filters[0][1]": "+994552223344"}, [11]),
        ({"filters[0][0]": "group_id", "filters[0][1]": "5"}, [9]),
        ({"filters[0][0]": "group_id", "filters[0][1]": "1"}, [10, 11, 12]),
        ({"filters[group_id]": "1", "filters[name]": "a"}, [10, 11, 12]),
        ({"filters[0][0]": "colour", "filters[0][1]": "red"}, DEMO),
        ({"sort[0]": "name", "sort[1]": "1"}, [10, 11, 9, 12]),
        ({"sort_by": "id", "sort_order": "desc"}, [12, 11, 10, 9]),
        ({"limit": "2", "page": "2"}, [11, 12]),
        ({"limit": "999"}, DEMO),
    ],
    ids=[
        "name",
        "name-case",
        "name-dash",
        "percent",
        "underscore",
        "percent-suffix",
        "sql",
        "backslash",
        "phone",
        "phones-any-of",
        "phone-prefix-no-match",
        "phone-without-plus",
        "phone-spelling",
        "group-5",
        "group-1",
        "keyed",
        "unknown-field",
        "sort-name",
        "sort-id-desc",
        "page",
        "limit-999",
    ],
)
async def test_filters_sorts_and_pages(v1: V1Client, params: dict[str, str], expected: list[int]) -> None:
    answer = await v1.get("/customers", params=params)
    assert ids_of(answer) == expected and answer.json()["total"] == (
        4 if "limit" in params else len(expected)
    )


async def test_a_raw_plus_in_a_phone_filter_still_matches(v1: V1Client) -> None:
    url = "/open-api/customers?filters[0][0]=phones&filters[0][1]=+994552223344"  # "+" decodes to a space
    assert ids_of(await v1.http.get(url, headers=v1.headers())) == [11]


async def test_metacharacters_leave_the_table_alone(v1: V1Client) -> None:
    await v1.get(
        "/customers", params={"filters[0][0]": "name", "filters[0][1]": "x'); DELETE FROM customers; --"}
    )
    assert (await v1.get("/customers")).json()["total"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "query.limit"),
        ({"limit": "1000"}, "query.limit"),
        ({"page": "-1"}, "query.page"),
        ({"sort[0]": "phone"}, "query.sort"),
        ({"sort[0]": "name", "sort[1]": "up"}, "query.sort"),
        ({"filters[0][0]": "group_id", "filters[0][1]": "abc"}, "query.filters"),
    ],
    ids=["limit-0", "limit-1000", "page", "unknown-sort", "direction", "group-id"],
)
async def test_bad_parameters(v1: V1Client, params: dict[str, str], field: str) -> None:
    body = assert_error(await v1.get("/customers", params=params), 400, "invalid_parameter")
    assert [entry["field"] for entry in body["error"]] == [field]


async def test_one_customer(v1: V1Client, other_v1: V1Client) -> None:
    walk_in = (await v1.get("/customers/12")).json()["data"]
    assert walk_in["phone"] is None and walk_in["phones"] == [] and walk_in["group_id"] == 1
    missing = assert_error(await v1.get("/customers/999"), 404, "resource_not_found")
    assert missing["message"] == "Customer not found"
    assert_error(await v1.get("/customers/10000"), 404, "resource_not_found")
    assert_error(await other_v1.get("/customers/9"), 404, "resource_not_found")
    assert_error(await v1.get("/customers/nine"), 400, "invalid_parameter")


async def test_another_brand_sees_only_its_own(other_v1: V1Client) -> None:
    assert ids_of(await other_v1.get("/customers")) == [10000]
    same_phone = await other_v1.get(
        "/customers", params={"filters[0][0]": "phones", "filters[0][1]": "+994705401040"}
    )
    assert ids_of(same_phone) == []
    assert ids_of(await other_v1.get("/customer-groups")) == [10000]


async def test_customer_groups(v1: V1Client) -> None:
    body = (await v1.get("/customer-groups")).json()
    assert body["total"] == 2
    assert body["data"] == [
        {
            "id": 1,
            "name": "My customers",
            "discount_type": 0,
            "discount_value": 0,
            "system_type": "my_customers",
            "created_at": ISO,
            "updated_at": ISO,
        },
        {
            "id": 5,
            "name": "Regulars",
            "discount_type": 1,
            "discount_value": 10,
            "system_type": "",
            "created_at": ISO,
            "updated_at": ISO,
        },
    ]
    assert ids_of(await v1.get("/customer-groups", params={"sort[0]": "id", "sort[1]": "-1"})) == [5, 1]
    assert_error(await v1.get("/customer-groups", params={"limit": "101"}), 400, "invalid_parameter")


@pytest.mark.parametrize("path", ["/customers", "/customers/9", "/customer-groups"])
async def test_no_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(f"/open-api{path}"), 401, "unauthorized")
