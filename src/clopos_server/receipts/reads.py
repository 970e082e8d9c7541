"""Receipt reads (spec/orders.md, "Receipts"): the list, one by id or cid, a receipt's stock operations;
and the two helpers every receipt write ends with (the row or a 404, the receipt as answered)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.context import AuthContext
from clopos_server.db.driver_reads import Reader, any_of, for_dialects
from clopos_server.db.models import Receipt, ReceiptProduct
from clopos_server.errors import ApiError, Problem, not_found
from clopos_server.inventory.render import render_stock_operation
from clopos_server.kit.query import ListQuery
from clopos_server.kit.values import is_uuid
from clopos_server.receipts import repository as repo
from clopos_server.receipts.render import render_receipt
from clopos_server.timeutil import business_days_range

OPEN, CLOSED = 1, 2
NOT_FOUND = "Receipt not found"


def receipt_not_found() -> ApiError:
    return not_found(NOT_FOUND, code="not_found")


async def receipt_row(conn: AsyncConnection, brand_id: int, receipt_id: int) -> Row[Any]:
    row = await repo.get_receipt(conn, brand_id, receipt_id)
    if row is None:
        raise receipt_not_found()
    return row


async def whole(conn: AsyncConnection, brand_id: int, receipt_id: int) -> dict[str, Any]:
    """The receipt with its lines, as the write endpoints and the reads by id answer it."""
    row = await receipt_row(conn, brand_id, receipt_id)
    lines = await repo.lines_of(conn, brand_id, [row.id])
    return render_receipt(row, lines.get(row.id, []))


async def list_receipts(
    conn: AsyncConnection, context: AuthContext, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    """The request's venue unless a ``venue_id`` filter names others; dates are business days."""
    brand = context.brand
    filters = query.filters
    conditions: list[ColumnElement[bool]] = [
        Receipt.venue_id.in_([int(v) for v in filters.get("venue_id", ())] or [context.venue_id])
    ]
    if "status" in filters:
        conditions.append(Receipt.status.in_([int(s) for s in filters["status"]]))
    if "sale_type_id" in filters:
        conditions.append(Receipt.sale_type_id.in_([int(s) for s in filters["sale_type_id"]]))
    if "order_status" in filters:
        conditions.append(Receipt.order_status.in_([str(s) for s in filters["order_status"]]))
    if "customer_id" in filters:
        conditions.append(Receipt.customer_id.in_([int(s) for s in filters["customer_id"]]))
    start, end = business_days_range(query.date_from, query.date_to, brand.timezone, brand.day_cutoff_hour)
    if start is not None:
        conditions.append(Receipt.created_at >= start)
    if end is not None:
        conditions.append(Receipt.created_at < end)
    rows, total = await repo.list_receipts(
        conn,
        brand_id=brand.id,
        conditions=conditions,
        sort=query.sort,
        descending=query.descending,
        limit=query.limit,
        offset=query.offset,
    )
    if query.includes:  # receipt_products (or its synonym receipt_products.modificators)
        lines = await repo.lines_of(conn, brand.id, [row.id for row in rows])
        return [render_receipt(row, lines.get(row.id, [])) for row in rows], total
    return [render_receipt(row) for row in rows], total


# The reads by id and by cid (issue 18, docs/decisions/0005): Core statements compiled once per dialect,
# on PostgreSQL sent on the driver (db/driver_reads.py); the receipt, then its lines.
_RECEIPTS = Receipt.__table__
_LINES = ReceiptProduct.__table__
_RECEIPT_BY_ID = for_dialects(
    lambda _: select(*_RECEIPTS.c).where(
        _RECEIPTS.c.brand_id == bindparam("brand"), _RECEIPTS.c.id == bindparam("receipt")
    )
)


def _by_cid(dialect: str) -> Select[Any]:
    """By cid as written in lower or upper case (UUIDs are case-insensitive; ours are lower case)."""
    spellings = any_of(dialect, _RECEIPTS.c.cid, "cids")
    return select(*_RECEIPTS.c).where(_RECEIPTS.c.brand_id == bindparam("brand"), spellings)


_RECEIPT_BY_CID = for_dialects(_by_cid)
_LINES_OF_RECEIPT = for_dialects(
    lambda _: (
        select(*_LINES.c)
        .where(_LINES.c.brand_id == bindparam("brand"), _LINES.c.receipt_id == bindparam("receipt"))
        .order_by(_LINES.c.position, _LINES.c.id)
    )
)


async def _answer(reader: Reader, brand_id: int, row: Row[Any] | None) -> dict[str, Any]:
    """The receipt with its lines (``whole``'s answer), from its row."""
    if row is None:
        raise receipt_not_found()
    values = {"brand": brand_id, "receipt": row.id}
    return render_receipt(row, await reader.fetch(_LINES_OF_RECEIPT, values))


async def read_one(reader: Reader, context: AuthContext, receipt_id: int) -> dict[str, Any]:
    values = {"brand": context.brand.id, "receipt": receipt_id}
    return await _answer(reader, context.brand.id, await reader.first(_RECEIPT_BY_ID, values))


async def read_by_cid(reader: Reader, context: AuthContext, cid: str) -> dict[str, Any]:
    if not is_uuid(cid):
        message = "cid must be a UUID"
        raise ApiError("invalid_parameter", message, [Problem(message, "path.cid")])
    lower = cid.lower()
    values = {"brand": context.brand.id, "cids": sorted({lower, lower.upper()})}
    return await _answer(reader, context.brand.id, await reader.first(_RECEIPT_BY_CID, values))


async def stock_operations(
    conn: AsyncConnection, context: AuthContext, receipt_id: int
) -> list[dict[str, Any]]:
    await receipt_row(conn, context.brand.id, receipt_id)
    return [
        render_stock_operation(op)
        for op in await repo.stock_operations_of(conn, context.brand.id, receipt_id)
    ]
