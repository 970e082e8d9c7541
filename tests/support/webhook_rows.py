"""Webhook rows written directly (an endpoint, deliveries, attempts), for the tests of what the tables
keep: migrations and the prune."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from clopos_server.db.engine import Database
from clopos_server.db.models import Brand
from clopos_server.timeutil import utcnow
from clopos_server.webhooks.repository import ATTEMPTS, DELIVERIES, ENDPOINTS


async def add_endpoint(db: Database) -> tuple[int, int]:
    """An endpoint of the demo brand: (brand id, endpoint id)."""
    now = utcnow()
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == "openapitest"))).scalar_one()
        values = {
            "brand_id": brand_id, "url": "https://example.com/hook", "description": "", "events": ["*"],
            "enabled": True, "secret_box": "sealed", "cursor": 0, "created_at": now, "updated_at": now,
        }  # fmt: skip
        inserted = await conn.execute(insert(ENDPOINTS).values(values).returning(ENDPOINTS.c.id))
        endpoint_id = int(inserted.scalar_one())
    return brand_id, endpoint_id


async def add_attempts(
    db: Database,
    endpoint: tuple[int, int],
    event: str,
    count: int,
    *,
    status: str | None = "delivered",
    at: datetime | None = None,
) -> None:
    """``count`` attempts of the event's delivery, made ``at`` (now): a delivery stored with ``status``,
    or with ``status`` None a delivery that is its (one) attempt alone."""
    brand_id, endpoint_id = endpoint
    at = at or utcnow()
    async with db.write() as conn:
        delivery_id = None
        if status is not None:
            row: dict[str, Any] = {
                "brand_id": brand_id, "endpoint_id": endpoint_id, "event_id": event,
                "event_type": "order.created", "message_id": event, "body": "", "status": status,
                "attempts": count, "next_at": 0, "created_at": at,
            }  # fmt: skip
            inserted = await conn.execute(insert(DELIVERIES).values(row).returning(DELIVERIES.c.id))
            delivery_id = inserted.scalar_one()
        attempts = [
            {
                "brand_id": brand_id, "endpoint_id": endpoint_id, "delivery_id": delivery_id,
                "event_id": event, "message_id": event, "number": number, "at": at, "duration_ms": 1,
                "response_status": 204, "response_body": "",
            }
            for number in range(1, count + 1)
        ]  # fmt: skip
        await conn.execute(insert(ATTEMPTS), attempts)


async def attempts_by_event(db: Database) -> list[tuple[str, bool, int]]:
    """(event, of a stored delivery, how many attempts), every endpoint's."""
    stored = ATTEMPTS.c.delivery_id.is_not(None)
    async with db.read() as conn:
        query = select(ATTEMPTS.c.event_id, stored, func.count()).group_by(ATTEMPTS.c.event_id, stored)
        rows = (await conn.execute(query)).all()
    return sorted((str(event), bool(kept), int(count)) for event, kept, count in rows)


async def deliveries(db: Database) -> list[tuple[str, str, int]]:
    """(event, status, attempts) of every stored delivery."""
    async with db.read() as conn:
        query = select(DELIVERIES.c.event_id, DELIVERIES.c.status, DELIVERIES.c.attempts)
        rows = (await conn.execute(query)).all()
    return sorted((str(event), str(status), int(attempts)) for event, status, attempts in rows)
