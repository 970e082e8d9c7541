"""Every inventory path of spec/backoffice.md on the demo: the happy path, no token, v1 not serving it, a
missing scope, a missing ability, a foreign brand's id, and bad parameters naming the field; on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.inventory.conftest import Change
from tests.support.api import ApiClient, assert_error, error_fields

STORAGES = ("storages:read", "STOCK_STORAGE_VIEW")
SUPPLIERS = ("suppliers:read", "STOCK_SUPPLIER_VIEW")
STOCK = ("stock:read", "STOCK_VIEW")
LEDGER = ("stock-operations:read", "STOCK_VIEW")
DOCUMENTS = ("operations:read", "STOCK_VIEW")
ITEMS = ("operation-items:read", "STOCK_VIEW")


def names(data: list[dict[str, Any]]) -> list[Any]:
    return [row.get("name") for row in data]


# path (with what it requires), guard, what the demo answers
PATHS: list[tuple[str, tuple[str, str], Callable[[Any], bool]]] = [
    ("/storages", STORAGES, lambda d: [(s["id"], s["is_default"]) for s in d] == [(1, True), (4, False)]),
    ("/storages/4", STORAGES, lambda d: d["name"] == "Main bar storage" and d["venue_id"] == 1),
    (
        "/suppliers",
        SUPPLIERS,
        lambda d: names(d) == ["Baku Fresh Produce", "Caspian Beverages", "Ganja Dairy"],
    ),
    (
        "/suppliers/total",
        SUPPLIERS,
        lambda d: d == {"count": 3, "supplies_count": 2, "supplies_total_cost": 101.2},
    ),
    ("/suppliers/2", SUPPLIERS, lambda d: d["tin"] == "1402345672"),
    ("/stock", STOCK, lambda d: {s["storage_id"] for s in d} == {1, 4} and len(d) == 8),
    (
        "/stock/1",
        STOCK,
        lambda d: (d["product_id"], d["quantity"], d["cost"], d["total_cost"]) == (301, 100, 0.8, 80),
    ),
    ("/stock/product?product_id=54", STOCK, lambda d: [s["storage_id"] for s in d] == [1, 2, 3, 4]),
    (
        "/stock/product-group",
        STOCK,
        lambda d: [g["category_name"] for g in d] == ["Ingredients", "Soft drinks"],
    ),
    (
        "/stock/info",
        STOCK,
        lambda d: d["levels_count"] == 8 and d["storages_count"] == 2 and d["negative_count"] == 0,
    ),
    ("/stock/total", STOCK, lambda d: d["count"] == 8 and d["quantity"] == 676),
    (
        "/stock-operations",
        LEDGER,
        lambda d: [r["type_name"] for r in d][:2] == ["WASTE", "IN"] and len(d) == 7,
    ),
    ("/stock-operations/products", LEDGER, lambda d: [p["product_id"] for p in d] == [54, 111, 112]),
    (
        "/stock-operations/total",
        LEDGER,
        lambda d: d["count"] == 7 and d["in_quantity"] == 178 and d["out_quantity"] == 2,
    ),
    (
        "/stock-operations/{first}",
        LEDGER,
        lambda d: d["type"] == 11 and d["operation_id"] == 1 and d["receipt_id"] is None,
    ),
    ("/operations", DOCUMENTS, lambda d: [o["id"] for o in d] == [5, 4, 3, 2, 1]),
    (
        "/operations/statuses",
        DOCUMENTS,
        lambda d: d["statuses"] == [{"id": 1, "name": "Published"}, {"id": 2, "name": "Draft"}],
    ),
    ("/operations/total", DOCUMENTS, lambda d: d["count"] == 5 and d["items_count"] == 9),
    (
        "/operations/2",
        DOCUMENTS,
        lambda d: d["number"] == "IN-000002" and d["supplier_id"] == 2 and d["status"] == 1,
    ),
    (
        "/operations/2/items",
        DOCUMENTS,
        lambda d: (
            [(i["product_id"], i["before_quantity"], i["after_quantity"]) for i in d]
            == [(111, 24, 72), (112, 12, 36)]
        ),
    ),
    ("/operation-items", ITEMS, lambda d: len(d) == 9),
    ("/operation-items/total", ITEMS, lambda d: d["count"] == 9 and d["quantity"] == 200),
]
IDS = [path.split("?")[0] for path, _, _ in PATHS]


@pytest.mark.parametrize(("path", "guard", "expected"), PATHS, ids=IDS)
async def test_the_demo_answers(v2: ApiClient, path: str, guard: Any, expected: Any) -> None:
    answer = await v2.get(await resolved(v2, path))
    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is True
    assert expected(answer.json()["data"]), answer.text


async def resolved(v2: ApiClient, path: str) -> str:
    """``{first}``: the demo's first ledger row (its id depends on the database's sequence)."""
    if "{first}" not in path:
        return path
    oldest = await v2.get("/stock-operations", params={"sort[0]": "id", "sort[1]": "1", "limit": "1"})
    return path.format(first=oldest.json()["data"][0]["id"])


@pytest.mark.parametrize("path", [p for p, _, _ in PATHS], ids=IDS)
async def test_no_token(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(f"/open-api/v2{path}"), 401, "unauthorized")


@pytest.mark.parametrize("path", [p for p, _, _ in PATHS[:6]], ids=IDS[:6])
async def test_v1_does_not_serve_them(v1: ApiClient, path: str) -> None:
    assert (await v1.get(path)).status_code == 404


@pytest.mark.parametrize(("path", "guard"), [(p, g) for p, g, _ in PATHS], ids=IDS)
async def test_a_missing_scope_is_a_403_naming_it(
    v2: ApiClient, revoke_scope: Change, path: str, guard: tuple[str, str]
) -> None:
    path = await resolved(v2, path)
    await revoke_scope(guard[0])
    body = assert_error(await v2.get(path), 403, "forbidden")
    assert body["message"] == f"Integrator lacks scope {guard[0]}"


@pytest.mark.parametrize(("path", "guard"), [(p, g) for p, g, _ in PATHS], ids=IDS)
async def test_a_missing_ability_is_a_403_naming_it(
    v2: ApiClient, give_role: Change, path: str, guard: tuple[str, str]
) -> None:
    path = await resolved(v2, path)
    await give_role("cashier")
    body = assert_error(await v2.get(path), 403, "forbidden")
    assert body["message"] == f"User lacks ability {guard[1]}"


async def test_a_custom_role_grants_its_abilities(v2: ApiClient, give_role: Change) -> None:
    await give_role("stock_keeper")  # the demo document's role: STOCK_VIEW, STOCK_STORAGE_VIEW, ...
    assert (await v2.get("/stock")).status_code == 200
    await give_role("manager")
    assert (await v2.get("/suppliers")).status_code == 200


FOREIGN = [
    "/storages/1",
    "/suppliers/1",
    "/stock/1",
    "/stock-operations/1",
    "/operations/1",
    "/operations/1/items",
]


@pytest.mark.parametrize("path", FOREIGN)
async def test_another_brands_id_is_not_found(other_v2: ApiClient, path: str) -> None:
    assert_error(await other_v2.get(path), 404, "resource_not_found")


@pytest.mark.parametrize("path", ["/storages/10000", "/suppliers/10000", "/operations/999999"])
async def test_the_other_brands_rows_are_not_ours(v2: ApiClient, path: str) -> None:
    assert_error(await v2.get(path), 404, "resource_not_found")


async def test_the_other_brand_lists_only_its_own(other_v2: ApiClient) -> None:
    assert [s["id"] for s in (await other_v2.get("/storages")).json()["data"]] == [10000]
    assert [s["id"] for s in (await other_v2.get("/suppliers")).json()["data"]] == [10000]
    assert (await other_v2.get("/operations")).json()["total"] == 0


BAD: list[tuple[str, str]] = [
    ("/storages/abc", "path.storage_id"),
    ("/storages/0", "path.storage_id"),
    ("/suppliers/99999999999", "path.supplier_id"),
    ("/stock/x", "path.stock_id"),
    ("/stock-operations/-1", "path.operation_id"),
    ("/operations/1.5", "path.operation_id"),
    ("/operations/abc/items", "path.operation_id"),
    ("/stock?limit=0", "query.limit"),
    ("/stock/product", "query.product_id"),
    ("/stock/product?product_id=abc", "query.product_id"),
    ("/operations?filters[type]=2", "query.filters"),
    ("/operations?date[0]=2025-13-01", "query.date"),
    ("/stock-operations?page=0", "query.page"),
    ("/suppliers?sort[0]=secret", "query.sort"),
]


@pytest.mark.parametrize(("path", "field"), BAD, ids=[p for p, _ in BAD])
async def test_bad_parameters_are_a_400_naming_the_field(v2: ApiClient, path: str, field: str) -> None:
    answer = await v2.get(path)
    assert answer.status_code == 400, answer.text
    assert any(f is not None and f.startswith(field) for f in error_fields(answer)), answer.text


async def test_lists_take_the_venue_filter_and_page(v2: ApiClient) -> None:
    baku = (await v2.get("/stock", params={"filters[venue_id]": "2"})).json()
    assert baku["total"] == 5 and {s["storage_id"] for s in baku["data"]} == {2}
    bar = (await v2.get("/stock", params={"filters[storage_id]": "4", "limit": "2", "page": "2"})).json()
    assert bar["total"] == 3 and [s["product_id"] for s in bar["data"]] == [54]
    dated = await v2.get("/operations", params={"date[0]": "2025-01-05", "date[1]": "2025-01-10"})
    assert [o["id"] for o in dated.json()["data"]] == [3, 2]
    supplies = await v2.get("/operations", params={"filters[type]": "1", "filters[status]": "1"})
    assert [o["id"] for o in supplies.json()["data"]] == [3, 2]
