"""What ``order_counts`` (kept by triggers, migration 0010) must always say: the orders, counted."""

from __future__ import annotations

from sqlalchemy import func, select

from clopos_server.db.engine import Database
from clopos_server.db.models import Order
from clopos_server.db.order_counts import ORDER_COUNTS


async def assert_counts_exact(db: Database) -> None:
    """The counts, summed over slots, are the orders grouped by brand, venue and status."""
    k = ORDER_COUNTS.c
    async with db.read() as conn:
        kept = await conn.execute(
            select(k.brand_id, k.venue_id, k.status, func.sum(k.n))
            .group_by(k.brand_id, k.venue_id, k.status)
            .having(func.sum(k.n) != 0)
        )
        real = await conn.execute(
            select(Order.brand_id, Order.venue_id, Order.status, func.count()).group_by(
                Order.brand_id, Order.venue_id, Order.status
            )
        )
        assert sorted(map(tuple, kept)) == sorted(map(tuple, real))
