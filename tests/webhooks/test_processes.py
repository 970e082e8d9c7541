"""Real server processes (``clopos-server serve``) delivering to a real receiver: a SIGKILL with
deliveries in flight loses nothing after a restart (both databases), and two instances on one PostgreSQL
share 1,000 orders' deliveries without ever sending one twice at once (duplicates counted and reported);
a private PostgreSQL stopped for 10 s while deliveries are due loses none.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.operations.pg import PrivatePostgres, unavailable_reason
from tests.support.api import DEMO_V2_LOGIN, example
from tests.support.databases import create_pg_database, prepare_template
from tests.support.servers import ServerProcess, running_servers
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow

ENV = {
    "CLOPOS_WEBHOOK_ALLOW_HTTP": "true",
    "CLOPOS_WEBHOOK_ALLOW_PRIVATE": "true",
    "CLOPOS_WEBHOOK_RETRY_SCHEDULE": "0.5,0.5,0.5,0.5,0.5,0.5",
    "CLOPOS_WEBHOOK_POLL_SECONDS": "0.05",
}
ORDER = example("create-order.v1.request.json")


def token_headers(server: ServerProcess) -> dict[str, str]:
    answer = httpx.post(f"{server.base_url}/open-api/v2/auth", json=DEMO_V2_LOGIN, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"x-token": answer.json()["token"]}


def add_endpoint(server: ServerProcess, headers: dict[str, str], url: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.base_url}/open-api/v2/webhook-endpoints",
        json={"url": url, "events": ["order.created"]},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    endpoint: dict[str, Any] = answer.json()["data"]
    return endpoint


async def create_orders(servers: list[ServerProcess], headers: dict[str, str], count: int) -> list[int]:
    """``count`` orders, spread over the servers, 16 at a time."""
    gate = asyncio.Semaphore(16)

    async def one(http: httpx.AsyncClient, index: int) -> int:
        async with gate:
            base = servers[index % len(servers)].base_url
            answer = await http.post(f"{base}/open-api/v2/orders", json=ORDER, headers=headers)
            assert answer.status_code in (200, 201), answer.text
            return int(answer.json()["data"]["id"])

    async with httpx.AsyncClient(timeout=30) as http:
        return list(await asyncio.gather(*(one(http, i) for i in range(count))))


def delivered_orders(receiver: Receiver) -> list[int]:
    with receiver.lock:
        return [
            r.json["data"]["object"]["id"] for r in receiver.requests if r.json["type"] == "order.created"
        ]


def wait_for_orders(receiver: Receiver, wanted: set[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = delivered_orders(receiver)
        if wanted <= set(got):
            return got
        time.sleep(0.1)
    missing = wanted - set(delivered_orders(receiver))
    raise AssertionError(f"{len(missing)} of {len(wanted)} orders never delivered: {sorted(missing)[:20]}")


@pytest.mark.slow(seconds=36, waits=True)  # the killed process's leases expire after 30 s
async def test_sigkill_with_deliveries_in_flight_loses_nothing(db_url: str, receiver: Receiver) -> None:
    """The receiver takes 1 s per request, so deliveries are in flight when the process is killed; the
    restarted process claims them once their leases expire."""
    with running_servers(db_url, extra_env=ENV) as (server,):
        headers = token_headers(server)
        secret = add_endpoint(server, headers, receiver.url("/slow"))["secret"]
        orders = await create_orders([server], headers, 20)
        await asyncio.to_thread(receiver.wait_for, lambda got: len(got) >= 2, 10)
        server.kill()
    with running_servers(db_url, extra_env=ENV):
        got = await asyncio.to_thread(wait_for_orders, receiver, set(orders), 90)
    for received in receiver.requests:
        received.verify(secret)
    duplicates = len(got) - len(set(got))
    print(f"SIGKILL: {len(set(got))} orders delivered, {duplicates} duplicate deliveries (at least once)")


@pytest.mark.slow(seconds=15)
async def test_two_instances_share_1000_orders(db_url: str, receiver: Receiver) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances share one database on PostgreSQL (SQLite: one process)")
    with running_servers(db_url, count=2, extra_env=ENV) as servers:
        headers = token_headers(servers[0])
        add_endpoint(servers[0], headers, receiver.url("/ok"))
        started = time.monotonic()
        orders = await create_orders(servers, headers, 1000)
        got = await asyncio.to_thread(wait_for_orders, receiver, set(orders), 120)
        took = time.monotonic() - started
    duplicates = len(got) - len(set(got))
    print(
        f"two instances: 1000 orders created and delivered in {took:.1f} s; {duplicates} duplicates; "
        f"at most {receiver.max_in_flight} requests in flight; {receiver.overlaps} same-id overlaps"
    )
    assert receiver.overlaps == 0  # never in flight twice at once
    assert receiver.max_in_flight <= 4
    assert duplicates == 0  # expected in normal operation; a crash could make some (at least once)


@pytest.mark.slow(seconds=15, waits=True)
async def test_the_database_down_for_10_s_loses_nothing(receiver: Receiver) -> None:
    """A private PostgreSQL stopped for 10 s while deliveries are due (each first attempt answers 500, its
    retry is due 0.5 s later): once it is back, every order's event arrives."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    database = PrivatePostgres()
    database.start()
    try:
        url = database.url("clopos_webhooks")
        await create_pg_database(url, replace=True)
        await prepare_template(url)
        # errors only: every component logs the outage each second, and nothing reads the server's
        # stderr pipe here (a full pipe would stall the server, not the database)
        quiet = {**ENV, "CLOPOS_LOG_LEVEL": "error"}
        with running_servers(url, extra_env=quiet) as (server,):
            headers = token_headers(server)
            add_endpoint(server, headers, receiver.url("/fail/1"))
            orders = await create_orders([server], headers, 10)
            database.stop()
            await asyncio.sleep(10)
            database.start()
            await asyncio.to_thread(wait_for_orders, receiver, set(orders), 90)
    finally:
        database.destroy()
