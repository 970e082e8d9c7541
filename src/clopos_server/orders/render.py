"""The order object as the API writes it (spec/orders.md, "The answer")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row

from clopos_server.receipts.render import render_receipt
from clopos_server.timeutil import ts_iso, ts_plain


def render_order(
    row: Row[Any],
    *,
    includes: Mapping[str, tuple[str, ...] | None] = {},
    receipt: Row[Any] | None = None,
    customer: Row[Any] | None = None,
    history: Sequence[Row[Any]] = (),
) -> dict[str, Any]:
    created, updated = ts_iso(row.created_at), ts_iso(row.updated_at)
    payload = dict(row.payload)
    payload.update(id=row.id, venue_id=row.venue_id, created_at=created, updated_at=updated)
    order: dict[str, Any] = {
        "id": row.id,
        "venue_id": row.venue_id,
        "type": row.type,
        "integration": row.integration,
        "integration_uuid": None,
        "integration_id": None,
        "customer_ref_id": None,
        "integration_status": row.integration_status,
        "status": row.status,
        "customer_id": row.customer_id,
        "receipt_id": row.receipt_id,
        "total": row.total,
        "pricing": row.pricing,
        "warnings": row.warnings,
        "payload": payload,
        "created_at": created,
        "updated_at": updated,
        "integration_response": None,
    }
    if "receipt" in includes:
        order["receipt"] = None if receipt is None else pick(render_receipt(receipt), includes["receipt"])
    if "customer" in includes:
        order["customer"] = (
            None if customer is None else pick(plain_row(customer, iso=True), includes["customer"])
        )
    if "history" in includes:
        order["history"] = [{"status": h.status, "at": ts_iso(h.at), "by": h.by} for h in history]
    return order


def plain_row(row: Row[Any], *, iso: bool = False) -> dict[str, Any]:
    """A row's columns with times in the resource's format; ``brand_id`` is never shown."""
    values: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if key == "brand_id":
            continue
        if isinstance(value, datetime):
            value = ts_iso(value) if iso else ts_plain(value)
        elif isinstance(value, date):
            value = value.isoformat()
        values[key] = value
    return values


def pick(values: dict[str, Any], columns: tuple[str, ...] | None) -> dict[str, Any]:
    """Only the named columns (unknown names dropped), or all when none are named."""
    if not columns:
        return values
    return {name: values[name] for name in columns if name in values}
