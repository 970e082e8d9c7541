"""Products through HTTP: includes, selects, filters, paging, one product, and the query count per page."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, insert, select

from clopos_server.db.models import (
    Brand,
    Product,
    ProductModifierGroup,
    ProductTax,
    ProductVenue,
    RecipeItem,
)
from tests.support.api import V1Client, assert_error

ALL_INCLUDES = [
    "category",
    "station",
    "modifications",
    "modificator_groups",
    "taxes",
    "tags",
    "unit",
    "recipe",
    "packages",
]
LISTED = [1, 54, 57, 101, 102, 103, 110, 120, 130, 301, 302]  # position order; variants 111, 112 are nested


def ids(answer: httpx.Response) -> list[int]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["data"]]


async def test_acceptance_product_1_with_its_modifier_groups(v1: V1Client) -> None:
    answer = await v1.get("/products", params={"with[]": "modificator_groups", "limit": "100"})
    body = answer.json()
    assert answer.status_code == 200 and body["total"] == len(LISTED)
    assert body["sorts"] == ["id", "name", "price", "position", "created_at", "updated_at"]
    first = body["data"][0]
    assert first["id"] == 1 and first["name"] == "Mega Dürüm Menü Alana Çiğ Köfte Dürüm"
    groups = first["modificator_groups"]
    assert [group["id"] for group in groups] == [5, 8, 9, 32]
    modifiers = {m["id"]: m for group in groups for m in group["modificators"]}
    assert modifiers[187]["price"] == 3 and modifiers[201]["price"] == 15
    assert isinstance(modifiers[187]["price"], int | float) and not isinstance(modifiers[187]["price"], bool)
    sauces = groups[0]
    assert sauces == {
        "id": 5,
        "name": "Sauces",
        "type": 0,
        "min_select": 0,
        "max_select": 3,
        "adjust_to_portion": False,
        "status": True,
        "created_at": "2025-01-01T00:00:00.000000Z",
        "updated_at": "2025-01-01T00:00:00.000000Z",
        "modificators": [
            {
                "id": 187,
                "group_id": 5,
                "dish_id": None,
                "name": "yyy",
                "price": 3,
                "cost_price": 0,
                "default_count": 0,
                "min_count": 0,
                "max_count": 0,
                "status": True,
                "position": 0,
            },
            {
                "id": 188,
                "group_id": 5,
                "dish_id": None,
                "name": "Garlic sauce",
                "price": 0.5,
                "cost_price": 0,
                "default_count": 0,
                "min_count": 0,
                "max_count": 0,
                "status": True,
                "position": 1,
            },
        ],
    }
    assert groups[1]["type"] == 1 and groups[1]["max_select"] == 1


async def test_a_query_key_that_is_a_json_object(v1: V1Client) -> None:
    answer = await v1.http.get(
        "/open-api/products?%7B%22page%22%3A1%2C%22limit%22%3A2%7D=", headers=v1.headers()
    )
    assert ids(answer) == [1, 54] and answer.json()["total"] == len(LISTED)


async def test_product_object_has_the_exact_fields_and_types(v1: V1Client) -> None:
    product = (await v1.get("/products/1")).json()["data"]
    assert product == {
        "id": 1,
        "parent_id": None,
        "category_id": 1,
        "station_id": 1,
        "unit_id": 1,
        "type": "DISH",
        "name": "Mega Dürüm Menü Alana Çiğ Köfte Dürüm",
        "parent_name": "",
        "full_name": "Mega Dürüm Menü Alana Çiğ Köfte Dürüm",
        "position": 1,
        "barcode": None,
        "status": 1,
        "hidden": False,
        "sold_by_weight": False,
        "discountable": True,
        "giftable": False,
        "has_modifications": False,
        "ignore_service_charge": False,
        "description": None,
        "price": 0,
        "cost_price": 0,
        "cooking_time": 0,
        "inventory_behavior": 0,
        "image": None,
        "meta": {"modifier_pos": {"5": 0, "8": 1, "9": 2, "32": 3}},
        "venues": [],
        "media": [],
        "created_at": "2025-01-01 00:00:00",
        "updated_at": "2025-01-01 00:00:00",
    }
    assert "setting" not in product


async def test_timer_products_alone_carry_their_setting(v1: V1Client) -> None:
    timer = (await v1.get("/products/130")).json()["data"]
    assert timer["type"] == "TIMER"
    assert timer["setting"] == {
        "calculation_methods": 0,
        "interval": 60,
        "prices": [{"price": 3, "from": 120}],
    }
    listed = (await v1.get("/products")).json()["data"]
    assert [p["id"] for p in listed if "setting" in p] == [130]


async def test_meta_modifier_pos_comes_from_the_links_when_not_stored(v1: V1Client) -> None:
    margherita = (await v1.get("/products/102")).json()["data"]
    assert margherita["meta"] == {"modifier_pos": {"60": 0, "50": 1}}
    groups = (await v1.get("/products/102", params={"with[]": "modificator_groups"})).json()["data"]
    assert [g["id"] for g in groups["modificator_groups"]] == [60, 50]


async def test_variants_are_nested_under_their_goods(v1: V1Client) -> None:
    assert 111 not in ids(await v1.get("/products", params={"limit": 100}))
    fanta = (await v1.get("/products/110", params={"with[0]": "modifications", "with[1]": "taxes"})).json()[
        "data"
    ]
    assert fanta["has_modifications"] is True and fanta["taxes"] == []
    variants = fanta["modifications"]
    assert [(v["id"], v["price"], v["parent_id"], v["type"]) for v in variants] == [
        (111, 2, 110, "MODIFICATION"),
        (112, 3, 110, "MODIFICATION"),
    ]
    assert variants[0]["parent_name"] == "Fanta" and variants[0]["discountable"] is False
    assert variants[0]["taxes"] == [
        {
            "id": 1,
            "name": "VAT 18%",
            "rate": 18,
            "type": "INCLUSIVE",
            "rounding_option": "ROUND_HALF_UP",
            "priority": 0,
        }
    ]
    variant = (await v1.get("/products/111")).json()["data"]
    assert variant["parent_id"] == 110 and variant["full_name"] == "Fanta 0.5 L"


async def test_per_venue_overrides_read_as_venues(v1: V1Client) -> None:
    pizza = (await v1.get("/products/101")).json()["data"]
    assert pizza["venues"] == [{"id": 2, "name": "Baku", "venue_id": 2, "price": 9.5, "status": 1}]
    baklava = (await v1.get("/products/57")).json()["data"]
    assert baklava["venues"] == [{"id": 3, "name": "Masally", "venue_id": 3, "price": 4, "status": 0}]


async def test_recipe_rows_are_ingredient_products_with_gross_and_net(v1: V1Client) -> None:
    product = (await v1.get("/products/1", params={"with[]": "recipe"})).json()["data"]
    recipe = product["recipe"]
    assert [(r["id"], r["name"], r["type"], r["gross"], r["net"]) for r in recipe] == [
        (301, "Test_Tomato", "INGREDIENT", 0.1, 0.1),
        (302, "Test_Onion", "INGREDIENT", 0.05, 0.05),
    ]
    assert recipe[0]["cost_price"] == 0.8 and recipe[0]["created_at"] == "2025-01-01 00:00:00"


async def test_other_includes(v1: V1Client) -> None:
    params = {"with[]": ["category", "station", "unit", "tags", "packages", "nonsense"]}
    pizza = (await v1.get("/products/101", params=params)).json()["data"]
    assert pizza["category"]["id"] == 2 and pizza["category"]["name"] == "Pizza"
    assert pizza["category"]["created_at"] == "2025-01-01T00:00:00.000000Z"
    assert pizza["station"] == {
        "id": 1,
        "name": "Kitchen",
        "status": 1,
        "type": 1,
        "printable": 1,
        "can_print": True,
        "created_at": "2025-01-01T00:00:00.000000Z",
        "updated_at": "2025-01-01T00:00:00.000000Z",
    }
    assert pizza["unit"] == {"id": 1, "name": "pcs"}
    assert pizza["tags"] == [] and pizza["packages"] == [] and "nonsense" not in pizza
    timer = (await v1.get("/products/130", params={"with_": "station,category"})).json()["data"]
    assert timer["station"] is None and timer["category"]["name"] == "Games"


@pytest.mark.parametrize(
    "params",
    [{"selects": "id,price"}, {"selects[]": ["price", "id"]}, {"selects": "price,colour"}],
    ids=["comma", "list", "unknown-dropped"],
)
async def test_selects_keep_id_name_and_type(v1: V1Client, params: dict[str, Any]) -> None:
    data = (await v1.get("/products", params={**params, "with[]": "taxes"})).json()["data"]
    assert all(set(item) == {"id", "name", "type", "price", "taxes"} for item in data)
    assert data[0] == {
        "id": 1,
        "name": "Mega Dürüm Menü Alana Çiğ Köfte Dürüm",
        "type": "DISH",
        "price": 0,
        "taxes": [],
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filters[0][0]": "type", "filters[0][1]": "GOODS"}, [54, 110]),
        (
            {"filters[0][0]": "type", "filters[0][1][0]": "TIMER", "filters[0][1][1]": "INGREDIENT"},
            [130, 301, 302],
        ),
        ({"filters[type][0]": "type", "filters[type][1]": "TIMER"}, [130]),
        ({"filters": '[["category_id", 6]]'}, [54, 110]),
        ({"filter[0][0]": "station_id", "filter[0][1]": "3"}, [103]),
        ({"filters[0][0]": "has_modifiers", "filters[0][1]": "true"}, [1, 101, 102]),
        (
            {
                "filters[0][0]": "has_modifiers",
                "filters[0][1]": "0",
                "filters[1][0]": "type",
                "filters[1][1]": "DISH",
            },
            [57, 103, 120],
        ),
        ({"filters[0][0]": "has_variants", "filters[0][1]": "1"}, [110]),
        ({"filters[0][0]": "sold_by_portion", "filters[0][1]": "true"}, [120]),
        ({"filters[0][0]": "inventory_behavior", "filters[0][1]": "0"}, [1]),
        ({"filters[0][0]": "giftable", "filters[0][1]": "true"}, []),
        ({"filters[0][0]": "discountable", "filters[0][1][0]": "true", "filters[0][1][1]": "false"}, LISTED),
        ({"filters[0][0]": "colour", "filters[0][1]": "red"}, LISTED),
    ],
    ids=[
        "type",
        "type-any-of",
        "keyed",
        "json",
        "misspelt-filter",
        "has-modifiers",
        "no-modifiers",
        "has-variants",
        "sold-by-portion",
        "inventory-behavior",
        "giftable",
        "both-flags",
        "unknown-field-ignored",
    ],
)
async def test_filters(v1: V1Client, params: dict[str, str], expected: list[int]) -> None:
    answer = await v1.get("/products", params=params)
    assert ids(answer) == expected and answer.json()["total"] == len(expected)


async def test_sort_and_paging(v1: V1Client) -> None:
    by_price = await v1.get("/products", params={"sort[0]": "price", "sort[1]": "-1", "limit": 3})
    assert ids(by_price) == [120, 102, 101]
    by_name = await v1.get("/products", params={"sort_by": "name", "sort_order": "asc", "limit": 2})
    assert ids(by_name) == [54, 57]
    pages = [ids(await v1.get("/products", params={"limit": 4, "page": page})) for page in (1, 2, 3, 4)]
    assert pages == [LISTED[0:4], LISTED[4:8], LISTED[8:], []]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"limit": "0"}, "query.limit", "limit must be between 1 and 100"),
        ({"limit": "1000"}, "query.limit", "limit must be between 1 and 100"),
        ({"page": "-1"}, "query.page", "page must be a positive integer"),
        (
            {"sort[0]": "cost_price"},
            "query.sort",
            "sort must be one of id, name, price, position, created_at, updated_at",
        ),
        (
            {"filters[0][0]": "type", "filters[0][1]": "FOO"},
            "query.filters",
            "type must be one of GOODS, DISH, TIMER, PREPARATION, INGREDIENT",
        ),
        (
            {"filters[0][0]": "category_id", "filters[0][1]": "x"},
            "query.filters",
            "category_id must be an integer",
        ),
        (
            {"filters[0][0]": "giftable", "filters[0][1]": "maybe"},
            "query.filters",
            "giftable must be true or false",
        ),
        (
            {"filters[0][0]": "inventory_behavior", "filters[0][1]": "2"},
            "query.filters",
            "inventory_behavior must be one of 0, 1, 3",
        ),
    ],
    ids=[
        "limit-0",
        "limit-1000",
        "page-negative",
        "unknown-sort",
        "type-FOO",
        "bad-int",
        "bad-bool",
        "bad-enum",
    ],
)
async def test_bad_parameters_are_400(v1: V1Client, params: dict[str, str], field: str, message: str) -> None:
    body = assert_error(await v1.get("/products", params=params), 400, "invalid_parameter")
    assert body["message"] == message and error_fields_of(body) == [field]


def error_fields_of(body: dict[str, Any]) -> list[str | None]:
    return [entry.get("field") for entry in body["error"]]


async def _raw_get(
    app: FastAPI, path: str, query: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """A GET straight into the ASGI app: httpx refuses URLs this long before sending them."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], json.loads(body)


async def test_ten_thousand_filter_entries_are_refused_fast(app: FastAPI, v1: V1Client) -> None:
    query = "&".join(f"filters[{i}][0]=type&filters[{i}][1]=DISH" for i in range(10_000)).encode()
    started = time.perf_counter()
    status, body = await _raw_get(app, "/open-api/products", query, v1.headers())
    assert time.perf_counter() - started < 2
    assert status == 400 and body["code"] == "invalid_parameter"
    assert error_fields_of(body) == ["query.query"]


async def test_one_product_errors(v1: V1Client, other_v1: V1Client) -> None:
    missing = assert_error(await v1.get("/products/999999"), 404, "resource_not_found")
    assert missing["message"] == "Product not found"
    assert_error(await v1.get("/products/10000"), 404, "resource_not_found")  # demo-other's burger
    assert_error(await other_v1.get("/products/1"), 404, "resource_not_found")
    bad = assert_error(await v1.get("/products/abc"), 400, "invalid_parameter")
    assert error_fields_of(bad) == ["path.product_id"]
    assert_error(await v1.get("/products/0"), 400, "invalid_parameter")


async def test_another_brand_lists_only_its_own_products(other_v1: V1Client) -> None:
    answer = await other_v1.get("/products", params={"with[]": "modificator_groups"})
    assert all(item["id"] >= 10000 for item in answer.json()["data"]) and answer.json()["total"] >= 1
    groups = [g["id"] for item in answer.json()["data"] for g in item["modificator_groups"]]
    assert groups and all(group >= 10000 for group in groups)


@pytest.mark.parametrize("path", ["/products", "/products/1", "/products/stop-list"])
async def test_no_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(f"/open-api{path}"), 401, "unauthorized")


async def _add_products(app: FastAPI, count: int) -> None:
    """``count`` more dishes, each with two modifier groups, an override, a recipe and a taxed variant."""
    db = app.state.services.db
    now = datetime(2025, 1, 1, tzinfo=UTC)
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == "openapitest"))).scalar_one()
        common = {"brand_id": brand_id, "created_at": now, "updated_at": now, "cost_price": Decimal(0)}
        dishes = [
            {
                **common,
                "id": 5000 + i,
                "type": "DISH",
                "name": f"Dish {i}",
                "price": Decimal("5.5"),
                "position": 500 + i,
            }
            for i in range(count)
        ]
        variants = [
            {
                **common,
                "id": 7000 + i,
                "parent_id": 5000 + i,
                "type": "MODIFICATION",
                "name": f"Dish {i} large",
                "price": Decimal(7),
                "position": 700 + i,
            }
            for i in range(count)
        ]
        await conn.execute(insert(Product), dishes)
        await conn.execute(insert(Product), variants)
        await conn.execute(
            insert(ProductModifierGroup),
            [
                {"brand_id": brand_id, "product_id": 5000 + i, "group_id": group, "position": position}
                for i in range(count)
                for position, group in enumerate((5, 8))
            ],
        )
        await conn.execute(
            insert(ProductTax),
            [{"brand_id": brand_id, "product_id": 7000 + i, "tax_id": 1} for i in range(count)],
        )
        await conn.execute(
            insert(ProductVenue),
            [
                {"brand_id": brand_id, "product_id": 5000 + i, "venue_id": 2, "price": Decimal(6)}
                for i in range(count)
            ],
        )
        await conn.execute(
            insert(RecipeItem),
            [
                {
                    "brand_id": brand_id,
                    "product_id": 5000 + i,
                    "ingredient_id": 301,
                    "gross": Decimal("0.2"),
                    "net": Decimal("0.2"),
                }
                for i in range(count)
            ],
        )


async def test_a_page_costs_the_same_queries_whatever_its_size(app: FastAPI, v1: V1Client) -> None:
    await _add_products(app, 120)
    await v1.get("/products", params={"limit": 1})  # loads the catalogue snapshot (once per version)
    engine = app.state.services.db.engine.sync_engine
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    params: dict[str, Any] = {"with[]": ALL_INCLUDES, "sort[0]": "id"}
    counts: dict[int, int] = {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for limit in (1, 100):
            statements.clear()
            answer = await v1.get("/products", params={**params, "limit": limit})
            assert len(ids(answer)) == limit
            counts[limit] = len(statements)
            if limit == 100:
                data = answer.json()["data"]
                dishes = [item for item in data if item["id"] >= 5000]
                assert len(dishes) > 80
                assert all([g["id"] for g in d["modificator_groups"]] == [5, 8] for d in dishes)
                assert all(d["modifications"][0]["taxes"][0]["id"] == 1 for d in dishes)
                assert all(d["recipe"][0]["id"] == 301 and d["venues"][0]["price"] == 6 for d in dishes)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    print(f"queries per page of products with every include: {counts}")
    assert counts[1] == counts[100], counts
    assert counts[100] <= 12, counts  # page, count, and one batch per relation
