"""One ledger: receipts closed and deleted write rows of the same stock ledger as documents, and the
property that the ledger explains every level (each row starts where the previous one of its product and
storage ended, and the last one ends at the level), over random sequences of documents, productions, sales
and deletes; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from clopos_server.db.engine import Database
from clopos_server.db.models import StockLevel, StockOperation
from clopos_server.inventory.operator import record_at_venue
from tests.inventory.conftest import BAR, DEMO, closed_sale
from tests.support.api import ApiClient
from tests.support.lifecycle import accepted_order, money


async def test_the_documented_orders_receipt_adds_ledger_rows(api: ApiClient, v2: ApiClient) -> None:
    order, _ = await accepted_order(api)
    before = (await v2.get("/stock-operations/total")).json()["data"]["count"]
    closed = await v2.post(
        f"/receipts/{order['receipt_id']}/close", json={"payment_methods": [{"id": 1, "amount": 16.2}]}
    )
    assert closed.status_code == 200, closed.text
    rows = (
        await v2.get("/stock-operations", params={"filters[receipt_id]": str(order["receipt_id"])})
    ).json()
    assert rows["total"] > 0 and {r["type_name"] for r in rows["data"]} == {"SALE"}
    assert (await v2.get("/stock-operations/total")).json()["data"]["count"] == before + rows["total"]
    spent = (await v2.get(f"/receipts/{order['receipt_id']}/stock-operations")).json()["data"]
    assert sorted(r["id"] for r in spent) == sorted(r["id"] for r in rows["data"])


async def test_a_deleted_receipt_gives_its_stock_back_in_the_ledger(v1: ApiClient, v2: ApiClient) -> None:
    recorded = await v1.post("/receipts", json=closed_sale((111, 3)))
    receipt_id = recorded.json()["data"]["id"]
    assert (await v1.request("DELETE", f"/receipts/{receipt_id}")).status_code == 200
    rows = (await v2.get("/stock-operations", params={"filters[receipt_id]": str(receipt_id)})).json()["data"]
    assert [(r["type_name"], money(r["before_quantity"]), money(r["after_quantity"])) for r in rows] == [
        ("SALE_CANCEL", 97, 100),
        ("SALE", 100, 97),
    ]
    level = (await v2.get("/stock/product", params={"product_id": "111", "filters[storage_id]": "1"})).json()
    assert money(level["data"][0]["quantity"]) == 100


async def check_ledger(database: Database) -> None:
    """Every (product, storage) with ledger rows: a chain of before/after that ends at the level."""
    async with database.read() as conn:
        rows = (await conn.execute(select(StockOperation).order_by(StockOperation.id))).all()
        levels = {
            (row.product_id, row.storage_id): row.quantity for row in await conn.execute(select(StockLevel))
        }
    chains: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        chains[(row.product_id, row.storage_id)].append(row)
    for key, chain in chains.items():
        for earlier, later in itertools.pairwise(chain):
            assert later.before_quantity == earlier.after_quantity, key
        for row in chain:
            assert abs(row.after_quantity - row.before_quantity) == row.quantity, key
        assert chain[-1].after_quantity == levels[key], key


QUANTITY = st.integers(min_value=1, max_value=40)
DOCUMENT = st.tuples(
    st.just("document"),
    st.sampled_from([1, 4, 9, 11, 10, 5, 3]),
    st.sampled_from([301, 54, 111]),
    QUANTITY,
    st.sampled_from([1, BAR]),
)
MAKE = st.tuples(st.just("make"), st.integers(min_value=1, max_value=3))
SALE = st.tuples(st.just("sale"), st.sampled_from([111, 54, 1]), st.integers(min_value=1, max_value=5))
DELETE = st.tuples(st.just("delete"), st.integers(min_value=0, max_value=100))
STEPS = st.lists(st.one_of(DOCUMENT, MAKE, SALE, DELETE), min_size=1, max_size=8)


class Run:
    """One drawn sequence: documents as the CLI records them, sales and deletes through the v1 API."""

    def __init__(self, v1: ApiClient, database: Database) -> None:
        self.v1, self.database = v1, database
        self.sales: list[int] = []

    async def document(self, kind: int, product: int, quantity: int, storage: int) -> None:
        body: dict[str, Any] = {"type": kind, "storage_id": storage}
        body["items"] = [{"product_id": product, "quantity": quantity, "cost": "0.9"}]
        if kind == 3:
            body["target_storage_id"] = BAR if storage == 1 else 1
        await record_at_venue(self.database, DEMO, 1, body)

    async def make(self, quantity: int) -> None:
        await record_at_venue(
            self.database, DEMO, 1, {"type": 7, "items": [{"product_id": 1, "quantity": quantity}]}
        )

    async def sale(self, product: int, count: int) -> None:
        answer = await self.v1.post("/receipts", json=closed_sale((product, count)))
        assert answer.status_code == 201, answer.text
        self.sales.append(answer.json()["data"]["id"])

    async def delete(self, pick: int) -> None:
        if self.sales:
            receipt_id = self.sales.pop(pick % len(self.sales))
            answer = await self.v1.request("DELETE", f"/receipts/{receipt_id}")
            assert answer.status_code == 200, answer.text


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
async def test_the_ledger_explains_every_level(
    client: httpx.AsyncClient, app: FastAPI, steps: list[tuple[Any, ...]]
) -> None:
    database: Database = app.state.services.db
    run = Run(await ApiClient.login(client, "v1"), database)
    await check_ledger(database)
    for kind, *args in steps:
        await getattr(run, kind)(*args)
        await check_ledger(database)


async def test_sales_at_once_keep_the_chain(v1: ApiClient, v2: ApiClient, app: FastAPI) -> None:
    """Eight closed sales of the same products at once (PostgreSQL: eight connections contending for the
    same levels' row locks): every unit is in the ledger, each row starting where the previous ended."""
    answers = await asyncio.gather(
        *(v1.post("/receipts", json=closed_sale((111, 2), (54, 1))) for _ in range(8))
    )
    assert [a.status_code for a in answers] == [201] * 8
    await check_ledger(app.state.services.db)
    fanta = (await v2.get("/stock/product", params={"product_id": "111", "filters[storage_id]": "1"})).json()
    assert money(fanta["data"][0]["quantity"]) == 100 - 16
    sales = (await v2.get("/stock-operations", params={"filters[type]": "2", "limit": "100"})).json()
    assert sales["total"] == 8  # Ayran (inventory_behavior 3) spends nothing
