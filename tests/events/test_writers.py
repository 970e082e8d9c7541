"""Every writer records its event in the change's own transaction, with the object as GET by id renders it."""

from __future__ import annotations

from typing import Any

from tests.events.conftest import events_until, now
from tests.support.api import ApiClient, example
from tests.support.lifecycle import create_order


async def read_back(api: ApiClient, path: str) -> dict[str, Any]:
    answer = await api.get(path)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_order_created_rides_with_the_order(v2: ApiClient) -> None:
    start = await now(v2)
    order = await create_order(v2, example("create-order.v1.request.json"))
    [event] = await events_until(v2, 1, after=start)
    assert (event["type"], event["venue_id"]) == ("order.created", order["venue_id"])
    assert event["data"] == {"object": await read_back(v2, f"/orders/{order['id']}")}
    assert event["created_at"] == order["created_at"]
