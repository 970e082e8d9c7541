"""Catalogue objects with the exact field types of spec/resources.md: one function per shape.

Integers stay integers, flags the spec calls ``bool`` are JSON booleans and ``1|0`` fields integers,
``status`` maps are objects keyed by venue id strings, and each resource writes its own timestamp format
(``ts-iso`` for most, ``ts-plain`` for products, epoch milliseconds for the stop list).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from clopos_server.timeutil import ts_iso, ts_plain

# This server keeps no unit table: products carry a unit id, and these are the names shown for them.
UNIT_NAMES = {1: "pcs", 2: "kg", 3: "l", 4: "m"}
TIMER_DEFAULT_SETTING: dict[str, Any] = {"calculation_methods": 0, "interval": 60, "prices": []}


def render_venue(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "address": row.address,
        "phone": row.phone,
        "email": row.email,
        "status": int(row.status),
        "is_main": int(row.is_main),
        "media": [],
    }


def render_user(row: Row[Any]) -> dict[str, Any]:
    """A staff user; the PIN and password hashes never leave the server (``pin`` is a display string)."""
    return {
        "id": row.id,
        "username": row.username,
        "email": row.email,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "mobile_number": row.mobile_number,
        "pin": "****",
        "owner": int(row.owner),
        "hide": int(row.hide),
        "status": bool(row.status),
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }


def render_category(row: Row[Any]) -> dict[str, Any]:
    """A category's own fields (a tree node adds ``depth``, ``_lft``, ``_rgt`` and ``children``)."""
    return {
        "id": row.id,
        "name": row.name,
        "status": int(row.status),
        "hidden": bool(row.hidden),
        "type": row.type,
        "position": row.position,
        "parent_id": row.parent_id,
        "color": row.color,
        "media": [],
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }


def render_category_node(
    row: Row[Any], bounds: tuple[int, int, int], children: list[dict[str, Any]]
) -> dict[str, Any]:
    """A node of the category tree: every node, at every depth, carries the nested-set fields."""
    lft, rgt, depth = bounds
    return {**render_category(row), "depth": depth, "_lft": lft, "_rgt": rgt, "children": children}


def render_station(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "status": int(row.status),
        "type": int(row.type),
        "printable": int(row.printable),
        "can_print": bool(row.can_print),
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }


def render_product(row: Row[Any], overrides: Sequence[Row[Any]], links: Sequence[Row[Any]]) -> dict[str, Any]:
    """A product row (from ``product_select``) with its per-venue overrides and modifier-group links.

    ``meta.modifier_pos`` is filled from the links when the stored meta lacks it; ``setting`` appears only
    on TIMER products.
    """
    meta = dict(row.meta or {})
    if links and "modifier_pos" not in meta:
        meta["modifier_pos"] = {str(link.group_id): int(link.position) for link in links}
    parent_name: str = row.parent_name
    full_name = row.name
    if parent_name and not row.name.startswith(parent_name):
        full_name = f"{parent_name} {row.name}"
    product: dict[str, Any] = {
        "id": row.id,
        "parent_id": row.parent_id,
        "category_id": row.category_id,
        "station_id": row.station_id,
        "unit_id": int(row.unit_id),
        "type": row.type,
        "name": row.name,
        "parent_name": parent_name,
        "full_name": full_name,
        "position": row.position,
        "barcode": row.barcode,
        "status": int(row.status),
        "hidden": bool(row.hidden),
        "sold_by_weight": bool(row.sold_by_weight),
        "discountable": bool(row.discountable),
        "giftable": bool(row.giftable),
        "has_modifications": bool(row.has_variants),
        "ignore_service_charge": bool(row.ignore_service_charge),
        "description": row.description,
        "price": row.price,
        "cost_price": row.cost_price,
        "cooking_time": int(row.cooking_time),
        "inventory_behavior": int(row.inventory_behavior),
        "image": row.image,
        "meta": meta,
        "venues": [render_venue_override(override, row.price) for override in overrides],
        "media": [],
        "created_at": ts_plain(row.created_at),
        "updated_at": ts_plain(row.updated_at),
    }
    if row.type == "TIMER":
        product["setting"] = row.setting if row.setting is not None else dict(TIMER_DEFAULT_SETTING)
    return product


def render_venue_override(row: Row[Any], product_price: Decimal) -> dict[str, Any]:
    """``{id, name}`` are the venue's (clients parse the entry as a venue); ``price`` is the price there."""
    return {
        "id": row.venue_id,
        "name": row.name,
        "venue_id": row.venue_id,
        "price": row.price if row.price is not None else product_price,
        "status": int(row.status),
    }


def render_modifier_group(row: Row[Any], modifiers: Iterable[Row[Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "type": int(row.type),
        "min_select": int(row.min_select),
        "max_select": int(row.max_select),
        "adjust_to_portion": bool(row.adjust_to_portion),
        "status": bool(row.status),
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
        "modificators": [render_modifier(modifier) for modifier in modifiers],
    }


def render_modifier(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "group_id": row.group_id,
        "dish_id": row.dish_id,
        "name": row.name,
        "price": row.price,
        "cost_price": row.cost_price,
        "default_count": int(row.default_count),
        "min_count": int(row.min_count),
        "max_count": int(row.max_count),
        "status": bool(row.status),
        "position": int(row.position),
    }


def render_tax(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "rate": row.rate,
        "type": row.type,
        "rounding_option": row.rounding_option,
        "priority": int(row.priority),
    }


def render_unit(unit_id: int) -> dict[str, Any]:
    return {"id": unit_id, "name": UNIT_NAMES.get(unit_id, "pcs")}


def render_stop_entry(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.product_id, "limit": int(row.remaining), "timestamp": int(row.timestamp_ms)}


def venue_status_map(venue_ids: Iterable[int], statuses: Mapping[int, int]) -> dict[str, int]:
    """``{"<venue id>": 1|0}`` naming every venue of the brand; a venue without a row is disabled (0)."""
    return {str(venue_id): 1 if statuses.get(venue_id, 0) else 0 for venue_id in venue_ids}


def render_sale_type(row: Row[Any], status: dict[str, int]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "system_type": row.system_type,
        "channel": row.channel,
        "status": status,
        "service_charge_rate": row.service_charge_rate,
        "position": row.position if row.position is not None else row.id,
        "media": [],
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }


def render_payment_method(row: Row[Any], status: dict[str, int], balance: Row[Any] | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "status": status,
        "split": int(row.split),
        "position": row.position if row.position is not None else row.id,
        "customer_required": int(row.customer_required),
        "is_system": int(row.is_system),
        "balance": render_balance(balance) if balance is not None else None,
        "service": {},
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }


def render_price_list(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "status": bool(row.status),
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }


def render_price(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "list_id": row.list_id, "product_id": row.product_id, "price": row.price}


def render_balance(row: Row[Any]) -> dict[str, Any]:
    """A balance, as customers and payment methods carry it (here, below ``customers``, which imports the
    catalogue's helpers: a payment method's balance must not make the two packages import each other)."""
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "system_type": row.system_type,
        "amount": row.amount,
        "position": int(row.position),
        "venue_id": row.venue_id,
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }
