"""The order object as the API writes it (spec/orders.md, "The answer")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Row

from clopos_server.receipts.render import render_receipt
from clopos_server.timeutil import ts_iso, ts_plain


def render_order(
    row: Any,
    *,
    includes: Mapping[str, tuple[str, ...] | None] = {},
    receipt: Row[Any] | None = None,
    customer: Row[Any] | None = None,
    history: Sequence[Row[Any]] = (),
) -> dict[str, Any]:
    """``row``: a row of ``orders`` (its JSON columns decoded, or as stored text), or the namespace
    ``repository.insert_order`` returns."""
    created, updated = ts_iso(row.created_at), ts_iso(row.updated_at)
    identity = {"id": row.id, "venue_id": row.venue_id, "created_at": created, "updated_at": updated}
    if isinstance(row.payload, str):
        payload: Any = _with_keys(row.payload, identity)
    else:
        payload = {**row.payload, **identity}
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
        "pricing": _as_json(row.pricing),
        "warnings": _as_json(row.warnings),
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


def _as_json(value: Any) -> Any:
    """A JSON column's value; stored text goes into the answer as it is, without a decode."""
    return orjson.Fragment(value.encode()) if isinstance(value, str) else value


def _with_keys(stored_object: str, keys: dict[str, Any]) -> orjson.Fragment:
    """A stored JSON object's text with ``keys`` appended. The stored payload never holds these keys
    (intake builds it without them), so appending cannot make a duplicate."""
    text = stored_object.rstrip()
    if not text.endswith("}"):
        raise ValueError("a stored order payload is not a JSON object")
    extra = orjson.dumps(keys)[1:-1].decode()
    separator = "" if text[:-1].rstrip().endswith("{") else ","
    return orjson.Fragment(f"{text[:-1]}{separator}{extra}}}".encode())


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
