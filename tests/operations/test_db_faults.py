"""PostgreSQL faults on a private server: stopped, starting up, frozen, a table locked, out of connections.

While the fault lasts, every answer is the JSON 503 ``unavailable`` with ``Retry-After`` (never a 500,
never a hang), within the request deadline; /readyz answers within 1 s throughout; once the fault ends,
the same app (no restart) answers 2xx again within 2 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest

from tests.operations.conftest import FAULT_TIMEOUTS, app_client
from tests.operations.pg import PrivatePostgres
from tests.support.api import V1Client, example

DEADLINE = FAULT_TIMEOUTS["request_timeout"] + 0.5  # the deadline, and the time to send the answer
READY_WITHIN = 1.0
RECOVERED_WITHIN = 2.0
STOPPED_WITHIN = 10.0  # the background tasks' 5 s, then the pools' closing


async def timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = await call
    return answer, time.monotonic() - started


def assert_unavailable(answer: httpx.Response, took: float, limit: float = DEADLINE) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert int(answer.headers["retry-after"]) >= 1
    body = answer.json()
    assert body["success"] is False and body["code"] == "unavailable", body
    assert "Traceback" not in answer.text
    assert took < limit, f"answered after {took:.2f} s"


async def assert_only_503s(v1: V1Client, rounds: int = 2) -> None:
    """Reads, creates (the create path's statements run on asyncpg itself) and the probe, some at once."""
    for _ in range(rounds):
        calls = [
            timed(v1.get("/orders")),
            timed(v1.post("/orders", json=example("create-order.v1.request.json"))),
            timed(v1.get("/customers")),
        ]
        for answer, took in await asyncio.gather(*calls):
            assert_unavailable(answer, took)
        ready, took = await timed(v1.http.get("/readyz"))
        assert_unavailable(ready, took, READY_WITHIN)


async def assert_recovers(v1: V1Client) -> None:
    """2xx for a read and a create within 2 s, on the same app."""
    started = time.monotonic()
    while True:
        listed = await v1.get("/orders")
        if listed.status_code == 200:
            created = await v1.post("/orders", json=example("create-order.v1.request.json"))
            if created.status_code in (200, 201):
                break
        else:
            assert listed.status_code == 503, listed.text
        assert time.monotonic() - started < RECOVERED_WITHIN, f"still {listed.status_code}: {listed.text}"
        await asyncio.sleep(0.05)
    ready, took = await timed(v1.http.get("/readyz"))
    assert ready.status_code == 200 and took < READY_WITHIN


# name -> (begin the fault, end it, a word the 503's message says)
FAULTS: dict[str, tuple[Callable[[PrivatePostgres], None], Callable[[PrivatePostgres], None], str]] = {
    "stopped": (PrivatePostgres.stop, PrivatePostgres.start, "database"),
    "starting up": (PrivatePostgres.hold_in_recovery, PrivatePostgres.leave_recovery, "starting up"),
    "frozen": (PrivatePostgres.freeze, PrivatePostgres.thaw, "in time"),
}


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_server_fault_is_answered_503_until_it_ends(
    private_pg: PrivatePostgres, fault_v1: V1Client, fault: str
) -> None:
    begin, end, said = FAULTS[fault]
    assert (await fault_v1.get("/orders")).status_code == 200  # the pool holds live connections
    begin(private_pg)
    try:
        await assert_only_503s(fault_v1)
        answer = await fault_v1.get("/orders")
        assert said in answer.json()["message"], answer.text
    finally:
        end(private_pg)
    await assert_recovers(fault_v1)


@asynccontextmanager
async def orders_locked(private_pg: PrivatePostgres, database_url: str) -> AsyncIterator[None]:
    """The orders table locked by another session until the block ends."""
    database = database_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(private_pg.plain_url(database), timeout=5)
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await conn.close(timeout=5)


async def test_table_locked(private_pg: PrivatePostgres, fault_db_url: str, fault_v1: V1Client) -> None:
    async with orders_locked(private_pg, fault_db_url):
        for call in (
            fault_v1.get("/orders"),
            fault_v1.post("/orders", json=example("create-order.v1.request.json")),
        ):
            answer, took = await timed(call)
            assert_unavailable(answer, took)
        assert "locked" in answer.json()["message"]
        ready, took = await timed(fault_v1.http.get("/readyz"))  # the database itself answers
        assert ready.status_code == 200 and took < READY_WITHIN
    await assert_recovers(fault_v1)


async def _fill_connections(private_pg: PrivatePostgres) -> list[Any]:
    """Every connection slot taken by this test (the app's connections ended), until the list is closed.

    The app may open a connection in a slot that an ended one freed before this test takes it (its pool
    replaces a closed connection at checkout, and the directory refreshes every second): such a one is
    ended too, and its slot taken, until no backend but this test's is left."""
    held: list[Any] = []
    deadline = time.monotonic() + 10
    while True:
        while True:  # the slots left free
            try:
                held.append(await asyncpg.connect(private_pg.plain_url(), timeout=5))
            except asyncpg.TooManyConnectionsError:
                break
        ended = await held[0].fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND NOT pid = ANY($1)",
            [conn.get_server_pid() for conn in held],
        )
        if not ended:
            return held
        assert time.monotonic() < deadline, "the app kept taking the freed connection slots"
        await asyncio.sleep(0.2)  # the ended backends exit and free their slots


async def test_too_many_connections(private_pg: PrivatePostgres, fault_v1: V1Client) -> None:
    assert (await fault_v1.get("/orders")).status_code == 200
    held = await _fill_connections(private_pg)
    try:
        await assert_only_503s(fault_v1, rounds=3)
        answer = await fault_v1.get("/orders")
        assert "too many connections" in answer.json()["message"], answer.text
    finally:
        await asyncio.gather(*(conn.close(timeout=5) for conn in held))
    await assert_recovers(fault_v1)


async def test_the_request_deadline_answers_first(private_pg: PrivatePostgres, fault_db_url: str) -> None:
    """With database bounds longer than the request's, the deadline answers: a JSON 503 on time, and the
    cancelled request's connection is closed, not pooled (the next requests are served)."""
    bounds = {"db_statement_timeout": 20, "db_lock_timeout": 20, "request_timeout": 1.0}
    async with app_client(fault_db_url, **bounds) as http:
        v1 = await V1Client.login(http)
        async with orders_locked(private_pg, fault_db_url):
            answer, took = await timed(v1.post("/orders", json=example("create-order.v1.request.json")))
        assert_unavailable(answer, took, limit=2.0)
        assert "did not finish within 1 s" in answer.json()["message"]
        await assert_recovers(v1)


async def test_the_app_stops_in_bounded_time_while_the_database_is_frozen(
    private_pg: PrivatePostgres, fault_db_url: str
) -> None:
    """A shutdown does not wait for a frozen server's goodbye: its pooled connections are let go."""
    try:
        async with asyncio.timeout(60):  # the test's own bound: a hang fails here
            async with app_client(fault_db_url, **FAULT_TIMEOUTS) as http:
                v1 = await V1Client.login(http)
                answers = await asyncio.gather(*(v1.get("/orders") for _ in range(8)))
                assert [a.status_code for a in answers] == [200] * 8  # both pools hold live connections
                private_pg.freeze()
                started = time.monotonic()
            took = time.monotonic() - started  # the app's stop, with the client's
    finally:
        private_pg.thaw()
    assert took < STOPPED_WITHIN, f"stopped after {took:.1f} s"
