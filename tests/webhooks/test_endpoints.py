"""The v2 webhook-endpoint operations over HTTP: no token, a foreign brand's id, bad input (422 naming
the field, nothing stored), and the happy paths (create with its secret once, list, get, patch, delete,
rotate, attempts, redeliver, ping)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from clopos_server.db.webhooks_models import WebhookEndpoint
from clopos_server.settings import Settings
from tests.support.api import OTHER_BRAND_LOGIN, ApiClient, assert_error, error_fields
from tests.webhooks.conftest import make_endpoint
from tests.webhooks.receiver import Receiver

OPERATIONS = [
    ("POST", "/webhook-endpoints"),
    ("GET", "/webhook-endpoints"),
    ("GET", "/webhook-endpoints/{id}"),
    ("PATCH", "/webhook-endpoints/{id}"),
    ("DELETE", "/webhook-endpoints/{id}"),
    ("POST", "/webhook-endpoints/{id}/rotate-secret"),
    ("GET", "/webhook-endpoints/{id}/attempts"),
    ("POST", "/webhook-endpoints/{id}/redeliver"),
    ("POST", "/test-helpers/webhook-endpoints/{id}/ping"),
]
BODIES: dict[str, Any] = {"POST": {"url": "https://example.com/hook", "events": ["*"]}, "PATCH": {}}


async def endpoint_count(app: FastAPI) -> int:
    async with app.state.services.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(WebhookEndpoint))).scalar_one())


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
async def test_no_token_is_401(client: httpx.AsyncClient, method: str, path: str) -> None:
    answer = await client.request(method, "/open-api/v2" + path.format(id=1), json=BODIES.get(method))
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if "{id}" in op[1]])
async def test_a_foreign_brands_endpoint_is_404(
    client: httpx.AsyncClient, v2: ApiClient, receiver: Receiver, method: str, path: str
) -> None:
    """demo-other's client cannot see, change or ping the demo brand's endpoint (its ping: 403 first,
    demo-other is no test brand)."""
    mine = await make_endpoint(v2, receiver.url())
    other = await ApiClient.login(client, "v2", **OTHER_BRAND_LOGIN)
    body = {"event_id": "evt_0000000000000001"} if path.endswith("redeliver") else BODIES.get(method)
    if path.endswith(("/rotate-secret", "/ping")):
        body = None
    answer = await other.request(method, path.format(id=mine["id"]), json=body)
    expected = 403 if path.endswith("/ping") else 404
    assert answer.status_code == expected, answer.text
    still = await v2.get(f"/webhook-endpoints/{mine['id']}")
    assert still.status_code == 200 and still.json()["data"]["url"] == mine["url"]


BAD_URLS = [
    ("not a url", "url"),
    ("ftp://example.com/hook", "url"),
    ("https://example.com/" + "a" * 10 * 1024, "url"),
    ("https://user:pass@example.com/hook", "url"),
    ("http://example.com/hook", "url"),  # http:// without the setting
    ("https://127.0.0.1/hook", "url"),
    ("https://10.1.2.3/hook", "url"),
    ("https://169.254.169.254/latest/meta-data", "url"),
    ("https://[::1]/hook", "url"),
    ("https://localhost/hook", "url"),
    ("https://\u00cf/hook", "url"),
    (12, "url"),
]


@pytest.fixture
def strict_settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, rate_limits="off", secret_key="test-secret-key-0123456789-abcdefgh")


@pytest.mark.parametrize(("url", "field"), BAD_URLS)
async def test_bad_urls_are_422_naming_url_and_store_nothing(
    strict_settings: Settings, url: Any, field: str
) -> None:
    from clopos_server.app import create_app

    app = create_app(strict_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            api = await ApiClient.login(http, "v2")
            answer = await api.post("/webhook-endpoints", json={"url": url, "events": ["*"]})
            assert answer.status_code == 422, answer.text
            assert error_fields(answer) == [field]
            assert await endpoint_count(app) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"url": "https://example.com/h", "events": ["order.eaten"]}, ["events[0]"]),
        ({"url": "https://example.com/h", "events": []}, ["events"]),
        ({"url": "https://example.com/h", "events": ["*", "order.created"]}, ["events"]),
        ({"url": "https://example.com/h", "events": ["order.created", "order.created"]}, ["events[1]"]),
        ({"url": "https://example.com/h"}, ["events"]),
        ({"events": ["*"]}, ["url"]),
        ({"url": "https://example.com/h", "events": ["*"], "venue_ids": [99]}, ["venue_ids[0]"]),
        ({"url": "https://example.com/h", "events": ["*"], "description": "x" * 501}, ["description"]),
    ],
)
async def test_bad_fields_are_422_naming_them(
    app: FastAPI, v2: ApiClient, body: dict[str, Any], fields: list[str]
) -> None:
    answer = await v2.post("/webhook-endpoints", json=body)
    assert answer.status_code == 422, answer.text
    assert error_fields(answer) == fields
    assert await endpoint_count(app) == 0


async def test_a_21st_endpoint_is_refused(app: FastAPI, v2: ApiClient, receiver: Receiver) -> None:
    for index in range(20):
        await make_endpoint(v2, receiver.url(f"/ok?n={index}"))
    answer = await v2.post("/webhook-endpoints", json={"url": receiver.url(), "events": ["*"]})
    assert answer.status_code == 422 and error_fields(answer) == ["body"], answer.text
    assert await endpoint_count(app) == 20


async def test_bad_path_ids_and_patch_input(v2: ApiClient, receiver: Receiver) -> None:
    assert (await v2.get("/webhook-endpoints/abc")).status_code == 400
    endpoint = await make_endpoint(v2, receiver.url())
    answer = await v2.request("PATCH", f"/webhook-endpoints/{endpoint['id']}", json={"url": "gopher://x"})
    assert answer.status_code == 422 and error_fields(answer) == ["url"], answer.text
    answer = await v2.request("PATCH", f"/webhook-endpoints/{endpoint['id']}", json={"enabled": "maybe"})
    assert answer.status_code == 422 and error_fields(answer) == ["enabled"], answer.text
    redeliver = await v2.post(f"/webhook-endpoints/{endpoint['id']}/redeliver", json={"event_id": "nope"})
    assert redeliver.status_code == 422 and error_fields(redeliver) == ["event_id"], redeliver.text
    for no_event in ("evt_0000000000000000", "evt_ffffffffffffffff"):  # well-formed: no event has it
        redeliver = await v2.post(
            f"/webhook-endpoints/{endpoint['id']}/redeliver", json={"event_id": no_event}
        )
        assert_error(redeliver, 404, "resource_not_found")
    window = {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    redeliver = await v2.post(f"/webhook-endpoints/{endpoint['id']}/redeliver", json=window)
    assert redeliver.status_code == 422 and error_fields(redeliver) == ["until"], redeliver.text
    for path in (
        f"/webhook-endpoints/{endpoint['id']}/rotate-secret",
        f"/test-helpers/webhook-endpoints/{endpoint['id']}/ping",
    ):
        extra = await v2.post(path, json={"enabled": False})
        assert extra.status_code == 400 and error_fields(extra) == ["body"], extra.text
    unchanged = (await v2.get(f"/webhook-endpoints/{endpoint['id']}")).json()["data"]
    assert unchanged["url"] == endpoint["url"] and unchanged["enabled"] is True


async def test_happy_path(v2: ApiClient, receiver: Receiver) -> None:
    created = await make_endpoint(
        v2, receiver.url(), ["order.created", "receipt.closed"], description="kitchen", venue_ids=[1]
    )
    assert created["secret"].startswith("whsec_") and created["events"] == ["order.created", "receipt.closed"]
    assert created["venue_ids"] == [1] and created["enabled"] is True
    path = f"/webhook-endpoints/{created['id']}"
    shown = (await v2.get(path)).json()["data"]
    assert "secret" not in shown and shown["description"] == "kitchen"
    listed = (await v2.get("/webhook-endpoints")).json()
    assert listed["total"] == 1 and "secret" not in listed["data"][0]
    patched = await v2.request("PATCH", path, json={"events": ["*"], "enabled": False})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["enabled"] is False
    assert patched.json()["data"]["disabled_reason"] == "disabled by request"
    rotated = (await v2.post(f"{path}/rotate-secret")).json()["data"]
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_expires_at"]
    ping = await v2.post(f"/test-helpers{path}/ping")
    assert ping.status_code == 200, ping.text
    attempt = ping.json()["data"]
    assert attempt["response_status"] == 200 and attempt["attempt"] == 1
    received = await asyncio.to_thread(receiver.wait_for, lambda got: len(got) == 1)
    received[0].verify(rotated["secret"])  # both signatures during the overlap
    received[0].verify(created["secret"])
    assert received[0].json["type"] == "webhook.test"
    assert received[0].json["data"]["event_id"] == attempt["event_id"] == received[0].webhook_id
    attempts = (await v2.get(f"{path}/attempts")).json()
    assert attempts["total"] == 1 and attempts["data"][0]["id"] == attempt["id"]
    deleted = await v2.request("DELETE", path)
    assert deleted.status_code == 200
    assert (await v2.get(path)).status_code == 404
