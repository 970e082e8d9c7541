"""Catalogue rules: the catalogue's read answers (from memory, through the page cache), the other
catalogue lists, and the operators' stop-list writes.

Products, categories, sale types and payment methods are answered from the catalogue snapshot
(``answer``: ``catalog.reads`` renders, ``catalog.pages`` keeps the rendered answer until the catalogue
version moves); they need no connection once the snapshot is held. The stop list, venues, users, stations
and price lists are read from the database per request: they take an open connection and the caller's
brand id and return ``(data, total)`` ready for the envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.catalog import render
from clopos_server.catalog import repository as repo
from clopos_server.catalog.memory import CatalogRows
from clopos_server.catalog.pages import Answer, query_key, rendered
from clopos_server.catalog.reads import wanted
from clopos_server.catalog.snapshot import SnapshotCache, bump_catalog_version
from clopos_server.db.engine import Database
from clopos_server.db.models import PriceList, PriceListPrice, StaffUser, Station, StopListEntry, Venue
from clopos_server.errors import not_found
from clopos_server.events import log as events
from clopos_server.kit.query import ListQuery
from clopos_server.timeutil import epoch_ms

Page = tuple[list[dict[str, Any]], int]


async def answer(
    snapshots: SnapshotCache,
    db: Database,
    brand_id: int,
    version: int,
    resource: str,
    raw_query: str,
    parse: Callable[[], ListQuery],
    render_from: Callable[[CatalogRows, ListQuery], tuple[Any, int | None]],
) -> Answer:
    """The answer to ``resource`` (``products``, ``product/1``, ...) for this query at the brand's
    catalogue ``version``: kept from an earlier request, else rendered from the snapshot and kept.

    ``raw_query`` is the query string as sent and ``parse`` parses it (raising the 400 of a bad one): a
    repeat of the same string needs no parsing, and a bad query is refused before any database work.
    """
    pages = snapshots.pages
    sent = (brand_id, version, resource, raw_query)
    found = pages.get(sent)
    if found is not None:
        return found
    query = parse()
    snapshot = await snapshots.current(db, brand_id, version)
    canonical = (brand_id, snapshot.version, resource, query_key(query))
    found = pages.get(canonical)
    if found is None:
        found = rendered(*render_from(snapshot.rows, query))
        pages.put(canonical, found)
    pages.put(sent, found)
    return found


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
    statuses = wanted(query, "status")
    printing = wanted(query, "can_print")
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
# Price lists


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
