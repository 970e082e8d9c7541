"""The order reads of the API (issue 18, docs/decisions/0005): ``GET /orders`` and ``GET /orders/{id}``.

Their statements are written once in Core and compiled once per dialect; on PostgreSQL they run on the
driver (db/driver_reads.py). The list is an index walk: ``(brand_id, venue_id, created_at DESC, id)`` and
``(brand_id, venue_id, status, created_at DESC, id)`` (migration 0009) give the default order for one
venue, with or without one status, so a page is the index's first rows. Its total is read from
``order_counts`` (migration 0010) when the query filters by brand, venues and statuses alone, and counted
on the same index (without reading the rows) otherwise. The relations ``with[]`` names are read as before
(cold paths).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    true,
)

from clopos_server.auth.context import AuthContext
from clopos_server.db.driver_reads import Reader, ReadStatement, any_of, for_dialects
from clopos_server.db.models import Order
from clopos_server.db.order_counts import ORDER_COUNTS
from clopos_server.errors import not_found
from clopos_server.kit.query import ListQuery
from clopos_server.orders import repository as repo
from clopos_server.orders.render import order_text
from clopos_server.timeutil import business_days_range

_ORDERS = Order.__table__
_JSON_COLUMNS = ("payload", "pricing", "warnings")
_TIME_COLUMNS = ("created_at", "updated_at")
_UTC: ColumnElement[str] = literal_column("'UTC'")
# ``ts_iso``'s format, written by the database: to_char (PostgreSQL), strftime (SQLite)
_ISO_FORMATS: dict[str, ColumnElement[str]] = {
    "postgresql": literal_column("""'YYYY-MM-DD"T"HH24:MI:SS".000000Z"'"""),
    "sqlite": literal_column("'%Y-%m-%dT%H:%M:%S.000000Z'"),
}


def _as_written(dialect: str, columns: Iterable[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """The order's columns as ``render.order_text`` takes them: what the answer shows as the database can
    write it, cheaper than Python converts and writes it (py-spy: 16 us per order of a list's worker
    CPU went there; psql: 0.3 us for a time, 0.1 for a total). The JSON columns as their stored text;
    the times in ``ts_iso``'s format; on PostgreSQL the total as its number's text without trailing
    zeros (what ``stored_money`` and ``jsonio`` make of it; SQLite's total, an integer of 1/10,000,
    stays the column's ``Decimal``)."""
    written: list[ColumnElement[Any]] = []
    for column in columns:
        key = column.key
        if key in _JSON_COLUMNS:
            column = cast(column, Text)
        elif key in _TIME_COLUMNS:
            if dialect == "postgresql":
                column = func.to_char(func.timezone(_UTC, column), _ISO_FORMATS[dialect])
            else:
                column = func.strftime(_ISO_FORMATS[dialect], column)
        elif key == "total" and dialect == "postgresql":
            column = cast(func.trim_scale(column), Text)
        else:
            written.append(column)
            continue
        written.append(column.label(key))
    return written


_ORDER_BY_ID = for_dialects(
    lambda dialect: select(*_as_written(dialect, _ORDERS.c)).where(
        _ORDERS.c.brand_id == bindparam("brand"), _ORDERS.c.id == bindparam("order")
    )
)


@dataclass(frozen=True)
class ListShape:
    """What decides a list's statement (the values go in its parameters). ``statuses``, ``venues``:
    0 (no filter), 1 (``= value``: the index walk) or 2 (any of several)."""

    venues: int
    statuses: int
    customers: bool
    sale_types: bool
    created_from: bool
    created_before: bool
    sort: str
    descending: bool


def _any_of(dialect: str, column: ColumnElement[Any], name: str, count: int) -> ColumnElement[bool]:
    """``column = :name`` for one value; any of a list (``driver_reads.any_of``): one compiled statement
    for any number."""
    if count == 1:
        return column == bindparam(name)
    return any_of(dialect, column, name)


def _list_statement(dialect: str, shape: ListShape) -> Select[Any]:
    """The page and the number of matching orders in one statement: ``counted LEFT JOIN page ON true``
    (one row with the count and no order when the page is empty). The page's JSON columns are cast to
    text after the page is chosen: the answer embeds the stored text (decoding it with exact Decimals and
    encoding it again was most of a list's CPU)."""
    c = _ORDERS.c
    conditions = [c.brand_id == bindparam("brand"), _any_of(dialect, c.venue_id, "venues", shape.venues)]
    if shape.statuses:
        conditions.append(_any_of(dialect, c.status, "statuses", shape.statuses))
    if shape.customers:
        conditions.append(_any_of(dialect, c.customer_id, "customers", 2))
    if shape.sale_types:
        conditions.append(_any_of(dialect, c.sale_type_id, "sale_types", 2))
    if shape.created_from:
        conditions.append(c.created_at >= bindparam("created_from"))
    if shape.created_before:
        conditions.append(c.created_at < bindparam("created_before"))
    sort = c[shape.sort]
    page = (
        select(*c)
        .where(*conditions)
        .order_by(sort.desc() if shape.descending else sort.asc(), c.id.asc())
        .limit(bindparam("limit", type_=Integer))
        # page x limit passes int4 for a far page (page=999999999): PostgreSQL takes a bigint OFFSET
        .offset(bindparam("offset", type_=BigInteger))
        .subquery("page")
    )
    counted = _counted(dialect, shape, conditions).subquery("counted")
    page_sort = page.c[shape.sort]
    return (
        select(counted.c.matching, *_as_written(dialect, page.c))
        .select_from(counted.outerjoin(page, true()))
        .order_by(page_sort.desc() if shape.descending else page_sort.asc(), page.c.id.asc())
    )


def _counted(dialect: str, shape: ListShape, conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """How many orders match: for a query of brand, venues and statuses alone (the list's common ones),
    the sum of their rows in ``order_counts`` (kept by triggers in every writer's transaction, migration
    0010), which does not grow with the orders; for other filters a count of the matching orders."""
    if shape.customers or shape.sale_types or shape.created_from or shape.created_before:
        return select(func.count().label("matching")).where(*conditions)
    k = ORDER_COUNTS.c
    kept = [k.brand_id == bindparam("brand"), _any_of(dialect, k.venue_id, "venues", shape.venues)]
    if shape.statuses:
        kept.append(_any_of(dialect, k.status, "statuses", shape.statuses))
    total = cast(func.coalesce(func.sum(k.n), literal_column("0")), BigInteger)
    return select(total.label("matching")).where(*kept)


_LIST_STATEMENTS: dict[ListShape, dict[str, ReadStatement]] = {}


def _list_statements(shape: ListShape) -> dict[str, ReadStatement]:
    """The list's statement for ``shape``, compiled once (the default shapes at import)."""
    found = _LIST_STATEMENTS.get(shape)
    if found is None:
        found = _LIST_STATEMENTS[shape] = for_dialects(lambda dialect: _list_statement(dialect, shape))
    return found


for _statuses in (0, 1):
    _list_statements(ListShape(1, _statuses, False, False, False, False, "created_at", True))


def _count(values: Sequence[Any]) -> int:
    return min(len(values), 2)


def _one_or_all(values: Sequence[Any]) -> Any:
    return values[0] if len(values) == 1 else list(values)


async def list_orders(
    reader: Reader,
    *,
    brand_id: int,
    venue_ids: Sequence[int],
    statuses: Sequence[str],
    customer_ids: Sequence[int],
    sale_type_ids: Sequence[int],
    created_from: datetime | None,
    created_before: datetime | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[Row[Any]], int]:
    """A page of the brand's orders (their JSON columns as stored text) and how many match, in one
    statement."""
    shape = ListShape(
        venues=_count(venue_ids),
        statuses=_count(statuses),
        customers=bool(customer_ids),
        sale_types=bool(sale_type_ids),
        created_from=created_from is not None,
        created_before=created_before is not None,
        sort=sort,
        descending=descending,
    )
    values: dict[str, Any] = {
        "brand": brand_id,
        "venues": _one_or_all(venue_ids),
        "statuses": _one_or_all(statuses) if statuses else None,
        "customers": list(customer_ids),
        "sale_types": list(sale_type_ids),
        "created_from": created_from,
        "created_before": created_before,
        "limit": limit,
        "offset": offset,
    }
    rows = await reader.fetch(_list_statements(shape), values)
    total = int(rows[0].matching) if rows else 0
    return [row for row in rows if row.id is not None], total


async def read_one(
    reader: Reader, context: AuthContext, order_id: int, includes: dict[str, tuple[str, ...] | None]
) -> orjson.Fragment:
    """``GET /orders/{id}``: one statement, and one per relation ``with[]`` names (``reader`` is then
    ``cold``). The JSON columns go into the answer as stored text, as the list's do (decoding them with
    exact Decimals and encoding them again was a third of the worker's CPU per read)."""
    brand_id = context.brand.id
    row = await reader.first(_ORDER_BY_ID, {"brand": brand_id, "order": order_id})
    if row is None:
        raise not_found("Order not found")
    if not includes:
        return order_text(row)  # the common read: nothing else to fetch
    receipts = customers = history = {}
    conn = await reader.cold()
    if "receipt" in includes and row.receipt_id:
        receipts = await repo.receipts_by_id(conn, brand_id, [row.receipt_id])
    if "customer" in includes and row.customer_id:
        customers = await repo.customers_by_id(conn, brand_id, [row.customer_id])
    if "history" in includes:
        history = await repo.history_of(conn, brand_id, [row.id])
    return order_text(
        row,
        includes=includes,
        receipt=receipts.get(row.receipt_id or 0),
        customer=customers.get(row.customer_id or 0),
        history=history.get(row.id, []),
    )


async def read_many(
    reader: Reader, context: AuthContext, query: ListQuery
) -> tuple[list[orjson.Fragment], int]:
    """``GET /orders``: the page and its total in one statement, and one per relation ``with[]`` names
    (``reader`` is then ``cold``)."""
    brand = context.brand
    venue_ids = [int(v) for v in query.filters.get("venue_id", ())] or [context.venue_id]
    statuses = [str(s) for s in query.filters.get("status", ())]
    if "status" in query.params:
        statuses = [str(query.params["status"])]
    start, end = business_days_range(query.date_from, query.date_to, brand.timezone, brand.day_cutoff_hour)
    rows, total = await list_orders(
        reader,
        brand_id=brand.id,
        venue_ids=venue_ids,
        statuses=statuses,
        customer_ids=[int(v) for v in query.filters.get("customer_id", ())],
        sale_type_ids=[int(v) for v in query.filters.get("sale_type_id", ())],
        created_from=start,
        created_before=end,
        sort=query.sort,
        descending=query.descending,
        limit=query.limit,
        offset=query.offset,
    )
    includes = dict(query.includes)
    if not includes:  # the common read: nothing else to fetch
        return [order_text(row[1:]) for row in rows], total  # [1:]: the page's columns, after the count
    receipts = customers = history = {}
    conn = await reader.cold()
    if "receipt" in includes:
        receipts = await repo.receipts_by_id(conn, brand.id, [r.receipt_id for r in rows if r.receipt_id])
    if "customer" in includes:
        customers = await repo.customers_by_id(conn, brand.id, [r.customer_id for r in rows if r.customer_id])
    if "history" in includes and rows:
        history = await repo.history_of(conn, brand.id, [r.id for r in rows])
    data = [
        order_text(
            row[1:],  # the page's columns, after the count
            includes=includes,
            receipt=receipts.get(row.receipt_id or 0),
            customer=customers.get(row.customer_id or 0),
            history=history.get(row.id, []),
        )
        for row in rows
    ]
    return data, total
