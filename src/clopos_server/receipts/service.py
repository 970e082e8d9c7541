"""Receipt business rules (spec/orders.md, "Receipts"): read, close with payments, patch, and v1's record,
update and delete.

Every change of state is a conditional update inside the caller's transaction, so that of two concurrent
closes exactly one wins, and any refusal rolls the whole transaction back: nothing is half-written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.db.models import Customer, Product, Receipt, SaleType, StaffUser
from clopos_server.errors import ApiError, Problem, conflict, not_found
from clopos_server.kit.body import MISSING, BodyReader
from clopos_server.kit.query import ListQuery
from clopos_server.kit.values import MAX_ID, is_uuid
from clopos_server.orders.lifecycle import deliver_if_received
from clopos_server.orders.service import Outbox
from clopos_server.receipts import repository as repo
from clopos_server.receipts import stock
from clopos_server.receipts.input import (
    ADDRESS_LENGTH,
    FISCAL_ID_LENGTH,
    FREE_FORM_DEPTH,
    INVALID_FIELDS,
    MAX_COUNT,
    MAX_LINES,
    MONEY_FIGURES,
    NAME_LENGTH,
    ORDER_NUMBER_LENGTH,
    PATCHABLE,
    RECEIPT_ORDER_STATUSES,
    TEXT_LENGTH,
    Payment,
    money,
    read_payments,
)
from clopos_server.receipts.render import render_receipt, render_stock_operation
from clopos_server.timeutil import business_day, business_days_range, utcnow

OPEN, CLOSED = 1, 2
NOT_FOUND = "Receipt not found"


def receipt_not_found() -> ApiError:
    return not_found(NOT_FOUND, code="not_found")


async def _row(conn: AsyncConnection, brand_id: int, receipt_id: int) -> Row[Any]:
    row = await repo.get_receipt(conn, brand_id, receipt_id)
    if row is None:
        raise receipt_not_found()
    return row


async def _whole(conn: AsyncConnection, brand_id: int, receipt_id: int) -> dict[str, Any]:
    """The receipt with its lines, as the write endpoints and the reads by id answer it."""
    row = await _row(conn, brand_id, receipt_id)
    lines = await repo.lines_of(conn, brand_id, [row.id])
    return render_receipt(row, lines.get(row.id, []))


# --------------------------------------------------------------------------------------------------------
# Reading


async def list_receipts(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    """The request's venue unless a ``venue_id`` filter names others; dates are business days."""
    brand = context.brand
    filters = query.filters
    conditions: list[ColumnElement[bool]] = [
        Receipt.venue_id.in_([int(v) for v in filters.get("venue_id", ())] or [context.venue_id])
    ]
    if "status" in filters:
        conditions.append(Receipt.status.in_([int(s) for s in filters["status"]]))
    if "sale_type_id" in filters:
        conditions.append(Receipt.sale_type_id.in_([int(s) for s in filters["sale_type_id"]]))
    if "order_status" in filters:
        conditions.append(Receipt.order_status.in_([str(s) for s in filters["order_status"]]))
    if "customer_id" in filters:
        conditions.append(Receipt.customer_id.in_([int(s) for s in filters["customer_id"]]))
    start, end = business_days_range(query.date_from, query.date_to, brand.timezone, brand.day_cutoff_hour)
    if start is not None:
        conditions.append(Receipt.created_at >= start)
    if end is not None:
        conditions.append(Receipt.created_at < end)
    rows, total = await repo.list_receipts(
        conn,
        brand_id=brand.id,
        conditions=conditions,
        sort=query.sort,
        descending=query.descending,
        limit=query.limit,
        offset=query.offset,
    )
    if query.includes:  # receipt_products (or its synonym receipt_products.modificators)
        lines = await repo.lines_of(conn, brand.id, [row.id for row in rows])
        return [render_receipt(row, lines.get(row.id, [])) for row in rows], total
    return [render_receipt(row) for row in rows], total


async def read_one(conn: AsyncConnection, context: AuthContext, receipt_id: int) -> dict[str, Any]:
    return await _whole(conn, context.brand.id, receipt_id)


async def read_by_cid(conn: AsyncConnection, context: AuthContext, cid: str) -> dict[str, Any]:
    if not is_uuid(cid):
        message = "cid must be a UUID"
        raise ApiError("invalid_parameter", message, [Problem(message, "path.cid")])
    row = await repo.get_receipt_by_cid(conn, context.brand.id, cid.lower())
    if row is None:
        raise receipt_not_found()
    return await _whole(conn, context.brand.id, row.id)


async def stock_operations(
    conn: AsyncConnection, context: AuthContext, receipt_id: int
) -> list[dict[str, Any]]:
    await _row(conn, context.brand.id, receipt_id)
    return [
        render_stock_operation(op)
        for op in await repo.stock_operations_of(conn, context.brand.id, receipt_id)
    ]


# --------------------------------------------------------------------------------------------------------
# Closing


def _refuse_state(row: Row[Any]) -> None:
    if row.status != OPEN:
        raise conflict(f"Receipt {row.id} is already closed: only an open receipt can be closed")
    if row.lock:
        raise conflict(f"Receipt {row.id} is locked: unlock it first (PATCH with lock false)")


def _closing_time(reader: BodyReader, row: Row[Any], raw: Any, now: datetime) -> datetime:
    """The moment sent, which must be later than ``created_at``; else now (never refused)."""
    created: datetime = row.created_at
    if raw is MISSING or raw is None or raw == "":
        return max(now, created)
    moment = reader.moment(raw, "closed_at")
    if moment is not None and moment <= created:
        reader.fail("closed_at", "closed_at must be greater than created_at")
    return moment or now


async def _check_payments(
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


async def _finish_close(
    conn: AsyncConnection,
    context: AuthContext,
    row: Row[Any],
    payments: list[dict[str, Any]],
    closed_at: datetime,
    *,
    outbox: Outbox,
    by: str,
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
        _refuse_state(await _row(conn, brand_id, row.id))
        raise conflict(f"Receipt {row.id} changed meanwhile; try again")
    lines = (await repo.lines_of(conn, brand_id, [row.id])).get(row.id, [])
    await stock.spend(conn, brand_id, row, lines, closed_at)
    if row.customer_id:
        await repo.add_to_customer(
            conn, brand_id, row.customer_id, spent=row.total, discount=row.total_discount, receipts=1, now=now
        )
    order_id = await repo.order_of_receipt(conn, brand_id, row.id)
    if order_id is not None:
        await deliver_if_received(conn, brand_id, order_id, outbox=outbox, by=by)


def _tolerate_identity(reader: BodyReader, row: Row[Any], body: Mapping[str, Any]) -> None:
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
) -> dict[str, Any]:
    """``POST /receipts/{id}/close``: ``{payment_methods: [{id, name, amount}], closed_at?}``."""
    brand_id = context.brand.id
    row = await _row(conn, brand_id, receipt_id)
    _refuse_state(row)
    reader = BodyReader(subject="receipt")
    _tolerate_identity(reader, row, body)
    payments = read_payments(reader, body.get("payment_methods"))
    closed_at = _closing_time(reader, row, body.get("closed_at", MISSING), utcnow())
    stored = await _check_payments(conn, reader, brand_id, row.venue_id, row.customer_id, payments, row.total)
    reader.done()
    await _finish_close(conn, context, row, stored, closed_at, outbox=outbox, by=by)
    return await _whole(conn, brand_id, receipt_id)


async def close_for_test(
    conn: AsyncConnection,
    context: AuthContext,
    receipt_id: int,
    body: Mapping[str, Any] | None,
    *,
    outbox: Outbox,
    by: str,
) -> dict[str, Any]:
    """The test helper: the body of a close, or without one the whole total in the venue's first enabled
    payment method (by position, then id)."""
    if body:
        return await close(conn, context, receipt_id, body, outbox=outbox, by=by)
    row = await _row(conn, context.brand.id, receipt_id)
    _refuse_state(row)
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
    )


# --------------------------------------------------------------------------------------------------------
# PATCH: the four editable fields, and the lock


def _read_patch(reader: BodyReader, body: Mapping[str, Any], receipt_id: int) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "id":
            if reader.integer(value, "id", required=True) not in (None, receipt_id):
                reader.fail("id", f"id must be the receipt's id in the path, {receipt_id}")
        elif key == "order_status":
            changes[key] = reader.choice(value, key, RECEIPT_ORDER_STATUSES, required=True)
        elif key == "order_number":
            changes[key] = reader.string(value, key, limit=ORDER_NUMBER_LENGTH)
        elif key == "fiscal_id":
            changes[key] = reader.string(value, key, limit=FISCAL_ID_LENGTH)
        elif key == "lock":
            changes[key] = reader.boolean(value, key, required=True)
        else:
            reader.fail(str(key)[:100], f"{str(key)[:100]} cannot be changed: only {', '.join(PATCHABLE)}")
    if not changes and not reader.problems:
        reader.fail("body", f"Send at least one of {', '.join(PATCHABLE)}")
    return changes


def _locked_refusal(receipt_id: int) -> ApiError:
    return conflict(f'Receipt {receipt_id} is locked: it refuses every change but {{"lock": false}}')


async def patch(
    conn: AsyncConnection, context: AuthContext, receipt_id: int, body: Mapping[str, Any]
) -> dict[str, Any]:
    """``PATCH /receipts/{id}``: ``order_status``, ``order_number``, ``fiscal_id``, ``lock``; works on
    closed receipts; a locked receipt takes only ``{"lock": false}``."""
    brand_id = context.brand.id
    reader = BodyReader(subject="receipt", message=INVALID_FIELDS)
    changes = _read_patch(reader, body, receipt_id)
    reader.done()
    await _apply_changes(conn, brand_id, await _row(conn, brand_id, receipt_id), changes)
    return await _whole(conn, brand_id, receipt_id)


async def _apply_changes(
    conn: AsyncConnection, brand_id: int, row: Row[Any], changes: dict[str, Any]
) -> None:
    """Write ``changes``; on a locked receipt only an unlock goes through (a conditional update)."""
    if not changes:
        return
    values = {**changes, "updated_at": utcnow()}
    if changes == {"lock": False}:
        await repo.update_receipt(conn, brand_id, row.id, values)
        return
    if not await repo.update_receipt(conn, brand_id, row.id, values, Receipt.lock.is_(False)):
        if await repo.get_receipt(conn, brand_id, row.id) is None:
            raise receipt_not_found()
        raise _locked_refusal(row.id)


# --------------------------------------------------------------------------------------------------------
# v1: record a closed sale, update (or close), delete


async def _brand_ref(
    conn: AsyncConnection, reader: BodyReader, model: Any, brand_id: int, raw: Any, path: str, what: str
) -> int | None:
    if raw is None or raw is MISSING:
        return None
    ident = reader.integer(raw, path, low=1)
    if ident is not None and not await repo.exists_in_brand(conn, model, brand_id, ident):
        reader.fail(path, f"{what} {ident} is not in this brand")
        return None
    return ident


def _money_or(
    reader: BodyReader, body: Mapping[str, Any], key: str, default: Decimal, path: str = ""
) -> Decimal:
    raw = body.get(key)
    if raw is None:
        return default
    return money(reader, raw, f"{path}{key}") or Decimal(0)


async def _read_lines(
    conn: AsyncConnection, reader: BodyReader, brand_id: int, raw: Any, seller_id: int
) -> list[dict[str, Any]]:
    entries = reader.array(raw, "receipt_products", max_items=MAX_LINES)
    if not entries:
        return []
    ids = [e.get("product_id") for e in entries if isinstance(e, dict)]
    products = await repo.products_by_id(
        conn, brand_id, [i for i in ids if type(i) is int and 0 < i <= MAX_ID]
    )
    lines: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        here = f"receipt_products[{i}]."
        item = reader.mapping(entry, here[:-1], required=True)
        if item is None:
            continue
        product_id = reader.integer(item.get("product_id"), f"{here}product_id", required=True)
        product = products.get(product_id) if product_id is not None else None
        if product_id is not None and product is None:
            if not await repo.exists_in_brand(conn, Product, brand_id, product_id):
                reader.fail(f"{here}product_id", f"Product {product_id} is not in this brand")
                continue
            product = (await repo.products_by_id(conn, brand_id, [product_id])).get(product_id)
        count = reader.integer(item.get("count", 1), f"{here}count", high=MAX_COUNT, required=True)
        portion = _money_or(reader, item, "portion_size", Decimal(1), here)
        price = _money_or(reader, item, "price", product.price if product is not None else Decimal(0), here)
        subtotal = _money_or(reader, item, "subtotal", price * (count or 1) * portion, here)
        cid = reader.uuid(item.get("cid"), f"{here}cid")
        meta = reader.mapping(item.get("meta"), f"{here}meta")
        if meta is not None:
            reader.free_form(meta, f"{here}meta", max_depth=FREE_FORM_DEPTH)
        product_hash = reader.string(item.get("product_hash"), f"{here}product_hash", limit=NAME_LENGTH)
        if product is None or count is None:
            continue
        lines.append(
            {
                "brand_id": brand_id,
                "cid": cid or str(uuid.uuid4()),
                "product_id": product.id,
                "product_hash": product_hash,
                "count": count,
                "portion_size": portion,
                "price": price,
                "subtotal": subtotal,
                "discount_type": item.get("discount_type")
                if item.get("discount_type") in (0, 1, 2)
                else None,
                "discount_value": _money_or(reader, item, "discount_value", Decimal(0), here),
                "discount_rate": _money_or(reader, item, "discount_rate", Decimal(0), here),
                "total_discount": _money_or(reader, item, "total_discount", Decimal(0), here),
                "receipt_discount": _money_or(reader, item, "receipt_discount", Decimal(0), here),
                "service_charge": _money_or(reader, item, "service_charge", Decimal(0), here),
                "i_tax": _money_or(reader, item, "i_tax", Decimal(0), here),
                "e_tax": _money_or(reader, item, "e_tax", Decimal(0), here),
                "total": _money_or(reader, item, "total", subtotal, here),
                "is_gift": bool(reader.boolean(item.get("is_gift", False), f"{here}is_gift", required=True)),
                "cost": _money_or(reader, item, "cost", Decimal(0), here),
                "meta": meta
                if meta is not None
                else {"product": {"name": product.name, "type": product.type, "price": price}},
                "seller_id": reader.integer(
                    item.get("seller_id", seller_id), f"{here}seller_id", low=0, required=True
                )
                or 0,
                "loyalty_type": reader.integer(item.get("loyalty_type"), f"{here}loyalty_type", low=0),
                "loyalty_value": None
                if item.get("loyalty_value") is None
                else _money_or(reader, item, "loyalty_value", Decimal(0), here),
                "modificators": _free_list(reader, item, "receipt_product_modificators", here),
                "taxes": _free_list(reader, item, "taxes", here),
                "position": i,
            }
        )
    return lines


def _free_list(reader: BodyReader, entry: Mapping[str, Any], key: str, here: str) -> list[Any]:
    """A list the receipt keeps as sent (a line's modifiers and taxes)."""
    value = reader.array(entry.get(key), f"{here}{key}")
    if value is None or not reader.free_form(value, f"{here}{key}", max_depth=FREE_FORM_DEPTH):
        return []
    return value


async def record_closed(
    conn: AsyncConnection, context: AuthContext, body: Mapping[str, Any], *, outbox: Outbox, by: str
) -> dict[str, Any]:
    """v1 ``POST /receipts``: a sale closed elsewhere, stored closed at the request's venue; it spends
    stock and counts for its customer like any closed receipt. A ``cid`` seen before is a 409."""
    brand = context.brand
    reader = BodyReader(subject="receipt")
    cid = reader.uuid(body.get("cid"), "cid", required=True)
    payments = read_payments(reader, body.get("payment_methods"))
    subtotal = money(reader, body.get("subtotal"), "subtotal")
    total = money(reader, body.get("total"), "total")
    now = utcnow()
    created_at = reader.moment(body["created_at"], "created_at") if body.get("created_at") else None
    created_at = created_at or now
    closed_at = reader.moment(body["closed_at"], "closed_at") if body.get("closed_at") else None
    closed_at = closed_at or max(now, created_at)
    if closed_at < created_at:
        reader.fail("closed_at", "closed_at must not be before created_at")
    user_id = await _brand_ref(conn, reader, StaffUser, brand.id, body.get("user_id"), "user_id", "User")
    customer_id = await _brand_ref(
        conn, reader, Customer, brand.id, body.get("customer_id"), "customer_id", "Customer"
    )
    sale_type_id = await _brand_ref(
        conn, reader, SaleType, brand.id, body.get("sale_type_id"), "sale_type_id", "Sale type"
    )
    seller = user_id or context.user_id
    lines = await _read_lines(conn, reader, brand.id, body.get("receipt_products"), seller)
    discount_type = reader.choice(body.get("discount_type"), "discount_type", (0, 1, 2))
    order_status = body.get("order_status", "NEW")
    if order_status is not None:
        reader.choice(order_status, "order_status", RECEIPT_ORDER_STATUSES)
    i_tax = _money_or(reader, body, "i_tax", Decimal(0))
    e_tax = _money_or(reader, body, "e_tax", Decimal(0))
    values: dict[str, Any] = {
        "brand_id": brand.id,
        "venue_id": context.venue_id,
        "cid": cid,
        "customer_id": customer_id,
        "sale_type_id": sale_type_id,
        "service_notification_id": None,
        "source": "pos",
        "guests": 1
        if body.get("guests") is None
        else reader.integer(body["guests"], "guests", low=0, high=MAX_COUNT),
        "status": CLOSED,
        "order_status": order_status or "NEW",
        "order_number": reader.string(body.get("order_number"), "order_number", limit=ORDER_NUMBER_LENGTH),
        "fiscal_id": reader.string(body.get("fiscal_id"), "fiscal_id", limit=FISCAL_ID_LENGTH),
        "lock": False,
        "subtotal": subtotal,
        "discount_type": discount_type,
        "discount_value": _money_or(reader, body, "discount_value", Decimal(0)),
        "discount_rate": _money_or(reader, body, "discount_rate", Decimal(0)),
        "total_discount": _money_or(reader, body, "total_discount", Decimal(0)),
        "service_charge": _money_or(reader, body, "service_charge", Decimal(0)),
        "service_charge_value": _money_or(reader, body, "service_charge_value", Decimal(0)),
        "delivery_fee": _money_or(reader, body, "delivery_fee", Decimal(0)),
        "i_tax": i_tax,
        "e_tax": e_tax,
        "total_tax": _money_or(reader, body, "total_tax", i_tax + e_tax),
        "total": total,
        "remaining": Decimal(0),
        "description": reader.string(body.get("description"), "description", limit=TEXT_LENGTH),
        "address": reader.string(body.get("address") or None, "address", limit=ADDRESS_LENGTH),
        "user_id": seller,
        "created_at": created_at,
        "updated_at": now,
        "closed_at": closed_at,
        "shift_date": business_day(created_at, brand.timezone, brand.day_cutoff_hour),
    }
    stored = await _check_payments(
        conn, reader, brand.id, context.venue_id, customer_id, payments, total or Decimal(0)
    )
    reader.done()
    assert cid is not None
    if await repo.get_receipt_by_cid(conn, brand.id, cid) is not None:
        raise conflict(f"A receipt with cid {cid} already exists")
    try:
        receipt_id = await repo.insert_receipt(conn, {**values, "payment_methods": stored})
    except IntegrityError:  # a concurrent twin with the same cid won
        raise conflict(f"A receipt with cid {cid} already exists") from None
    await repo.insert_lines(conn, [{**line, "receipt_id": receipt_id} for line in lines])
    row = await _row(conn, brand.id, receipt_id)
    written = (await repo.lines_of(conn, brand.id, [receipt_id])).get(receipt_id, [])
    await stock.spend(conn, brand.id, row, written, closed_at)
    if customer_id:
        await repo.add_to_customer(
            conn, brand.id, customer_id, spent=row.total, discount=row.total_discount, receipts=1, now=now
        )
    return await _whole(conn, brand.id, receipt_id)


EDITABLE = ("order_status", "order_number", "fiscal_id", "lock", "description", "address", "guests")


def _customer_of(reader: BodyReader, body: Mapping[str, Any]) -> Any:
    """The id of ``meta.customer`` (alias ``meta_customer``), else ``customer_id``; MISSING when none.

    ``meta.customer`` wins: a client that sends the whole receipt back sets the customer there.
    """
    meta = body.get("meta")
    customer = body.get("meta_customer", meta.get("customer") if isinstance(meta, dict) else None)
    if isinstance(customer, dict) and customer.get("id") is not None:
        return customer["id"]
    if customer is not None and not isinstance(customer, dict):
        reader.fail("meta_customer", "meta.customer must be an object with the customer's id")
    return body["customer_id"] if "customer_id" in body else MISSING


def _figure(value: Any) -> Any:
    """A stored or sent figure with "none" (null) read as 0: a receipt stored with no discount type has
    the same figures as a body saying ``discount_type: 0`` (or ``"0"``)."""
    return 0 if value is None else value


def _figure_conflicts(reader: BodyReader, row: Row[Any], body: Mapping[str, Any]) -> list[str]:
    """What a body says about the receipt's figures that differs from the stored ones.

    A client that sends the receipt back repeats its figures in its own neutral spelling (``discount_type:
    0``, ``discount_value: null``, ``delivery_fee: "0"``); a null or absent figure says nothing, and only a
    real difference counts.
    """
    conflicts: list[str] = []
    for key in MONEY_FIGURES:
        amount = money(reader, body[key], key) if body.get(key) is not None else None
        if amount is not None and amount != _figure(getattr(row, key)):
            conflicts.append(f"{key} is {getattr(row, key)}")
    sent = reader.choice(body.get("discount_type"), "discount_type", (0, 1, 2))
    if sent is not None and sent != _figure(row.discount_type):
        conflicts.append(f"discount_type is {row.discount_type}")
    return conflicts


async def update(
    conn: AsyncConnection,
    context: AuthContext,
    receipt_id: int,
    body: Mapping[str, Any],
    *,
    outbox: Outbox,
    by: str,
) -> tuple[dict[str, Any], bool]:
    """v1 ``PUT /receipts/{id}``: editable fields, and a close when an open receipt gets payments.

    Money fields equal to the stored ones are ignored, different ones are a 409 (money changes on the POS,
    not through the API); so are other payments or another ``closed_at`` on a closed receipt. Returns the
    receipt and whether this request closed it.
    """
    brand_id = context.brand.id
    row = await _row(conn, brand_id, receipt_id)
    reader = BodyReader(subject="receipt")
    _tolerate_identity(reader, row, body)
    changes: dict[str, Any] = {}
    for key in EDITABLE:
        if key not in body:
            continue
        value = body[key]
        if key == "order_status":
            parsed: Any = reader.choice(value, key, RECEIPT_ORDER_STATUSES, required=True)
        elif key == "lock":
            parsed = reader.boolean(value, key, required=True)
        elif key == "guests":
            parsed = reader.integer(value, key, low=0, high=MAX_COUNT, required=True)
        else:
            limit = {"order_number": ORDER_NUMBER_LENGTH, "fiscal_id": FISCAL_ID_LENGTH}.get(key, TEXT_LENGTH)
            parsed = reader.string(value, key, limit=ADDRESS_LENGTH if key == "address" else limit)
        if parsed is not None or value is None:
            changes[key] = parsed
    customer_raw = _customer_of(reader, body)
    if customer_raw is not MISSING:
        changes["customer_id"] = await _brand_ref(
            conn, reader, Customer, brand_id, customer_raw, "customer_id", "Customer"
        )
    if "sale_type_id" in body:
        changes["sale_type_id"] = await _brand_ref(
            conn, reader, SaleType, brand_id, body["sale_type_id"], "sale_type_id", "Sale type"
        )
    money_conflicts = _figure_conflicts(reader, row, body)
    raw_payments = body.get("payment_methods")
    closing = row.status == OPEN and isinstance(raw_payments, list) and bool(raw_payments)
    payments = read_payments(reader, raw_payments) if raw_payments else []
    if row.status == CLOSED:
        if raw_payments and [(p.id, p.amount) for p in payments] != [
            (int(p.get("id", 0)), Decimal(str(p.get("amount", 0)))) for p in row.payment_methods or []
        ]:
            money_conflicts.append("its payments differ")
        sent_close = reader.moment(body["closed_at"], "closed_at") if body.get("closed_at") else None
        if sent_close is not None and sent_close != row.closed_at:
            money_conflicts.append("closed_at differs")
    elif body.get("closed_at") and not closing:
        reader.fail("closed_at", "closed_at is only accepted with payment_methods (closing the receipt)")
    closed_at = _closing_time(reader, row, body.get("closed_at", MISSING), utcnow()) if closing else None
    stored = (
        await _check_payments(conn, reader, brand_id, row.venue_id, row.customer_id, payments, row.total)
        if closing
        else []
    )
    reader.done()
    if money_conflicts:
        raise conflict(f"Receipt {row.id} keeps its figures: {'; '.join(money_conflicts)}")
    changes = {k: v for k, v in changes.items() if v != getattr(row, k)}
    if row.lock and (closing or (changes and changes != {"lock": False})):
        raise _locked_refusal(row.id)
    await _apply_changes(conn, brand_id, row, changes)
    if closing:
        assert closed_at is not None
        await _finish_close(
            conn, context, await _row(conn, brand_id, row.id), stored, closed_at, outbox=outbox, by=by
        )
    return await _whole(conn, brand_id, receipt_id), closing


async def delete(conn: AsyncConnection, context: AuthContext, receipt_id: int) -> dict[str, Any]:
    """v1 ``DELETE /receipts/{id}``: removes it, gives back its stock and takes it off its customer's
    figures; a receipt of an order, or a locked one, is a 409."""
    brand_id = context.brand.id
    row = await _row(conn, brand_id, receipt_id)
    order_id = await repo.order_of_receipt(conn, brand_id, row.id) or row.service_notification_id
    if order_id is not None:
        raise conflict(f"Receipt {row.id} belongs to order {order_id} and cannot be deleted")
    if row.lock:
        raise conflict(f"Receipt {row.id} is locked: unlock it before deleting it")
    operations = await repo.stock_operations_of(conn, brand_id, row.id)
    if not await repo.delete_receipt(conn, brand_id, row.id):  # a concurrent delete won
        raise receipt_not_found()
    await stock.give_back(conn, brand_id, operations)
    if row.status == CLOSED and row.customer_id:
        await repo.add_to_customer(
            conn,
            brand_id,
            row.customer_id,
            spent=-row.total,
            discount=-row.total_discount,
            receipts=-1,
            now=utcnow(),
        )
    return {"id": row.id}
