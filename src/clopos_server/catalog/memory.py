"""The brand's catalogue as the read endpoints render it, read whole and held in memory (decision 0004).

Every table is read with the statement a page used to run per request, minus its ``IN (page ids)``: the
rows have the same columns and the same values, so an answer rendered from them is the answer the database
gave. Only picking the page moves to Python (``in_order``), and what the database decides there stays the
database's: each sortable column comes with its ``dense_rank()``, computed by the database when the rows
are read (text collation, sub-second times and NULLs are then never compared in Python).

The rows are part of the catalogue snapshot (``catalog.snapshot``): loaded once per catalogue version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Row, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.catalog.repository import product_select
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

__all__ = ["CatalogRows", "in_order", "load_rows"]

AnyRow = Row[Any]
K = TypeVar("K")
V = TypeVar("V")


def _ranks(*columns: Any) -> list[Any]:
    """``rank_<column>``: the row's place in ``ORDER BY column`` as the database sorts (equal values tie)."""
    return [func.dense_rank().over(order_by=column).label(f"rank_{column.key}") for column in columns]


PRODUCT_SORTS = (Product.name, Product.price, Product.position, Product.created_at, Product.updated_at)


def in_order(rows: Iterable[AnyRow], sort: str, descending: bool) -> list[AnyRow]:
    """``rows`` as ``repository.ordering`` sorts them in SQL: the sort column (NULLs last either way), then
    ``id`` ascending; sorting by ``id`` itself follows the direction. The rows carry ``rank_<sort>``."""
    by_id = sorted(rows, key=attrgetter("id"))
    if sort == "id":
        if descending:
            by_id.reverse()
        return by_id
    present = [row for row in by_id if getattr(row, sort) is not None]
    missing = [row for row in by_id if getattr(row, sort) is None]
    present.sort(key=attrgetter(f"rank_{sort}"), reverse=descending)  # stable: ties stay in id order
    return present + missing


def _frozen(items: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(items))


def _grouped(rows: Iterable[AnyRow], key: str) -> Mapping[Any, tuple[AnyRow, ...]]:
    """Rows grouped by one of their columns, each group in the rows' order."""
    grouped: dict[Any, list[AnyRow]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, key), []).append(row)
    return MappingProxyType({owner: tuple(items) for owner, items in grouped.items()})


def _statuses(rows: Iterable[AnyRow]) -> Mapping[int, Mapping[int, int]]:
    """Owner id -> venue id -> 1/0, from a per-venue table read as ``(owner_id, venue_id, status)``."""
    statuses: dict[int, dict[int, int]] = {}
    for row in rows:
        statuses.setdefault(row.owner_id, {})[row.venue_id] = row.status
    return MappingProxyType({owner: MappingProxyType(venues) for owner, venues in statuses.items()})


@dataclass(frozen=True, slots=True)
class CatalogRows:
    """One brand's catalogue rows, grouped the way pages read them. Every sequence is in the order its
    statement had (``ORDER BY`` below), which is the order the answer lists them in."""

    products: Mapping[int, AnyRow]  # every product, variants and ingredients too; with rank_<sort>
    listed: tuple[AnyRow, ...]  # what a list shows (not MODIFICATION), by id
    variants: Mapping[int, tuple[AnyRow, ...]]  # parent id -> variants, by position (NULLs last), id
    recipes: Mapping[int, tuple[AnyRow, ...]]  # product id -> ingredient rows + recipe_of, gross, net
    overrides: Mapping[int, tuple[AnyRow, ...]]  # product id -> every per-venue row, by venue id
    links: Mapping[int, tuple[AnyRow, ...]]  # product id -> modifier-group links, by position, group id
    groups: Mapping[int, AnyRow]
    modifiers: Mapping[int, tuple[AnyRow, ...]]  # group id -> modifiers, by position, id
    product_taxes: Mapping[int, tuple[AnyRow, ...]]  # product id -> its taxes, by priority, id
    taxes: Mapping[int, AnyRow]  # every tax of the brand
    categories: tuple[AnyRow, ...]
    categories_by_id: Mapping[int, AnyRow]
    stations: Mapping[int, AnyRow]
    venue_ids: tuple[int, ...]  # by id: the keys of every status map
    sale_types: tuple[AnyRow, ...]  # with rank_<sort>
    sale_type_status: Mapping[int, Mapping[int, int]]
    payment_methods: tuple[AnyRow, ...]  # with rank_<sort>
    payment_method_status: Mapping[int, Mapping[int, int]]
    balances: Mapping[int, AnyRow]  # the balances payment methods name

    def shown_overrides(self, product_id: int) -> tuple[AnyRow, ...]:
        """The overrides an answer lists: those at a venue of the brand (the old page's inner join)."""
        return tuple(row for row in self.overrides.get(product_id, ()) if row.venue_known is not None)


async def load_rows(conn: AsyncConnection, brand_id: int) -> CatalogRows:
    """Read the brand's catalogue, one statement per table (16 in all; a page then needs none)."""

    async def rows(statement: Any) -> Sequence[AnyRow]:
        return (await conn.execute(statement)).all()

    products = await rows(
        product_select().add_columns(*_ranks(*PRODUCT_SORTS)).where(Product.brand_id == brand_id)
    )
    recipes = await rows(
        product_select()
        .add_columns(RecipeItem.product_id.label("recipe_of"), RecipeItem.gross, RecipeItem.net)
        .join(RecipeItem, RecipeItem.ingredient_id == Product.id)
        .where(RecipeItem.brand_id == brand_id)
        .order_by(RecipeItem.product_id, RecipeItem.ingredient_id)
    )
    overrides = await rows(
        select(
            ProductVenue.product_id,
            ProductVenue.venue_id,
            ProductVenue.price,
            ProductVenue.status,
            Venue.name,
            Venue.id.label("venue_known"),
        )
        .outerjoin(Venue, and_(Venue.brand_id == ProductVenue.brand_id, Venue.id == ProductVenue.venue_id))
        .where(ProductVenue.brand_id == brand_id)
        .order_by(ProductVenue.product_id, ProductVenue.venue_id)
    )
    links = await rows(
        select(ProductModifierGroup.product_id, ProductModifierGroup.group_id, ProductModifierGroup.position)
        .where(ProductModifierGroup.brand_id == brand_id)
        .order_by(
            ProductModifierGroup.product_id, ProductModifierGroup.position, ProductModifierGroup.group_id
        )
    )
    groups = await rows(select(ModifierGroup).where(ModifierGroup.brand_id == brand_id))
    modifiers = await rows(
        select(Modifier)
        .where(Modifier.brand_id == brand_id)
        .order_by(Modifier.group_id, Modifier.position, Modifier.id)
    )
    product_taxes = await rows(
        select(ProductTax.product_id, Tax)
        .join(Tax, Tax.id == ProductTax.tax_id)
        .where(ProductTax.brand_id == brand_id)
        .order_by(ProductTax.product_id, Tax.priority, Tax.id)
    )
    taxes = await rows(select(Tax).where(Tax.brand_id == brand_id))
    categories = await rows(select(Category).where(Category.brand_id == brand_id).order_by(Category.id))
    stations = await rows(select(Station).where(Station.brand_id == brand_id))
    venue_ids = await rows(select(Venue.id).where(Venue.brand_id == brand_id).order_by(Venue.id))
    sorts = ("name", "position", "created_at", "updated_at")
    sale_types = await rows(
        select(SaleType, *_ranks(*(getattr(SaleType, name) for name in sorts)))
        .where(SaleType.brand_id == brand_id)
        .order_by(SaleType.id)
    )
    sale_type_venues = await rows(
        select(
            SaleTypeVenue.sale_type_id.label("owner_id"), SaleTypeVenue.venue_id, SaleTypeVenue.status
        ).where(SaleTypeVenue.brand_id == brand_id)
    )
    methods = await rows(
        select(PaymentMethod, *_ranks(*(getattr(PaymentMethod, name) for name in sorts)))
        .where(PaymentMethod.brand_id == brand_id)
        .order_by(PaymentMethod.id)
    )
    method_venues = await rows(
        select(
            PaymentMethodVenue.payment_method_id.label("owner_id"),
            PaymentMethodVenue.venue_id,
            PaymentMethodVenue.status,
        ).where(PaymentMethodVenue.brand_id == brand_id)
    )
    named = select(PaymentMethod.balance_id).where(PaymentMethod.brand_id == brand_id)
    balances = await rows(select(Balance).where(Balance.brand_id == brand_id, Balance.id.in_(named)))

    by_id = sorted(products, key=attrgetter("id"))
    variants = sorted(
        (row for row in by_id if row.parent_id is not None),
        key=lambda row: (row.position is None, row.position or 0, row.id),
    )
    return CatalogRows(
        products=_frozen({row.id: row for row in by_id}),
        listed=tuple(row for row in by_id if row.type != "MODIFICATION"),
        variants=_grouped(variants, "parent_id"),
        recipes=_grouped(recipes, "recipe_of"),
        overrides=_grouped(overrides, "product_id"),
        links=_grouped(links, "product_id"),
        groups=_frozen({row.id: row for row in groups}),
        modifiers=_grouped(modifiers, "group_id"),
        product_taxes=_grouped(product_taxes, "product_id"),
        taxes=_frozen({row.id: row for row in taxes}),
        categories=tuple(categories),
        categories_by_id=_frozen({row.id: row for row in categories}),
        stations=_frozen({row.id: row for row in stations}),
        venue_ids=tuple(row.id for row in venue_ids),
        sale_types=tuple(sale_types),
        sale_type_status=_statuses(sale_type_venues),
        payment_methods=tuple(methods),
        payment_method_status=_statuses(method_venues),
        balances=_frozen({row.id: row for row in balances}),
    )
