"""Catalogue queries. Every query takes the brand, so another brand's row is simply not found.

The generic shapes other packages build on (a page, one row by id, rows by ids), the product row's select
(``catalog.memory`` reads the whole catalogue with it), the stop list's writes and the price lists.
Relations of a page of rows are read with one ``IN (...)`` query per relation, never one query per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    case,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from clopos_server.db.engine import dialect_of
from clopos_server.db.models import (
    Brand,
    PriceListPrice,
    Product,
    StopListEntry,
)
from clopos_server.kit.query import ListQuery

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
Rows = list[AnyRow]


# --------------------------------------------------------------------------------------------------------
# Generic shapes


def sort_by(model: Any, sort: str, descending: bool, columns: Mapping[str, Any] | None = None) -> list[Any]:
    """ORDER BY for a list query's sort field: ``columns`` maps names that differ from the model's."""
    names = dict(columns or {})
    column = names[sort] if sort in names else getattr(model, sort)
    return ordering(column, descending, names["id"] if "id" in names else model.id)


def ordering(column: Any, descending: bool, id_column: Any) -> list[Any]:
    """The sort column (NULLs last on both databases), then ``id`` ascending so pages are stable."""
    first = column.desc() if descending else column.asc()
    if column is id_column:
        return [first]
    return [first.nulls_last(), id_column.asc()]


async def fetch_page(
    conn: AsyncConnection,
    statement: AnySelect,
    count_from: Any,
    conditions: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[Rows, int]:
    """One page of ``statement`` and the count of every row matching ``conditions`` (always two queries)."""
    rows = (
        await conn.execute(statement.where(*conditions).order_by(*order_by).limit(limit).offset(offset))
    ).all()
    total = (await conn.execute(select(func.count()).select_from(count_from).where(*conditions))).scalar_one()
    return list(rows), int(total)


async def brand_page(
    conn: AsyncConnection,
    model: Any,
    brand_id: int,
    query: ListQuery,
    *conditions: ColumnElement[bool],
    columns: Mapping[str, Any] | None = None,
) -> tuple[Rows, int]:
    """A page of the brand's rows of ``model`` in the query's order: the shape of most lists."""
    order = sort_by(model, query.sort, query.descending, columns)
    where = [model.brand_id == brand_id, *conditions]
    return await fetch_page(conn, select(model), model, where, order, limit=query.limit, offset=query.offset)


async def fetch_one(conn: AsyncConnection, model: Any, brand_id: int, ident: int) -> Row[Any] | None:
    """The brand's row of ``model`` (a mapped class with ``brand_id`` and ``id``) with this id."""
    statement = select(model).where(model.brand_id == brand_id, model.id == ident)
    return (await conn.execute(statement)).first()


async def fetch_by_ids(
    conn: AsyncConnection, model: Any, brand_id: int, ids: Sequence[int]
) -> dict[int, Row[Any]]:
    """The brand's rows of ``model`` among ``ids``, by id (one query, also when ``ids`` is empty)."""
    statement = select(model).where(model.brand_id == brand_id, model.id.in_(list(ids)))
    return {row.id: row for row in await conn.execute(statement)}


# --------------------------------------------------------------------------------------------------------
# Products

_Parent = aliased(Product, name="parent_product")
_Child = aliased(Product, name="child_product")

HAS_VARIANTS = exists().where(_Child.parent_id == Product.id, _Child.brand_id == Product.brand_id)


def product_select() -> AnySelect:
    """Product rows with the two facts their object needs: the parent's name and whether it has variants."""
    return select(
        Product,
        func.coalesce(_Parent.name, "").label("parent_name"),
        case((HAS_VARIANTS, 1), else_=0).label("has_variants"),
    ).outerjoin(_Parent, _Parent.id == Product.parent_id)


# --------------------------------------------------------------------------------------------------------
# Stop list


async def brand_id_of(conn: AsyncConnection, slug: str) -> int | None:
    return (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one_or_none()


async def product_exists(conn: AsyncConnection, brand_id: int, product_id: int) -> bool:
    found = await conn.execute(
        select(Product.id).where(Product.brand_id == brand_id, Product.id == product_id)
    )
    return found.first() is not None


async def upsert_stop_limit(
    conn: AsyncConnection, brand_id: int, product_id: int, remaining: int, now_ms: int
) -> int:
    """Set the portions left; the timestamp always moves forward, even twice in one millisecond."""
    insert = pg_insert if dialect_of(conn) == "postgresql" else sqlite_insert
    values = insert(StopListEntry).values(
        product_id=product_id, brand_id=brand_id, remaining=remaining, timestamp_ms=now_ms
    )
    later = case(
        (StopListEntry.timestamp_ms >= now_ms, StopListEntry.timestamp_ms + 1),
        else_=now_ms,
    )
    statement = values.on_conflict_do_update(
        index_elements=[StopListEntry.product_id],
        set_={"remaining": remaining, "timestamp_ms": later},
        where=StopListEntry.brand_id == brand_id,
    ).returning(StopListEntry.timestamp_ms)
    stamp: int = (await conn.execute(statement)).scalar_one()
    return stamp


async def delete_stop_limit(conn: AsyncConnection, brand_id: int, product_id: int) -> bool:
    result = await conn.execute(
        delete(StopListEntry).where(
            StopListEntry.brand_id == brand_id, StopListEntry.product_id == product_id
        )
    )
    return bool(result.rowcount)


# --------------------------------------------------------------------------------------------------------
# Price lists


async def prices_of_lists(conn: AsyncConnection, brand_id: int, list_ids: Sequence[int]) -> Rows:
    statement = (
        select(PriceListPrice)
        .where(PriceListPrice.brand_id == brand_id, PriceListPrice.list_id.in_(list(list_ids)))
        .order_by(PriceListPrice.list_id, PriceListPrice.id)
    )
    return list((await conn.execute(statement)).all())


def group_by(rows: Sequence[Row[Any]], key: str) -> dict[Any, list[Row[Any]]]:
    """Rows grouped by one of their columns, keeping their order."""
    grouped: dict[Any, list[Row[Any]]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


def any_of(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` (a one-element list is plain equality)."""
    if len(values) == 1:
        return column == values[0]  # type: ignore[no-any-return]
    return column.in_(list(values))  # type: ignore[no-any-return]


def in_range(column: Any, bounds: tuple[Any | None, Any | None]) -> list[ColumnElement[bool]]:
    """``from <= column <= to`` with either end open."""
    low, high = bounds
    parts: list[ColumnElement[bool]] = []
    if low is not None:
        parts.append(column >= low)
    if high is not None:
        parts.append(column <= high)
    return parts
