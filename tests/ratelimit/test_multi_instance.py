"""Rate limits across real server processes: two instances share one budget through Redis, and keep
serving (per process) when Redis goes away."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.ratelimit.conftest import clear_of_window_edge
from tests.support.api import DEMO_V2_LOGIN, assert_error
from tests.support.redis import private_redis, shared_redis_url, unique_prefix
from tests.support.servers import ServerProcess, running_servers

pytestmark = pytest.mark.slow

BUDGET = 20


def limited_env(redis_url: str) -> dict[str, str]:
    return {
        "CLOPOS_RATE_LIMITS": "on",
        "CLOPOS_REDIS_URL": redis_url,
        "CLOPOS_RATE_KEY_PREFIX": unique_prefix(),
        "CLOPOS_RATE_INTEGRATOR_PER_MINUTE": str(BUDGET),
    }


async def v2_token(http: httpx.AsyncClient, server: ServerProcess) -> dict[str, str]:
    answer = await http.post(f"{server.base_url}/open-api/v2/auth", json=DEMO_V2_LOGIN)
    assert answer.status_code == 200 and answer.json()["success"] is True, answer.text
    return {"x-token": answer.json()["token"]}


async def alternate(
    http: httpx.AsyncClient, servers: list[ServerProcess], headers: dict[str, str], count: int
) -> list[httpx.Response]:
    """``count`` calls, one after the other, alternating between the servers."""
    return [
        await http.get(f"{servers[i % len(servers)].base_url}/open-api/v2/orders", headers=headers)
        for i in range(count)
    ]


def stderr_of(server: ServerProcess) -> str:
    assert server.process.poll() is not None
    return server.log()


async def test_two_instances_share_one_budget_through_redis(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances share one database only on PostgreSQL")
    redis_url = shared_redis_url()
    with running_servers(db_url, count=2, extra_env=limited_env(redis_url)) as servers:
        async with httpx.AsyncClient(timeout=30) as http:
            headers = await v2_token(http, servers[0])  # one token works on both instances
            answers = await alternate(http, servers, headers, 30)
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == BUDGET and statuses.count(429) == 30 - BUDGET, statuses
    assert statuses == [200] * BUDGET + [429] * (30 - BUDGET)
    for answer in answers[BUDGET:]:
        assert_error(answer, 429, "rate_limited")
        assert 1 <= int(answer.headers["retry-after"]) <= 60
        assert answer.headers["ratelimit-remaining"] == "0" and answer.headers["ratelimit-limit"] == "20"
    remaining = [int(a.headers["ratelimit-remaining"]) for a in answers[:BUDGET]]
    assert remaining == list(range(BUDGET - 1, -1, -1))  # one count, whichever instance answered


async def test_redis_stopped_mid_run_no_500s_and_the_limit_holds_per_process(db_url: str) -> None:
    count = 2 if db_url.startswith("postgresql") else 1  # several instances share a database only on PG
    with private_redis() as redis_server:
        with running_servers(db_url, count=count, extra_env=limited_env(redis_server.url)) as servers:
            async with httpx.AsyncClient(timeout=30) as http:
                headers = await v2_token(http, servers[0])
                before = await alternate(http, servers, headers, 10)  # shared: 10 of 20 spent
                assert [a.status_code for a in before] == [200] * 10
                assert before[-1].headers["ratelimit-remaining"] == str(BUDGET - 10)

                # Redis dies while requests are in flight
                await clear_of_window_edge()  # memory counters use clock windows
                in_flight = asyncio.gather(*(alternate(http, servers, headers, 5) for _ in range(4)))
                await asyncio.sleep(0.01)
                redis_server.stop()
                during = [a for batch in await in_flight for a in batch]
                after = await alternate(http, servers, headers, len(servers) * 30)

                # Redis comes back on the same port: after the retry delay the budget is shared again
                redis_server.start()
                await asyncio.sleep(2.5)
                shared_again = await alternate(http, servers, headers, 30)
    everything = before + during + after + shared_again
    assert all(a.status_code in (200, 429) for a in everything), [
        (a.status_code, a.text) for a in everything if a.status_code not in (200, 429)
    ]
    for answer in [a for a in everything if a.status_code == 429]:
        assert int(answer.headers["retry-after"]) >= 1
    # per process: each instance counts in its own memory now, and still stops at its budget (the calls
    # in flight when Redis died were counted in Redis or in this memory, hence the range)
    for index, server in enumerate(servers):
        mine = [a.status_code for i, a in enumerate(after) if i % len(servers) == index]
        in_flight_here = sum(a.url.port == int(server.base_url.rsplit(":", 1)[1]) for a in during)
        assert BUDGET - in_flight_here <= mine.count(200) <= BUDGET, (index, mine)
        assert mine == [200] * mine.count(200) + [429] * mine.count(429), (index, mine)
    statuses = [a.status_code for a in shared_again]
    assert statuses == [200] * BUDGET + [429] * (30 - BUDGET), statuses  # one shared budget again
    for server in servers:
        log = stderr_of(server)
        assert log.count("Redis unreachable") == 1, log  # one warning per outage, not per request
        assert log.count("Redis is reachable again") == 1, log
