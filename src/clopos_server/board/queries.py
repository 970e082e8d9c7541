"""What the board reads: the orders of a venue by column, what changed since a cursor, and the small lists
(payment methods, stop list) its forms need. Every query takes the brand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.board.staff import display_name
from clopos_server.db.models import (
    Order,
    OrderHistory,
    PaymentMethod,
    PaymentMethodVenue,
    Product,
    Receipt,
    StaffUser,
    StopListEntry,
)
from clopos_server.timeutil import utcnow

ACTIVE_LIMIT = 200  # PENDING and RECEIVED cards shown per column
DONE_LIMIT = 30  # recent DELIVERED / IGNORE cards
DONE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PaymentChoice:
    id: int
    name: str


async def column_orders(
    conn: AsyncConnection, brand_id: int, venue_id: int
) -> tuple[list[Row[Any]], list[Row[Any]], list[Row[Any]]]:
    """New (newest first: what just arrived is on top), in progress (oldest first: RECEIVED, and DELIVERED
    with the receipt still open, which waits to be closed) and recent done (newest first)."""
    here = (Order.brand_id == brand_id, Order.venue_id == venue_id)
    open_receipt = (
        select(Receipt.id)
        .where(Receipt.brand_id == Order.brand_id, Receipt.id == Order.receipt_id, Receipt.status == 1)
        .exists()
    )
    pending = (
        await conn.execute(
            select(Order)
            .where(*here, Order.status == "PENDING")
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(ACTIVE_LIMIT)
        )
    ).all()
    received = (
        await conn.execute(
            select(Order)
            .where(*here, or_(Order.status == "RECEIVED", and_(Order.status == "DELIVERED", open_receipt)))
            .order_by(Order.created_at, Order.id)
            .limit(ACTIVE_LIMIT)
        )
    ).all()
    done = (
        await conn.execute(
            select(Order)
            .where(
                *here,
                Order.status.in_(["DELIVERED", "IGNORE"]),
                ~open_receipt,
                Order.updated_at >= utcnow() - DONE_WINDOW,
            )
            .order_by(Order.updated_at.desc(), Order.id.desc())
            .limit(DONE_LIMIT)
        )
    ).all()
    return list(pending), list(received), list(done)


@dataclass(frozen=True, slots=True)
class Step:
    """One change of an order's status, for its timeline."""

    status: str
    at: datetime
    by: str


async def histories(conn: AsyncConnection, brand_id: int, order_ids: Sequence[int]) -> dict[int, list[Step]]:
    """Each order's status changes, oldest first (the data the API's ``with[]=history`` shows)."""
    steps: dict[int, list[Step]] = {}
    if not order_ids:
        return steps
    rows = await conn.execute(
        select(OrderHistory.order_id, OrderHistory.status, OrderHistory.at, OrderHistory.by)
        .where(OrderHistory.brand_id == brand_id, OrderHistory.order_id.in_(list(order_ids)))
        .order_by(OrderHistory.id)
    )
    for row in rows:
        steps.setdefault(int(row.order_id), []).append(Step(str(row.status), row.at, str(row.by)))
    return steps


async def staff_names(conn: AsyncConnection, brand_id: int) -> dict[int, str]:
    """Staff users' display names, for "accepted by" on a timeline."""
    rows = await conn.execute(
        select(StaffUser.id, StaffUser.username, StaffUser.first_name, StaffUser.last_name).where(
            StaffUser.brand_id == brand_id
        )
    )
    return {int(row.id): display_name(row) for row in rows}


async def orders_by_id(
    conn: AsyncConnection, brand_id: int, venue_id: int, order_ids: Sequence[int]
) -> list[Row[Any]]:
    """The orders among ``order_ids`` that are this venue's (an id of another venue or brand is dropped)."""
    if not order_ids:
        return []
    rows = await conn.execute(
        select(Order).where(
            Order.brand_id == brand_id, Order.venue_id == venue_id, Order.id.in_(list(order_ids))
        )
    )
    return list(rows)


async def orders_of_receipts(
    conn: AsyncConnection, brand_id: int, venue_id: int, receipt_ids: Sequence[int]
) -> dict[int, int]:
    """The venue's orders opened as these receipts: receipt id -> order id (a receipt event moves a card)."""
    if not receipt_ids:
        return {}
    rows = await conn.execute(
        select(Order.receipt_id, Order.id).where(
            Order.brand_id == brand_id, Order.venue_id == venue_id, Order.receipt_id.in_(list(receipt_ids))
        )
    )
    return {int(receipt_id or 0): int(order_id) for receipt_id, order_id in rows}


async def versions(conn: AsyncConnection, brand_id: int, order_ids: Sequence[int]) -> dict[int, int]:
    """Each order's newest history id: its version, and the event id of its newest change."""
    if not order_ids:
        return {}
    rows = await conn.execute(
        select(OrderHistory.order_id, func.max(OrderHistory.id))
        .where(OrderHistory.brand_id == brand_id, OrderHistory.order_id.in_(list(order_ids)))
        .group_by(OrderHistory.order_id)
    )
    return {int(order_id): int(version) for order_id, version in rows}


async def payment_choices(conn: AsyncConnection, brand_id: int, venue_id: int) -> list[PaymentChoice]:
    """Payment methods enabled at the venue that staff can take at the counter (not the system ones,
    customer balance and cashback, which need the customer's account)."""
    rows = await conn.execute(
        select(PaymentMethod.id, PaymentMethod.name)
        .join(
            PaymentMethodVenue,
            and_(
                PaymentMethodVenue.payment_method_id == PaymentMethod.id,
                PaymentMethodVenue.venue_id == venue_id,
                PaymentMethodVenue.brand_id == brand_id,
            ),
        )
        .where(
            PaymentMethod.brand_id == brand_id,
            PaymentMethodVenue.status == 1,
            PaymentMethod.is_system == 0,
        )
        .order_by(PaymentMethod.position.asc().nulls_last(), PaymentMethod.id)
    )
    return [PaymentChoice(int(row.id), str(row.name)) for row in rows]


@dataclass(frozen=True, slots=True)
class StopItem:
    product_id: int
    name: str
    remaining: int


async def stop_items(conn: AsyncConnection, brand_id: int) -> list[StopItem]:
    rows = await conn.execute(
        select(StopListEntry.product_id, Product.name, StopListEntry.remaining)
        .join(Product, Product.id == StopListEntry.product_id)
        .where(StopListEntry.brand_id == brand_id)
        .order_by(StopListEntry.remaining, Product.name, Product.id)
    )
    return [StopItem(int(row.product_id), str(row.name), int(row.remaining)) for row in rows]


TODAY_LIMIT = 2000  # orders of one business day read for the "today" page


async def orders_between(
    conn: AsyncConnection, brand_id: int, venue_id: int, start: datetime, end: datetime
) -> list[Row[Any]]:
    """The venue's orders that arrived in ``[start, end)``, newest first."""
    rows = await conn.execute(
        select(Order)
        .where(
            Order.brand_id == brand_id,
            Order.venue_id == venue_id,
            Order.created_at >= start,
            Order.created_at < end,
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(TODAY_LIMIT)
    )
    return list(rows)


async def closed_revenue(
    conn: AsyncConnection, brand_id: int, venue_id: int, start: datetime, end: datetime
) -> tuple[int, Decimal]:
    """How many of the venue's receipts were closed in ``[start, end)``, and their total."""
    row = (
        await conn.execute(
            select(func.count(Receipt.id), func.coalesce(func.sum(Receipt.total), 0)).where(
                Receipt.brand_id == brand_id,
                Receipt.venue_id == venue_id,
                Receipt.status == 2,
                Receipt.closed_at >= start,
                Receipt.closed_at < end,
            )
        )
    ).one()
    return int(row[0]), Decimal(str(row[1]))
