"""Receipt, stock and payment queries. Every query takes the brand, so another brand's row is not found.

Changes of state are conditional updates (``... WHERE status = 1``, ``... WHERE remaining >= n``), so that of
two concurrent actors exactly one wins and the other sees that it lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.models import (
    ApiClient,
    Customer,
    Modifier,
    Order,
    PaymentMethod,
    PaymentMethodVenue,
    Product,
    Receipt,
    ReceiptProduct,
    StockOperation,
    StopListEntry,
    Storage,
    Tax,
)

AnyRow: TypeAlias = Row[*tuple[Any, ...]]

SORT_COLUMNS = {
    "id": Receipt.id,
    "created_at": Receipt.created_at,
    "updated_at": Receipt.updated_at,
    "closed_at": Receipt.closed_at,
    "total": Receipt.total,
}


# --------------------------------------------------------------------------------------------------------
# Receipts and lines


async def get_receipt(conn: AsyncConnection, brand_id: int, receipt_id: int) -> Row[Any] | None:
    return (
        await conn.execute(select(Receipt).where(Receipt.brand_id == brand_id, Receipt.id == receipt_id))
    ).first()


async def get_receipt_by_cid(conn: AsyncConnection, brand_id: int, cid: str) -> Row[Any] | None:
    """By cid, as written in lower or upper case (UUIDs are case-insensitive; ours are lower case)."""
    spellings = sorted({cid, cid.lower(), cid.upper()})
    return (
        await conn.execute(select(Receipt).where(Receipt.brand_id == brand_id, Receipt.cid.in_(spellings)))
    ).first()


async def list_receipts(
    conn: AsyncConnection,
    *,
    brand_id: int,
    conditions: Sequence[ColumnElement[bool]],
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[Row[Any]], int]:
    where = [Receipt.brand_id == brand_id, *conditions]
    column = SORT_COLUMNS[sort]
    rows = (
        await conn.execute(
            select(Receipt)
            .where(*where)
            .order_by(column.desc() if descending else column.asc(), Receipt.id.asc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = (await conn.execute(select(func.count()).select_from(Receipt).where(*where))).scalar_one()
    return list(rows), int(total)


async def lines_of(
    conn: AsyncConnection, brand_id: int, receipt_ids: Sequence[int]
) -> dict[int, list[Row[Any]]]:
    grouped: dict[int, list[Row[Any]]] = {rid: [] for rid in receipt_ids}
    if not receipt_ids:
        return grouped
    rows = await conn.execute(
        select(ReceiptProduct)
        .where(ReceiptProduct.brand_id == brand_id, ReceiptProduct.receipt_id.in_(list(receipt_ids)))
        .order_by(ReceiptProduct.receipt_id, ReceiptProduct.position, ReceiptProduct.id)
    )
    for row in rows:
        grouped.setdefault(row.receipt_id, []).append(row)
    return grouped


async def insert_receipt(conn: AsyncConnection, values: dict[str, Any]) -> int:
    receipt_id: int = (
        await conn.execute(insert(Receipt).values(**values).returning(Receipt.id))
    ).scalar_one()
    return receipt_id


async def insert_lines(conn: AsyncConnection, lines: Sequence[dict[str, Any]]) -> None:
    if lines:
        await conn.execute(insert(ReceiptProduct), list(lines))


async def update_receipt(
    conn: AsyncConnection,
    brand_id: int,
    receipt_id: int,
    values: dict[str, Any],
    *conditions: ColumnElement[bool],
) -> bool:
    """Set columns of a receipt when ``conditions`` hold; true when the row was changed."""
    result = await conn.execute(
        update(Receipt)
        .where(Receipt.brand_id == brand_id, Receipt.id == receipt_id, *conditions)
        .values(**values)
    )
    return bool(result.rowcount == 1)


async def delete_receipt(conn: AsyncConnection, brand_id: int, receipt_id: int) -> bool:
    """Lines and stock operations go with it (ON DELETE CASCADE); true for the one caller that deleted."""
    result = await conn.execute(delete(Receipt).where(Receipt.brand_id == brand_id, Receipt.id == receipt_id))
    return bool(result.rowcount == 1)


async def set_line_cost(conn: AsyncConnection, brand_id: int, line_id: int, cost: Decimal) -> None:
    await conn.execute(
        update(ReceiptProduct)
        .where(ReceiptProduct.brand_id == brand_id, ReceiptProduct.id == line_id)
        .values(cost=cost)
    )


async def order_of_receipt(conn: AsyncConnection, brand_id: int, receipt_id: int) -> int | None:
    order_id: int | None = (
        await conn.execute(
            select(Order.id).where(Order.brand_id == brand_id, Order.receipt_id == receipt_id).limit(1)
        )
    ).scalar_one_or_none()
    return order_id


# --------------------------------------------------------------------------------------------------------
# What a receipt is built from: catalogue rows, read fresh inside the transaction


async def products_by_id(conn: AsyncConnection, brand_id: int, ids: Sequence[int]) -> dict[int, AnyRow]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(
            Product.id,
            Product.name,
            Product.type,
            Product.price,
            Product.cost_price,
            Product.inventory_behavior,
        ).where(Product.brand_id == brand_id, Product.id.in_(list(set(ids))))
    )
    return {row.id: row for row in rows}


async def modifiers_by_id(conn: AsyncConnection, brand_id: int, ids: Sequence[int]) -> dict[int, AnyRow]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(Modifier.id, Modifier.name, Modifier.price, Modifier.group_id).where(
            Modifier.brand_id == brand_id, Modifier.id.in_(list(set(ids)))
        )
    )
    return {row.id: row for row in rows}


async def taxes_by_id(conn: AsyncConnection, brand_id: int, ids: Sequence[int]) -> dict[int, AnyRow]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(Tax.id, Tax.name, Tax.rate, Tax.type).where(
            Tax.brand_id == brand_id, Tax.id.in_(list(set(ids)))
        )
    )
    return {row.id: row for row in rows}


async def client_user(conn: AsyncConnection, brand_id: int, api_client_id: int | None) -> int | None:
    """The staff user an API client acts as."""
    if api_client_id is None:
        return None
    user_id: int | None = (
        await conn.execute(
            select(ApiClient.user_id).where(ApiClient.brand_id == brand_id, ApiClient.id == api_client_id)
        )
    ).scalar_one_or_none()
    return user_id


async def customer_address(conn: AsyncConnection, brand_id: int, customer_id: int) -> str | None:
    address: str | None = (
        await conn.execute(
            select(Customer.address).where(Customer.brand_id == brand_id, Customer.id == customer_id)
        )
    ).scalar_one_or_none()
    return address


async def exists_in_brand(conn: AsyncConnection, model: Any, brand_id: int, ident: int) -> bool:
    """Whether ``model`` (customers, sale types, staff users, products) has row ``ident`` in the brand."""
    found = (
        await conn.execute(select(model.id).where(model.brand_id == brand_id, model.id == ident))
    ).first()
    return found is not None


# --------------------------------------------------------------------------------------------------------
# Stop list


async def spend_stop_limit(
    conn: AsyncConnection, brand_id: int, product_id: int, count: int, stamp_ms: int
) -> bool:
    """``remaining -= count`` only where at least ``count`` are left; true when spent."""
    result = await conn.execute(
        update(StopListEntry)
        .where(
            StopListEntry.brand_id == brand_id,
            StopListEntry.product_id == product_id,
            StopListEntry.remaining >= count,
        )
        .values(remaining=StopListEntry.remaining - count, timestamp_ms=stamp_ms)
    )
    return bool(result.rowcount == 1)


async def stop_entry(conn: AsyncConnection, brand_id: int, product_id: int) -> AnyRow | None:
    return (
        await conn.execute(
            select(StopListEntry.remaining, Product.name)
            .join(Product, Product.id == StopListEntry.product_id)
            .where(StopListEntry.brand_id == brand_id, StopListEntry.product_id == product_id)
        )
    ).first()


# --------------------------------------------------------------------------------------------------------
# Payment methods


async def payment_methods_at(conn: AsyncConnection, brand_id: int, venue_id: int) -> dict[int, AnyRow]:
    """Every payment method of the brand with its status at the venue (``enabled``: 1 or 0), by id."""
    rows = await conn.execute(
        select(
            PaymentMethod.id,
            PaymentMethod.name,
            PaymentMethod.position,
            PaymentMethod.customer_required,
            func.coalesce(PaymentMethodVenue.status, 0).label("enabled"),
        )
        .outerjoin(
            PaymentMethodVenue,
            (PaymentMethodVenue.payment_method_id == PaymentMethod.id)
            & (PaymentMethodVenue.venue_id == venue_id),
        )
        .where(PaymentMethod.brand_id == brand_id)
        .order_by(func.coalesce(PaymentMethod.position, 2**31 - 1), PaymentMethod.id)
    )
    return {row.id: row for row in rows}


# --------------------------------------------------------------------------------------------------------
# Customers


async def add_to_customer(
    conn: AsyncConnection,
    brand_id: int,
    customer_id: int,
    *,
    spent: Decimal,
    discount: Decimal,
    receipts: int,
    now: datetime,
) -> None:
    await conn.execute(
        update(Customer)
        .where(Customer.brand_id == brand_id, Customer.id == customer_id)
        .values(
            spent=Customer.spent + spent,
            total_discount=Customer.total_discount + discount,
            receipt_count=Customer.receipt_count + receipts,
            updated_at=now,
        )
    )


# --------------------------------------------------------------------------------------------------------
# Stock


async def storage_of_venue(conn: AsyncConnection, brand_id: int, venue_id: int) -> AnyRow | None:
    return (
        await conn.execute(
            select(Storage.id, Storage.name)
            .where(Storage.brand_id == brand_id, Storage.venue_id == venue_id)
            .order_by(Storage.id)
            .limit(1)
        )
    ).first()


async def insert_storage(conn: AsyncConnection, brand_id: int, venue_id: int, name: str) -> int:
    storage_id: int = (
        await conn.execute(
            insert(Storage).values(brand_id=brand_id, venue_id=venue_id, name=name).returning(Storage.id)
        )
    ).scalar_one()
    return storage_id


async def stock_operations_of(conn: AsyncConnection, brand_id: int, receipt_id: int) -> list[AnyRow]:
    rows = await conn.execute(
        select(
            StockOperation,
            Product.name.label("product_name"),
            Storage.name.label("storage_name"),
        )
        .outerjoin(Product, Product.id == StockOperation.product_id)
        .outerjoin(Storage, Storage.id == StockOperation.storage_id)
        .where(StockOperation.brand_id == brand_id, StockOperation.receipt_id == receipt_id)
        .order_by(StockOperation.id)
    )
    return list(rows)
