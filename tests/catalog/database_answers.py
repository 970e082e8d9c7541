"""The catalogue's read answers rendered from the database, page by page: the oracle of the read-model tests.

This is how the server answered before decision 0004 (one statement per page and one batch per relation,
the page picked, ordered and counted by SQL), kept here so that the answers rendered from memory can be
compared with it for random catalogues and queries. It renders with the same ``catalog.render`` functions
(their exact output is pinned by tests/catalog/test_products.py and the other answer tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, exists, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from clopos_server.catalog import render
from clopos_server.catalog.memory import CatalogRows
from clopos_server.catalog.reads import get_category, list_categories
from clopos_server.catalog.repository import (
    AnyRow,
    any_of,
    fetch_by_ids,
    fetch_page,
    group_by,
    ordering,
    sort_by,
)
from clopos_server.db.models import (
    Balance,
    Category,
    Modifier,
    ModifierGroup,
    PaymentMethod,
    PaymentMethodVenue,
    Product,
    ProductModifierGroup,
    ProductTax,
    ProductVenue,
    RecipeItem,
    SaleType,
    SaleTypeVenue,
    Station,
    Tax,
    Venue,
)
from clopos_server.errors import not_found
from clopos_server.kit.query import ListQuery

Rows = list[AnyRow]
Page = tuple[list[dict[str, Any]], int]

_Parent = aliased(Product, name="parent_product")
_Child = aliased(Product, name="child_product")
HAS_VARIANTS = exists().where(_Child.parent_id == Product.id, _Child.brand_id == Product.brand_id)
HAS_MODIFIERS = exists().where(
    ProductModifierGroup.product_id == Product.id, ProductModifierGroup.brand_id == Product.brand_id
)


def product_select() -> Any:
    return select(
        Product,
        func.coalesce(_Parent.name, "").label("parent_name"),
        case((HAS_VARIANTS, 1), else_=0).label("has_variants"),
    ).outerjoin(_Parent, _Parent.id == Product.parent_id)


def flag(condition: ColumnElement[bool], wanted: Sequence[bool]) -> ColumnElement[bool]:
    if set(wanted) == {True, False}:
        return true()
    return condition if wanted[0] else ~condition


async def products_where(conn: AsyncConnection, *conditions: ColumnElement[bool]) -> Rows:
    statement = product_select().where(*conditions).order_by(*ordering(Product.position, False, Product.id))
    return list((await conn.execute(statement)).all())


async def recipe_rows(conn: AsyncConnection, brand_id: int, product_ids: Sequence[int]) -> Rows:
    statement = (
        product_select()
        .add_columns(RecipeItem.product_id.label("recipe_of"), RecipeItem.gross, RecipeItem.net)
        .join(RecipeItem, RecipeItem.ingredient_id == Product.id)
        .where(RecipeItem.brand_id == brand_id, RecipeItem.product_id.in_(list(product_ids)))
        .order_by(RecipeItem.product_id, RecipeItem.ingredient_id)
    )
    return list((await conn.execute(statement)).all())


async def venue_overrides(conn: AsyncConnection, brand_id: int, product_ids: Sequence[int]) -> Rows:
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


def product_conditions(brand_id: int, filters: Mapping[str, tuple[Any, ...]]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Product.brand_id == brand_id, Product.type != "MODIFICATION"]
    plain = {
        "type": Product.type,
        "category_id": Product.category_id,
        "station_id": Product.station_id,
        "giftable": Product.giftable,
        "discountable": Product.discountable,
        "sold_by_portion": Product.sold_by_weight,
    }
    for name, column in plain.items():
        if name in filters:
            conditions.append(any_of(column, filters[name]))
    if "inventory_behavior" in filters:
        conditions.append(any_of(Product.inventory_behavior, [int(v) for v in filters["inventory_behavior"]]))
    if "has_modifiers" in filters:
        conditions.append(flag(HAS_MODIFIERS, filters["has_modifiers"]))
    if "has_variants" in filters:
        conditions.append(flag(HAS_VARIANTS, filters["has_variants"]))
    return conditions


async def list_products(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    order = sort_by(Product, query.sort, query.descending)
    rows, total = await fetch_page(
        conn,
        product_select(),
        Product,
        product_conditions(brand_id, query.filters),
        order,
        limit=query.limit,
        offset=query.offset,
    )
    return await _ProductPage.load(conn, brand_id, rows, query), total


async def get_product(conn: AsyncConnection, brand_id: int, ident: int, query: ListQuery) -> dict[str, Any]:
    rows = await products_where(conn, Product.brand_id == brand_id, Product.id == ident)
    if not rows:
        raise not_found("Product not found")
    return (await _ProductPage.load(conn, brand_id, rows, query))[0]


_ALWAYS_SELECTED = ("id", "name", "type")


@dataclass
class _ProductPage:
    """A page of product rows and every relation it asked for, each read with one batch query."""

    includes: Mapping[str, tuple[str, ...] | None]
    selects: tuple[str, ...] | None
    variants: dict[Any, list[Row[Any]]] = field(default_factory=dict)
    recipe: dict[Any, list[Row[Any]]] = field(default_factory=dict)
    overrides: dict[Any, list[Row[Any]]] = field(default_factory=dict)
    links: dict[Any, list[Row[Any]]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)  # rendered once, shared by products
    taxes: dict[Any, list[Row[Any]]] = field(default_factory=dict)
    categories: dict[int, Row[Any]] = field(default_factory=dict)
    stations: dict[int, Row[Any]] = field(default_factory=dict)

    @classmethod
    async def load(
        cls, conn: AsyncConnection, brand_id: int, rows: Sequence[Row[Any]], query: ListQuery
    ) -> list[dict[str, Any]]:
        page = cls(query.includes, query.selects)
        includes = query.includes
        ids = [row.id for row in rows]
        variants: list[Row[Any]] = []
        if "modifications" in includes:
            variants = await products_where(conn, Product.brand_id == brand_id, Product.parent_id.in_(ids))
            page.variants = group_by(variants, "parent_id")
        sold = [*rows, *variants]
        sold_ids = [row.id for row in sold]
        ingredients: list[Row[Any]] = []
        if "recipe" in includes:
            ingredients = await recipe_rows(conn, brand_id, ids)
            page.recipe = group_by(ingredients, "recipe_of")
        shown_ids = sold_ids + [row.id for row in ingredients]
        page.overrides = group_by(await venue_overrides(conn, brand_id, shown_ids), "product_id")
        page.links = group_by(await group_links(conn, brand_id, shown_ids), "product_id")
        if "modificator_groups" in includes:
            group_ids = sorted({link.group_id for id_ in sold_ids for link in page.links.get(id_, [])})
            groups = await fetch_by_ids(conn, ModifierGroup, brand_id, group_ids)
            modifiers = group_by(await modifiers_of_groups(conn, brand_id, group_ids), "group_id")
            page.groups = {
                group_id: render.render_modifier_group(group, modifiers.get(group_id, []))
                for group_id, group in groups.items()
            }
        if "taxes" in includes:
            page.taxes = group_by(await product_taxes(conn, brand_id, sold_ids), "product_id")
        if "category" in includes:
            wanted = sorted({row.category_id for row in sold if row.category_id is not None})
            page.categories = await fetch_by_ids(conn, Category, brand_id, wanted)
        if "station" in includes:
            wanted = sorted({row.station_id for row in sold if row.station_id is not None})
            page.stations = await fetch_by_ids(conn, Station, brand_id, wanted)
        return [page.product(row, top=True) for row in rows]

    def base(self, row: Row[Any]) -> dict[str, Any]:
        return render.render_product(row, self.overrides.get(row.id, []), self.links.get(row.id, []))

    def product(self, row: Row[Any], *, top: bool) -> dict[str, Any]:
        """The object of a listed product (``top``) or of one of its variants, with the asked relations."""
        product = self.base(row)
        if self.selects is not None:
            keep = {*_ALWAYS_SELECTED, *self.selects}
            product = {name: value for name, value in product.items() if name in keep}
        includes = self.includes
        if "category" in includes:
            category = self.categories.get(row.category_id) if row.category_id is not None else None
            product["category"] = render.render_category(category) if category is not None else None
        if "station" in includes:
            station = self.stations.get(row.station_id) if row.station_id is not None else None
            product["station"] = render.render_station(station) if station is not None else None
        if "modificator_groups" in includes:
            product["modificator_groups"] = [
                self.groups[link.group_id]
                for link in self.links.get(row.id, [])
                if link.group_id in self.groups
            ]
        if "taxes" in includes:
            product["taxes"] = [render.render_tax(tax) for tax in self.taxes.get(row.id, [])]
        if "unit" in includes:
            product["unit"] = render.render_unit(int(row.unit_id))
        for empty in ("tags", "packages"):  # this server keeps neither: always an empty list
            if empty in includes:
                product[empty] = []
        if top and "modifications" in includes:
            product["modifications"] = [
                self.product(variant, top=False) for variant in self.variants.get(row.id, [])
            ]
        if top and "recipe" in includes:
            product["recipe"] = [
                {**self.base(item), "gross": item.gross, "net": item.net}
                for item in self.recipe.get(row.id, [])
            ]
        return product


# --------------------------------------------------------------------------------------------------------
# Categories (picked in Python then as now: the oracle reads the rows per request)


async def _category_rows(conn: AsyncConnection, brand_id: int) -> CatalogRows:
    rows = (await conn.execute(select(Category).where(Category.brand_id == brand_id))).all()
    return _only_categories(tuple(rows))


def _only_categories(rows: tuple[Row[Any], ...]) -> CatalogRows:
    empty: Mapping[Any, Any] = {}
    return CatalogRows(
        products=empty,
        listed=(),
        variants=empty,
        recipes=empty,
        overrides=empty,
        links=empty,
        groups=empty,
        modifiers=empty,
        product_taxes=empty,
        taxes=empty,
        categories=rows,
        categories_by_id={row.id: row for row in rows},
        stations=empty,
        venue_ids=(),
        sale_types=(),
        sale_type_status=empty,
        payment_methods=(),
        payment_method_status=empty,
        balances=empty,
    )


async def list_categories_db(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    return list_categories(await _category_rows(conn, brand_id), query)


async def get_category_db(
    conn: AsyncConnection, brand_id: int, ident: int, query: ListQuery
) -> dict[str, Any]:
    return get_category(await _category_rows(conn, brand_id), ident, query)


# --------------------------------------------------------------------------------------------------------
# Sale types, payment methods


async def _status_maps(
    conn: AsyncConnection, link: Any, brand_id: int, rows: Sequence[Row[Any]]
) -> dict[int, dict[str, int]]:
    venues = list(
        (await conn.execute(select(Venue.id).where(Venue.brand_id == brand_id).order_by(Venue.id))).scalars()
    )
    table = link.class_
    found = await conn.execute(
        select(link.label("owner_id"), table.venue_id, table.status).where(
            table.brand_id == brand_id, link.in_([row.id for row in rows])
        )
    )
    statuses: dict[int, dict[int, int]] = {}
    for row in found:
        statuses.setdefault(row.owner_id, {})[row.venue_id] = row.status
    return {row.id: render.venue_status_map(venues, statuses.get(row.id, {})) for row in rows}


async def _brand_page(conn: AsyncConnection, model: Any, brand_id: int, query: ListQuery, *extra: Any) -> Any:
    order = sort_by(model, query.sort, query.descending)
    where = [model.brand_id == brand_id, *extra]
    return await fetch_page(conn, select(model), model, where, order, limit=query.limit, offset=query.offset)


async def list_sale_types(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    extra = []
    if "system_type" in query.filters:
        extra.append(any_of(SaleType.system_type, query.filters["system_type"]))
    rows, total = await _brand_page(conn, SaleType, brand_id, query, *extra)
    status = await _status_maps(conn, SaleTypeVenue.sale_type_id, brand_id, rows)
    return [render.render_sale_type(row, status[row.id]) for row in rows], total


async def list_payment_methods(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    rows, total = await _brand_page(conn, PaymentMethod, brand_id, query)
    status = await _status_maps(conn, PaymentMethodVenue.payment_method_id, brand_id, rows)
    wanted = sorted({row.balance_id for row in rows if row.balance_id is not None})
    balances = await fetch_by_ids(conn, Balance, brand_id, wanted)
    data = [
        render.render_payment_method(
            row, status[row.id], balances.get(row.balance_id) if row.balance_id else None
        )
        for row in rows
    ]
    return data, total
