"""The order's life at the venue: accept, ignore, deliver (spec/orders.md, "The order lifecycle").

One service for every caller: the integrator's ``PUT /orders/{id}``, auto-accept at create, the test
helpers, the CLI and the order board. Each transition is ``move`` below: a conditional update
(of two concurrent actors exactly one wins, the other gets a 409 naming the current status), a history
row and an event published after commit. Accepting also spends the stop list and opens the receipt, in
the same transaction: a product sold out since the order was created makes the accept a 409 and rolls
everything back, so the order stays ``PENDING`` and no receipt is left half-written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.directory import BrandInfo, Directory
from clopos_server.catalog.service import record_stop_change
from clopos_server.db.engine import Database
from clopos_server.errors import conflict, not_found
from clopos_server.events import log as events
from clopos_server.events.outbox import Outbox
from clopos_server.orders import repository as repo
from clopos_server.orders.receipt_opening import open_from_order
from clopos_server.orders.render import render_order
from clopos_server.receipts import logged
from clopos_server.receipts import repository as receipts_repo
from clopos_server.timeutil import epoch_ms, utcnow

TRANSITIONS = ("accept", "ignore", "deliver")

ALLOWED_TRANSITIONS = {"IGNORE": ("PENDING",), "RECEIVED": ("PENDING",), "DELIVERED": ("RECEIVED",)}


# Runs after the conditional update won, in the same transaction, with the order as it was before;
# returns more columns to set on the order (accept: the new receipt's id). Raising rolls everything back.
AfterMove = Callable[[Row[Any], datetime], Awaitable[dict[str, Any]]]


async def move(
    conn: AsyncConnection,
    brand_id: int,
    order_id: int,
    *,
    to_status: str,
    outbox: Outbox,
    by: str,
    then: AfterMove | None = None,
    strict: bool = True,
) -> dict[str, Any] | None:
    """The one lifecycle mechanism (API, board, CLI, test helpers): a conditional update, a history row
    and an event. A refused transition is a 409 naming the current status, or None when not ``strict``."""
    row = await repo.get_order(conn, brand_id, order_id)
    if row is None:
        raise not_found("Order not found")
    now = utcnow()
    for from_status in ALLOWED_TRANSITIONS[to_status]:
        if await repo.change_status(
            conn,
            brand_id=brand_id,
            order_id=order_id,
            from_status=from_status,
            values={"status": to_status, "updated_at": now},
        ):
            break
    else:
        if not strict:
            return None
        current = await repo.get_order(conn, brand_id, order_id)
        status = current.status if current is not None else row.status
        raise conflict(f"Order {order_id} is {status}: it cannot become {to_status}")
    if then is not None:
        extra = await then(row, now)
        if extra:
            await repo.update_order(conn, brand_id=brand_id, order_id=order_id, values=extra)
    await repo.add_history(conn, brand_id=brand_id, order_id=order_id, status=to_status, at=now, by=by)
    changed = await repo.get_order(conn, brand_id, order_id)
    assert changed is not None
    rendered = render_order(changed)
    kind = events.ORDER_EVENT_OF_STATUS[to_status]
    previous = events.previous_attributes(render_order(row), rendered)
    await events.record(conn, kind, brand_id, changed.venue_id, rendered, previous, at=now)
    outbox.add(brand_id, changed.venue_id, kind, rendered)
    return rendered


def stop_list_demand(order: Row[Any]) -> dict[int, int]:
    """Portions per product across the order's lines (a weighed line counts one)."""
    demand: dict[int, int] = {}
    payload = order.payload if isinstance(order.payload, dict) else {}
    for line in payload.get("products") or []:
        if isinstance(line, dict) and "product_id" in line:
            pid = int(line["product_id"])
            demand[pid] = demand.get(pid, 0) + int(line.get("count") or 1)
    return demand


async def spend_stop_list(
    conn: AsyncConnection, brand_id: int, order: Row[Any], now: datetime, *, creating: bool = False
) -> None:
    """``remaining -= n ... WHERE remaining >= n`` per limited product; a 409 when one ran out."""
    stamp = epoch_ms(now)
    for product_id, wanted in sorted(stop_list_demand(order).items()):
        if await receipts_repo.spend_stop_limit(conn, brand_id, product_id, wanted, stamp):
            spent = await receipts_repo.stop_entry(conn, brand_id, product_id)
            left = None if spent is None else int(spent.remaining)
            await record_stop_change(conn, brand_id, product_id, left, stamp)
            continue
        entry = await receipts_repo.stop_entry(conn, brand_id, product_id)
        if entry is None:  # not on the stop list: unlimited
            continue
        left = max(int(entry.remaining), 0)
        problem = (
            f"{entry.name} is sold out"
            if left == 0
            else f"{entry.name}: {wanted} ordered, but only {left} left"
        )
        outcome = "the order was not created" if creating else f"order {order.id} stays PENDING"
        raise conflict(f"{problem}; the order cannot be accepted: {outcome}")


async def accept(
    conn: AsyncConnection,
    brand: BrandInfo,
    order_id: int,
    *,
    outbox: Outbox,
    by: str,
    user_id: int | None = None,
    creating: bool = False,
) -> dict[str, Any]:
    """PENDING -> RECEIVED, spending the stop list and opening the receipt (``order.receipt_id``).

    ``user_id`` is the receipt's user when the order has no API client; ``creating``: auto-accept, in
    the create's transaction (a refusal then refuses the create).
    """

    async def open_receipt(order: Row[Any], now: datetime) -> dict[str, Any]:
        await spend_stop_list(conn, brand.id, order, now, creating=creating)
        receipt_id = await open_from_order(conn, brand, order, now, user_id=user_id)
        await logged.record_receipt(conn, events.RECEIPT_CREATED, brand.id, receipt_id)
        return {"receipt_id": receipt_id}

    changed = await move(
        conn, brand.id, order_id, to_status="RECEIVED", outbox=outbox, by=by, then=open_receipt
    )
    assert changed is not None
    return changed


async def ignore(
    conn: AsyncConnection, brand: BrandInfo, order_id: int, *, outbox: Outbox, by: str
) -> dict[str, Any]:
    """PENDING -> IGNORE."""
    changed = await move(conn, brand.id, order_id, to_status="IGNORE", outbox=outbox, by=by)
    assert changed is not None
    return changed


async def deliver(
    conn: AsyncConnection, brand: BrandInfo, order_id: int, *, outbox: Outbox, by: str
) -> dict[str, Any]:
    """RECEIVED -> DELIVERED."""
    changed = await move(conn, brand.id, order_id, to_status="DELIVERED", outbox=outbox, by=by)
    assert changed is not None
    return changed


async def deliver_if_received(
    conn: AsyncConnection, brand_id: int, order_id: int, *, outbox: Outbox, by: str
) -> None:
    """Closing an order's receipt delivers a RECEIVED order and leaves any other as it is."""
    await move(conn, brand_id, order_id, to_status="DELIVERED", outbox=outbox, by=by, strict=False)


async def apply(
    action: str, conn: AsyncConnection, brand: BrandInfo, order_id: int, *, outbox: Outbox, by: str
) -> dict[str, Any]:
    """``accept``, ``ignore`` or ``deliver`` by name (the test helpers and the CLI)."""
    if action == "accept":
        return await accept(conn, brand, order_id, outbox=outbox, by=by)
    if action == "ignore":
        return await ignore(conn, brand, order_id, outbox=outbox, by=by)
    if action == "deliver":
        return await deliver(conn, brand, order_id, outbox=outbox, by=by)
    raise ValueError(f"unknown transition {action!r}")


async def act_as_venue(
    db: Database, brand_slug: str, order_id: int, action: str, *, by: str = "cli"
) -> dict[str, Any]:
    """One transition outside any request (the CLI): its own transaction, recorded as ``by``.

    Events are collected as always; a CLI process has no board to tell, so boards on the running
    instances learn of the change through the history (and the cross-instance channel, where it runs).
    """
    directory = Directory()
    await directory.refresh(db)
    brand = directory.brands_by_slug.get(brand_slug)
    if brand is None:
        raise LookupError(f"no brand {brand_slug!r}")
    async with db.write() as conn:
        return await apply(action, conn, brand, order_id, outbox=Outbox(), by=by)
