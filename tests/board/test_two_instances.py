"""Two app instances on one database: a board served by instance B shows an order created on instance A
(PostgreSQL LISTEN/NOTIFY, or Redis pub/sub when configured), and a stream resumed with Last-Event-ID
gets what it missed."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.support.api import example
from tests.support.board import SseEvent, SseReader, create_order, sign_in
from tests.support.redis import shared_redis_url
from tests.support.servers import ServerProcess, free_port, running_servers

pytestmark = pytest.mark.slow


async def next_order(reader: SseReader, order_id: int, timeout: float) -> SseEvent:
    """The next ``order`` event about ``order_id`` (others are skipped), within ``timeout`` seconds."""

    async def wanted() -> SseEvent:
        while True:
            event = await reader.next()
            if event.event == "order" and event.json()["id"] == order_id:
                return event

    return await asyncio.wait_for(wanted(), timeout)


async def crosses(a: ServerProcess, b: ServerProcess) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as http:
        assert (await sign_in(http, b.base_url)).status_code == 303
        async with http.stream("GET", f"{b.base_url}/board/events?venue=1") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = SseReader(stream.aiter_lines())
            await reader.comment("connected")
            # the first order proves B's listener is up (it connects in the background at start-up)
            warm_up = await create_order(http, a.base_url, example("create-order.v1.request.json"))
            await next_order(reader, warm_up["id"], 15)
            started = time.monotonic()
            order = await create_order(http, a.base_url, example("create-order.v2.request.json"))
            event = await next_order(reader, order["id"], 2)
            assert time.monotonic() - started < 2
            card = event.json()
            assert card["status"] == "PENDING" and "A-1024" in card["html"]
            assert event.id is not None and int(event.id) > 0  # the event log's cursor
            last_id = event.id

        # gone for a while: an order is accepted and another created, both on A
        missed = await create_order(http, a.base_url, example("create-order.v1.request.json"))
        form = await http.get(f"{a.base_url}/board")
        token = form.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        accepted = await http.post(
            f"{a.base_url}/board/orders/{order['id']}/accept",
            data={"venue": "1"},
            headers={"Accept": "application/json", "X-CSRF-Token": token},
        )
        assert accepted.status_code == 200, accepted.text
        headers = {"Last-Event-ID": last_id}
        async with http.stream("GET", f"{b.base_url}/board/events?venue=1", headers=headers) as stream:
            reader = SseReader(stream.aiter_lines())
            seen: dict[int, str] = {}
            while seen.get(order["id"]) != "RECEIVED" or missed["id"] not in seen:
                event = await asyncio.wait_for(reader.next(), 5)
                assert event.event == "order"
                seen[event.json()["id"]] = event.json()["status"]
            assert seen[missed["id"]] == "PENDING"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_an_order_created_on_instance_a_shows_on_a_board_of_instance_b_through_postgres(
    db_url: str,
) -> None:
    with running_servers(db_url, count=2) as (a, b):
        await crosses(a, b)


async def test_an_order_created_on_instance_a_shows_on_a_board_of_instance_b_through_redis(
    db_url: str,
) -> None:
    env = {"CLOPOS_REDIS_URL": shared_redis_url()}
    with running_servers(db_url, count=2, extra_env=env) as (a, b):
        await crosses(a, b)


async def test_with_the_wake_up_channel_cut_a_board_of_instance_b_still_shows_every_order(
    db_url: str,
) -> None:
    """Both instances point at a Redis that does not answer (as when it hangs): no wake-up crosses, and a
    board on B still shows each order created on A, read from the event log within about a second."""
    env = {"CLOPOS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with running_servers(db_url, count=2, extra_env=env) as (a, b):
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as http:
            assert (await sign_in(http, b.base_url)).status_code == 303
            async with http.stream("GET", f"{b.base_url}/board/events?venue=1") as stream:
                reader = SseReader(stream.aiter_lines())
                await reader.comment("connected")
                for body in ("create-order.v1.request.json", "create-order.v2.request.json") * 3:
                    started = time.monotonic()
                    order = await create_order(http, a.base_url, example(body))
                    event = await next_order(reader, order["id"], 3)
                    assert event.json()["status"] == "PENDING"
                    assert time.monotonic() - started < 3
