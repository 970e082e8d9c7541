"""The list's ``total`` read from ``order_counts`` (kept by triggers, migration 0010) equals a real count.

Random creates and transitions through HTTP, concurrent ones, and writes no endpoint makes (bulk inserts,
updates and deletes in plain SQL, PostgreSQL's TRUNCATE): after each, every list query the counts serve
answers the same ``total`` as ``COUNT(*)`` over the orders, and the counts equal the orders grouped by
brand, venue and status (docs/decisions/0005-order-reads-index-walk.md).
"""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import ColumnElement, and_, func, select, text
from tests.support.api import ApiClient
from tests.support.lifecycle import create_order, helper, order_body
from tests.support.order_counts import assert_counts_exact

from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.models import Brand, Order

STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")
TRANSITIONS = ("accept", "ignore", "deliver")


async def create_in(api: ApiClient, venue: int) -> int:
    """A new order at ``venue`` (1, or 2: Baku); its id."""
    body = order_body()
    if venue == 2:
        body["payload"]["service"].update(venue_id=2, venue_name="Baku")
    return int((await create_order(api, body))["id"])


def _venues(*venues: int) -> dict[str, str]:
    return {"filters[0][0]": "venue_id", **{f"filters[0][1][{i}]": str(v) for i, v in enumerate(venues)}}


def _statuses(*statuses: str) -> dict[str, str]:
    return {"filters[1][0]": "status", **{f"filters[1][1][{i}]": s for i, s in enumerate(statuses)}}


# The list queries the counts serve (brand, venues, statuses), each with what it means over the orders.
QUERIES: list[tuple[dict[str, str], tuple[tuple[int, ...], tuple[str, ...]]]] = [
    ({}, ((1,), ())),
    *(({"status": status}, ((1,), (status,))) for status in STATUSES),
    (_venues(1, 2), ((1, 2), ())),
    (_venues(2), ((2,), ())),
    ({**_venues(1, 2), **_statuses("PENDING", "RECEIVED")}, ((1, 2), ("PENDING", "RECEIVED"))),
]


async def _counted(db: Database, brand: str, venues: tuple[int, ...], statuses: tuple[str, ...]) -> int:
    """``COUNT(*)`` of the brand's orders in ``venues`` (and ``statuses``, when given)."""
    brand_id = select(Brand.id).where(Brand.slug == brand).scalar_subquery()
    where: list[ColumnElement[bool]] = [Order.brand_id == brand_id, Order.venue_id.in_(venues)]
    if statuses:
        where.append(Order.status.in_(statuses))
    async with db.read() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(Order).where(and_(*where)))).scalar_one()
        )


async def assert_totals_exact(api: ApiClient, db: Database) -> None:
    for params, (venues, statuses) in QUERIES:
        answer = await api.get("/orders", params={"limit": 5, **params})
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == await _counted(db, api.brand, venues, statuses), params
    await assert_counts_exact(db)


@pytest.mark.parametrize("seed", [18, 1805])
async def test_random_creates_and_transitions_keep_the_total_exact(
    api: ApiClient, database: Database, seed: int
) -> None:
    rng = random.Random(seed)
    orders: list[int] = []
    for _ in range(30):
        if not orders or rng.random() < 0.4:
            orders.append(await create_in(api, 2 if rng.random() < 0.3 else 1))
        else:
            order_id, action = rng.choice(orders), rng.choice(TRANSITIONS)
            if rng.random() < 0.2:
                answer = await api.put(f"/orders/{order_id}", json={"status": "IGNORE"})
            else:
                answer = await helper(api, f"/orders/{order_id}/{action}")
            assert answer.status_code in (200, 409), answer.text  # 409: not allowed from its status
        await assert_totals_exact(api, database)


async def test_concurrent_creates_and_transitions_lose_no_count(api: ApiClient, database: Database) -> None:
    ids = await asyncio.gather(*(create_in(api, 2 if i % 3 == 0 else 1) for i in range(18)))
    # Twice each: of two concurrent transitions of one order exactly one wins, and only it is counted.
    moves = [(order_id, "accept" if i % 2 else "ignore") for i, order_id in enumerate(ids)] * 2
    answers = await asyncio.gather(*(helper(api, f"/orders/{o}/{action}") for o, action in moves))
    assert sorted(a.status_code for a in answers) == [200] * len(ids) + [409] * len(ids)
    accepted = [order_id for i, order_id in enumerate(ids) if i % 2]
    delivered = await asyncio.gather(*(helper(api, f"/orders/{o}/deliver") for o in accepted))
    assert {a.status_code for a in delivered} == {200}
    await assert_totals_exact(api, database)


async def test_writes_outside_the_api_keep_the_counts_exact(api: ApiClient, database: Database) -> None:
    """Bulk statements in plain SQL, as a seed, a bench fill or an operator would send them."""
    template = await create_in(api, 1)
    kept = ", ".join(c.name for c in Order.__table__.columns if c.name not in ("id", "venue_id", "status"))
    into = f"INSERT INTO orders (venue_id, status, {kept})"  # the table's own column names
    clone = text(f"{into} SELECT :venue, :status, {kept} FROM orders WHERE id = :id")
    double = text(f"{into} SELECT venue_id, status, {kept} FROM orders")
    async with database.write() as conn:
        for venue, status in [(1, "PENDING"), (2, "DELIVERED"), (1, "IGNORE")] * 3:
            await conn.execute(clone, {"venue": venue, "status": status, "id": template})
        await conn.execute(double)  # one statement, many rows
    await assert_totals_exact(api, database)
    async with database.write() as conn:
        await conn.execute(text("UPDATE orders SET status = 'RECEIVED' WHERE status = 'PENDING'"))
        await conn.execute(text("UPDATE orders SET venue_id = 2 WHERE status = 'IGNORE' AND id % 2 = 0"))
        await conn.execute(text("UPDATE orders SET updated_at = created_at"))  # no count moves
        await conn.execute(text("DELETE FROM orders WHERE status = 'DELIVERED' AND id % 3 = 0"))
    await assert_totals_exact(api, database)
    if dialect_of(database) == "postgresql":
        async with database.write() as conn:
            await conn.execute(text("TRUNCATE orders CASCADE"))
        await assert_totals_exact(api, database)
        await create_in(api, 2)
        await assert_totals_exact(api, database)
