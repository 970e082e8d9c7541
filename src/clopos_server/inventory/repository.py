"""Inventory queries. Every query takes the brand, so another brand's row is simply not found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.catalog.repository import AnyRow, AnySelect, fetch_page, sort_by
from clopos_server.db.backoffice_models import StockDocument, StockDocumentItem, Supplier
from clopos_server.db.models import Product, RecipeItem, StockLevel, Storage
from clopos_server.inventory.render import render_document
from clopos_server.kit.query import ListQuery

Rows = list[AnyRow]


# --------------------------------------------------------------------------------------------------------
# One row


async def _one(conn: AsyncConnection, model: Any, brand_id: int, ident: int) -> AnyRow | None:
    return (await conn.execute(select(model).where(model.brand_id == brand_id, model.id == ident))).first()


async def storage(conn: AsyncConnection, brand_id: int, storage_id: int) -> AnyRow | None:
    return await _one(conn, Storage, brand_id, storage_id)


async def supplier(conn: AsyncConnection, brand_id: int, supplier_id: int) -> AnyRow | None:
    return await _one(conn, Supplier, brand_id, supplier_id)


async def document(conn: AsyncConnection, brand_id: int, document_id: int) -> AnyRow | None:
    return await _one(conn, StockDocument, brand_id, document_id)


async def stock_level(conn: AsyncConnection, brand_id: int, level_id: int) -> AnyRow | None:
    return await _one(conn, StockLevel, brand_id, level_id)


async def rendered_document(conn: AsyncConnection, brand_id: int, document_id: int) -> dict[str, Any]:
    row = await document(conn, brand_id, document_id)
    assert row is not None
    return render_document(row)


# --------------------------------------------------------------------------------------------------------
# What documents need


async def products_by_id(conn: AsyncConnection, brand_id: int, ids: Sequence[int]) -> dict[int, AnyRow]:
    statement = select(Product.id, Product.name, Product.cost_price).where(
        Product.brand_id == brand_id, Product.id.in_(list(set(ids)))
    )
    return {row.id: row for row in await conn.execute(statement)}


async def cost_price(conn: AsyncConnection, brand_id: int, product_id: int) -> Decimal:
    statement = select(Product.cost_price).where(Product.brand_id == brand_id, Product.id == product_id)
    value = (await conn.execute(statement)).scalar_one_or_none()
    return Decimal(value or 0)


async def recipes_of(
    conn: AsyncConnection, brand_id: int, product_ids: Sequence[int]
) -> dict[int, list[AnyRow]]:
    """Each product's recipe lines with the ingredient's cost price (no query for no products)."""
    grouped: dict[int, list[AnyRow]] = {}
    if not product_ids:
        return grouped
    rows = await conn.execute(
        select(RecipeItem.product_id, RecipeItem.ingredient_id, RecipeItem.gross, Product.cost_price)
        .join(Product, Product.id == RecipeItem.ingredient_id)
        .where(RecipeItem.brand_id == brand_id, RecipeItem.product_id.in_(list(set(product_ids))))
        .order_by(RecipeItem.product_id, RecipeItem.ingredient_id)
    )
    for row in rows:
        grouped.setdefault(row.product_id, []).append(row)
    return grouped


async def locked_quantity(conn: AsyncConnection, brand_id: int, storage_id: int, product_id: int) -> Decimal:
    """The level's quantity under a row lock (0 where the storage never held the product)."""
    value = (
        await conn.execute(
            select(StockLevel.quantity)
            .where(
                StockLevel.brand_id == brand_id,
                StockLevel.storage_id == storage_id,
                StockLevel.product_id == product_id,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    return Decimal(value or 0)


async def insert_document(
    conn: AsyncConnection, brand_id: int, values: Mapping[str, Any], *, number_prefix: str
) -> int:
    """A new document; its number is the type and the id (``IN-000012``)."""
    document_id: int = (
        await conn.execute(
            insert(StockDocument).values(brand_id=brand_id, **values).returning(StockDocument.id)
        )
    ).scalar_one()
    await conn.execute(
        update(StockDocument)
        .where(StockDocument.id == document_id)
        .values(number=f"{number_prefix}-{document_id:06d}")
    )
    return document_id


async def insert_items(
    conn: AsyncConnection, brand_id: int, document_id: int, items: Sequence[Mapping[str, Any]]
) -> None:
    await conn.execute(
        insert(StockDocumentItem), [{"brand_id": brand_id, "operation_id": document_id, **i} for i in items]
    )


async def items_of(conn: AsyncConnection, brand_id: int, document_id: int) -> Rows:
    statement = (
        select(StockDocumentItem)
        .where(StockDocumentItem.brand_id == brand_id, StockDocumentItem.operation_id == document_id)
        .order_by(StockDocumentItem.position, StockDocumentItem.id)
    )
    return list(await conn.execute(statement))


async def update_item(conn: AsyncConnection, item_id: int, values: Mapping[str, Any]) -> None:
    await conn.execute(update(StockDocumentItem).where(StockDocumentItem.id == item_id).values(**values))


async def set_document_total(conn: AsyncConnection, document_id: int, total: Decimal) -> None:
    await conn.execute(update(StockDocument).where(StockDocument.id == document_id).values(total_cost=total))


# --------------------------------------------------------------------------------------------------------
# Lists


async def venue_storage_ids(conn: AsyncConnection, brand_id: int, venue_ids: Sequence[int]) -> list[int]:
    statement = (
        select(Storage.id)
        .where(Storage.brand_id == brand_id, Storage.venue_id.in_(list(venue_ids)))
        .order_by(Storage.id)
    )
    return list((await conn.execute(statement)).scalars())


async def default_storage_ids(conn: AsyncConnection, brand_id: int) -> set[int]:
    """Each venue's default storage: its first."""
    statement = select(func.min(Storage.id)).where(Storage.brand_id == brand_id).group_by(Storage.venue_id)
    return set((await conn.execute(statement)).scalars())


async def page(
    conn: AsyncConnection,
    model: Any,
    brand_id: int,
    query: ListQuery,
    conditions: Sequence[ColumnElement[bool]],
    *,
    statement: AnySelect | None = None,
    columns: Mapping[str, Any] | None = None,
) -> tuple[Rows, int]:
    """A page of the brand's ``model`` rows matching ``conditions``, in the query's order."""
    order = sort_by(model, query.sort, query.descending, columns)
    where = [model.brand_id == brand_id, *conditions]
    chosen = statement if statement is not None else select(model)
    return await fetch_page(conn, chosen, model, where, order, limit=query.limit, offset=query.offset)


async def aggregate(
    conn: AsyncConnection, model: Any, brand_id: int, conditions: Sequence[ColumnElement[bool]], *columns: Any
) -> AnyRow:
    """One row of aggregates (``func.sum(...)``, ``func.count()``) over the brand's matching rows."""
    statement = select(*columns).select_from(model).where(model.brand_id == brand_id, *conditions)
    return (await conn.execute(statement)).one()


async def grouped(
    conn: AsyncConnection, statement: AnySelect, conditions: Sequence[ColumnElement[bool]]
) -> Rows:
    return list(await conn.execute(statement.where(*conditions)))
