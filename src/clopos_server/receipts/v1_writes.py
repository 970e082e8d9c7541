"""v1's receipt writes (spec/orders.md, "Receipts"): record a sale closed elsewhere, update (or close),
delete. Each runs inside the caller's transaction; any refusal rolls it all back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.db.models import Customer, Product, SaleType, StaffUser
from clopos_server.errors import conflict
from clopos_server.events import log as events
from clopos_server.events.outbox import Outbox
from clopos_server.finance import hooks as finance_hooks
from clopos_server.kit.body import MISSING, BodyReader
from clopos_server.kit.values import MAX_ID
from clopos_server.receipts import logged, stock
from clopos_server.receipts import repository as repo
from clopos_server.receipts.closing import (
    DeliverOrder,
    check_payments,
    closing_time,
    finish_close,
    tolerate_identity,
)
from clopos_server.receipts.input import (
    ADDRESS_LENGTH,
    FISCAL_ID_LENGTH,
    FREE_FORM_DEPTH,
    MAX_COUNT,
    MAX_LINES,
    MONEY_FIGURES,
    NAME_LENGTH,
    ORDER_NUMBER_LENGTH,
    RECEIPT_ORDER_STATUSES,
    TEXT_LENGTH,
    money,
    read_payments,
)
from clopos_server.receipts.patching import apply_changes, locked_refusal
from clopos_server.receipts.reads import CLOSED, OPEN, receipt_not_found, receipt_row, whole
from clopos_server.timeutil import business_day, utcnow


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
    stored = await check_payments(
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
    row = await receipt_row(conn, brand.id, receipt_id)
    written = (await repo.lines_of(conn, brand.id, [receipt_id])).get(receipt_id, [])
    await stock.spend(conn, brand.id, row, written, closed_at)
    await finance_hooks.receipt_closed(conn, brand.id, row, stored, closed_at)
    if customer_id:
        await repo.add_to_customer(
            conn, brand.id, customer_id, spent=row.total, discount=row.total_discount, receipts=1, now=now
        )
    receipt = await logged.record_receipt(conn, events.RECEIPT_CREATED, brand.id, receipt_id)
    await logged.record_rendered(conn, events.RECEIPT_CLOSED, brand.id, receipt)  # recorded closed
    return receipt


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
    deliver: DeliverOrder,
) -> tuple[dict[str, Any], bool]:
    """v1 ``PUT /receipts/{id}``: editable fields, and a close when an open receipt gets payments.

    Money fields equal to the stored ones are ignored, different ones are a 409 (money changes on the POS,
    not through the API); so are other payments or another ``closed_at`` on a closed receipt. Returns the
    receipt and whether this request closed it.
    """
    brand_id = context.brand.id
    row = await receipt_row(conn, brand_id, receipt_id)
    reader = BodyReader(subject="receipt")
    tolerate_identity(reader, row, body)
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
    closed_at = closing_time(reader, row, body.get("closed_at", MISSING), utcnow()) if closing else None
    stored = (
        await check_payments(conn, reader, brand_id, row.venue_id, row.customer_id, payments, row.total)
        if closing
        else []
    )
    reader.done()
    if money_conflicts:
        raise conflict(f"Receipt {row.id} keeps its figures: {'; '.join(money_conflicts)}")
    changes = {k: v for k, v in changes.items() if v != getattr(row, k)}
    if row.lock and (closing or (changes and changes != {"lock": False})):
        raise locked_refusal(row.id)
    before = await whole(conn, brand_id, receipt_id)
    await apply_changes(conn, brand_id, row, changes)
    if not closing:
        await logged.record_receipt(conn, events.RECEIPT_UPDATED, brand_id, receipt_id, before)
    if closing:
        assert closed_at is not None
        await finish_close(
            conn,
            context,
            await receipt_row(conn, brand_id, row.id),
            stored,
            closed_at,
            outbox=outbox,
            by=by,
            deliver=deliver,
        )
    return await whole(conn, brand_id, receipt_id), closing


async def delete(conn: AsyncConnection, context: AuthContext, receipt_id: int) -> dict[str, Any]:
    """v1 ``DELETE /receipts/{id}``: removes it, gives back its stock and takes it off its customer's
    figures; a receipt of an order, or a locked one, is a 409."""
    brand_id = context.brand.id
    row = await receipt_row(conn, brand_id, receipt_id)
    order_id = await repo.order_of_receipt(conn, brand_id, row.id) or row.service_notification_id
    if order_id is not None:
        raise conflict(f"Receipt {row.id} belongs to order {order_id} and cannot be deleted")
    if row.lock:
        raise conflict(f"Receipt {row.id} is locked: unlock it before deleting it")
    operations = await repo.stock_operations_of(conn, brand_id, row.id)
    gone = await whole(conn, brand_id, row.id)
    if not await repo.delete_receipt(conn, brand_id, row.id):  # a concurrent delete won
        raise receipt_not_found()
    await logged.record_rendered(conn, events.RECEIPT_DELETED, brand_id, gone)
    await stock.give_back(conn, brand_id, operations)
    if row.status == CLOSED:
        await finance_hooks.receipt_deleted(conn, brand_id, row)
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
