"""The events feed over HTTP (v2): paging by cursor, filters, one event, the token's brand only, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.events.conftest import events_until, feed, now
from tests.support.api import ApiClient, assert_error


async def new_customer(api: ApiClient, name: str = "Feed Reader") -> dict[str, Any]:
    answer = await api.post(
        "/customers", json={"name": name, "phone": f"+99450{uuid.uuid4().int % 10**7:07d}"}
    )
    assert answer.status_code == 200, answer.text
    customer: dict[str, Any] = answer.json()["data"]
    return customer


async def test_an_event_carries_the_object_as_read_by_id(v2: ApiClient) -> None:
    start = await now(v2)
    customer = await new_customer(v2)
    [event] = await events_until(v2, 1, after=start, **{"types[]": "customer.created"})
    assert event["type"] == "customer.created"
    assert event["id"].startswith("evt_") and len(event["id"]) == 20
    assert event["brand_id"] == 1 and event["venue_id"] == customer["venue_id"]
    assert event["data"] == {"object": (await v2.get(f"/customers/{customer['id']}")).json()["data"]}
    one = await v2.get(f"/events/{event['id']}")
    assert one.status_code == 200, one.text
    assert one.json()["data"] == event


async def test_keyset_pages_oldest_first(v2: ApiClient) -> None:
    start = await now(v2)
    names = [f"Paged {i}" for i in range(5)]
    for name in names:
        await new_customer(v2, name)
    everything = await events_until(v2, 5, after=start)
    assert [e["data"]["object"]["name"] for e in everything] == names
    cursors = [int(e["cursor"]) for e in everything]
    assert cursors == sorted(cursors) and len(set(cursors)) == 5
    first = await feed(v2, after=start, limit=2)
    assert [e["cursor"] for e in first["data"]] == [str(c) for c in cursors[:2]]
    assert first["has_more"] is True and first["next"] == str(cursors[1])
    second = await feed(v2, after=first["next"], limit=2)
    third = await feed(v2, after=second["next"], limit=2)
    assert [e["cursor"] for e in second["data"] + third["data"]] == [str(c) for c in cursors[2:]]
    assert third["has_more"] is False
    last = await feed(v2, after=third["next"])
    assert last == {**last, "data": [], "next": third["next"], "has_more": False}


async def test_without_after_the_newest_page_oldest_first(v2: ApiClient) -> None:
    start = await now(v2)
    for i in range(4):
        await new_customer(v2, f"Newest {i}")
    await events_until(v2, 4, after=start)
    newest = await feed(v2, limit=3)
    assert [e["data"]["object"]["name"] for e in newest["data"]] == ["Newest 1", "Newest 2", "Newest 3"]
    assert newest["next"] == newest["data"][-1]["cursor"] and newest["has_more"] is False
    await new_customer(v2, "Later")
    [later] = await events_until(v2, 1, after=newest["next"])
    assert later["data"]["object"]["name"] == "Later"


async def test_filters_by_type_and_venue(v2: ApiClient) -> None:
    start = await now(v2)
    await new_customer(v2)
    await events_until(v2, 1, after=start)
    assert (await feed(v2, after=start, **{"types[]": ["order.created", "receipt.closed"]}))["data"] == []
    assert len((await feed(v2, after=start, **{"types[]": ["customer.created"]}))["data"]) == 1
    assert (await feed(v2, after=start, venue_id=2))["data"] == []
    assert len((await feed(v2, after=start, venue_id=1))["data"]) == 1


async def test_the_token_brand_only(v2: ApiClient, other_v2: ApiClient) -> None:
    others = (await feed(other_v2, after="0"))["data"]
    start = await now(v2)
    await new_customer(v2)
    [event] = await events_until(v2, 1, after=start)
    assert (await feed(other_v2, after="0"))["data"] == others
    assert all(e["brand_id"] == 2 for e in others)
    foreign = await other_v2.get(f"/events/{event['id']}")
    assert_error(foreign, 404, "resource_not_found")


async def test_no_token(client: httpx.AsyncClient) -> None:
    for path in ("/open-api/v2/events", "/open-api/v2/events/evt_0000000000000001"):
        answer = await client.get(path)
        assert answer.status_code == 401, answer.text


async def test_v2_only(v2: ApiClient, client: httpx.AsyncClient) -> None:
    answer = await client.get("/open-api/events", headers={"x-token": v2.token})
    assert answer.status_code in (401, 404), answer.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "abc"}, "query.after"),
        ({"after": "-1"}, "query.after"),
        ({"after": "1" * 20}, "query.after"),
        ({"after[x]": "1"}, "query.after"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "101"}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
        ({"types[]": "order.eaten"}, "query.types"),
        ({"types[]": "webhook.test"}, "query.types"),
        ({"venue_id": "0"}, "query.venue_id"),
        ({"venue_id": "x"}, "query.venue_id"),
    ],
)
async def test_bad_input_names_the_field(v2: ApiClient, params: dict[str, Any], field: str) -> None:
    answer = await v2.get("/events", params=params)
    assert_error(answer, 400, "invalid_parameter")
    assert [e["field"] for e in answer.json()["error"]] == [field]


@pytest.mark.parametrize("event_id", ["1", "evt_", "evt_XYZ0000000000001", "evt_00000000000000001"])
async def test_a_bad_event_id_is_a_400(v2: ApiClient, event_id: str) -> None:
    answer = await v2.get(f"/events/{event_id}")
    assert_error(answer, 400, "invalid_parameter")
    assert [e["field"] for e in answer.json()["error"]] == ["path.event_id"]


@pytest.mark.parametrize(
    "event_id",
    # the document allows any 16 hex digits: 0 and values past a BIGINT are ids no event has
    ["evt_7fffffffffffffff", "evt_0000000000000000", "evt_8000000000000000", "evt_ffffffffffffffff"],
)
async def test_a_well_formed_unknown_event_id_is_a_404(v2: ApiClient, event_id: str) -> None:
    assert_error(await v2.get(f"/events/{event_id}"), 404, "resource_not_found")
