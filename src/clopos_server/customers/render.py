"""Customer, customer group and balance objects with the exact field types of spec/resources.md.

Clients parse these strictly, so every field the spec does not mark ``|null`` is never null here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from clopos_server.catalog.render import render_balance
from clopos_server.timeutil import ts_iso


def render_customer(
    row: Row[Any],
    *,
    default_venue_id: int,
    includes: Mapping[str, tuple[str, ...] | None] = {},
    group: Row[Any] | None = None,
    balance: Row[Any] | None = None,
) -> dict[str, Any]:
    """One customer, plus the ``with[]`` relations asked for (``group``, ``balance``, ``cashback_balance``).

    ``venue_id`` is not nullable in the spec: a customer stored without one shows the brand's main venue.
    """
    customer: dict[str, Any] = {
        "id": row.id,
        "venue_id": row.venue_id if row.venue_id is not None else default_venue_id,
        "cid": row.cid,
        "group_id": row.group_id,
        "balance_id": row.balance_id,
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "phones": list(row.phones or []),
        "address": row.address,
        "address_data": list(row.address_data or []),
        "description": row.description,
        "discount": int(row.discount),
        "spent": row.spent,
        "total_discount": row.total_discount,
        "total_bonus": row.total_bonus,
        "receipt_count": int(row.receipt_count),
        "gender": row.gender,
        "date_of_birth": row.date_of_birth.isoformat() if row.date_of_birth is not None else None,
        "code": row.code,
        "status": bool(row.status),
        "can_use_loyalty_system": bool(row.can_use_loyalty_system),
        "is_verified": bool(row.is_verified),
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }
    if "group" in includes:
        customer["group"] = render_group(group) if group is not None else None
    if "balance" in includes:
        customer["balance"] = render_balance(balance) if balance is not None else None
    if "cashback_balance" in includes:
        customer["cashback_balance"] = render_cashback()
    return customer


def render_group(row: Row[Any]) -> dict[str, Any]:
    """A customer group. ``system_type`` is a string in the spec: a group without one shows ``""``."""
    return {
        "id": row.id,
        "name": row.name,
        "discount_type": int(row.discount_type),
        "discount_value": int(row.discount_value),
        "system_type": row.system_type if row.system_type is not None else "",
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }


def render_cashback() -> dict[str, Any]:
    """This server runs no cashback programme: every customer's cashback balance is an empty one."""
    return {"name": "Cashback", "type": "CASHBACK", "amount": Decimal(0)}
