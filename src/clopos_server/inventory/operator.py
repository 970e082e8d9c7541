"""Stock documents recorded outside any request (the CLI, the board): by brand slug and venue, each in
its own transaction. A storage not named is the venue's default one; a named storage must be the venue's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import Database
from clopos_server.db.models import Brand, Storage, Venue
from clopos_server.errors import ApiError, Problem, not_found
from clopos_server.inventory import documents
from clopos_server.inventory import repository as repo
from clopos_server.inventory.render import render_item


async def brand_id_of(conn: AsyncConnection, slug: str) -> int:
    brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one_or_none()
    if brand_id is None:
        raise not_found(f"No brand {slug!r}")
    return int(brand_id)


async def _venue_storage(conn: AsyncConnection, brand_id: int, venue_id: int, storage_id: Any) -> int:
    """The storage a document of the venue uses: the one named (if it is the venue's) or the default."""
    venue = (
        await conn.execute(select(Venue.id).where(Venue.brand_id == brand_id, Venue.id == venue_id))
    ).first()
    if venue is None:
        raise not_found(f"Venue {venue_id} not found")
    storages = await repo.venue_storage_ids(conn, brand_id, [venue_id])
    if storage_id is None:
        if not storages:
            raise not_found(f"Venue {venue_id} has no storage")
        return storages[0]
    if storage_id not in storages:
        message = f"storage_id {storage_id} is not a storage of venue {venue_id}"
        raise ApiError("validation_failed", message, [Problem(message, "storage_id")])
    return int(storage_id)


async def record_at_venue(
    db: Database,
    brand_slug: str,
    venue_id: int,
    body: Mapping[str, Any],
    *,
    publish: bool = True,
    created_by: int | None = None,
) -> dict[str, Any]:
    """Record (and by default publish) a document of the venue; answers it with its ``items``."""
    async with db.write() as conn:
        brand_id = await brand_id_of(conn, brand_slug)
        return await record_at(conn, brand_id, venue_id, body, publish=publish, created_by=created_by)


async def record_at(
    conn: AsyncConnection,
    brand_id: int,
    venue_id: int,
    body: Mapping[str, Any],
    *,
    publish: bool,
    created_by: int | None,
) -> dict[str, Any]:
    """``record_at_venue`` in the caller's transaction (the board's)."""
    storage_id = await _venue_storage(conn, brand_id, venue_id, body.get("storage_id"))
    document = await documents.record(
        conn, brand_id, {**body, "storage_id": storage_id}, created_by=created_by, publish=publish
    )
    return await with_items(conn, brand_id, document)


async def publish_at_brand(db: Database, brand_slug: str, document_id: int) -> dict[str, Any]:
    async with db.write() as conn:
        brand_id = await brand_id_of(conn, brand_slug)
        document = await documents.publish_document(conn, brand_id, document_id)
        return await with_items(conn, brand_id, document)


async def with_items(conn: AsyncConnection, brand_id: int, document: dict[str, Any]) -> dict[str, Any]:
    items = await repo.items_of(conn, brand_id, document["id"])
    return {**document, "items": [render_item(item) for item in items]}


async def storages_of_venue(conn: AsyncConnection, brand_id: int, venue_id: int) -> list[Any]:
    statement = (
        select(Storage.id, Storage.name)
        .where(Storage.brand_id == brand_id, Storage.venue_id == venue_id)
        .order_by(Storage.id)
    )
    return list(await conn.execute(statement))
