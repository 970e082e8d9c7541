"""An immutable in-memory copy of one brand's catalogue: what the order path prices with, and the rows
the catalogue's read endpoints render (``rows``, decision 0004).

Validating and pricing an order touches products, modifiers, groups, sale types, taxes and price lists;
reading them per request would cost a dozen queries, and a page of products as many again. The snapshot
is loaded once per catalogue version (``brands.catalog_version``, bumped by every catalogue write) and
shared read-only by every request. The stop list and customers change without a catalogue write, so they
are not in here: callers read them fresh.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.catalog.memory import CatalogRows, load_rows
from clopos_server.catalog.pages import PageCache
from clopos_server.db.engine import Database
from clopos_server.db.models import Brand, PriceList, PriceListBinding, PriceListPrice

__all__ = [
    "CatalogSnapshot",
    "GroupInfo",
    "ModifierInfo",
    "ProductInfo",
    "SaleTypeInfo",
    "SnapshotCache",
    "TaxInfo",
    "load_snapshot",
]


K = TypeVar("K")
V = TypeVar("V")


def _frozen(items: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only view, so that a shared snapshot cannot be changed by one request."""
    return MappingProxyType(dict(items))


@dataclass(frozen=True, slots=True)
class ProductInfo:
    id: int
    name: str
    type: str
    status: int
    parent_id: int | None
    has_variants: bool
    price: Decimal
    category_id: int | None
    station_id: int | None
    sold_by_weight: bool
    discountable: bool
    ignore_service_charge: bool
    tax_ids: tuple[int, ...]
    group_ids: tuple[int, ...]  # attached modifier groups, in display order
    venue_overrides: Mapping[int, tuple[int, Decimal | None]]  # venue_id -> (status, price or None)
    inventory_behavior: int

    def available_at(self, venue_id: int) -> bool:
        """Active, and not switched off at that venue (a product without an override is sold everywhere)."""
        override = self.venue_overrides.get(venue_id)
        return self.status == 1 and (override is None or override[0] == 1)

    def price_at(self, venue_id: int) -> Decimal:
        override = self.venue_overrides.get(venue_id)
        if override is not None and override[1] is not None:
            return override[1]
        return self.price


@dataclass(frozen=True, slots=True)
class ModifierInfo:
    id: int
    group_id: int
    name: str
    price: Decimal
    min_count: int
    max_count: int  # 0: no upper bound
    status: bool


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: int
    name: str
    type: int  # 1: single choice, 0: multiple
    min_select: int
    max_select: int  # 0: no upper bound
    adjust_to_portion: bool
    status: bool


@dataclass(frozen=True, slots=True)
class SaleTypeInfo:
    id: int
    name: str
    system_type: str
    service_charge_rate: Decimal | None
    venue_status: Mapping[int, int]  # venue_id -> 1 enabled / 0 disabled; a missing venue is disabled

    def enabled_at(self, venue_id: int) -> bool:
        return self.venue_status.get(venue_id, 0) == 1


@dataclass(frozen=True, slots=True)
class TaxInfo:
    id: int
    name: str
    rate: Decimal
    inclusive: bool


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    brand_id: int
    version: int
    products: Mapping[int, ProductInfo]
    modifiers: Mapping[int, ModifierInfo]
    groups: Mapping[int, GroupInfo]
    sale_types: Mapping[int, SaleTypeInfo]
    taxes: Mapping[int, TaxInfo]
    # (sale_type_id, venue_id) -> product_id -> price, from the active price list bound there
    price_lists: Mapping[tuple[int, int], Mapping[int, Decimal]]
    rows: CatalogRows  # the same catalogue as the read endpoints render it

    def unit_price(self, product: ProductInfo, venue_id: int, sale_type_id: int) -> Decimal:
        """The venue's override, else the price list bound to the sale type at that venue, else the price."""
        override = product.venue_overrides.get(venue_id)
        if override is not None and override[1] is not None:
            return override[1]
        listed = self.price_lists.get((sale_type_id, venue_id), {}).get(product.id)
        return listed if listed is not None else product.price


@asynccontextmanager
async def _connection(source: Database | AsyncConnection) -> AsyncIterator[AsyncConnection]:
    if isinstance(source, AsyncConnection):
        yield source
    else:
        async with source.read() as conn:
            yield conn


async def load_snapshot(source: Database | AsyncConnection, brand_id: int, version: int) -> CatalogSnapshot:
    """Read the brand's catalogue: its rows as the read endpoints render them (``memory.load_rows``), and
    the active price lists; pricing's records are made from those rows.

    ``source`` is the caller's open connection when it has one: a request that holds a pooled connection
    must never wait for a second one, or a burst of requests on a cold cache takes every connection while
    the loader waits for one (a deadlock until the pool times out).
    """
    async with _connection(source) as conn:
        rows = await load_rows(conn, brand_id)
        listed = (
            await conn.execute(
                select(
                    PriceListBinding.sale_type_id,
                    PriceListBinding.venue_id,
                    PriceListPrice.product_id,
                    PriceListPrice.price,
                )
                .join(PriceList, PriceList.id == PriceListBinding.list_id)
                .join(PriceListPrice, PriceListPrice.list_id == PriceList.id)
                .where(PriceListBinding.brand_id == brand_id, PriceList.status.is_(True))
            )
        ).all()

    prices: dict[tuple[int, int], dict[int, Decimal]] = {}
    for row in listed:
        prices.setdefault((row.sale_type_id, row.venue_id), {})[row.product_id] = row.price

    return CatalogSnapshot(
        brand_id=brand_id,
        version=version,
        products=_frozen({p.id: _product_info(p, rows) for p in rows.products.values()}),
        modifiers=_frozen(
            {
                m.id: ModifierInfo(m.id, m.group_id, m.name, m.price, m.min_count, m.max_count, m.status)
                for group in rows.modifiers.values()
                for m in group
            }
        ),
        groups=_frozen(
            {
                g.id: GroupInfo(
                    g.id, g.name, g.type, g.min_select, g.max_select, g.adjust_to_portion, g.status
                )
                for g in rows.groups.values()
            }
        ),
        sale_types=_frozen(
            {
                s.id: SaleTypeInfo(
                    s.id,
                    s.name,
                    s.system_type,
                    s.service_charge_rate,
                    _frozen(rows.sale_type_status.get(s.id, {})),
                )
                for s in rows.sale_types
            }
        ),
        taxes=_frozen(
            {t.id: TaxInfo(t.id, t.name, t.rate, t.type.upper() == "INCLUSIVE") for t in rows.taxes.values()}
        ),
        price_lists=_frozen({key: _frozen(value) for key, value in prices.items()}),
        rows=rows,
    )


def _product_info(p: Row[Any], rows: CatalogRows) -> ProductInfo:
    return ProductInfo(
        id=p.id,
        name=p.name,
        type=p.type,
        status=p.status,
        parent_id=p.parent_id,
        has_variants=bool(p.has_variants),
        price=p.price,
        category_id=p.category_id,
        station_id=p.station_id,
        sold_by_weight=p.sold_by_weight,
        discountable=p.discountable,
        ignore_service_charge=p.ignore_service_charge,
        tax_ids=tuple(sorted(tax.id for tax in rows.product_taxes.get(p.id, ()))),
        group_ids=tuple(link.group_id for link in rows.links.get(p.id, ())),
        venue_overrides=_frozen({o.venue_id: (o.status, o.price) for o in rows.overrides.get(p.id, ())}),
        inventory_behavior=p.inventory_behavior,
    )


@dataclass
class SnapshotCache:
    """One snapshot per brand, replaced when the brand's catalogue version moves.

    A lock per brand makes concurrent misses load once: the first loads, the others wait and reuse it.
    ``pages`` holds the read endpoints' rendered answers; a brand's go when its snapshot is replaced.
    """

    _snapshots: dict[int, CatalogSnapshot] = field(default_factory=dict)
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    pages: PageCache = field(default_factory=PageCache)

    async def get(self, conn: AsyncConnection, brand_id: int, version: int) -> CatalogSnapshot:
        """The brand's snapshot at ``version``, loaded on ``conn`` (the caller's own connection) on a miss."""
        cached = self._snapshots.get(brand_id)
        if cached is not None and cached.version == version:
            return cached
        async with self._locks.setdefault(brand_id, asyncio.Lock()):
            cached = self._snapshots.get(brand_id)
            if cached is not None and cached.version == version:
                return cached
            return self._keep(await load_snapshot(conn, brand_id, version))

    async def current(self, db: Database, brand_id: int, version: int) -> CatalogSnapshot:
        """The brand's snapshot at ``version``, loaded on a connection of its own on a miss: for a reader
        that holds none (the catalogue's read endpoints need no connection when the snapshot is held)."""
        cached = self.cached(brand_id, version)
        if cached is not None:
            return cached
        async with self._locks.setdefault(brand_id, asyncio.Lock()):
            cached = self.cached(brand_id, version)
            if cached is not None:
                return cached
            return self._keep(await load_snapshot(db, brand_id, version))

    def _keep(self, snapshot: CatalogSnapshot) -> CatalogSnapshot:
        self._snapshots[snapshot.brand_id] = snapshot
        self.pages.forget(snapshot.brand_id)
        gc.freeze()  # a snapshot is many long-lived objects; see the lifespan in app.py
        return snapshot

    def cached(self, brand_id: int, version: int) -> CatalogSnapshot | None:
        """The brand's snapshot at ``version`` if this process holds it (no connection needed)."""
        cached = self._snapshots.get(brand_id)
        return cached if cached is not None and cached.version == version else None

    def drop(self, brand_id: int) -> None:
        """Forget a brand's copy (its next ``get`` reloads), e.g. after a reset in this process."""
        self._snapshots.pop(brand_id, None)
        self.pages.forget(brand_id)


async def bump_catalog_version(conn: AsyncConnection, brand_slug: str) -> None:
    """Every catalogue write calls this in its transaction: each instance's cached snapshot (and the
    catalogue pages rendered from it) is then stale and reloads on its next use (instances see the new
    version within one directory refresh; the writer's own instance at once when it refreshes)."""
    await conn.execute(
        update(Brand).where(Brand.slug == brand_slug).values(catalog_version=Brand.catalog_version + 1)
    )
