"""``clopos-server webhooks ...`` against the app's database: an endpoint added by the CLI for the demo
API client is the API's too, and the app signs with the secret the CLI printed (both derive the sealing
key from the same server key); disable, enable, rotate, redeliver, attempts; refusals exit 1."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from clopos_server import cli
from clopos_server.settings import Settings, get_settings
from tests.support.api import DEMO_LOGIN, ApiClient
from tests.webhooks.receiver import Receiver


async def test_cli_manages_endpoints(
    settings: Settings, v2: ApiClient, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOPOS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CLOPOS_SECRET_KEY", settings.secret_key or "")
    monkeypatch.setenv("CLOPOS_WEBHOOK_ALLOW_HTTP", "true")
    monkeypatch.setenv("CLOPOS_WEBHOOK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    runner = CliRunner()

    async def invoke(*args: str, code: int = 0) -> str:
        result = await asyncio.to_thread(runner.invoke, cli.app, ["webhooks", *args])
        assert result.exit_code == code, result.output
        return result.output

    try:
        added = json.loads(
            await invoke(
                "add", "--brand", "openapitest", "--url", receiver.url(), "--client", DEMO_LOGIN["client_id"]
            )
        )
        assert added["secret"].startswith("whsec_")
        listed = [json.loads(line) for line in (await invoke("list", "--brand", "openapitest")).splitlines()]
        assert [e["id"] for e in listed] == [added["id"]] and "secret" not in listed[0]
        ping = await v2.post(f"/test-helpers/webhook-endpoints/{added['id']}/ping")
        assert ping.status_code == 200 and ping.json()["data"]["response_status"] == 200, ping.text
        received = await asyncio.to_thread(receiver.wait_for, lambda got: len(got) == 1)
        received[0].verify(added["secret"])
        assert json.loads(await invoke("disable", str(added["id"])))["enabled"] is False
        assert json.loads(await invoke("enable", str(added["id"])))["enabled"] is True
        rotated = json.loads(await invoke("rotate-secret", str(added["id"])))
        assert rotated["secret"] != added["secret"]
        attempts = [json.loads(line) for line in (await invoke("attempts", str(added["id"]))).splitlines()]
        assert [a["response_status"] for a in attempts] == [200]
        window = ("--since", "2026-01-01T00:00:00Z", "--until", "2026-01-02T00:00:00Z")
        assert json.loads(await invoke("redeliver", str(added["id"]), *window))["queued"] == 0
        refused = await invoke("add", "--brand", "openapitest", "--url", "ftp://x", code=1)
        assert "url" in refused
        assert "No webhook endpoint 999" in await invoke("disable", "999", code=1)
    finally:
        get_settings.cache_clear()
