"""Catalogue rules: which rows a query means, how they nest, and the operators' stop-list writes.

Reads take an open connection and the caller's brand id and return ``(data, total)`` ready for the
envelope. A page's relations are loaded with one batch query per relation (see ``repository``), so
a page of 100 products costs the same number of queries as a page of one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.catalog import render
from clopos_server.catalog import repository as repo
from clopos_server.catalog.snapshot import bump_catalog_version
from clopos_server.db.engine import Database
from clopos_server.db.models import (
    Balance,
    Category,
    ModifierGroup,
    PaymentMethod,
    PriceList,
    PriceListPrice,
    Product,
    SaleType,
    StaffUser,
    Station,
    StopListEntry,
    Venue,
)
from clopos_server.errors import not_found
from clopos_server.events import log as events
from clopos_server.kit.query import ListQuery
from clopos_server.timeutil import epoch_ms

Page = tuple[list[dict[str, Any]], int]


async def _one(conn: AsyncConnection, model: Any, brand_id: int, ident: int, missing: str) -> Row[Any]:
    row = await repo.fetch_one(conn, model, brand_id, ident)
    if row is None:
        raise not_found(missing)
    return row


# --------------------------------------------------------------------------------------------------------
# Venues, users, stations


async def list_venues(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    rows, total = await repo.brand_page(conn, Venue, brand_id, query)
    return [render.render_venue(row) for row in rows], total


async def list_users(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    rows, total = await repo.brand_page(conn, StaffUser, brand_id, query)
    return [render.render_user(row) for row in rows], total


async def get_user(conn: AsyncConnection, brand_id: int, ident: int) -> dict[str, Any]:
    return render.render_user(await _one(conn, StaffUser, brand_id, ident, "User not found"))


async def list_stations(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    """``status`` and ``can_print`` come as parameters or filters (the parameter wins)."""
    statuses = _wanted(query, "status")
    printing = _wanted(query, "can_print")
    types = query.filters.get("type", ())
    conditions: list[ColumnElement[bool]] = []
    if statuses:
        conditions.append(repo.any_of(Station.status, [int(value) for value in statuses]))
    if printing:
        conditions.append(repo.any_of(Station.can_print, printing))
    if types:
        conditions.append(repo.any_of(Station.type, [int(value) for value in types]))
    rows, total = await repo.brand_page(conn, Station, brand_id, query, *conditions)
    return [render.render_station(row) for row in rows], total


async def get_station(conn: AsyncConnection, brand_id: int, ident: int) -> dict[str, Any]:
    return render.render_station(await _one(conn, Station, brand_id, ident, "Station not found"))


def _wanted(query: ListQuery, name: str) -> tuple[Any, ...]:
    """A value sent as ``name=...`` or as a filter on ``name``; the plain parameter wins."""
    if name in query.params:
        return (query.params[name],)
    return tuple(query.filters.get(name, ()))


# --------------------------------------------------------------------------------------------------------
# Categories


Bounds = tuple[int, int, int]  # _lft, _rgt, depth


def _sorted(rows: Sequence[Row[Any]], sort: str, descending: bool) -> list[Row[Any]]:
    """Rows in the query's order, NULLs last and ties by id ascending (the order of the SQL lists)."""
    by_id = sorted(rows, key=lambda row: row.id)
    present = [row for row in by_id if getattr(row, sort) is not None]
    missing = [row for row in by_id if getattr(row, sort) is None]
    present.sort(key=lambda row: getattr(row, sort), reverse=descending)
    return present + missing


def nested_set(rows: Sequence[Row[Any]]) -> dict[int, Bounds]:
    """Nested-set bounds and depth of every category, from the parent links alone.

    Siblings are numbered by position then id; roots one after another, starting at 1. A node whose
    parent is not the brand's counts as a root; one caught in a parent loop gets no bounds.
    """
    known = {row.id for row in rows}
    children: dict[int | None, list[Row[Any]]] = {}
    for row in _sorted(rows, "position", False):
        parent = row.parent_id if row.parent_id in known else None
        children.setdefault(parent, []).append(row)
    bounds: dict[int, Bounds] = {}
    opened: dict[int, int] = {}
    counter = 1
    stack: list[tuple[Row[Any], int, bool]] = [(root, 0, False) for root in reversed(children.get(None, []))]
    while stack:
        row, depth, closing = stack.pop()
        if closing:
            bounds[row.id] = (opened[row.id], counter, depth)
            counter += 1
            continue
        if row.id in opened:
            continue
        opened[row.id] = counter
        counter += 1
        stack.append((row, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(children.get(row.id, [])))
    return bounds


@dataclass
class _Forest:
    """The brand's categories with their bounds, and the visible children of each node in query order."""

    bounds: dict[int, Bounds]
    by_id: dict[int, Row[Any]]
    children: dict[int | None, list[Row[Any]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, rows: Sequence[Row[Any]], visible: Callable[[Row[Any]], bool], query: ListQuery
    ) -> _Forest:
        forest = cls(nested_set(rows), {row.id: row for row in rows})
        for row in _sorted(rows, query.sort, query.descending):
            if row.id in forest.bounds and visible(row):
                parent = row.parent_id if row.parent_id in forest.by_id else None
                forest.children.setdefault(parent, []).append(row)
        return forest

    def render(self, tops: Sequence[Row[Any]], with_children: bool) -> list[dict[str, Any]]:
        """The nodes ``tops`` with their visible subtrees (built bottom-up: no recursion limit to hit)."""
        order: list[Row[Any]] = []
        stack = list(reversed(tops))
        while stack:
            row = stack.pop()
            order.append(row)
            if with_children:
                stack.extend(reversed(self.children.get(row.id, [])))
        built: dict[int, dict[str, Any]] = {}
        for row in reversed(order):
            kids = [built[child.id] for child in self.children.get(row.id, [])] if with_children else []
            built[row.id] = render.render_category_node(row, self.bounds[row.id], kids)
        return [built[row.id] for row in tops]


async def list_categories(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    """The tree: roots (or the children of ``parent_id``) paged and counted, each with its subtree."""
    types = set(_wanted(query, "type"))
    parents = set(_wanted(query, "parent_id"))
    include_inactive = bool(query.params.get("include_inactive", False))

    def visible(row: Row[Any]) -> bool:
        return (include_inactive or row.status == 1) and (not types or row.type in types)

    forest = _Forest.build(await repo.all_categories(conn, brand_id), visible, query)
    if parents:
        tops = [row for parent in sorted(parents) for row in forest.children.get(parent, [])]
        tops = _sorted(tops, query.sort, query.descending)
    else:
        tops = forest.children.get(None, [])
    page = tops[query.offset : query.offset + query.limit]
    return forest.render(page, bool(query.params.get("include_children", True))), len(tops)


async def get_category(conn: AsyncConnection, brand_id: int, ident: int, query: ListQuery) -> dict[str, Any]:
    """One category (whatever its status) and its subtree; inactive children with ``include_inactive``."""
    include_inactive = bool(query.params.get("include_inactive", False))
    forest = _Forest.build(
        await repo.all_categories(conn, brand_id), lambda row: include_inactive or row.status == 1, query
    )
    row = forest.by_id.get(ident)
    if row is None or ident not in forest.bounds:
        raise not_found("Category not found")
    return forest.render([row], bool(query.params.get("include_children", True)))[0]


# --------------------------------------------------------------------------------------------------------
# Products


def product_conditions(brand_id: int, filters: Mapping[str, tuple[Any, ...]]) -> list[ColumnElement[bool]]:
    """Variants (``MODIFICATION`` rows) are not listed on their own: they come under ``modifications``."""
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
            conditions.append(repo.any_of(column, filters[name]))
    if "inventory_behavior" in filters:
        conditions.append(
            repo.any_of(Product.inventory_behavior, [int(v) for v in filters["inventory_behavior"]])
        )
    if "has_modifiers" in filters:
        conditions.append(repo.flag(repo.HAS_MODIFIERS, filters["has_modifiers"]))
    if "has_variants" in filters:
        conditions.append(repo.flag(repo.HAS_VARIANTS, filters["has_variants"]))
    return conditions


async def list_products(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    order = repo.sort_by(Product, query.sort, query.descending)
    rows, total = await repo.product_page(
        conn, product_conditions(brand_id, query.filters), order, limit=query.limit, offset=query.offset
    )
    return await _ProductPage.load(conn, brand_id, rows, query), total


async def get_product(conn: AsyncConnection, brand_id: int, ident: int, query: ListQuery) -> dict[str, Any]:
    rows = await repo.products_where(conn, Product.brand_id == brand_id, Product.id == ident)
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
            variants = await repo.products_where(
                conn, Product.brand_id == brand_id, Product.parent_id.in_(ids)
            )
            page.variants = repo.group_by(variants, "parent_id")
        sold = [*rows, *variants]
        sold_ids = [row.id for row in sold]
        ingredients: list[Row[Any]] = []
        if "recipe" in includes:
            ingredients = await repo.recipe_rows(conn, brand_id, ids)
            page.recipe = repo.group_by(ingredients, "recipe_of")
        shown_ids = sold_ids + [row.id for row in ingredients]
        page.overrides = repo.group_by(await repo.venue_overrides(conn, brand_id, shown_ids), "product_id")
        page.links = repo.group_by(await repo.group_links(conn, brand_id, shown_ids), "product_id")
        if "modificator_groups" in includes:
            group_ids = sorted({link.group_id for id_ in sold_ids for link in page.links.get(id_, [])})
            groups = await repo.fetch_by_ids(conn, ModifierGroup, brand_id, group_ids)
            modifiers = repo.group_by(await repo.modifiers_of_groups(conn, brand_id, group_ids), "group_id")
            page.groups = {
                group_id: render.render_modifier_group(group, modifiers.get(group_id, []))
                for group_id, group in groups.items()
            }
        if "taxes" in includes:
            page.taxes = repo.group_by(await repo.product_taxes(conn, brand_id, sold_ids), "product_id")
        if "category" in includes:
            wanted = sorted({row.category_id for row in sold if row.category_id is not None})
            page.categories = await repo.fetch_by_ids(conn, Category, brand_id, wanted)
        if "station" in includes:
            wanted = sorted({row.station_id for row in sold if row.station_id is not None})
            page.stations = await repo.fetch_by_ids(conn, Station, brand_id, wanted)
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
# Stop list

STOP_LIST_COLUMNS = {
    "id": StopListEntry.product_id,
    "limit": StopListEntry.remaining,
    "timestamp": StopListEntry.timestamp_ms,
}


async def read_stop_list(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    """``id`` filters are any-of lists; ``limit`` and ``timestamp`` filters are ``[from, to]`` ranges."""
    conditions: list[ColumnElement[bool]] = []
    if "id" in query.filters:
        conditions.append(repo.any_of(StopListEntry.product_id, query.filters["id"]))
    for name in ("limit", "timestamp"):
        if name in query.ranges:
            conditions.extend(repo.in_range(STOP_LIST_COLUMNS[name], query.ranges[name]))
    rows, total = await repo.brand_page(
        conn, StopListEntry, brand_id, query, *conditions, columns=STOP_LIST_COLUMNS
    )
    return [render.render_stop_entry(row) for row in rows], total


class StopListError(LookupError):
    """An unknown brand or product, said in a sentence for the CLI."""


async def _stop_target(conn: AsyncConnection, brand_slug: str, product_id: int) -> int:
    brand_id = await repo.brand_id_of(conn, brand_slug)
    if brand_id is None:
        raise StopListError(f"no brand {brand_slug!r}")
    if not await repo.product_exists(conn, brand_id, product_id):
        raise StopListError(f"product {product_id} is not in brand {brand_slug!r}")
    return brand_id


async def set_stop_limit(db: Database, brand_slug: str, product_id: int, limit: int) -> int:
    """Set the portions left of a product (0 = sold out); returns the entry's new timestamp (epoch ms).

    The catalogue version moves in the same transaction, so every instance drops its cached snapshot.
    """
    async with db.write() as conn:
        brand_id = await _stop_target(conn, brand_slug, product_id)
        stamp = await repo.upsert_stop_limit(conn, brand_id, product_id, limit, epoch_ms(datetime.now(UTC)))
        await record_stop_change(conn, brand_id, product_id, limit, stamp)
        await bump_catalog_version(conn, brand_slug)
    return stamp


async def clear_stop_limit(db: Database, brand_slug: str, product_id: int) -> bool:
    """Make a product unlimited again (its entry leaves the list); false when it had no limit."""
    async with db.write() as conn:
        brand_id = await _stop_target(conn, brand_slug, product_id)
        removed = await repo.delete_stop_limit(conn, brand_id, product_id)
        if removed:
            await record_stop_change(conn, brand_id, product_id, None, epoch_ms(datetime.now(UTC)))
        await bump_catalog_version(conn, brand_slug)
    return removed


async def record_stop_change(
    conn: AsyncConnection, brand_id: int, product_id: int, limit: int | None, stamp_ms: int
) -> None:
    """``stop_list.updated`` with the entry as ``GET /products/stop-list`` lists it (``limit`` null: the
    limit was cleared, the product is unlimited again). The stop list is the brand's, so no venue."""
    entry = {"id": product_id, "limit": limit, "timestamp": stamp_ms}
    await events.record(conn, events.STOP_LIST_UPDATED, brand_id, None, entry)


# --------------------------------------------------------------------------------------------------------
# Sale types, payment methods, price lists


async def list_sale_types(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    extra = []
    if "system_type" in query.filters:
        extra.append(repo.any_of(SaleType.system_type, query.filters["system_type"]))
    rows, total = await repo.brand_page(conn, SaleType, brand_id, query, *extra)
    status = await _status_maps(conn, repo.SALE_TYPE_VENUE_LINK, brand_id, rows)
    return [render.render_sale_type(row, status[row.id]) for row in rows], total


async def list_payment_methods(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    rows, total = await repo.brand_page(conn, PaymentMethod, brand_id, query)
    status = await _status_maps(conn, repo.PAYMENT_METHOD_VENUE_LINK, brand_id, rows)
    wanted = sorted({row.balance_id for row in rows if row.balance_id is not None})
    balances = await repo.fetch_by_ids(conn, Balance, brand_id, wanted)
    data = [
        render.render_payment_method(
            row, status[row.id], balances.get(row.balance_id) if row.balance_id else None
        )
        for row in rows
    ]
    return data, total


async def _status_maps(
    conn: AsyncConnection, link: Any, brand_id: int, rows: Sequence[Row[Any]]
) -> dict[int, dict[str, int]]:
    """Row id -> ``{"<venue id>": 1|0}`` naming every venue of the brand (two queries per page)."""
    venues = await repo.venue_ids(conn, brand_id)
    statuses = await repo.venue_statuses(conn, link, brand_id, [row.id for row in rows])
    return {row.id: render.venue_status_map(venues, statuses.get(row.id, {})) for row in rows}


async def list_price_lists(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    extra = []
    if "status" in query.filters:
        extra.append(repo.any_of(PriceList.status, query.filters["status"]))
    rows, total = await repo.brand_page(conn, PriceList, brand_id, query, *extra)
    data = [render.render_price_list(row) for row in rows]
    if "prices" in query.includes:
        prices = repo.group_by(
            await repo.prices_of_lists(conn, brand_id, [row.id for row in rows]), "list_id"
        )
        for item, row in zip(data, rows, strict=True):
            item["prices"] = [render.render_price(price) for price in prices.get(row.id, [])]
    return data, total


async def list_prices(conn: AsyncConnection, brand_id: int, query: ListQuery) -> Page:
    extra = [
        repo.any_of(column, query.filters[name])
        for name, column in (("list_id", PriceListPrice.list_id), ("product_id", PriceListPrice.product_id))
        if name in query.filters
    ]
    rows, total = await repo.brand_page(conn, PriceListPrice, brand_id, query, *extra)
    return [render.render_price(row) for row in rows], total
