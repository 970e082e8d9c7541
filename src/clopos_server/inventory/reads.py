"""The v2 inventory read paths (``spec/backoffice.md``, "Inventory").

Lists cover the request's venue (its storages) unless a ``venue_id`` filter names other venues, as the
receipts list does; ``storage_id`` filters narrow further. One row by id is found anywhere in the brand.
Dates (``date[0]``/``date[1]``) are business days of ``operated_at``. Sums are exact decimals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, case, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.catalog.repository import AnyRow
from clopos_server.db.backoffice_models import StockDocument, StockDocumentItem, Supplier
from clopos_server.db.models import Category, Product, StockLevel, StockOperation, Storage
from clopos_server.db.types import Money
from clopos_server.errors import invalid_parameter, not_found
from clopos_server.inventory import repository as repo
from clopos_server.inventory import types
from clopos_server.inventory.ledger import q4
from clopos_server.inventory.render import (
    render_document,
    render_item,
    render_ledger_row,
    render_stock,
    render_storage,
    render_supplier,
)
from clopos_server.kit.query import ListQuery
from clopos_server.timeutil import business_days_range

Page = tuple[list[dict[str, Any]], int]
ZERO = Decimal(0)


def _ints(query: ListQuery, name: str) -> list[int]:
    return [int(v) for v in query.filters.get(name, ())]


def _any_of(column: Any, query: ListQuery, name: str) -> list[ColumnElement[bool]]:
    return [column.in_(_ints(query, name))] if name in query.filters else []


async def _storages_in_view(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> list[int]:
    """The storages of the venues in view (the request's, or the ``venue_id`` filter's)."""
    venues = _ints(query, "venue_id") or [context.venue_id]
    return await repo.venue_storage_ids(conn, context.brand.id, venues)


async def _in_view(
    conn: AsyncConnection, context: AuthContext, query: ListQuery, storage_column: Any
) -> ColumnElement[bool]:
    """The rows of the ``storage_id`` filter's storages, else of the storages in view."""
    if "storage_id" in query.filters:
        return cast(ColumnElement[bool], storage_column.in_(_ints(query, "storage_id")))
    return cast(ColumnElement[bool], storage_column.in_(await _storages_in_view(conn, context, query)))


async def _joined_page(
    conn: AsyncConnection,
    context: AuthContext,
    query: ListQuery,
    model: Any,
    statement: Any,
    conditions: list[ColumnElement[bool]],
    render: Callable[[AnyRow], dict[str, Any]],
) -> Page:
    rows, total = await repo.page(conn, model, context.brand.id, query, conditions, statement=statement)
    return [render(row) for row in rows], total


async def _joined_one(
    conn: AsyncConnection,
    context: AuthContext,
    model: Any,
    statement: Any,
    ident: int,
    what: str,
    render: Callable[[AnyRow], dict[str, Any]],
) -> dict[str, Any]:
    row = (await conn.execute(statement.where(model.brand_id == context.brand.id, model.id == ident))).first()
    if row is None:
        raise not_found(f"{what} {ident} not found")
    return render(row)


def _days(context: AuthContext, query: ListQuery, column: Any) -> list[ColumnElement[bool]]:
    brand = context.brand
    start, end = business_days_range(query.date_from, query.date_to, brand.timezone, brand.day_cutoff_hour)
    return [c for c in (column >= start if start else None, column < end if end else None) if c is not None]


def _sum(column: Any) -> Any:
    """SUM of a Money column, read back as Money (SQLite keeps scaled integers)."""
    return type_coerce(func.coalesce(func.sum(column), 0), Money())


# --------------------------------------------------------------------------------------------------------
# Storages and suppliers


async def list_storages(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    venues = _ints(query, "venue_id") or [context.venue_id]
    conditions = [Storage.venue_id.in_(venues), *_any_of(Storage.id, query, "id")]
    rows, total = await repo.page(conn, Storage, context.brand.id, query, conditions)
    defaults = await repo.default_storage_ids(conn, context.brand.id)
    return [render_storage(row, defaults) for row in rows], total


async def get_storage(conn: AsyncConnection, context: AuthContext, storage_id: int) -> dict[str, Any]:
    row = await repo.storage(conn, context.brand.id, storage_id)
    if row is None:
        raise not_found(f"Storage {storage_id} not found")
    return render_storage(row, await repo.default_storage_ids(conn, context.brand.id))


def _supplier_conditions(query: ListQuery) -> list[ColumnElement[bool]]:
    return [*_any_of(Supplier.id, query, "id"), *_any_of(Supplier.status, query, "status")]


async def list_suppliers(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    rows, total = await repo.page(conn, Supplier, context.brand.id, query, _supplier_conditions(query))
    return [render_supplier(row) for row in rows], total


async def get_supplier(conn: AsyncConnection, context: AuthContext, supplier_id: int) -> dict[str, Any]:
    row = await repo.supplier(conn, context.brand.id, supplier_id)
    if row is None:
        raise not_found(f"Supplier {supplier_id} not found")
    return render_supplier(row)


async def supplier_totals(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> dict[str, Any]:
    """How many suppliers match, and their published supplies: count and value."""
    brand_id = context.brand.id
    conditions = _supplier_conditions(query)
    count = (await repo.aggregate(conn, Supplier, brand_id, conditions, func.count()))[0]
    matching = select(Supplier.id).where(Supplier.brand_id == brand_id, *conditions)
    supplies = await repo.aggregate(
        conn,
        StockDocument,
        brand_id,
        [
            StockDocument.supplier_id.in_(matching),
            StockDocument.type == types.IN,
            StockDocument.status == types.PUBLISHED,
        ],
        func.count(),
        _sum(StockDocument.total_cost),
    )
    return {"count": count, "supplies_count": supplies[0], "supplies_total_cost": supplies[1]}


# --------------------------------------------------------------------------------------------------------
# Stock levels

_STOCK_SELECT = (
    select(
        StockLevel,
        Product.name.label("product_name"),
        Product.category_id,
        Product.meta.label("product_meta"),
        Storage.name.label("storage_name"),
    )
    .join(Product, Product.id == StockLevel.product_id)
    .join(Storage, Storage.id == StockLevel.storage_id)
)


async def _stock_conditions(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> list[ColumnElement[bool]]:
    conditions = [
        *_any_of(StockLevel.id, query, "id"),
        *_any_of(StockLevel.product_id, query, "product_id"),
    ]
    conditions.append(await _in_view(conn, context, query, StockLevel.storage_id))
    if "category_id" in query.filters:
        in_category = select(Product.id).where(Product.category_id.in_(_ints(query, "category_id")))
        conditions.append(StockLevel.product_id.in_(in_category))
    return conditions


async def list_stock(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    conditions = await _stock_conditions(conn, context, query)
    return await _joined_page(conn, context, query, StockLevel, _STOCK_SELECT, conditions, render_stock)


async def get_stock(conn: AsyncConnection, context: AuthContext, level_id: int) -> dict[str, Any]:
    return await _joined_one(conn, context, StockLevel, _STOCK_SELECT, level_id, "Stock", render_stock)


async def stock_of_product(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    """``/stock/product?product_id=``: one product in every storage of the brand."""
    product_id = query.params.get("product_id")
    if product_id is None:
        raise invalid_parameter("product_id", "product_id is required")
    conditions = [
        StockLevel.product_id == int(product_id),
        *_any_of(StockLevel.storage_id, query, "storage_id"),
    ]
    return await _joined_page(conn, context, query, StockLevel, _STOCK_SELECT, conditions, render_stock)


async def _levels(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> list[AnyRow]:
    conditions = [StockLevel.brand_id == context.brand.id, *await _stock_conditions(conn, context, query)]
    return await repo.grouped(conn, _STOCK_SELECT.order_by(StockLevel.id), conditions)


async def stock_by_category(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> list[dict[str, Any]]:
    """``/stock/product-group``: the filtered levels summed per product category."""
    levels = await _levels(conn, context, query)
    groups: dict[int | None, dict[str, Any]] = defaultdict(
        lambda: {"products": set(), "quantity": ZERO, "total_cost": ZERO}
    )
    for level in levels:
        group = groups[level.category_id]
        group["products"].add(level.product_id)
        group["quantity"] += Decimal(level.quantity)
        group["total_cost"] += q4(Decimal(level.quantity) * Decimal(level.cost))
    names = await _category_names(conn, context.brand.id, [c for c in groups if c is not None])
    return [
        {
            "category_id": category_id,
            "category_name": names.get(category_id, "") if category_id is not None else "",
            "products_count": len(group["products"]),
            "quantity": group["quantity"],
            "total_cost": group["total_cost"],
        }
        for category_id, group in sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]


async def _category_names(conn: AsyncConnection, brand_id: int, ids: Sequence[int]) -> dict[int, str]:
    statement = select(Category.id, Category.name).where(Category.brand_id == brand_id, Category.id.in_(ids))
    return {row.id: row.name for row in await conn.execute(statement)}


def _low_stock(level: AnyRow) -> bool:
    threshold = (level.product_meta or {}).get("low_stock")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, str)):
        return False
    try:
        return Decimal(level.quantity) < Decimal(str(threshold))
    except ArithmeticError:
        return False


async def stock_info(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> dict[str, Any]:
    """``/stock/info``: counts of levels, products, storages, below zero, at zero, below ``low_stock``."""
    levels = await _levels(conn, context, query)
    return {
        "levels_count": len(levels),
        "products_count": len({level.product_id for level in levels}),
        "storages_count": len({level.storage_id for level in levels}),
        "negative_count": sum(1 for level in levels if Decimal(level.quantity) < 0),
        "zero_count": sum(1 for level in levels if Decimal(level.quantity) == 0),
        "low_stock_count": sum(1 for level in levels if _low_stock(level)),
    }


async def stock_total(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> dict[str, Any]:
    """``/stock/total``: the filtered levels' quantity and value (quantity x average cost)."""
    levels = await _levels(conn, context, query)
    return {
        "count": len(levels),
        "quantity": sum((Decimal(level.quantity) for level in levels), ZERO),
        "total_cost": sum((q4(Decimal(level.quantity) * Decimal(level.cost)) for level in levels), ZERO),
    }


# --------------------------------------------------------------------------------------------------------
# The ledger

_LEDGER_SELECT = (
    select(StockOperation, Product.name.label("product_name"), Storage.name.label("storage_name"))
    .outerjoin(Product, Product.id == StockOperation.product_id)
    .outerjoin(Storage, Storage.id == StockOperation.storage_id)
)


async def _ledger_conditions(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> list[ColumnElement[bool]]:
    conditions = [
        *_any_of(StockOperation.id, query, "id"),
        *_any_of(StockOperation.product_id, query, "product_id"),
        *_any_of(StockOperation.type, query, "type"),
        *_any_of(StockOperation.operation_id, query, "operation_id"),
        *_any_of(StockOperation.receipt_id, query, "receipt_id"),
        *_days(context, query, StockOperation.operated_at),
    ]
    return [*conditions, await _in_view(conn, context, query, StockOperation.storage_id)]


async def list_ledger(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    conditions = await _ledger_conditions(conn, context, query)
    return await _joined_page(
        conn, context, query, StockOperation, _LEDGER_SELECT, conditions, render_ledger_row
    )


async def get_ledger_row(conn: AsyncConnection, context: AuthContext, row_id: int) -> dict[str, Any]:
    return await _joined_one(
        conn, context, StockOperation, _LEDGER_SELECT, row_id, "Stock operation", render_ledger_row
    )


_INCOMING = StockOperation.after_quantity > StockOperation.before_quantity
_OUTGOING = StockOperation.after_quantity < StockOperation.before_quantity


def _ledger_sums() -> list[Any]:
    return [
        func.count(),
        _sum(case((_INCOMING, StockOperation.quantity), else_=0)),
        _sum(case((_OUTGOING, StockOperation.quantity), else_=0)),
        _sum(case((_INCOMING, StockOperation.total_cost), else_=0)),
        _sum(case((_OUTGOING, StockOperation.total_cost), else_=0)),
    ]


def _sums(row: Sequence[Any]) -> dict[str, Any]:
    count, in_quantity, out_quantity, in_cost, out_cost = row
    return {
        "count": count,
        "in_quantity": in_quantity,
        "out_quantity": out_quantity,
        "net_quantity": in_quantity - out_quantity,
        "in_cost": in_cost,
        "out_cost": out_cost,
    }


async def ledger_by_product(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> list[dict[str, Any]]:
    """``/stock-operations/products``: per product, what came in and went out."""
    conditions = [
        StockOperation.brand_id == context.brand.id,
        *await _ledger_conditions(conn, context, query),
    ]
    statement = (
        select(StockOperation.product_id, func.max(Product.name), *_ledger_sums())
        .select_from(StockOperation)
        .outerjoin(Product, Product.id == StockOperation.product_id)
        .group_by(StockOperation.product_id)
        .order_by(StockOperation.product_id)
    )
    rows = await repo.grouped(conn, statement, conditions)
    return [{"product_id": row[0], "product_name": row[1] or "", **_sums(row[2:])} for row in rows]


async def ledger_total(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> dict[str, Any]:
    conditions = await _ledger_conditions(conn, context, query)
    row = await repo.aggregate(conn, StockOperation, context.brand.id, conditions, *_ledger_sums())
    return _sums(row)


# --------------------------------------------------------------------------------------------------------
# Documents and their lines


async def _document_conditions(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> list[ColumnElement[bool]]:
    conditions = [
        *_any_of(StockDocument.id, query, "id"),
        *_any_of(StockDocument.type, query, "type"),
        *_any_of(StockDocument.status, query, "status"),
        *_any_of(StockDocument.supplier_id, query, "supplier_id"),
        *_days(context, query, StockDocument.operated_at),
    ]
    storages = _ints(query, "storage_id") or await _storages_in_view(conn, context, query)
    return [*conditions, _touching(storages)]


def _touching(storages: Sequence[int]) -> ColumnElement[bool]:
    """Documents of these storages: from them or (transfers) into them."""
    return or_(StockDocument.storage_id.in_(storages), StockDocument.target_storage_id.in_(storages))


async def list_documents(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    conditions = await _document_conditions(conn, context, query)
    rows, total = await repo.page(conn, StockDocument, context.brand.id, query, conditions)
    return [render_document(row) for row in rows], total


async def get_document(conn: AsyncConnection, context: AuthContext, document_id: int) -> dict[str, Any]:
    row = await repo.document(conn, context.brand.id, document_id)
    if row is None:
        raise not_found(f"Operation {document_id} not found")
    return render_document(row)


async def document_items(
    conn: AsyncConnection, context: AuthContext, document_id: int, query: ListQuery
) -> Page:
    await get_document(conn, context, document_id)
    conditions = [
        StockDocumentItem.operation_id == document_id,
        *_any_of(StockDocumentItem.product_id, query, "product_id"),
    ]
    rows, total = await repo.page(conn, StockDocumentItem, context.brand.id, query, conditions)
    return [render_item(row) for row in rows], total


def document_statuses() -> dict[str, Any]:
    """``/operations/statuses``: the status and type vocabularies."""
    return {
        "statuses": [{"id": key, "name": name} for key, name in types.STATUSES.items()],
        "types": [{"id": key, "name": name} for key, name in types.DOCUMENT_TYPES.items()],
    }


async def documents_total(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> dict[str, Any]:
    conditions = await _document_conditions(conn, context, query)
    row = await repo.aggregate(
        conn,
        StockDocument,
        context.brand.id,
        conditions,
        func.count(),
        _sum(StockDocument.total_cost),
        func.coalesce(func.sum(StockDocument.items_count), 0),
    )
    return {"count": row[0], "total_cost": row[1], "items_count": int(row[2])}


async def _item_conditions(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> list[ColumnElement[bool]]:
    storages = await _storages_in_view(conn, context, query)
    documents = select(StockDocument.id).where(
        StockDocument.brand_id == context.brand.id, _touching(storages)
    )
    return [
        StockDocumentItem.operation_id.in_(documents),
        *_any_of(StockDocumentItem.id, query, "id"),
        *_any_of(StockDocumentItem.operation_id, query, "operation_id"),
        *_any_of(StockDocumentItem.product_id, query, "product_id"),
    ]


async def list_items(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> Page:
    conditions = await _item_conditions(conn, context, query)
    rows, total = await repo.page(conn, StockDocumentItem, context.brand.id, query, conditions)
    return [render_item(row) for row in rows], total


async def items_total(conn: AsyncConnection, context: AuthContext, query: ListQuery) -> dict[str, Any]:
    conditions = await _item_conditions(conn, context, query)
    row = await repo.aggregate(
        conn,
        StockDocumentItem,
        context.brand.id,
        conditions,
        func.count(),
        _sum(StockDocumentItem.quantity),
        _sum(StockDocumentItem.total_cost),
    )
    return {"count": row[0], "quantity": row[1], "total_cost": row[2]}
