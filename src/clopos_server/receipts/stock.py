"""Stock spent by a closed receipt, and given back when the receipt is deleted.

Each line spends, from its venue's storage, by the product's ``inventory_behavior``: 1 the product itself
(count x portion), 0 its recipe's ingredients (gross x count x portion), 3 (or anything else) nothing.
Levels may go negative; every movement goes through the inventory ledger (``clopos_server.inventory.ledger``):
one ``stock_operations`` row with the quantities and costs before and after, of type SALE on close and
SALE_CANCEL when a deleted receipt gives its stock back (one ledger with the stock documents').
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.inventory import types
from clopos_server.inventory.ledger import Cause, move
from clopos_server.inventory.repository import recipes_of
from clopos_server.receipts import repository as repo
from clopos_server.timeutil import utcnow

SPENDS_ITSELF = 1
SPENDS_RECIPE = 0
QUANTUM = Decimal("0.0001")  # what a quantity column keeps


def _q(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM, rounding=ROUND_HALF_UP)


async def venue_storage(conn: AsyncConnection, brand_id: int, venue_id: int) -> Row[Any]:
    """The venue's storage; one is created for a venue that has none (one storage per venue)."""
    storage = await repo.storage_of_venue(conn, brand_id, venue_id)
    if storage is None:
        await repo.insert_storage(conn, brand_id, venue_id, f"Venue {venue_id} storage")
        storage = await repo.storage_of_venue(conn, brand_id, venue_id)
    assert storage is not None
    return storage


async def spend(
    conn: AsyncConnection, brand_id: int, receipt: Row[Any], lines: Sequence[Row[Any]], at: datetime
) -> list[dict[str, Any]]:
    """Write the stock operations of a receipt being closed; each line's ``cost`` becomes what it spent."""
    products = await repo.products_by_id(conn, brand_id, [line.product_id for line in lines])
    recipes = await recipes_of(
        conn,
        brand_id,
        [p.id for p in products.values() if p.inventory_behavior == SPENDS_RECIPE],
    )
    storage = await venue_storage(conn, brand_id, receipt.venue_id)
    operations: list[dict[str, Any]] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            continue
        units = Decimal(line._mapping["count"]) * (line.portion_size or Decimal(1))  # .count: tuple method
        if product.inventory_behavior == SPENDS_ITSELF:
            items = [(product.id, _q(units), product.cost_price)]
        elif product.inventory_behavior == SPENDS_RECIPE:
            items = [
                (r.ingredient_id, _q(r.gross * units), r.cost_price) for r in recipes.get(product.id, [])
            ]
        else:
            items = []
        line_cost = Decimal(0)
        cause = Cause(types.SALE, receipt_id=receipt.id, receipt_product_id=line.id)
        for item_id, quantity, default_cost in items:
            row = await move(
                conn, brand_id, storage.id, item_id, -quantity, cause=cause, at=at, default_cost=default_cost
            )
            line_cost += row["total_cost"]
            operations.append(row)
        if items:
            await repo.set_line_cost(conn, brand_id, line.id, line_cost)
    return operations


async def give_back(conn: AsyncConnection, brand_id: int, operations: Sequence[Row[Any]]) -> None:
    """Reverse a deleted receipt's operations: each level gets back what the receipt took, at the cost it
    was taken at (ledger rows of type SALE_CANCEL)."""
    at = utcnow()
    for operation in operations:
        if operation.type != types.SALE:
            continue
        cause = Cause(
            types.SALE_CANCEL,
            receipt_id=operation.receipt_id,
            receipt_product_id=operation.receipt_product_id,
        )
        await move(
            conn,
            brand_id,
            operation.storage_id,
            operation.product_id,
            operation.quantity,
            cause=cause,
            at=at,
            unit_cost=operation.cost,
        )
