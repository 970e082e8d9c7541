"""The one place stock moves: :func:`move` changes a level and writes its ledger row, in the caller's
transaction.

The level is read under a row lock (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions are
serial), so each row's ``before_quantity`` is the previous row's ``after_quantity`` for that product and
storage, and the level always equals the last row's ``after_quantity``. Incoming stock with a cost moves
the weighted average cost: ``(held x average + quantity x cost) / (held + quantity)``, where a level at or
below zero holds no value (the new average is the incoming cost). Outgoing stock leaves the average as it
is. Quantities and costs keep 4 decimal places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import dialect_of
from clopos_server.db.models import StockLevel, StockOperation
from clopos_server.db.types import stored_money

QUANTUM = Decimal("0.0001")


def q4(value: Decimal) -> Decimal:
    """A quantity or cost as the columns keep it (4 places, half up), written short (``80``, not
    ``80.0000``) as the columns give it back."""
    return stored_money(value.quantize(QUANTUM, rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Cause:
    """Why stock moves: a ledger type and the receipt (and line) or document (and line) behind it."""

    type: int
    receipt_id: int | None = None
    receipt_product_id: int | None = None
    operation_id: int | None = None
    operation_item_id: int | None = None


def weighted_cost(held: Decimal, average: Decimal, quantity: Decimal, cost: Decimal) -> Decimal:
    """The average unit cost after ``quantity`` arrives at ``cost`` onto ``held`` at ``average``."""
    if held <= 0:
        return q4(cost)
    return q4((held * average + quantity * cost) / (held + quantity))


async def _ensure_level(
    conn: AsyncConnection, brand_id: int, storage_id: int, product_id: int, cost: Decimal
) -> None:
    """A level of 0 at ``cost`` unless one exists (insert-if-absent: safe under concurrency)."""
    dialect_insert = sqlite_insert if dialect_of(conn) == "sqlite" else pg_insert
    await conn.execute(
        dialect_insert(StockLevel)
        .values(brand_id=brand_id, storage_id=storage_id, product_id=product_id, quantity=0, cost=cost)
        .on_conflict_do_nothing(index_elements=["storage_id", "product_id"])
    )


async def _locked_level(conn: AsyncConnection, brand_id: int, storage_id: int, product_id: int) -> Any:
    return (
        await conn.execute(
            select(StockLevel.id, StockLevel.quantity, StockLevel.cost)
            .where(
                StockLevel.brand_id == brand_id,
                StockLevel.storage_id == storage_id,
                StockLevel.product_id == product_id,
            )
            .with_for_update()
        )
    ).one()


async def current_cost(
    conn: AsyncConnection, brand_id: int, storage_id: int, product_id: int, default: Decimal
) -> Decimal:
    """The level's average cost, or ``default`` where the storage never held the product."""
    cost = (
        await conn.execute(
            select(StockLevel.cost).where(
                StockLevel.brand_id == brand_id,
                StockLevel.storage_id == storage_id,
                StockLevel.product_id == product_id,
            )
        )
    ).scalar_one_or_none()
    return default if cost is None else Decimal(cost)


async def move(
    conn: AsyncConnection,
    brand_id: int,
    storage_id: int,
    product_id: int,
    change: Decimal,
    *,
    cause: Cause,
    at: datetime,
    unit_cost: Decimal | None = None,
    default_cost: Decimal = Decimal(0),
) -> dict[str, Any]:
    """Add ``change`` (negative: take) to the level; an incoming ``unit_cost`` moves the average. Answers
    the ledger row written. A level that does not exist starts at 0 and ``default_cost``."""
    change = q4(change)
    await _ensure_level(conn, brand_id, storage_id, product_id, default_cost)
    level = await _locked_level(conn, brand_id, storage_id, product_id)
    before, average = Decimal(level.quantity), Decimal(level.cost)
    after = before + change
    valued = unit_cost is not None and change > 0
    new_average = (
        weighted_cost(before, average, change, unit_cost) if valued and unit_cost is not None else average
    )
    unit = q4(unit_cost) if valued and unit_cost is not None else average
    await conn.execute(
        update(StockLevel)
        .where(StockLevel.id == level.id)
        .values(quantity=after, cost=new_average, updated_at=at)
    )
    row: dict[str, Any] = {
        "brand_id": brand_id,
        "type": cause.type,
        "receipt_id": cause.receipt_id,
        "receipt_product_id": cause.receipt_product_id,
        "operation_id": cause.operation_id,
        "operation_item_id": cause.operation_item_id,
        "product_id": product_id,
        "stock_id": level.id,
        "storage_id": storage_id,
        "quantity": abs(change),
        "before_quantity": before,
        "after_quantity": after,
        "cost": unit,
        "before_cost": average,
        "after_cost": new_average,
        "total_cost": q4(abs(change) * unit),
        "operated_at": at,
    }
    row["id"] = (
        await conn.execute(insert(StockOperation).values(**row).returning(StockOperation.id))
    ).scalar_one()
    return row
