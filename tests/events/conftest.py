"""Fixtures of the event-log tests: a reader of the feed that waits (boundedly) for events to become
visible. The v2 integrators of both demo brands (``v2``, ``other_v2``) are the suite's (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.support.api import ApiClient

# On PostgreSQL an event is visible once every transaction older than its own has ended (any database of
# the server counts: other test processes share it), usually within milliseconds.
VISIBLE_WITHIN = 10.0


async def feed(api: ApiClient, **params: Any) -> dict[str, Any]:
    answer = await api.get("/events", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def events_until(api: ApiClient, count: int, **params: Any) -> list[dict[str, Any]]:
    """The feed's events (after ``params['after']``, default the start) once there are ``count``."""
    params.setdefault("after", "0")
    params.setdefault("limit", 100)
    deadline = time.monotonic() + VISIBLE_WITHIN
    while True:
        events: list[dict[str, Any]] = (await feed(api, **params))["data"]
        if len(events) >= count or time.monotonic() > deadline:
            assert len(events) == count, [(e["type"], e["cursor"]) for e in events]
            return events
        await asyncio.sleep(0.05)


async def now(api: ApiClient) -> str:
    """The cursor of the brand's newest visible event: what a test counts events after."""
    cursor: str = (await feed(api, limit=1))["next"]
    return cursor
