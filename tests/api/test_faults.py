"""Failure rehearsal on test brands: ``{prefix}/test-helpers/faults`` arms rules that lose an answer after
the work committed, fail with a status, or delay; the canonical lesson of the lost answer."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.support.api import DEMO_LOGIN, ApiClient, assert_error, example
from tests.support.lifecycle import order_body
from tests.support.servers import running_servers

from clopos_server.app import create_app
from clopos_server.db.engine import Database
from clopos_server.db.models import FaultRule, Order
from clopos_server.settings import Settings

LOSE_CREATE = {"match": {"method": "POST", "path": "/orders"}, "action": "lose_answer"}


async def arm(api: ApiClient, rule: dict[str, Any]) -> dict[str, Any]:
    answer = await api.post("/test-helpers/faults", json=rule)
    assert answer.status_code == 201, answer.text
    assert answer.json()["message"] == "Fault armed"
    armed: dict[str, Any] = answer.json()["data"]
    return armed


async def order_count(db_url: str) -> int:
    db = Database(db_url, pool_size=1)
    try:
        async with db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(Order))).scalar_one())
    finally:
        await db.dispose()


async def test_a_key_that_is_not_the_actions_is_refused_and_nothing_is_armed(api: ApiClient) -> None:
    """A misspelt option must not arm a rule that silently does something else."""
    body = {"match": {"path": "/orders", "verb": "POST"}, "action": "lose_answer", "lose-as": "bad_gateway"}
    got = assert_error(await api.post("/test-helpers/faults", json=body), 400, "validation_failed")
    assert {entry["field"] for entry in got["error"]} == {"match.verb", "lose-as"}
    wrong_action = {"match": {"path": "/orders"}, "action": "lose_answer", "status": 503}
    got = assert_error(await api.post("/test-helpers/faults", json=wrong_action), 400, "validation_failed")
    assert [entry["field"] for entry in got["error"]] == ["status"]
    assert (await api.get("/test-helpers/faults")).json()["data"] == []


async def test_arm_list_and_clear(api: ApiClient) -> None:
    rule = await arm(
        api, {"match": {"method": "get", "path": "/products/*"}, "action": "fail", "status": 503}
    )
    assert rule["match"] == {"method": "GET", "path": "/products/*"}
    assert (rule["action"], rule["times"], rule["status"]) == ("fail", 1, 503) and "retry_after" not in rule
    delay = await arm(api, {"match": {"path": "*"}, "times": 3, "action": "delay_ms", "delay_ms": 10})
    assert delay["match"]["method"] == "*" and "status" not in delay
    listed = (await api.get("/test-helpers/faults")).json()
    assert [r["id"] for r in listed["data"]] == [rule["id"], delay["id"]] and listed["total"] == 2
    cleared = await api.request("DELETE", "/test-helpers/faults")
    assert cleared.status_code == 200 and cleared.json()["data"] == {"cleared": 2}
    assert (await api.get("/test-helpers/faults")).json()["data"] == []


async def test_production_brands_have_no_faults(other_api: ApiClient, db_url: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        body = LOSE_CREATE if method == "POST" else None
        assert_error(await other_api.request(method, "/test-helpers/faults", json=body), 403, "forbidden")
    db = Database(db_url, pool_size=1)
    try:
        async with db.read() as conn:
            assert (await conn.execute(select(FaultRule.id))).all() == []
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    "rule, field",
    [
        ({"action": "fail", "status": 503}, "match"),
        ({"match": {"path": "orders"}, "action": "fail", "status": 503}, "match.path"),
        ({"match": {"method": "BREW", "path": "/orders"}, "action": "fail", "status": 503}, "match.method"),
        ({"match": {"path": "/orders"}, "action": "explode"}, "action"),
        ({"match": {"path": "/orders"}, "action": "fail"}, "status"),
        ({"match": {"path": "/orders"}, "action": "fail", "status": 404}, "status"),
        ({"match": {"path": "/orders"}, "action": "delay_ms"}, "delay_ms"),
        ({"match": {"path": "/orders"}, "action": "delay_ms", "delay_ms": 600_000}, "delay_ms"),
        ({**LOSE_CREATE, "times": 0}, "times"),
        ({**LOSE_CREATE, "lose_as": "smoke"}, "lose_as"),
    ],
)
async def test_bad_rules_are_400_naming_the_field(api: ApiClient, rule: dict[str, Any], field: str) -> None:
    got = assert_error(await api.post("/test-helpers/faults", json=rule), 400, "validation_failed")
    assert field in [entry.get("field") for entry in got["error"]], got
    assert (await api.get("/test-helpers/faults")).json()["data"] == []


async def test_fail_answers_the_status_then_the_rule_is_spent(api: ApiClient) -> None:
    await arm(api, {"match": {"method": "GET", "path": "/products"}, "action": "fail", "status": 429})
    limited = await api.get("/products")
    got = assert_error(limited, 429, "rate_limited")
    assert limited.headers["retry-after"] == "1" and "rehearsed fault" in got["message"]
    assert "x-request-id" in limited.headers
    assert (await api.get("/products")).status_code == 200
    assert (await api.get("/test-helpers/faults")).json()["data"] == []


async def test_fail_on_create_writes_nothing(api: ApiClient, db_url: str) -> None:
    before = await order_count(db_url)
    await arm(api, {"match": {"path": "/orders"}, "action": "fail", "status": 503, "retry_after": 7})
    unavailable = await api.post("/orders", json=order_body())
    assert_error(unavailable, 503, "unavailable")
    assert unavailable.headers["retry-after"] == "7"
    assert await order_count(db_url) == before


async def test_only_matching_requests_are_affected(api: ApiClient) -> None:
    await arm(api, {"match": {"method": "POST", "path": "/customers"}, "action": "fail", "status": 500})
    assert (await api.get("/customers")).status_code == 200  # another method
    assert (await api.get("/products")).status_code == 200  # another path
    assert len((await api.get("/test-helpers/faults")).json()["data"]) == 1


async def test_delay(api: ApiClient) -> None:
    await arm(api, {"match": {"path": "/venues"}, "action": "delay_ms", "delay_ms": 300})
    started = time.monotonic()
    assert (await api.get("/venues")).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert (await api.get("/venues")).status_code == 200
    assert time.monotonic() - started < 0.3


async def test_a_retry_with_the_same_key_makes_one_order(api: ApiClient, db_url: str) -> None:
    """The lesson: the answer was lost after the order was committed; the client cannot tell, retries."""
    before = await order_count(db_url)
    await arm(api, LOSE_CREATE)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    lost = await api.post("/orders", json=order_body(), headers=key)
    assert_error(lost, 502, "bad_gateway")
    retried = await api.post("/orders", json=order_body(), headers=key)
    assert retried.status_code == 201, retried.text
    assert await order_count(db_url) == before + 1
    orders = (await api.get("/orders", params={"limit": 100})).json()["data"]
    assert sum(1 for order in orders if order["id"] == retried.json()["data"]["id"]) == 1


async def test_a_retry_without_a_key_makes_two_orders(api: ApiClient, db_url: str) -> None:
    before = await order_count(db_url)
    await arm(api, LOSE_CREATE)
    assert_error(await api.post("/orders", json=order_body()), 502, "bad_gateway")
    assert (await api.post("/orders", json=order_body())).status_code == 201
    assert await order_count(db_url) == before + 2


@pytest.fixture
async def second_instance(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another app on the same database: what a second instance behind a load balancer sees."""
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://second") as http:
            yield http


async def test_rules_are_shared_across_instances(v1: ApiClient, second_instance: httpx.AsyncClient) -> None:
    await arm(v1, {"match": {"path": "/venues"}, "times": 2, "action": "fail", "status": 504})
    other = ApiClient(second_instance, v1.token, v1.brand, v1.venue)
    listed = (await other.get("/test-helpers/faults")).json()["data"]
    assert [rule["times"] for rule in listed] == [2]
    deadline = time.monotonic() + 5  # the other instance applies it from its next directory refresh (1 s)
    while (answer := await other.get("/venues")).status_code == 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert_error(answer, 504, "gateway_timeout")
    assert_error(await v1.get("/venues"), 504, "gateway_timeout")
    assert (await other.get("/venues")).status_code == 200


@pytest.mark.slow
async def test_a_closed_connection_after_the_commit(db_url: str) -> None:
    """``lose_as: closed_connection`` on a real server: the client sees the connection drop mid-answer."""
    with running_servers(db_url) as (server,):
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            token = (await http.post("/open-api/auth", json=DEMO_LOGIN)).json()["token"]
            headers = {"x-token": token, "x-brand": DEMO_LOGIN["brand"], "x-venue": "1"}
            rule = {**LOSE_CREATE, "lose_as": "closed_connection"}
            assert (
                await http.post("/open-api/test-helpers/faults", json=rule, headers=headers)
            ).status_code == 201
            before = await order_count(db_url)
            key = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            body = example("create-order.v1.request.json")
            with pytest.raises(httpx.RemoteProtocolError):
                await http.post("/open-api/orders", json=body, headers=key)
            assert await order_count(db_url) == before + 1
            retried = await http.post("/open-api/orders", json=body, headers=key)
            assert retried.status_code == 201, retried.text
            assert await order_count(db_url) == before + 1
