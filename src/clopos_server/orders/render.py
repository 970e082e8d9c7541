"""The order object as the API writes it (spec/orders.md, "The answer")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Row

from clopos_server import jsonio
from clopos_server.db.models import Order
from clopos_server.receipts.render import render_receipt
from clopos_server.timeutil import ts_iso, ts_plain


def render_order(row: Any) -> dict[str, Any]:
    """``row``: a row of ``orders`` (its JSON columns decoded, or as stored text), or the namespace
    ``repository.insert_order`` returns. The object the writers answer with and put in events; the reads
    write the same object as text (``order_text``)."""
    created, updated = ts_iso(row.created_at), ts_iso(row.updated_at)
    identity = {"id": row.id, "venue_id": row.venue_id, "created_at": created, "updated_at": updated}
    if isinstance(row.payload, str):
        payload: Any = _with_keys(row.payload, identity)
    else:
        payload = {**row.payload, **identity}
    return {
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


# The columns of ``orders`` in table order, as ``order_text`` unpacks them (checked at import: a column
# added to the table must be added here).
ORDER_COLUMNS = (
    "id", "brand_id", "venue_id", "customer_id", "sale_type_id", "api_client_id", "status", "type",
    "integration", "integration_status", "payload", "total", "pricing", "warnings", "receipt_id",
    "created_at", "updated_at",
)  # fmt: skip
if tuple(Order.__table__.c.keys()) != ORDER_COLUMNS:
    raise RuntimeError("orders/render.py: ORDER_COLUMNS is not the table's columns")


def order_text(
    columns: Sequence[Any],
    *,
    includes: Mapping[str, tuple[str, ...] | None] = {},
    receipt: Row[Any] | None = None,
    customer: Row[Any] | None = None,
    history: Sequence[Row[Any]] = (),
) -> orjson.Fragment:
    """``render_order``'s object written as JSON text directly, with the relations ``includes`` names
    appended: the answers of ``GET /orders`` and ``GET /orders/{id}``. ``columns``: a row of ``orders``
    in table order (``ORDER_COLUMNS``) as the reads select it, the database having written what it can
    write cheaper than Python (orders/reads.py): the JSON columns as their stored text, the times as
    ISO text (``ts_iso``'s), the total as its number's text on PostgreSQL (a ``Decimal`` on SQLite).
    Building the dict (a ``Row``'s attribute by name alone is 0.27 us), converting the columns and
    encoding them was 16 us per order, a third of a list's CPU (py-spy, ``bench/profiling.py orders``).
    The keys and their order are ``render_order``'s; tests/orders/test_render.py holds the two to the
    same bytes."""
    (
        order_id, _brand, venue_id, customer_id, _sale_type, _client, status, type_, integration,
        integration_status, stored_payload, total, pricing, warnings, receipt_id, created, updated,
    ) = columns  # fmt: skip
    identity = (
        f'"id":{_json_int(order_id)},"venue_id":{_json_int(venue_id)},'
        f'"created_at":"{created}","updated_at":"{updated}"'
    )
    text = (
        f'{{"id":{_json_int(order_id)},"venue_id":{_json_int(venue_id)},"type":{_json_str(type_)},'
        f'"integration":{_json_str(integration)},"integration_uuid":null,"integration_id":null,'
        f'"customer_ref_id":null,"integration_status":{_json_str(integration_status)},'
        f'"status":{_json_str(status)},"customer_id":{_json_int(customer_id)},'
        f'"receipt_id":{_json_int(receipt_id)},"total":{_json_number(total)},'
        f'"pricing":{pricing},"warnings":{warnings},"payload":{_open_object(stored_payload)}{identity}}},'
        f'"created_at":"{created}","updated_at":"{updated}","integration_response":null'
    )
    relations: dict[str, Any] = {}
    if "receipt" in includes:
        relations["receipt"] = None if receipt is None else pick(render_receipt(receipt), includes["receipt"])
    if "customer" in includes:
        relations["customer"] = (
            None if customer is None else pick(plain_row(customer, iso=True), includes["customer"])
        )
    if "history" in includes:
        relations["history"] = [{"status": h.status, "at": ts_iso(h.at), "by": h.by} for h in history]
    if not relations:
        return orjson.Fragment(text + "}")
    return orjson.Fragment(f"{text},{jsonio.dumps_str(relations)[1:]}")


@lru_cache(maxsize=512)
def _json_str(value: str | None) -> str:
    """A string column's JSON (kept: statuses, types and integrations are a handful of values)."""
    return orjson.dumps(value).decode()


def _json_int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _json_number(value: Decimal | str | None) -> str:
    """The total's JSON: text is the database's writing of it (reads.py), a ``Decimal`` is written as
    ``jsonio`` writes every Decimal."""
    return value if isinstance(value, str) else jsonio.dumps_str(value)


def _open_object(stored_object: str) -> str:
    """A stored JSON object's text without its closing brace, ready for more keys: ending in ``{`` when
    it was empty, else in ``,``. The stored payload never holds the keys appended to it (intake builds
    it without them), so appending cannot make a duplicate."""
    text = stored_object.rstrip()
    if not text.endswith("}"):
        raise ValueError("a stored order payload is not a JSON object")
    head = text[:-1].rstrip()
    return head if head.endswith("{") else head + ","


def _as_json(value: Any) -> Any:
    """A JSON column's value; stored text goes into the answer as it is, without a decode."""
    return orjson.Fragment(value.encode()) if isinstance(value, str) else value


def _with_keys(stored_object: str, keys: dict[str, Any]) -> orjson.Fragment:
    """A stored JSON object's text with ``keys`` appended (``_open_object``)."""
    return orjson.Fragment(f"{_open_object(stored_object)}{orjson.dumps(keys)[1:-1].decode()}}}")


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
