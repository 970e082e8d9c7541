"""Reading the flat (v2) create-order body: it is rewritten into the nested (v1) form, remembering where
each value came from (``BodyReader.origin``), so that one validation serves both shapes and every problem
still names the field as the client sent it (orders.md, "Two body shapes")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clopos_server.kit.body import MISSING, BodyReader
from clopos_server.orders.intake.bounds import (
    FLAT_PASSTHROUGH,
    MAX_LINES,
    absent,
)


def _carry(
    reader: BodyReader, src: Mapping[str, Any], key: str, dst: dict[str, Any], nested: str, sent: str
) -> None:
    """Copy ``src[key]`` (when present) to ``dst`` under the last segment of the nested path ``nested``,
    remembering that problems there belong to ``sent``."""
    reader.origin[nested] = sent
    if key in src:
        dst[nested.rsplit(".", 1)[1]] = src[key]


def _nest_modifier(reader: BodyReader, raw: Any, here: str, sent: str) -> Any:
    reader.origin[here] = sent
    if not isinstance(raw, dict):
        return raw
    modifier: dict[str, Any] = {}
    _carry(reader, raw, "modifier_id", modifier, f"{here}.modificator_id", f"{sent}.modifier_id")
    _carry(reader, raw, "count", modifier, f"{here}.count", f"{sent}.count")
    return modifier


def _nest_line(reader: BodyReader, raw: Any, here: str, sent: str) -> Any:
    reader.origin[here] = sent
    if not isinstance(raw, dict):
        return raw
    line: dict[str, Any] = {}
    for key in ("product_id", "count", "portion_size", "note"):
        _carry(reader, raw, key, line, f"{here}.{key}", f"{sent}.{key}")
    order_product: dict[str, Any] = {}
    meta: dict[str, Any] = {"order_product": order_product}
    _carry(reader, raw, "price", meta, f"{here}.meta.price", f"{sent}.price")
    for key in ("status", "product_hash"):
        _carry(reader, raw, key, order_product, f"{here}.meta.order_product.{key}", f"{sent}.{key}")
    line["meta"] = meta
    reader.origin[f"{here}.product_modificators"] = f"{sent}.modifiers"
    modifiers = raw.get("modifiers", MISSING)
    if isinstance(modifiers, list):
        line["product_modificators"] = [
            _nest_modifier(reader, item, f"{here}.product_modificators[{j}]", f"{sent}.modifiers[{j}]")
            for j, item in enumerate(modifiers)
        ]
    elif modifiers is not MISSING:
        line["product_modificators"] = modifiers
    return line


def nest_flat(body: Mapping[str, Any], reader: BodyReader) -> dict[str, Any]:
    """Rewrite the flat (v2) body into the nested form (orders.md, "Two body shapes")."""
    origin = reader.origin
    service: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    payload: dict[str, Any] = {"service": service, "meta": meta}
    nested: dict[str, Any] = {"payload": payload}
    origin["payload.meta"] = "meta"
    for key in ("sale_type_id", "venue_id"):
        _carry(reader, body, key, service, f"payload.service.{key}", key)

    origin["payload.customer"] = "customer"
    origin["customer_id"] = "customer.id"
    customer = body.get("customer", MISSING)
    nested["customer_id"] = 0  # no customer id: a guest
    if isinstance(customer, dict):
        payload["customer"] = customer
        if customer.get("id") is not None:
            nested["customer_id"] = customer["id"]
        _carry(
            reader,
            customer,
            "customer_discount_type",
            meta,
            "payload.meta.customer_discount_type",
            "customer.customer_discount_type",
        )
    elif customer is not MISSING:
        payload["customer"] = customer

    for key in ("comment", "discount"):
        _carry(reader, body, key, meta, f"payload.meta.{key}", key)
    charge = body.get("service_charge", MISSING)
    if isinstance(charge, dict):
        _carry(reader, charge, "enabled", meta, "payload.meta.apply_service_charge", "service_charge.enabled")
        _carry(reader, charge, "value", meta, "payload.meta.service_charge_value", "service_charge.value")
    elif not absent(charge):
        reader.bad("service_charge", "must be an object")

    for key in FLAT_PASSTHROUGH:
        _carry(reader, body, key, payload, f"payload.{key}", key)

    origin["payload.products"] = "products"
    products = body.get("products", MISSING)
    if isinstance(products, list) and len(products) <= MAX_LINES:
        payload["products"] = [
            _nest_line(reader, line, f"payload.products[{i}]", f"products[{i}]")
            for i, line in enumerate(products)
        ]
    elif products is not MISSING:
        payload["products"] = products
    return nested
