"""The rate-limit tiers of spec/api.md through HTTP, in one process (memory counters)."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from tests.ratelimit.conftest import MakeClient, clear_of_window_edge
from tests.support.api import DEMO_LOGIN, DEMO_V2_LOGIN, assert_error
from tests.support.servers import free_port

V1_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
V2_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
ALL_OFF = {
    "rate_v1_per_minute": 0,
    "rate_v1_per_hour": 0,
    "rate_auth_per_minute": 0,
    "rate_failed_per_minute": 0,
    "rate_integrator_per_minute": 0,
}


async def v1_headers(http: httpx.AsyncClient) -> dict[str, str]:
    answer = await http.post("/open-api/auth", json=DEMO_LOGIN)
    assert answer.status_code == 200, answer.text
    return {"x-token": answer.json()["token"], "x-brand": "openapitest", "x-venue": "1"}


async def v2_headers(http: httpx.AsyncClient) -> dict[str, str]:
    answer = await http.post("/open-api/v2/auth", json=DEMO_V2_LOGIN)
    assert answer.status_code == 200 and answer.json()["success"] is True, answer.text
    return {"x-token": answer.json()["token"]}


def limit_of(answer: httpx.Response, names: tuple[str, ...]) -> tuple[int, int, int]:
    return (int(answer.headers[names[0]]), int(answer.headers[names[1]]), int(answer.headers[names[2]]))


def assert_429(answer: httpx.Response) -> int:
    body = assert_error(answer, 429, "rate_limited")
    retry_after = int(answer.headers["retry-after"])
    assert 1 <= retry_after <= 3600
    assert str(retry_after) in body["message"]
    return retry_after


async def test_v1_client_tier_headers_and_429(limited: MakeClient) -> None:
    await clear_of_window_edge()
    http = await limited(rate_v1_per_minute=3, rate_v1_per_hour=100)
    headers = await v1_headers(http)
    answers = [await http.get("/open-api/orders", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    now = time.time()
    for i, answer in enumerate(answers[:3]):
        limit, remaining, reset = limit_of(answer, V1_HEADERS)
        assert (limit, remaining) == (3, 2 - i)
        assert now - 1 <= reset <= now + 61 and reset % 60 == 0  # epoch seconds: the minute's end
        assert not any(name in answer.headers for name in V2_HEADERS)
    assert_429(answers[3])
    assert limit_of(answers[3], V1_HEADERS)[:2] == (3, 0)


async def test_v1_hour_tier_shows_when_it_has_fewer_left(limited: MakeClient) -> None:
    await clear_of_window_edge()
    http = await limited(rate_v1_per_minute=50, rate_v1_per_hour=2)
    headers = await v1_headers(http)
    first = await http.get("/open-api/orders", headers=headers)
    limit, remaining, reset = limit_of(first, V1_HEADERS)
    assert (limit, remaining) == (2, 1) and reset % 3600 == 0
    await http.get("/open-api/orders", headers=headers)
    retry_after = assert_429(await http.get("/open-api/orders", headers=headers))
    assert retry_after <= 3600


async def test_v2_integrator_tier_headers_and_429(limited: MakeClient) -> None:
    await clear_of_window_edge()
    http = await limited(rate_integrator_per_minute=3)
    headers = await v2_headers(http)
    answers = [await http.get("/open-api/v2/orders", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    for i, answer in enumerate(answers[:3]):
        limit, remaining, reset = limit_of(answer, V2_HEADERS)
        assert (limit, remaining) == (3, 2 - i)
        assert 0 <= reset <= 60  # seconds until the window frees up, not an epoch
        assert not any(name in answer.headers for name in V1_HEADERS)
    retry_after = assert_429(answers[3])
    assert retry_after <= 60
    assert limit_of(answers[3], V2_HEADERS)[:2] == (3, 0)


async def test_integrator_budget_is_per_brand_and_integrator_not_per_token(limited: MakeClient) -> None:
    await clear_of_window_edge()
    http = await limited(rate_integrator_per_minute=2)
    first, second = await v2_headers(http), await v2_headers(http)
    assert (await http.get("/open-api/v2/orders", headers=first)).status_code == 200
    assert (await http.get("/open-api/v2/orders", headers=second)).status_code == 200
    assert_429(await http.get("/open-api/v2/orders", headers=first))
    other = await http.post(
        "/open-api/v2/auth",
        json={
            "client_id": "demo-other-client",
            "client_secret": "demo-other-secret-0123456789",
            "brand": "demo-other",
            "integrator_id": "prod_demo",
        },
    )
    other_headers = {"x-token": other.json()["token"]}
    assert (await http.get("/open-api/v2/orders", headers=other_headers)).status_code == 200


async def test_auth_tier_is_per_ip_and_covers_both_prefixes(limited: MakeClient) -> None:
    await clear_of_window_edge()
    http = await limited(rate_auth_per_minute=3)
    first = await http.post("/open-api/auth", json=DEMO_LOGIN)
    assert limit_of(first, V1_HEADERS)[:2] == (3, 2)
    second = await http.post("/open-api/v2/auth", json=DEMO_V2_LOGIN)
    assert limit_of(second, V2_HEADERS)[:2] == (3, 1)
    wrong = await http.post("/open-api/auth", json={**DEMO_LOGIN, "client_secret": "wrong"})
    assert wrong.status_code == 401 and limit_of(wrong, V1_HEADERS)[:2] == (3, 0)
    assert_429(await http.post("/open-api/auth", json=DEMO_LOGIN))
    assert_429(await http.post("/open-api/v2/auth", json=DEMO_V2_LOGIN))
    elsewhere = await limited(ip="10.0.0.2", app=http.app)  # type: ignore[attr-defined]
    assert (await elsewhere.post("/open-api/auth", json=DEMO_LOGIN)).status_code == 200


async def test_failures_tier_answers_429_before_the_token_is_looked_at(
    limited: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await clear_of_window_edge()
    http = await limited(rate_failed_per_minute=3)
    good = await v2_headers(http)
    for _ in range(3):
        assert_error(await http.get("/open-api/v2/orders", headers={"x-token": "nope"}), 401, "unauthorized")
    signer = http.app.state.services.signer  # type: ignore[attr-defined]
    checked: list[str] = []
    original = signer.verify_v2

    def counting_verify(token: str):  # type: ignore[no-untyped-def]
        checked.append(token)
        return original(token)

    monkeypatch.setattr(signer, "verify_v2", counting_verify)
    answer = await http.get("/open-api/v2/orders", headers=good)  # a valid token, from the same IP
    assert_429(answer)
    assert checked == []  # refused without any token work
    assert limit_of(answer, V2_HEADERS)[:2] == (3, 0)
    # another IP is not affected, nor is v1 (the failure tier is a v2 tier)
    elsewhere = await limited(ip="10.0.0.9", app=http.app)  # type: ignore[attr-defined]
    assert (await elsewhere.get("/open-api/v2/orders", headers=good)).status_code == 200
    assert checked
    assert (await http.get("/open-api/orders", headers=await v1_headers(http))).status_code == 200


async def test_unknown_v2_paths_count_as_failures(limited: MakeClient) -> None:
    await clear_of_window_edge()
    http = await limited(rate_failed_per_minute=4, rate_integrator_per_minute=3)
    headers = await v2_headers(http)
    ok = await http.get("/open-api/v2/orders", headers=headers)
    assert limit_of(ok, V2_HEADERS)[:2] == (3, 2)  # the integrator tier has fewer left than failures (4)
    for _ in range(3):
        missing = await http.get("/open-api/v2/no-such-thing", headers=headers)
        assert_error(missing, 404, "resource_not_found")
    assert limit_of(missing, V2_HEADERS)[:2] == (4, 1)  # now the failure tier has the fewest left
    await http.get("/open-api/v2/no-such-thing", headers=headers)
    assert_429(await http.get("/open-api/v2/orders", headers=headers))


async def test_a_budget_of_zero_turns_its_tier_off(limited: MakeClient) -> None:
    http = await limited(**ALL_OFF)
    v1 = await v1_headers(http)
    v2 = await v2_headers(http)
    for _ in range(3):
        one = await http.get("/open-api/orders", headers=v1)
        two = await http.get("/open-api/v2/orders", headers=v2)
        assert one.status_code == two.status_code == 200
        assert not any(name in one.headers for name in (*V1_HEADERS, *V2_HEADERS))
        assert not any(name in two.headers for name in (*V1_HEADERS, *V2_HEADERS))
    only_hour = await limited(**{**ALL_OFF, "rate_v1_per_hour": 10})
    answer = await only_hour.get("/open-api/orders", headers=await v1_headers(only_hour))
    assert limit_of(answer, V1_HEADERS)[:2] == (10, 9)


async def test_rate_limits_off_turns_every_tier_off(client: httpx.AsyncClient) -> None:
    """The default test app runs with CLOPOS_RATE_LIMITS=off: no headers, no 429, whatever the budget."""
    for _ in range(3):
        answer = await client.post("/open-api/auth", json={**DEMO_LOGIN, "client_secret": "wrong"})
        assert answer.status_code == 401
        assert not any(name in answer.headers for name in (*V1_HEADERS, *V2_HEADERS))


async def test_unreachable_redis_falls_back_to_memory_with_one_warning(
    limited: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    await clear_of_window_edge()
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="clopos_server.ratelimit"):
        http = await limited(redis_url=dead, rate_integrator_per_minute=3)
        headers = await v2_headers(http)
        answers = [await http.get("/open-api/v2/orders", headers=headers) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]  # the limit holds, in memory
    assert limit_of(answers[0], V2_HEADERS)[:2] == (3, 2)
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
