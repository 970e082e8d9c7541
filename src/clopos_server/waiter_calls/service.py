"""The rules of a waiter call (``spec/backoffice.md``, "Waiter calls") and its acknowledgement.

A call names a table of the brand (its hall's venue is the call's venue) and a type: ``WAITER``, or
``PAY`` with the payment method the guest will pay with, which must be enabled at that venue and be a
cash or card method (not a system one, not one that needs a customer); ``payment_method`` with
``WAITER`` is refused. Every problem is a 400 ``validation_failed`` naming the field, written nothing.
The call and its event are written in one transaction; the caller wakes the venue's board after commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.catalog.repository import AnyRow
from clopos_server.db.backoffice_models import DiningTable, Hall, WaiterCall
from clopos_server.db.models import PaymentMethod, PaymentMethodVenue
from clopos_server.errors import conflict, not_found
from clopos_server.events import log as events_log
from clopos_server.kit.body import BodyReader
from clopos_server.timeutil import ts_plain, utcnow
from clopos_server.waiter_calls.shapes import TYPES

CREATED = events_log.WAITER_CALL_CREATED
ACKNOWLEDGED = events_log.WAITER_CALL_ACKNOWLEDGED

_SELECT = (
    select(
        WaiterCall,
        DiningTable.name.label("table_name"),
        Hall.name.label("hall_name"),
        PaymentMethod.name.label("payment_method_name"),
    )
    .join(DiningTable, DiningTable.id == WaiterCall.table_id)
    .join(Hall, Hall.id == DiningTable.hall_id)
    .outerjoin(PaymentMethod, PaymentMethod.id == WaiterCall.payment_method_id)
)


def render_call(row: AnyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "venue_id": row.venue_id,
        "table_id": row.table_id,
        "table_name": row.table_name,
        "hall_name": row.hall_name,
        "type": row.type,
        "payment_method_id": row.payment_method_id,
        "payment_method_name": row.payment_method_name,
        "created_at": ts_plain(row.created_at),
        "acknowledged_at": ts_plain(row.acknowledged_at) if row.acknowledged_at else None,
        "acknowledged_by": row.acknowledged_by,
    }


async def _table(conn: AsyncConnection, brand_id: int, table_id: int) -> AnyRow | None:
    statement = (
        select(DiningTable.id, Hall.venue_id)
        .join(Hall, Hall.id == DiningTable.hall_id)
        .where(DiningTable.brand_id == brand_id, DiningTable.id == table_id, DiningTable.status.is_(True))
    )
    return (await conn.execute(statement)).first()


async def _payable(conn: AsyncConnection, brand_id: int, venue_id: int, method_id: int) -> bool:
    """An enabled cash or card method of the venue (not a system one, not one needing a customer)."""
    statement = (
        select(PaymentMethod.id)
        .join(PaymentMethodVenue, PaymentMethodVenue.payment_method_id == PaymentMethod.id)
        .where(
            PaymentMethod.brand_id == brand_id,
            PaymentMethod.id == method_id,
            PaymentMethod.is_system == 0,
            PaymentMethod.customer_required == 0,
            PaymentMethodVenue.venue_id == venue_id,
            PaymentMethodVenue.status == 1,
        )
    )
    return (await conn.execute(statement)).first() is not None


async def one(conn: AsyncConnection, brand_id: int, call_id: int) -> dict[str, Any] | None:
    row = (
        await conn.execute(_SELECT.where(WaiterCall.brand_id == brand_id, WaiterCall.id == call_id))
    ).first()
    return render_call(row) if row is not None else None


async def active(conn: AsyncConnection, brand_id: int, venue_id: int) -> list[dict[str, Any]]:
    """The venue's calls nobody has acknowledged yet, oldest first."""
    statement = _SELECT.where(
        WaiterCall.brand_id == brand_id, WaiterCall.venue_id == venue_id, WaiterCall.acknowledged_at.is_(None)
    ).order_by(WaiterCall.id)
    return [render_call(row) for row in await conn.execute(statement)]


async def create(
    conn: AsyncConnection, brand_id: int, body: dict[str, Any], *, integrator_id: str | None
) -> dict[str, Any]:
    """Check the call, store it and record ``waiter_call.created``; answers the call."""
    reader = BodyReader(subject="waiter call")
    table_id = reader.integer(body.get("table_id"), "table_id", required=True)
    kind = reader.choice(body.get("type"), "type", TYPES, required=True)
    method_id = reader.integer(body.get("payment_method"), "payment_method", required=kind == "PAY")
    if kind == "WAITER" and method_id is not None:
        reader.bad("payment_method", "is only for a PAY call")
    reader.done()
    assert table_id is not None and kind is not None
    table = await _table(conn, brand_id, table_id)
    if table is None:
        reader.bad("table_id", "is not a table of this brand")
    elif method_id is not None and not await _payable(conn, brand_id, table.venue_id, method_id):
        reader.bad(
            "payment_method", f"must be an enabled cash or card payment method of venue {table.venue_id}"
        )
    reader.done()
    assert table is not None
    now = utcnow()
    values = {
        "brand_id": brand_id,
        "venue_id": table.venue_id,
        "table_id": table_id,
        "type": kind,
        "payment_method_id": method_id,
        "integrator_id": integrator_id,
        "created_at": now,
        "meta": {},
    }
    call_id = (await conn.execute(insert(WaiterCall).values(**values).returning(WaiterCall.id))).scalar_one()
    call = await one(conn, brand_id, call_id)
    assert call is not None
    await events_log.record(conn, CREATED, brand_id, table.venue_id, call, at=now)
    return call


async def acknowledge(
    conn: AsyncConnection,
    brand_id: int,
    venue_id: int,
    call_id: int,
    staff_id: int,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Mark the venue's call seen (once: a second acknowledgement is a 409); records the event."""
    before = await one(conn, brand_id, call_id)
    if before is None or before["venue_id"] != venue_id:
        raise not_found(f"Waiter call {call_id} not found")
    moment = at or utcnow()
    claimed = await conn.execute(
        update(WaiterCall)
        .where(WaiterCall.id == call_id, WaiterCall.acknowledged_at.is_(None))
        .values(acknowledged_at=moment, acknowledged_by=staff_id)
        .returning(WaiterCall.id)
    )
    if claimed.first() is None:
        raise conflict(f"Waiter call {call_id} is already acknowledged")
    call = await one(conn, brand_id, call_id)
    assert call is not None
    previous = events_log.previous_attributes(before, call)
    await events_log.record(conn, ACKNOWLEDGED, brand_id, venue_id, call, previous, at=moment)
    return call
