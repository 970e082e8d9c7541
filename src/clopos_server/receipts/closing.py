"""Closing a receipt with payments (spec/orders.md, "Receipts"): ``POST /receipts/{id}/close``, the test
helper's close, and the steps v1's update reuses when it closes.

A close is a conditional update inside the caller's transaction, so that of two concurrent closes exactly
one wins, and any refusal rolls the whole transaction back: nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.db.models import Receipt
from clopos_server.errors import conflict
from clopos_server.events import log as events
from clopos_server.events.outbox import Outbox
from clopos_server.finance import hooks as finance_hooks
from clopos_server.kit.body import MISSING, BodyReader
from clopos_server.receipts import logged, stock
from clopos_server.receipts import repository as repo
from clopos_server.receipts.input import Payment, read_payments
from clopos_server.receipts.reads import CLOSED, OPEN, receipt_row, whole
from clopos_server.receipts.render import render_receipt
from clopos_server.timeutil import utcnow


class DeliverOrder(Protocol):
    """Delivers a closed receipt's order when it is RECEIVED: ``orders.lifecycle.deliver_if_received``.

    Orders sit above receipts (an accepted order opens its receipt), so receipts never import them: the
    caller of a close hands the order's lifecycle step in.
    """

    async def __call__(
        self, conn: AsyncConnection, brand_id: int, order_id: int, *, outbox: Outbox, by: str
    ) -> None: ...


def refuse_state(row: Row[Any]) -> None:
    if row.status != OPEN:
        raise conflict(f"Receipt {row.id} is already closed: only an open receipt can be closed")
    if row.lock:
        raise conflict(f"Receipt {row.id} is locked: unlock it first (PATCH with lock false)")


def closing_time(reader: BodyReader, row: Row[Any], raw: Any, now: datetime) -> datetime:
    """The moment sent, which must be later than ``created_at``; else now (never refused)."""
    created: datetime = row.created_at
    if raw is MISSING or raw is None or raw == "":
        return max(now, created)
    moment = reader.moment(raw, "closed_at")
    if moment is not None and moment <= created:
        reader.fail("closed_at", "closed_at must be greater than created_at")
    return moment or now


async def check_payments(
    conn: AsyncConnection,
    reader: BodyReader,
    brand_id: int,
    venue_id: int,
    customer_id: int | None,
    payments: list[Payment],
    total: Decimal,
) -> list[dict[str, Any]]:
    """Methods of the brand enabled at the venue, adding up to ``total`` exactly; the entries to store."""
    methods = await repo.payment_methods_at(conn, brand_id, venue_id)
    stored: list[dict[str, Any]] = []
    for payment in payments:
        method = methods.get(payment.id)
        if method is None:
            reader.fail(
                f"{payment.path}.id", f"Payment method {payment.id} is not a payment method of this brand"
            )
            continue
        if not method.enabled:
            reader.fail(
                f"{payment.path}.id",
                f"Payment method {payment.id} ({method.name}) is not enabled at venue {venue_id}",
            )
            continue
        if method.customer_required and not customer_id:
            reader.fail(
                f"{payment.path}.id",
                f"Payment method {payment.id} ({method.name}) needs a customer on the receipt",
            )
            continue
        stored.append({"id": payment.id, "name": method.name, "amount": payment.amount})
    if payments and len(stored) == len(payments):
        paid = sum((p.amount for p in payments), Decimal(0))
        if paid != total:
            reader.fail(
                "payment_methods",
                f"The payment amounts add up to {paid}, but the receipt total is {total}: they must be equal",
            )
    return stored


async def finish_close(
    conn: AsyncConnection,
    context: AuthContext,
    row: Row[Any],
    payments: list[dict[str, Any]],
    closed_at: datetime,
    *,
    outbox: Outbox,
    by: str,
    deliver: DeliverOrder,
) -> None:
    """Close with a conditional update, then spend stock, count it for the customer, deliver the order."""
    brand_id = context.brand.id
    now = utcnow()
    closed = await repo.update_receipt(
        conn,
        brand_id,
        row.id,
        {
            "status": CLOSED,
            "payment_methods": payments,
            "closed_at": closed_at,
            "remaining": Decimal(0),
            "updated_at": now,
        },
        Receipt.status == OPEN,
        Receipt.lock.is_(False),
    )
    if not closed:  # another request closed or locked it meanwhile
        refuse_state(await receipt_row(conn, brand_id, row.id))
        raise conflict(f"Receipt {row.id} changed meanwhile; try again")
    lines = (await repo.lines_of(conn, brand_id, [row.id])).get(row.id, [])
    before = render_receipt(row, lines)
    await stock.spend(conn, brand_id, row, lines, closed_at)
    await finance_hooks.receipt_closed(conn, brand_id, row, payments, closed_at)
    if row.customer_id:
        await repo.add_to_customer(
            conn, brand_id, row.customer_id, spent=row.total, discount=row.total_discount, receipts=1, now=now
        )
    await logged.record_receipt(conn, events.RECEIPT_CLOSED, brand_id, row.id, before)
    order_id = await repo.order_of_receipt(conn, brand_id, row.id)
    if order_id is not None:
        await deliver(conn, brand_id, order_id, outbox=outbox, by=by)


def tolerate_identity(reader: BodyReader, row: Row[Any], body: Mapping[str, Any]) -> None:
    """An ``id`` and ``cid`` in a body are fine when they are the receipt's own."""
    if "id" in body and reader.integer(body["id"], "id", required=True) not in (None, row.id):
        reader.fail("id", f"id must be the receipt's id, {row.id}")
    if "cid" in body and (not isinstance(body["cid"], str) or body["cid"].lower() != row.cid.lower()):
        reader.fail("cid", "cid must be the receipt's cid")


async def close(
    conn: AsyncConnection,
    context: AuthContext,
    receipt_id: int,
    body: Mapping[str, Any],
    *,
    outbox: Outbox,
    by: str,
    deliver: DeliverOrder,
) -> dict[str, Any]:
    """``POST /receipts/{id}/close``: ``{payment_methods: [{id, name, amount}], closed_at?}``."""
    brand_id = context.brand.id
    row = await receipt_row(conn, brand_id, receipt_id)
    refuse_state(row)
    reader = BodyReader(subject="receipt")
    tolerate_identity(reader, row, body)
    payments = read_payments(reader, body.get("payment_methods"))
    closed_at = closing_time(reader, row, body.get("closed_at", MISSING), utcnow())
    stored = await check_payments(conn, reader, brand_id, row.venue_id, row.customer_id, payments, row.total)
    reader.done()
    await finish_close(conn, context, row, stored, closed_at, outbox=outbox, by=by, deliver=deliver)
    return await whole(conn, brand_id, receipt_id)


async def close_for_test(
    conn: AsyncConnection,
    context: AuthContext,
    receipt_id: int,
    body: Mapping[str, Any] | None,
    *,
    outbox: Outbox,
    by: str,
    deliver: DeliverOrder,
) -> dict[str, Any]:
    """The test helper: the body of a close, or without one the whole total in the venue's first enabled
    payment method (by position, then id)."""
    if body:
        return await close(conn, context, receipt_id, body, outbox=outbox, by=by, deliver=deliver)
    row = await receipt_row(conn, context.brand.id, receipt_id)
    refuse_state(row)
    methods = await repo.payment_methods_at(conn, context.brand.id, row.venue_id)
    usable = [m for m in methods.values() if m.enabled and not m.customer_required]
    if not usable:
        raise conflict(f"No payment method is enabled at venue {row.venue_id}")
    first = usable[0]
    return await close(
        conn,
        context,
        receipt_id,
        {"payment_methods": [{"id": first.id, "name": first.name, "amount": row.total}]},
        outbox=outbox,
        by=by,
        deliver=deliver,
    )
