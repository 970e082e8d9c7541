"""The catalogue's read answers (products, categories, sale types, payment methods), from memory.

Each function takes the brand's ``CatalogRows`` (held by the catalogue snapshot) and a parsed query, and
returns ``(data, total)`` ready for the envelope: which rows a query means, in which order, and how they
nest. No function here reads the database; ``catalog.pages`` caches what they render.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row

from clopos_server.catalog import render
from clopos_server.catalog.memory import CatalogRows, in_order
from clopos_server.errors import not_found
from clopos_server.kit.query import ListQuery

Page = tuple[list[dict[str, Any]], int]
AnyRow = Row[Any]


def wanted(query: ListQuery, name: str) -> tuple[Any, ...]:
    """A value sent as ``name=...`` or as a filter on ``name``; the plain parameter wins."""
    if name in query.params:
        return (query.params[name],)
    return tuple(query.filters.get(name, ()))


def _paged(rows: Sequence[AnyRow], query: ListQuery) -> list[AnyRow]:
    return list(rows[query.offset : query.offset + query.limit])


# --------------------------------------------------------------------------------------------------------
# Categories


Bounds = tuple[int, int, int]  # _lft, _rgt, depth


def _sorted(rows: Sequence[AnyRow], sort: str, descending: bool) -> list[AnyRow]:
    """Rows in the query's order, NULLs last and ties by id ascending (the order of the SQL lists)."""
    by_id = sorted(rows, key=lambda row: row.id)
    present = [row for row in by_id if getattr(row, sort) is not None]
    missing = [row for row in by_id if getattr(row, sort) is None]
    present.sort(key=lambda row: getattr(row, sort), reverse=descending)
    return present + missing


def nested_set(rows: Sequence[AnyRow]) -> dict[int, Bounds]:
    """Nested-set bounds and depth of every category, from the parent links alone.

    Siblings are numbered by position then id; roots one after another, starting at 1. A node whose
    parent is not the brand's counts as a root; one caught in a parent loop gets no bounds.
    """
    known = {row.id for row in rows}
    children: dict[int | None, list[AnyRow]] = {}
    for row in _sorted(rows, "position", False):
        parent = row.parent_id if row.parent_id in known else None
        children.setdefault(parent, []).append(row)
    bounds: dict[int, Bounds] = {}
    opened: dict[int, int] = {}
    counter = 1
    stack: list[tuple[AnyRow, int, bool]] = [(root, 0, False) for root in reversed(children.get(None, []))]
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
    by_id: dict[int, AnyRow]
    children: dict[int | None, list[AnyRow]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: Sequence[AnyRow], visible: Callable[[AnyRow], bool], query: ListQuery) -> _Forest:
        forest = cls(nested_set(rows), {row.id: row for row in rows})
        for row in _sorted(rows, query.sort, query.descending):
            if row.id in forest.bounds and visible(row):
                parent = row.parent_id if row.parent_id in forest.by_id else None
                forest.children.setdefault(parent, []).append(row)
        return forest

    def render(self, tops: Sequence[AnyRow], with_children: bool) -> list[dict[str, Any]]:
        """The nodes ``tops`` with their visible subtrees (built bottom-up: no recursion limit to hit)."""
        order: list[AnyRow] = []
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


def list_categories(rows: CatalogRows, query: ListQuery) -> Page:
    """The tree: roots (or the children of ``parent_id``) paged and counted, each with its subtree."""
    types = set(wanted(query, "type"))
    parents = set(wanted(query, "parent_id"))
    include_inactive = bool(query.params.get("include_inactive", False))

    def visible(row: AnyRow) -> bool:
        return (include_inactive or row.status == 1) and (not types or row.type in types)

    forest = _Forest.build(rows.categories, visible, query)
    if parents:
        tops = [row for parent in sorted(parents) for row in forest.children.get(parent, [])]
        tops = _sorted(tops, query.sort, query.descending)
    else:
        tops = forest.children.get(None, [])
    page = _paged(tops, query)
    return forest.render(page, bool(query.params.get("include_children", True))), len(tops)


def get_category(rows: CatalogRows, ident: int, query: ListQuery) -> dict[str, Any]:
    """One category (whatever its status) and its subtree; inactive children with ``include_inactive``."""
    include_inactive = bool(query.params.get("include_inactive", False))
    forest = _Forest.build(rows.categories, lambda row: include_inactive or row.status == 1, query)
    row = forest.by_id.get(ident)
    if row is None or ident not in forest.bounds:
        raise not_found("Category not found")
    return forest.render([row], bool(query.params.get("include_children", True)))[0]


# --------------------------------------------------------------------------------------------------------
# Products

# filter name -> product column, for the filters that are an any-of list of values
_PLAIN_FILTERS = {
    "type": "type",
    "category_id": "category_id",
    "station_id": "station_id",
    "giftable": "giftable",
    "discountable": "discountable",
    "sold_by_portion": "sold_by_weight",
}


def _flag(has: bool, wanted: Sequence[bool]) -> bool:
    """A boolean filter: true, false, or (both asked for) no restriction."""
    return set(wanted) == {True, False} or has == wanted[0]


def _product_filter(rows: CatalogRows, filters: Mapping[str, tuple[Any, ...]]) -> Callable[[AnyRow], bool]:
    """Which listed products the filters keep (variants never come here: they nest under their goods)."""
    plain = [(column, frozenset(filters[name])) for name, column in _PLAIN_FILTERS.items() if name in filters]
    behaviors = frozenset(int(value) for value in filters.get("inventory_behavior", ()))
    modifiers = filters.get("has_modifiers")
    variants = filters.get("has_variants")

    def keep(row: AnyRow) -> bool:
        if any(getattr(row, column) not in values for column, values in plain):
            return False
        if behaviors and row.inventory_behavior not in behaviors:
            return False
        if modifiers and not _flag(row.id in rows.links, modifiers):
            return False
        return not variants or _flag(bool(row.has_variants), variants)

    return keep


def list_products(rows: CatalogRows, query: ListQuery) -> Page:
    keep = _product_filter(rows, query.filters)
    matched = [row for row in rows.listed if keep(row)]
    page = _paged(in_order(matched, query.sort, query.descending), query)
    return _ProductPage(rows, query.includes, query.selects).render(page), len(matched)


def get_product(rows: CatalogRows, ident: int, query: ListQuery) -> dict[str, Any]:
    row = rows.products.get(ident)
    if row is None:
        raise not_found("Product not found")
    return _ProductPage(rows, query.includes, query.selects).render([row])[0]


_ALWAYS_SELECTED = ("id", "name", "type")


@dataclass
class _ProductPage:
    """A page of product rows with the relations it asked for, looked up in the brand's rows."""

    rows: CatalogRows
    includes: Mapping[str, tuple[str, ...] | None]
    selects: tuple[str, ...] | None
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)  # rendered once, shared by products

    def render(self, page: Sequence[AnyRow]) -> list[dict[str, Any]]:
        if "modificator_groups" in self.includes:
            sold = [*page]
            if "modifications" in self.includes:
                sold.extend(variant for row in page for variant in self.rows.variants.get(row.id, ()))
            group_ids = sorted({link.group_id for row in sold for link in self.rows.links.get(row.id, ())})
            self.groups = {
                group_id: render.render_modifier_group(
                    self.rows.groups[group_id], self.rows.modifiers.get(group_id, ())
                )
                for group_id in group_ids
                if group_id in self.rows.groups
            }
        return [self.product(row, top=True) for row in page]

    def base(self, row: AnyRow) -> dict[str, Any]:
        return render.render_product(row, self.rows.shown_overrides(row.id), self.rows.links.get(row.id, ()))

    def product(self, row: AnyRow, *, top: bool) -> dict[str, Any]:
        """The object of a listed product (``top``) or of one of its variants, with the asked relations."""
        product = self.base(row)
        if self.selects is not None:
            keep = {*_ALWAYS_SELECTED, *self.selects}
            product = {name: value for name, value in product.items() if name in keep}
        includes = self.includes
        if "category" in includes:
            category = self.rows.categories_by_id.get(row.category_id)
            product["category"] = render.render_category(category) if category is not None else None
        if "station" in includes:
            station = self.rows.stations.get(row.station_id)
            product["station"] = render.render_station(station) if station is not None else None
        if "modificator_groups" in includes:
            product["modificator_groups"] = [
                self.groups[link.group_id]
                for link in self.rows.links.get(row.id, ())
                if link.group_id in self.groups
            ]
        if "taxes" in includes:
            product["taxes"] = [render.render_tax(tax) for tax in self.rows.product_taxes.get(row.id, ())]
        if "unit" in includes:
            product["unit"] = render.render_unit(int(row.unit_id))
        for empty in ("tags", "packages"):  # this server keeps neither: always an empty list
            if empty in includes:
                product[empty] = []
        if top and "modifications" in includes:
            product["modifications"] = [
                self.product(variant, top=False) for variant in self.rows.variants.get(row.id, ())
            ]
        if top and "recipe" in includes:
            product["recipe"] = [
                {**self.base(item), "gross": item.gross, "net": item.net}
                for item in self.rows.recipes.get(row.id, ())
            ]
        return product


# --------------------------------------------------------------------------------------------------------
# Sale types, payment methods


def list_sale_types(rows: CatalogRows, query: ListQuery) -> Page:
    systems = frozenset(query.filters.get("system_type", ()))
    matched = [row for row in rows.sale_types if not systems or row.system_type in systems]
    page = _paged(in_order(matched, query.sort, query.descending), query)
    data = [
        render.render_sale_type(
            row, render.venue_status_map(rows.venue_ids, rows.sale_type_status.get(row.id, {}))
        )
        for row in page
    ]
    return data, len(matched)


def list_payment_methods(rows: CatalogRows, query: ListQuery) -> Page:
    page = _paged(in_order(rows.payment_methods, query.sort, query.descending), query)
    data = [
        render.render_payment_method(
            row,
            render.venue_status_map(rows.venue_ids, rows.payment_method_status.get(row.id, {})),
            rows.balances.get(row.balance_id) if row.balance_id else None,
        )
        for row in page
    ]
    return data, len(rows.payment_methods)
