"""Webhook fixtures: a real receiver, settings that allow it (http on 127.0.0.1) and a shortened retry
schedule, and a v2 client of the demo brand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clopos_server.settings import Settings
from tests.support.api import ApiClient
from tests.webhooks.receiver import Receiver, running_receiver

FAST = {
    "webhook_allow_http": True,
    "webhook_allow_private": True,
    "webhook_retry_schedule": "0.3,0.3,0.3",
    "webhook_poll_seconds": 0.05,
}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url, rate_limits="off", secret_key="test-secret-key-0123456789-abcdefgh", **FAST
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


async def make_endpoint(api: ApiClient, url: str, events: list[str] | None = None, **extra: Any) -> dict:
    answer = await api.post("/webhook-endpoints", json={"url": url, "events": events or ["*"], **extra})
    assert answer.status_code == 201, answer.text
    endpoint: dict = answer.json()["data"]
    return endpoint
