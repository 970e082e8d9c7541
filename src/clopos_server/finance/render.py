"""Finance objects as the endpoints answer them (shapes marked *ours* in docs/api/finance.md: the real
reference gives paths but no schemas). Money is Decimal; times are ``YYYY-MM-DD HH:MM:SS`` UTC like
receipts'."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from clopos_server.timeutil import ts_plain


def _time(moment: datetime | None) -> str | None:
    return ts_plain(moment) if moment is not None else None


def render_account(row: Row[Any], methods: list[int]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "venue_id": row.venue_id,
        "amount": row.amount,
        "currency": row.currency,
        "opening_amount": row.opening_amount,
        "payment_method_ids": methods,
        "position": row.position,
        "created_at": ts_plain(row.created_at),
        "updated_at": ts_plain(row.updated_at),
    }


def render_transaction(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "balance_id": row.balance_id,
        "category_id": row.category_id,
        "type": row.type,
        "amount": row.amount,
        "before_amount": row.before_amount,
        "after_amount": row.after_amount,
        "receipt_id": row.receipt_id,
        "operation_id": row.operation_id,
        "customer_id": row.customer_id,
        "supplier_id": row.supplier_id,
        "description": row.description,
        "operated_at": ts_plain(row.operated_at),
    }


def render_category(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "parent_id": row.parent_id,
        "name": row.name,
        "type": row.type,
        "system_type": row.system_type,
        "position": row.position,
        "created_at": ts_plain(row.created_at),
        "updated_at": ts_plain(row.updated_at),
    }


def render_shift(row: Row[Any]) -> dict[str, Any]:
    return {
        "uuid": row.uuid,
        "venue_id": row.venue_id,
        "terminal_id": row.terminal_id,
        "opened_by": row.opened_by,
        "opened_at": ts_plain(row.opened_at),
        "opening_amount": row.opening_amount,
        "closed_by": row.closed_by,
        "closed_at": _time(row.closed_at),
        "counted_amount": row.counted_amount,
        "expected_amount": row.expected_amount,
        "difference": row.difference,
    }


def render_tax(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "rate": row.rate,
        "type": row.type,
        "rounding_option": row.rounding_option,
        "priority": row.priority,
    }
