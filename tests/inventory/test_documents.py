"""Stock documents as the CLI and the board record them: what each type does to stock and to the ledger,
the weighted average cost, and the refusals (publishing twice, a transfer to the same storage, a negative
quantity, no lines, a foreign storage) that write nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from clopos_server.db.backoffice_models import StockDocument, StockDocumentItem
from clopos_server.db.engine import Database
from clopos_server.db.models import StockOperation
from clopos_server.errors import ApiError
from clopos_server.inventory.operator import publish_at_brand
from tests.inventory.conftest import BAR, DEMO, Record
from tests.support.api import ApiClient
from tests.support.lifecycle import money


async def level(v2: ApiClient, storage_id: int, product_id: int) -> dict[str, Any]:
    params = {"filters[storage_id]": str(storage_id), "filters[product_id]": str(product_id)}
    data = (await v2.get("/stock", params=params)).json()["data"]
    return data[0] if data else {"quantity": 0, "cost": 0}


async def counts(database: Database) -> tuple[int, int, int]:
    async with database.read() as conn:
        return (
            (await conn.execute(select(func.count()).select_from(StockDocument))).scalar_one(),
            (await conn.execute(select(func.count()).select_from(StockDocumentItem))).scalar_one(),
            (await conn.execute(select(func.count()).select_from(StockOperation))).scalar_one(),
        )


async def test_a_supply_moves_the_weighted_average_cost(v2: ApiClient, record: Record) -> None:
    document = await record(
        type=1, supplier_id=2, storage_id=BAR, items=[{"product_id": 54, "quantity": 30, "cost": "0.70"}]
    )
    assert (document["type"], document["status"], document["supplier_id"]) == (1, 1, 2)
    assert document["number"] == f"IN-{document['id']:06d}" and money(document["total_cost"]) == 21
    ayran = await level(v2, BAR, 54)  # 68 at 0.5714, then 30 at 0.70
    assert money(ayran["quantity"]) == 98
    assert money(ayran["cost"]) == ((Decimal(68) * Decimal("0.5714") + 30 * Decimal("0.70")) / 98).quantize(
        Decimal("0.0001")
    )
    row = (await v2.get("/stock-operations", params={"filters[operation_id]": str(document["id"])})).json()
    (entry,) = row["data"]
    assert (money(entry["before_quantity"]), money(entry["after_quantity"])) == (68, 98)
    assert money(entry["before_cost"]) == Decimal("0.5714") and money(entry["after_cost"]) == money(
        ayran["cost"]
    )
    assert [(i["before_quantity"], i["after_quantity"]) for i in document["items"]] == [(68, 98)]


async def test_waste_takes_out_at_the_average_and_may_go_negative(v2: ApiClient, record: Record) -> None:
    document = await record(type=4, storage_id=BAR, items=[{"product_id": 112, "quantity": 40}])
    fanta = await level(v2, BAR, 112)
    assert money(fanta["quantity"]) == -4  # 36 held: stock may go negative
    assert money(document["items"][0]["cost"]) == money(fanta["cost"])
    info = (await v2.get("/stock/info")).json()["data"]
    assert info["negative_count"] == 1


async def test_a_transfer_moves_quantity_and_value(v2: ApiClient, record: Record) -> None:
    before = await level(v2, BAR, 111)
    await record(type=3, target_storage_id=BAR, items=[{"product_id": 111, "quantity": 10}])  # from 1
    main, bar = await level(v2, 1, 111), await level(v2, BAR, 111)
    assert money(main["quantity"]) == 90 and money(main["cost"]) == 1
    assert money(bar["quantity"]) == money(before["quantity"]) + 10
    expected = (money(before["quantity"]) * money(before["cost"]) + 10) / (money(before["quantity"]) + 10)
    assert money(bar["cost"]) == expected.quantize(Decimal("0.0001"))


async def test_an_inventory_check_writes_the_difference(v2: ApiClient, record: Record) -> None:
    document = await record(
        type=9, items=[{"product_id": 301, "quantity": "97.5"}, {"product_id": 302, "quantity": 100}]
    )
    tomato, onion = document["items"]
    assert (money(tomato["before_quantity"]), money(tomato["after_quantity"])) == (100, Decimal("97.5"))
    assert money(onion["after_quantity"]) == 100
    rows = (await v2.get("/stock-operations", params={"filters[operation_id]": str(document["id"])})).json()
    assert sorted(money(r["quantity"]) for r in rows["data"]) == [0, Decimal("2.5")]
    assert money((await level(v2, 1, 301))["quantity"]) == Decimal("97.5")


async def test_production_spends_the_recipe_and_adds_the_product(v2: ApiClient, record: Record) -> None:
    document = await record(type=7, items=[{"product_id": 1, "quantity": 2}])  # 0.1 tomato, 0.05 onion each
    assert money((await level(v2, 1, 301))["quantity"]) == Decimal("99.8")
    assert money((await level(v2, 1, 302))["quantity"]) == Decimal("99.9")
    made = await level(v2, 1, 1)
    assert money(made["quantity"]) == 2 and money(made["cost"]) == Decimal("0.1")  # (0.16 + 0.04) / 2
    assert money(document["total_cost"]) == Decimal("0.2")


async def test_a_draft_changes_nothing_until_published_once(
    v2: ApiClient, record: Record, database: Database
) -> None:
    draft = await record(
        publish=False, type=11, storage_id=BAR, items=[{"product_id": 301, "quantity": 5, "cost": 1}]
    )
    assert draft["status"] == 2 and draft["items"][0]["before_quantity"] is None
    assert (await level(v2, BAR, 301))["quantity"] == 0
    published = await publish_at_brand(database, DEMO, draft["id"])
    assert published["status"] == 1 and money((await level(v2, BAR, 301))["quantity"]) == 5
    before = await counts(database)
    with pytest.raises(ApiError) as refused:
        await publish_at_brand(database, DEMO, draft["id"])
    assert refused.value.code == "conflict" and "already published" in refused.value.message
    assert await counts(database) == before and money((await level(v2, BAR, 301))["quantity"]) == 5


ONE = [{"product_id": 54, "quantity": 1}]
BAD = "validation_failed"
REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"type": 3, "storage_id": 1, "target_storage_id": 1, "items": ONE},
     BAD, "target_storage_id"),
    ({"type": 3, "items": ONE}, BAD, "target_storage_id"),
    ({"type": 1, "items": [{"product_id": 54, "quantity": -1}]}, BAD, "items[0].quantity"),
    ({"type": 4, "items": [{"product_id": 54, "quantity": 0}]}, BAD, "items[0].quantity"),
    ({"type": 1, "items": [{"product_id": 54, "quantity": 1, "cost": -2}]}, BAD, "items[0].cost"),
    ({"type": 1, "items": []}, BAD, "items"),
    ({"type": 1}, BAD, "items"),
    ({"type": 2, "items": ONE}, BAD, "type"),
    ({"type": 1, "items": [{"product_id": 99999, "quantity": 1}]}, BAD, "items[0].product_id"),
    ({"type": 7, "items": ONE}, BAD, "items[0].product_id"),
    ({"type": 1, "items": [{"product_id": 10000, "quantity": 1}]}, BAD, "items[0].product_id"),
    ({"type": 4, "storage_id": 2, "items": ONE}, BAD, "storage_id"),
    ({"type": 3, "target_storage_id": 10000, "items": ONE},
     "resource_not_found", ""),
    ({"type": 1, "supplier_id": 10000, "items": ONE}, "resource_not_found", ""),
    ({"type": 1, "description": "x" * 1001, "items": ONE},
     BAD, "description"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "code", "field"), REFUSED, ids=[f"{c}:{f}" for _, c, f in REFUSED])
async def test_refusals_name_the_field_and_write_nothing(
    record: Record, database: Database, body: dict[str, Any], code: str, field: str
) -> None:
    before = await counts(database)
    with pytest.raises(ApiError) as refused:
        await record(**body)
    assert refused.value.code == code
    if field:
        assert field in [p.field for p in refused.value.problems], refused.value.problems
    assert await counts(database) == before


async def test_a_foreign_draft_is_not_found(database: Database) -> None:
    with pytest.raises(ApiError) as refused:
        await publish_at_brand(database, "demo-other", 1)
    assert refused.value.code == "resource_not_found"
