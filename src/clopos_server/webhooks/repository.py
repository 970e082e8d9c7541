"""The webhook tables behind the API and the CLI. Every query takes the brand (and, through the API, the
API client), so another brand's or another client's endpoint is simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.engine import dialect_of
from clopos_server.db.models import Base, Brand
from clopos_server.db.webhooks_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

ENDPOINTS = Base.metadata.tables[WebhookEndpoint.__tablename__]
DELIVERIES = Base.metadata.tables[WebhookDelivery.__tablename__]
ATTEMPTS = Base.metadata.tables[WebhookAttempt.__tablename__]


@dataclass(frozen=True)
class Owner:
    """Whose endpoints: a brand, and through the API one API client of it (the CLI sees them all)."""

    brand_id: int
    api_client_id: int | None = None


def _owned(owner: Owner) -> list[Any]:
    conditions = [ENDPOINTS.c.brand_id == owner.brand_id]
    if owner.api_client_id is not None:
        conditions.append(ENDPOINTS.c.api_client_id == owner.api_client_id)
    return conditions


async def lock_brand(conn: AsyncConnection, brand_id: int) -> None:
    """Serialise endpoint creation per brand (PostgreSQL), so that two creates cannot both be the 20th."""
    if dialect_of(conn) == "postgresql":
        await conn.execute(select(Brand.id).where(Brand.id == brand_id).with_for_update())


async def count_endpoints(conn: AsyncConnection, brand_id: int) -> int:
    query = select(func.count()).select_from(ENDPOINTS).where(ENDPOINTS.c.brand_id == brand_id)
    return int((await conn.execute(query)).scalar_one())


async def insert_endpoint(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(ENDPOINTS).values(**values).returning(ENDPOINTS.c.id))
    return int(result.scalar_one())


async def endpoint(conn: AsyncConnection, owner: Owner, endpoint_id: int) -> Row[Any] | None:
    query = select(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id, *_owned(owner))
    return (await conn.execute(query)).first()


async def endpoint_exists(conn: AsyncConnection, endpoint_id: int) -> bool:
    query = select(ENDPOINTS.c.id).where(ENDPOINTS.c.id == endpoint_id)
    return (await conn.execute(query)).first() is not None


async def endpoints(
    conn: AsyncConnection, owner: Owner, *, limit: int = 100, offset: int = 0
) -> tuple[list[Row[Any]], int]:
    conditions = _owned(owner)
    rows = await conn.execute(
        select(ENDPOINTS).where(*conditions).order_by(ENDPOINTS.c.id).limit(limit).offset(offset)
    )
    total = await conn.execute(select(func.count()).select_from(ENDPOINTS).where(*conditions))
    return list(rows.all()), int(total.scalar_one())


async def all_endpoints(conn: AsyncConnection, brand_ids: Sequence[int] | None = None) -> list[Row[Any]]:
    """Every endpoint (the CLI's list), optionally of some brands only."""
    query = select(ENDPOINTS).order_by(ENDPOINTS.c.id)
    if brand_ids is not None:
        query = query.where(ENDPOINTS.c.brand_id.in_(list(brand_ids)))
    return list((await conn.execute(query)).all())


async def update_endpoint(conn: AsyncConnection, endpoint_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id).values(**values))


async def delete_endpoint(conn: AsyncConnection, endpoint_id: int) -> None:
    await conn.execute(delete(ENDPOINTS).where(ENDPOINTS.c.id == endpoint_id))


async def attempts(
    conn: AsyncConnection, endpoint_id: int, *, limit: int, offset: int = 0
) -> tuple[list[Row[Any]], int]:
    """An endpoint's attempts, newest first."""
    where = ATTEMPTS.c.endpoint_id == endpoint_id
    rows = await conn.execute(
        select(ATTEMPTS).where(where).order_by(ATTEMPTS.c.id.desc()).limit(limit).offset(offset)
    )
    total = await conn.execute(select(func.count()).select_from(ATTEMPTS).where(where))
    return list(rows.all()), int(total.scalar_one())


async def last_attempt(conn: AsyncConnection, delivery_id: int) -> Row[Any]:
    query = select(ATTEMPTS).where(ATTEMPTS.c.delivery_id == delivery_id).order_by(ATTEMPTS.c.id.desc())
    return (await conn.execute(query.limit(1))).one()
