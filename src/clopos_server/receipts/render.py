"""The receipt, its lines and its stock operations as the API writes them (spec/orders.md, "Receipts").

Clients parse receipts strictly, so every key named by the spec is always present: counters are 0,
``seller_id`` is an integer, and times are ``2026-01-13 20:04:05`` (receipts and their lines).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from clopos_server.timeutil import ts_plain


def render_receipt(row: Row[Any], lines: Sequence[Row[Any]] | None = None) -> dict[str, Any]:
    """The receipt object; with ``lines`` (even empty) also ``receipt_products``."""
    receipt: dict[str, Any] = {
        "id": row.id,
        "cid": row.cid,
        "venue_id": row.venue_id,
        "customer_id": row.customer_id,
        "sale_type_id": row.sale_type_id,
        "service_notification_id": row.service_notification_id,
        "source": row.source,
        "guests": row.guests,
        "status": row.status,
        "order_status": row.order_status,
        "order_number": row.order_number,
        "fiscal_id": row.fiscal_id,
        "lock": bool(row.lock),
        "user_id": row.user_id,
        "subtotal": row.subtotal,
        "discount_type": row.discount_type,
        "discount_value": row.discount_value,
        "discount_rate": row.discount_rate,
        "total_discount": row.total_discount,
        "service_charge": row.service_charge,
        "service_charge_value": row.service_charge_value,
        "delivery_fee": row.delivery_fee,
        "i_tax": row.i_tax,
        "e_tax": row.e_tax,
        "total_tax": row.total_tax,
        "total": row.total,
        "remaining": row.remaining,
        "payment_methods": [render_payment(p) for p in row.payment_methods or []],
        "description": row.description,
        "address": row.address,
        "created_at": ts_plain(row.created_at),
        "updated_at": ts_plain(row.updated_at),
        "closed_at": ts_plain(row.closed_at) if row.closed_at is not None else None,
        "shift_date": row.shift_date.isoformat(),
    }
    if lines is not None:
        receipt["receipt_products"] = [render_line(line, row) for line in lines]
    return receipt


def render_payment(entry: Any) -> dict[str, Any]:
    """``{id, name, amount}``; whatever else an imported entry carried is kept after those."""
    if not isinstance(entry, dict):
        return {"id": 0, "name": "", "amount": 0}
    return {
        "id": entry.get("id", 0),
        "name": entry.get("name") or "",
        "amount": entry.get("amount", 0),
        **{k: v for k, v in entry.items() if k not in {"id", "name", "amount"}},
    }


def render_line(line: Row[Any], receipt: Row[Any]) -> dict[str, Any]:
    """A receipt line: every key always present (spec: clients require them)."""
    meta = line.meta if isinstance(line.meta, dict) else {}
    return {
        "id": line.id,
        "cid": line.cid,
        "receipt_id": line.receipt_id,
        "product_id": line.product_id,
        "product_hash": line.product_hash,
        "count": line._mapping["count"],  # not line.count: a Row is a tuple, count() is a method
        "portion_size": line.portion_size,
        "price": line.price,
        "subtotal": line.subtotal,
        "discount_type": line.discount_type,
        "discount_value": line.discount_value,
        "discount_rate": line.discount_rate,
        "total_discount": line.total_discount,
        "receipt_discount": line.receipt_discount,
        "service_charge": line.service_charge,
        "i_tax": line.i_tax,
        "e_tax": line.e_tax,
        "total": line.total,
        "is_gift": bool(line.is_gift),
        "cost": line.cost,
        "meta": meta,
        "preprint_count": 0,
        "station_printed_count": 0,
        "station_aborted_count": 0,
        "seller_id": int(line.seller_id or 0),
        "loyalty_type": line.loyalty_type,
        "loyalty_value": line.loyalty_value,
        "receipt_product_modificators": list(line.modificators or []),
        "taxes": list(line.taxes or []),
        "position": line.position,
        "created_at": ts_plain(receipt.created_at),
        "updated_at": ts_plain(receipt.updated_at),
    }
