"""Paying a supply: a published supply document with a supplier, marked paid from a money account, writes
one expense transaction (its total cost, out of that account) in the same database transaction as the
mark. The mark is a row keyed by the document, so a supply is paid at most once, also when two requests
race (the second is a 409 and writes nothing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.backoffice_models import StockDocument
from clopos_server.db.finance_models import SupplyPayment
from clopos_server.errors import ApiError, conflict, not_found
from clopos_server.finance import repository as repo
from clopos_server.finance.ledger import EXPENSE, Movement, post

SUPPLY, PUBLISHED = 1, 1
SUPPLIES = "supplies"  # the system_type of the category paid supplies are filed under


async def mark_paid(
    conn: AsyncConnection, brand_id: int, operation_id: int, account_id: int, now: datetime
) -> int:
    """Mark supply document ``operation_id`` paid out of ``account_id``; the expense transaction's id."""
    statement = select(StockDocument).where(
        StockDocument.brand_id == brand_id, StockDocument.id == operation_id
    )
    document = await repo.one(conn, statement)
    if document is None:
        raise not_found(f"Stock document {operation_id} not found")
    if document.type != SUPPLY or document.status != PUBLISHED or document.supplier_id is None:
        raise conflict(f"Document {operation_id} is not a published supply with a supplier: nothing to pay")
    if await repo.account(conn, brand_id, account_id) is None:
        raise not_found(f"Money account {account_id} not found")
    await _claim(conn, brand_id, operation_id, now)
    movement = Movement(
        EXPENSE,
        now,
        category_id=await repo.category_id_of(conn, brand_id, SUPPLIES),
        operation_id=operation_id,
        supplier_id=document.supplier_id,
        description=f"Supply {document.number} paid",
    )
    transaction_id = await post(conn, brand_id, account_id, -document.total_cost, movement)
    await conn.execute(
        update(SupplyPayment)
        .where(SupplyPayment.brand_id == brand_id, SupplyPayment.operation_id == operation_id)
        .values(transaction_id=transaction_id)
    )
    return transaction_id


async def _claim(conn: AsyncConnection, brand_id: int, operation_id: int, now: datetime) -> None:
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(SupplyPayment).values(brand_id=brand_id, operation_id=operation_id, paid_at=now)
            )
    except IntegrityError:
        raise _paid(operation_id) from None


def _paid(operation_id: int) -> ApiError:
    return conflict(f"Supply {operation_id} is paid already")


async def is_paid(conn: AsyncConnection, brand_id: int, operation_id: int) -> bool:
    statement = select(SupplyPayment.operation_id).where(
        SupplyPayment.brand_id == brand_id, SupplyPayment.operation_id == operation_id
    )
    return (await conn.execute(statement)).first() is not None
