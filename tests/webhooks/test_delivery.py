"""Deliveries to a real receiver (an HTTP server on a free port), on SQLite and PostgreSQL: the events of
an order driven through the test helpers, verified with ``standardwebhooks``; retries with the same
``webhook-id``; 410; receivers that fail in every way the spec lists; a slow endpoint that delays no
other; a name resolving to a private address at delivery time."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from clopos_server.app import create_app
from clopos_server.settings import Settings
from tests.support.api import ApiClient
from tests.support.lifecycle import accept, create_order
from tests.webhooks.conftest import FAST, make_endpoint
from tests.webhooks.receiver import WAIT, Receiver

LIFE = ["order.created", "order.accepted", "receipt.closed", "order.delivered"]


async def wait_for(receiver: Receiver, predicate: Any, timeout: float = WAIT) -> list[Any]:
    return await asyncio.to_thread(receiver.wait_for, predicate, timeout)


async def attempts_of(api: ApiClient, endpoint: dict, count: int, timeout: float = WAIT) -> list[dict]:
    """The endpoint's attempts once there are ``count`` of them (newest first)."""
    deadline = time.monotonic() + timeout
    while True:
        data: list[dict] = (await api.get(f"/webhook-endpoints/{endpoint['id']}/attempts")).json()["data"]
        if len(data) >= count or time.monotonic() > deadline:
            return data
        await asyncio.sleep(0.05)


async def test_an_orders_life_reaches_the_receiver_signed(v2: ApiClient, receiver: Receiver) -> None:
    endpoint = await make_endpoint(v2, receiver.url(), LIFE)
    started = time.time()
    order = await accept(v2, (await create_order(v2))["id"])
    closed = await v2.post(f"/test-helpers/receipts/{order['receipt_id']}/close")
    assert closed.status_code == 200, closed.text
    got = await wait_for(receiver, lambda got: len(got) >= 4)
    assert sorted(r.json["type"] for r in got) == sorted(LIFE)
    for received in got:
        payload = received.verify(endpoint["secret"])
        assert set(payload) == {"type", "timestamp", "data"}
        assert payload["data"]["event_id"] == received.webhook_id
        assert payload["data"]["event_id"].startswith("evt_")
        assert payload["data"]["object"]["id"] in (order["id"], order["receipt_id"])
        assert abs(int(received.headers["webhook-timestamp"]) - received.at) < 5
    created = next(r for r in got if r.json["type"] == "order.created")
    assert created.at - started < WAIT  # within a second on a quiet server: docs/webhooks.md, "Measured"


async def test_two_failures_then_delivered_with_the_same_webhook_id(
    v2: ApiClient, receiver: Receiver
) -> None:
    endpoint = await make_endpoint(v2, receiver.url("/fail/2"), ["order.created"])
    await create_order(v2)
    got = await wait_for(receiver, lambda got: len(got) >= 3)
    assert len({r.webhook_id for r in got}) == 1
    assert len({r.body for r in got}) == 1 and got[0].json["type"] == "order.created"  # the same bytes
    for received in got:
        received.verify(endpoint["secret"])
    attempts = await attempts_of(v2, endpoint, 3)
    assert [a["response_status"] for a in attempts] == [200, 500, 500]
    assert [a["attempt"] for a in attempts] == [3, 2, 1]
    assert attempts[1]["response_body"] == "failing on purpose"


async def test_410_disables_the_endpoint(v2: ApiClient, receiver: Receiver) -> None:
    endpoint = await make_endpoint(v2, receiver.url("/gone"), ["order.created"])
    await create_order(v2)
    await wait_for(receiver, lambda got: len(got) == 1)
    for _ in range(100):
        shown = (await v2.get(f"/webhook-endpoints/{endpoint['id']}")).json()["data"]
        if not shown["enabled"]:
            break
        await asyncio.sleep(0.05)
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    await create_order(v2)
    await asyncio.sleep(0.5)
    assert len(receiver.requests) == 1  # nothing more once disabled


async def test_a_spent_schedule_marks_the_delivery_failed(v2: ApiClient, receiver: Receiver) -> None:
    """500 every time: the first try and the 3 retries of the shortened schedule, then no more."""
    endpoint = await make_endpoint(v2, receiver.url("/status/500"), ["order.created"])
    await create_order(v2)
    await wait_for(receiver, lambda got: len(got) >= 4)
    await asyncio.sleep(1.0)
    attempts = await attempts_of(v2, endpoint, 4)
    assert len(attempts) == 4 and {a["response_status"] for a in attempts} == {500}
    assert len(attempts[0]["response_body"]) == 1024  # the first 1 KiB of a 5,000-byte answer
    assert (await v2.get(f"/webhook-endpoints/{endpoint['id']}")).json()["data"]["enabled"] is True


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [("/reset", None, "reset"), ("/redirect", 301, None), ("/stream", 200, None)],
)
async def test_receivers_that_misbehave(
    v2: ApiClient, receiver: Receiver, path: str, status: int | None, error: str | None
) -> None:
    """A reset is an error, a 301 is a failure that is not followed, a 100 MiB body costs 1 KiB."""
    endpoint = await make_endpoint(v2, receiver.url(path), ["order.created"])
    await create_order(v2)
    attempts = await attempts_of(v2, endpoint, 1)
    first = attempts[-1]
    assert first["response_status"] == status, first
    if error:
        assert error in (first["error"] or ""), first
    if path == "/stream":
        assert len(first["response_body"]) == 1024 and first["duration_ms"] < 5000
    if path == "/redirect":
        assert not [r for r in receiver.requests if r.path == "/ok"]


@pytest.mark.slow(seconds=16, waits=True)  # the hanging attempt times out after 15 s
async def test_a_hanging_receiver_times_out_and_delays_no_other(v2: ApiClient, receiver: Receiver) -> None:
    hanging = await make_endpoint(v2, receiver.url("/hang"), ["order.created"])
    await make_endpoint(v2, receiver.url("/ok"), ["order.created"])
    await create_order(v2)
    got = await wait_for(receiver, lambda got: {r.path for r in got} == {"/ok", "/hang"})
    hang, ok = (next(r.at for r in got if r.path == path) for path in ("/hang", "/ok"))
    assert ok - hang < 2  # sent while the hanging attempt was still waiting, not after it
    attempts = await attempts_of(v2, hanging, 1, timeout=WAIT + 15)
    assert attempts and "timed out" in attempts[-1]["error"], attempts


@pytest.fixture
def private_refused(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        rate_limits="off",
        secret_key="test-secret-key-0123456789-abcdefgh",
        **{**FAST, "webhook_allow_private": False},
    )


async def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(
    private_refused: Settings, receiver: Receiver
) -> None:
    """The URL passes at creation (a name, not resolved then); the attempt resolves it and refuses."""
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip("the machine's own name does not resolve")
    app: FastAPI = create_app(private_refused)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            api = await ApiClient.login(http, "v2")
            endpoint = await make_endpoint(api, f"http://{name}:{receiver.port}/ok", ["order.created"])
            await create_order(api)
            attempts = await attempts_of(api, endpoint, 1)
    assert attempts and "private" in attempts[-1]["error"] and address in attempts[-1]["error"], attempts
    assert receiver.requests == []


def _receiver_script() -> Any:
    """scripts/webhook_receiver.py, whose plain-hmac check docs/webhooks.md shows."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_documented_plain_hmac_check_accepts_a_delivery(v2: ApiClient, receiver: Receiver) -> None:
    endpoint = await make_endpoint(v2, receiver.url(), ["order.created"])
    await create_order(v2)
    got = await wait_for(receiver, lambda got: len(got) == 1)
    script = _receiver_script()
    assert script.verified(endpoint["secret"], got[0].headers, got[0].body)
    tampered = got[0].body.replace(b"order.created", b"order.deleted")
    assert not script.verified(endpoint["secret"], got[0].headers, tampered)
    assert not script.verified("whsec_" + "A" * 32, got[0].headers, got[0].body)


@pytest.fixture
def quick_to_disable(db_url: str) -> Settings:
    """All deliveries failing for 1 s disables (5 days by default), retries every 0.3 s."""
    return Settings(
        database_url=db_url,
        rate_limits="off",
        secret_key="test-secret-key-0123456789-abcdefgh",
        **{
            **FAST,
            "webhook_retry_schedule": "0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3",
            "webhook_disable_after_seconds": 1,
        },
    )


async def test_an_endpoint_failing_for_the_whole_period_is_disabled(
    quick_to_disable: Settings, receiver: Receiver
) -> None:
    app: FastAPI = create_app(quick_to_disable)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            api = await ApiClient.login(http, "v2")
            endpoint = await make_endpoint(api, receiver.url("/status/503"), ["order.created"])
            await create_order(api)
            deadline = time.monotonic() + WAIT
            shown = endpoint
            while shown["enabled"] and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                shown = (await api.get(f"/webhook-endpoints/{endpoint['id']}")).json()["data"]
    assert shown["enabled"] is False and "every delivery failed since" in shown["disabled_reason"], shown
