"""The board's event stream, driven in process: live cards with the event log's cursor as their id,
keep-alives, catch-up from a cursor, wake-ups that only say "read the log" (whatever they carry), a stream
whose wake-ups are all lost, and the end of a session."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from clopos_server.board.live import BoardStream
from clopos_server.events.bus import channel_name
from clopos_server.events.log import latest_cursor
from clopos_server.services import Services
from tests.support.api import OTHER_BRAND_LOGIN, example
from tests.support.board import BoardUser, create_order


def services_of(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


async def next_chunk(stream: AsyncIterator[str], timeout: float = 3.0) -> str:
    return await asyncio.wait_for(stream.__anext__(), timeout)


def events_in(chunk: str) -> list[dict[str, Any]]:
    """``{event, id, data}`` of each event in a chunk (comments and retry lines are skipped)."""
    found = []
    for block in chunk.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in ("event", "id", "data"):
                fields[name] = json.loads(value) if name == "data" else value
        if "event" in fields:
            found.append(fields)
    return found


async def open_stream(app: FastAPI, since: int | None = None, **options: Any) -> AsyncIterator[str]:
    stream = BoardStream(services_of(app), 1, 1, "csrf-token", **options).events(since)
    assert (await next_chunk(stream)).startswith("retry: ")
    return stream


async def test_a_new_order_arrives_as_a_card_with_an_increasing_event_id(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    stream = await open_stream(app)
    assert (await next_chunk(stream)).startswith(": connected")
    order = await create_order(client, "", example("create-order.v2.request.json"))
    (event,) = events_in(await next_chunk(stream, 1.0))
    assert event["event"] == "order"
    card = event["data"]
    assert (card["id"], card["status"], card["column"]) == (order["id"], "PENDING", "PENDING")
    assert int(event["id"]) > 0 and card["version"] > 0
    assert "A-1024" in card["html"] and 'value="csrf-token"' in card["html"]

    board = await BoardUser.signed_in(client)
    await board.act(f"/orders/{order['id']}/accept")
    (moved,) = events_in(await next_chunk(stream, 1.0))
    assert moved["data"]["column"] == "RECEIVED"
    assert int(moved["id"]) > int(event["id"])
    await stream.aclose()  # type: ignore[attr-defined]


async def test_an_idle_stream_sends_keep_alive_comments(app: FastAPI) -> None:
    stream = await open_stream(app, keepalive=0.05)
    assert (await next_chunk(stream)).startswith(": connected")
    assert await next_chunk(stream) == ": keep-alive\n\n"
    assert await next_chunk(stream) == ": keep-alive\n\n"
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_reconnect_catches_up_on_what_changed_since_its_last_event(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    services = services_of(app)
    async with services.db.read() as conn:
        before = await latest_cursor(conn, 1, 1)
    first = await create_order(client, "", example("create-order.v1.request.json"))
    second = await create_order(client, "", example("create-order.v2.request.json"))
    board = await BoardUser.signed_in(client)
    await board.act(f"/orders/{first['id']}/ignore", confirm="yes")

    stream = await open_stream(app, since=before)
    chunk = await next_chunk(stream)
    assert chunk.startswith(": connected, catching up")
    events = events_in(chunk)
    assert [(e["data"]["id"], e["data"]["status"]) for e in events] == [
        (second["id"], "PENDING"),
        (first["id"], "IGNORE"),
    ]
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids)
    await stream.aclose()  # type: ignore[attr-defined]

    caught_up = await open_stream(app, since=ids[-1])
    assert await next_chunk(caught_up) == ": connected, catching up\n\n"  # nothing after the last card
    await caught_up.aclose()  # type: ignore[attr-defined]

    unknown = await open_stream(app, since=ids[-1] + 1000)
    (reset,) = events_in(await next_chunk(unknown))
    assert reset["event"] == "reset"
    await unknown.aclose()  # type: ignore[attr-defined]


async def test_a_wake_up_only_makes_the_stream_read_the_log(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Whatever a note names (another brand's order, an order already sent), the stream sends what the log
    holds for its venue after its cursor, and nothing of another brand."""
    services = services_of(app)
    stream = await open_stream(app, poll=60)  # no polling here: only the wake-ups make it read
    await next_chunk(stream)  # connected
    other = await create_order(
        client,
        "",
        {
            "sale_type_id": 10000,
            "venue_id": 1,
            "customer": {"id": 0, "name": "Other guest", "phone": "+10000000001"},
            "products": [{"product_id": 10000, "count": 1}],
        },
        **OTHER_BRAND_LOGIN,
    )
    channel = channel_name(1, 1)
    with_cards = []
    mine = await create_order(client, "", example("create-order.v1.request.json"))
    services.events.deliver(channel, {"type": "order.created", "order_id": other["id"], "remote": True})
    while not with_cards:
        with_cards = events_in(await next_chunk(stream))
    assert [e["data"]["id"] for e in with_cards] == [mine["id"]]  # demo-other's order is not openapitest's
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_stream_whose_wake_ups_are_all_lost_still_shows_every_order(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wake-up channel cut (as with Redis hung): the stream reads the log every second anyway."""
    services = services_of(app)
    monkeypatch.setattr(services.events, "deliver", lambda channel, event: None)
    stream = await open_stream(app)
    await next_chunk(stream)
    created = [
        (await create_order(client, "", example("create-order.v1.request.json")))["id"] for _ in range(3)
    ]
    seen: list[int] = []
    while len(seen) < 3:
        seen += [e["data"]["id"] for e in events_in(await next_chunk(stream, 2.5)) if e["event"] == "order"]
    assert seen == created
    await stream.aclose()  # type: ignore[attr-defined]


async def test_resync_makes_open_streams_catch_up(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = services_of(app)
    stream = await open_stream(app)
    await next_chunk(stream)
    with monkeypatch.context() as patch:  # the order's event is lost, as while a transport was down
        patch.setattr(services.events, "deliver", lambda channel, event: None)
        order = await create_order(client, "", example("create-order.v1.request.json"))
    services.events.broadcast({"type": "resync"})  # what a transport does once it is back
    resent = events_in(await next_chunk(stream))
    assert [e["data"]["id"] for e in resent] == [order["id"]]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_stream_ends_when_its_session_does(app: FastAPI) -> None:
    allowed = [True]

    async def still_allowed() -> bool:
        return allowed[0]

    stream = await open_stream(app, keepalive=0.05, still_allowed=still_allowed)
    await next_chunk(stream)
    assert await next_chunk(stream) == ": keep-alive\n\n"
    allowed[0] = False
    (signout,) = events_in(await next_chunk(stream))
    assert signout["event"] == "signout"
    try:
        await next_chunk(stream)
    except StopAsyncIteration:
        pass
    else:
        raise AssertionError("the stream went on after the session ended")


async def test_unsubscribing_leaves_no_channel_behind(app: FastAPI) -> None:
    services = services_of(app)
    stream = await open_stream(app)
    await next_chunk(stream)
    assert channel_name(1, 1) in services.events._subscribers
    await stream.aclose()  # type: ignore[attr-defined]
    assert channel_name(1, 1) not in services.events._subscribers
