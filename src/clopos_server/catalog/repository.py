"""Catalogue queries. Every query takes the brand, so another brand's row is simply not found.

Relations of a page of rows are read with one ``IN (...)`` query per relation, never one query per row,
so a page costs the same number of queries whatever its size. One function per query shape: the generic
page, one row by id, and a batch per relation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from clopos_server.db.engine import dialect_of
from clopos_server.db.models import (
    Brand,
    Category,
    Modifier,
    PaymentMethodVenue,
    PriceListPrice,
    Product,
    ProductModifierGroup,
    ProductTax,
    ProductVenue,
    RecipeItem,
    SaleTypeVenue,
    StopListEntry,
    Tax,
    Venue,
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


async def venue_ids(conn: AsyncConnection, brand_id: int) -> list[int]:
    """Every venue of the brand, for ``status`` maps that must name them all."""
    rows = await conn.execute(select(Venue.id).where(Venue.brand_id == brand_id).order_by(Venue.id))
    return list(rows.scalars())


async def venue_statuses(
    conn: AsyncConnection, link: Any, brand_id: int, owner_ids: Sequence[int]
) -> dict[int, dict[int, int]]:
    """Owner id -> venue id -> 1/0, from a per-venue table (``SaleTypeVenue.sale_type_id``, ...)."""
    table = link.class_
    rows = await conn.execute(
        select(link.label("owner_id"), table.venue_id, table.status).where(
            table.brand_id == brand_id, link.in_(list(owner_ids))
        )
    )
    statuses: dict[int, dict[int, int]] = {}
    for row in rows:
        statuses.setdefault(row.owner_id, {})[row.venue_id] = row.status
    return statuses


SALE_TYPE_VENUE_LINK = SaleTypeVenue.sale_type_id
PAYMENT_METHOD_VENUE_LINK = PaymentMethodVenue.payment_method_id


# --------------------------------------------------------------------------------------------------------
# Categories


async def all_categories(conn: AsyncConnection, brand_id: int) -> Rows:
    """The brand's whole category forest: nested-set bounds are computed over all of it."""
    return list((await conn.execute(select(Category).where(Category.brand_id == brand_id))).all())


# --------------------------------------------------------------------------------------------------------
# Products

_Parent = aliased(Product, name="parent_product")
_Child = aliased(Product, name="child_product")

HAS_VARIANTS = exists().where(_Child.parent_id == Product.id, _Child.brand_id == Product.brand_id)
HAS_MODIFIERS = exists().where(
    ProductModifierGroup.product_id == Product.id, ProductModifierGroup.brand_id == Product.brand_id
)


def product_select() -> AnySelect:
    """Product rows with the two facts their object needs: the parent's name and whether it has variants."""
    return select(
        Product,
        func.coalesce(_Parent.name, "").label("parent_name"),
        case((HAS_VARIANTS, 1), else_=0).label("has_variants"),
    ).outerjoin(_Parent, _Parent.id == Product.parent_id)


async def product_page(
    conn: AsyncConnection,
    conditions: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[Rows, int]:
    return await fetch_page(conn, product_select(), Product, conditions, order_by, limit=limit, offset=offset)


async def products_where(conn: AsyncConnection, *conditions: ColumnElement[bool]) -> Rows:
    """Product rows (variants, one product by id) in position then id order."""
    statement = product_select().where(*conditions).order_by(*ordering(Product.position, False, Product.id))
    return list((await conn.execute(statement)).all())


async def recipe_rows(conn: AsyncConnection, brand_id: int, product_ids: Sequence[int]) -> Rows:
    """Each recipe item as its ingredient's product row plus ``recipe_of``, ``gross`` and ``net``."""
    statement = (
        product_select()
        .add_columns(RecipeItem.product_id.label("recipe_of"), RecipeItem.gross, RecipeItem.net)
        .join(RecipeItem, RecipeItem.ingredient_id == Product.id)
        .where(RecipeItem.brand_id == brand_id, RecipeItem.product_id.in_(list(product_ids)))
        .order_by(RecipeItem.product_id, RecipeItem.ingredient_id)
    )
    return list((await conn.execute(statement)).all())


async def venue_overrides(conn: AsyncConnection, brand_id: int, product_ids: Sequence[int]) -> Rows:
    """Per-venue overrides with the venue's name (clients parse these entries as venues)."""
    statement = (
        select(
            ProductVenue.product_id,
            ProductVenue.venue_id,
            ProductVenue.price,
            ProductVenue.status,
            Venue.name,
        )
        .join(Venue, and_(Venue.brand_id == ProductVenue.brand_id, Venue.id == ProductVenue.venue_id))
        .where(ProductVenue.brand_id == brand_id, ProductVenue.product_id.in_(list(product_ids)))
        .order_by(ProductVenue.product_id, ProductVenue.venue_id)
    )
    return list((await conn.execute(statement)).all())


async def group_links(conn: AsyncConnection, brand_id: int, product_ids: Sequence[int]) -> Rows:
    """Which modifier groups hang on which products, in display order."""
    statement = (
        select(ProductModifierGroup.product_id, ProductModifierGroup.group_id, ProductModifierGroup.position)
        .where(
            ProductModifierGroup.brand_id == brand_id, ProductModifierGroup.product_id.in_(list(product_ids))
        )
        .order_by(
            ProductModifierGroup.product_id, ProductModifierGroup.position, ProductModifierGroup.group_id
        )
    )
    return list((await conn.execute(statement)).all())


async def modifiers_of_groups(conn: AsyncConnection, brand_id: int, group_ids: Sequence[int]) -> Rows:
    statement = (
        select(Modifier)
        .where(Modifier.brand_id == brand_id, Modifier.group_id.in_(list(group_ids)))
        .order_by(Modifier.group_id, Modifier.position, Modifier.id)
    )
    return list((await conn.execute(statement)).all())


async def product_taxes(conn: AsyncConnection, brand_id: int, product_ids: Sequence[int]) -> Rows:
    statement = (
        select(ProductTax.product_id, Tax)
        .join(Tax, Tax.id == ProductTax.tax_id)
        .where(ProductTax.brand_id == brand_id, ProductTax.product_id.in_(list(product_ids)))
        .order_by(ProductTax.product_id, Tax.priority, Tax.id)
    )
    return list((await conn.execute(statement)).all())


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


def flag(condition: ColumnElement[bool], wanted: Sequence[bool]) -> ColumnElement[bool]:
    """A boolean filter: true, false, or (both asked for) no restriction."""
    if set(wanted) == {True, False}:
        return true()
    return condition if wanted[0] else ~condition


def in_range(column: Any, bounds: tuple[Any | None, Any | None]) -> list[ColumnElement[bool]]:
    """``from <= column <= to`` with either end open."""
    low, high = bounds
    parts: list[ColumnElement[bool]] = []
    if low is not None:
        parts.append(column >= low)
    if high is not None:
        parts.append(column <= high)
    return parts
