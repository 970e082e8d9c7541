"""Inventory rows as the v2 API writes them (``spec/backoffice.md``; the shapes are *ours* where the
reference is silent, see ``docs/api/inventory.md``). Times are ``2026-01-13 20:04:05`` UTC."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from clopos_server.catalog.repository import AnyRow
from clopos_server.inventory import types
from clopos_server.inventory.ledger import q4
from clopos_server.timeutil import ts_plain


def _time(moment: datetime | None) -> str | None:
    return ts_plain(moment) if moment is not None else None


def render_storage(row: AnyRow, defaults: Collection[int]) -> dict[str, Any]:
    return {"id": row.id, "venue_id": row.venue_id, "name": row.name, "is_default": row.id in defaults}


def render_supplier(row: AnyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "address": row.address,
        "tin": row.tin,
        "description": row.description,
        "status": row.status,
        "created_at": ts_plain(row.created_at),
        "updated_at": ts_plain(row.updated_at),
    }


def render_stock(row: AnyRow) -> dict[str, Any]:
    """A level joined with its product's and storage's names."""
    quantity, cost = Decimal(row.quantity), Decimal(row.cost)
    return {
        "id": row.id,
        "product_id": row.product_id,
        "storage_id": row.storage_id,
        "quantity": quantity,
        "reserved": 0,
        "cost": cost,
        "total_cost": q4(quantity * cost),
        "updated_at": _time(row.updated_at),
        "product": {"id": row.product_id, "name": row.product_name or "", "category_id": row.category_id},
        "storage": {"id": row.storage_id, "name": row.storage_name or ""},
    }


def render_ledger_row(row: AnyRow) -> dict[str, Any]:
    """``GET /receipts/{id}/stock-operations``'s shape, plus what caused it."""
    return {
        **render_stock_operation(row),
        "type": row.type,
        "type_name": types.LEDGER_TYPES.get(row.type, str(row.type)),
        "operation_id": row.operation_id,
        "operation_item_id": row.operation_item_id,
        "after_cost": row.after_cost if row.after_cost is not None else row.before_cost,
    }


def render_document(row: AnyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "type_name": types.DOCUMENT_TYPES.get(row.type, str(row.type)),
        "status": row.status,
        "storage_id": row.storage_id,
        "target_storage_id": row.target_storage_id,
        "supplier_id": row.supplier_id,
        "number": row.number,
        "description": row.description,
        "operated_at": ts_plain(row.operated_at),
        "total_cost": row.total_cost,
        "items_count": row.items_count,
        "created_by": row.created_by,
        "created_at": ts_plain(row.created_at),
        "updated_at": ts_plain(row.updated_at),
    }


def render_item(row: AnyRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "operation_id": row.operation_id,
        "product_id": row.product_id,
        "quantity": row.quantity,
        "cost": row.cost,
        "total_cost": row.total_cost,
        "before_quantity": row.before_quantity,
        "after_quantity": row.after_quantity,
    }


def render_stock_operation(row: AnyRow) -> dict[str, Any]:
    """One row of the stock ledger as ``GET /receipts/{id}/stock-operations`` shows it (here, in the ledger's
    package, which receipts build on)."""
    return {
        "id": row.id,
        "receipt_id": row.receipt_id,
        "receipt_product_id": row.receipt_product_id,
        "product_id": row.product_id,
        "stock_id": row.stock_id,
        "storage_id": row.storage_id,
        "quantity": row.quantity,
        "before_quantity": row.before_quantity,
        "after_quantity": row.after_quantity,
        "cost": row.cost,
        "before_cost": row.before_cost,
        "total_cost": row.total_cost,
        "operated_at": ts_plain(row.operated_at),
        "product": {"id": row.product_id, "name": row.product_name or ""},
        "stock": {"id": row.stock_id, "storage": {"id": row.storage_id, "name": row.storage_name or ""}},
    }
