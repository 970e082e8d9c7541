"""Idempotency across real server processes: two instances on one PostgreSQL, and a SIGKILL mid-load."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from sqlalchemy import select
from tests.support.api import DEMO_LOGIN, example
from tests.support.servers import running_servers

from clopos_server.db.engine import Database
from clopos_server.db.models import IdempotencyKey, Order

pytestmark = pytest.mark.slow


async def login(http: httpx.AsyncClient, base_url: str) -> dict[str, str]:
    answer = await http.post(f"{base_url}/open-api/auth", json=DEMO_LOGIN)
    assert answer.status_code == 200, answer.text
    return {"x-token": answer.json()["token"], "x-brand": "openapitest", "x-venue": "1"}


async def test_fifty_identical_requests_over_two_instances_make_one_order(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances share one database only on PostgreSQL")
    body = example("create-order.v1.request.json")
    with running_servers(db_url, count=2) as servers:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=60)) as http:
            headers = await login(http, servers[0].base_url)  # one token works on every instance
            headers["Idempotency-Key"] = str(uuid.uuid4())
            answers = await asyncio.gather(
                *(
                    http.post(f"{servers[i % 2].base_url}/open-api/orders", json=body, headers=headers)
                    for i in range(50)
                )
            )
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)]
    originals = [a for a in answers if a.status_code == 201]
    assert originals and all(a.content == originals[0].content for a in originals)
    db = Database(db_url, pool_size=1)
    try:
        async with db.read() as conn:
            orders = (await conn.execute(select(Order.id))).all()
    finally:
        await db.dispose()
    assert len(orders) == 1


async def test_sigkill_mid_load_leaves_no_order_without_its_key_and_no_key_without_its_order(
    db_url: str,
) -> None:
    body = example("create-order.v1.request.json")
    with running_servers(db_url) as (server,):
        async with httpx.AsyncClient(timeout=10) as http:
            headers = await login(http, server.base_url)

            async def one() -> None:
                try:
                    await http.post(
                        f"{server.base_url}/open-api/orders",
                        json=body,
                        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                    )
                except httpx.HTTPError:
                    pass  # the server died under us: that is the point

            async def load() -> None:
                while True:
                    await asyncio.gather(*(one() for _ in range(8)))

            loader = asyncio.create_task(load())
            await asyncio.sleep(1.5)
            server.kill()
            await asyncio.sleep(0.2)
            loader.cancel()
            try:
                await loader
            except asyncio.CancelledError:
                pass
    # restart: a new instance on the same database serves, and the records agree
    with running_servers(db_url) as (server,):
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(f"{server.base_url}/readyz")).status_code == 200
    db = Database(db_url, pool_size=1)
    try:
        async with db.read() as conn:
            order_ids = {row.id for row in (await conn.execute(select(Order.id))).all()}
            keys = (
                await conn.execute(select(IdempotencyKey.response_status, IdempotencyKey.response_body))
            ).all()
    finally:
        await db.dispose()
    assert order_ids, "the load created no order before the kill"
    assert all(status == 201 for status, _ in keys), "a key without its stored answer survived"
    keyed_orders = {json.loads(body_)["data"]["id"] for _, body_ in keys}
    assert keyed_orders == order_ids
