"""``POST /open-api/v2/waiter-call`` with every rule of spec/backoffice.md, and the call on the venue's
board: in the page, live on the stream at once, acknowledged (once) from the board; the events in the log;
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from clopos_server.board.live import BoardStream
from clopos_server.db.models import Brand
from tests.inventory.conftest import Change, services_of
from tests.support.api import ApiClient, assert_error, error_fields
from tests.support.board import OTHER_OWNER, BoardUser
from tests.support.lifecycle import switch_payment_method


async def test_a_waiter_call_succeeds(v2: ApiClient) -> None:
    answer = await v2.post("/waiter-call", json={"table_id": 1, "type": "WAITER"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True
    assert (body["data"]["table_name"], body["data"]["venue_id"], body["data"]["type"]) == ("T1", 1, "WAITER")


async def test_pay_with_the_venues_cash_or_card(v2: ApiClient) -> None:
    for method in (1, 2):
        answer = await v2.post("/waiter-call", json={"table_id": 5, "type": "PAY", "payment_method": method})
        assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["payment_method_name"] == "Card"


REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"table_id": 999, "type": "WAITER"}, "table_id"),
    ({"table_id": 10000, "type": "WAITER"}, "table_id"),  # the other brand's table
    ({"table_id": 1, "type": "DANCE"}, "type"),
    ({"table_id": 1}, "type"),
    ({"type": "WAITER"}, "table_id"),
    ({"table_id": "abc", "type": "WAITER"}, "table_id"),
    ({"table_id": 1, "type": "PAY"}, "payment_method"),
    ({"table_id": 1, "type": "PAY", "payment_method": 3}, "payment_method"),  # customer balance: system
    ({"table_id": 1, "type": "PAY", "payment_method": 99}, "payment_method"),
    ({"table_id": 1, "type": "WAITER", "payment_method": 1}, "payment_method"),
]


@pytest.mark.parametrize(("body", "field"), REFUSED, ids=[f for _, f in REFUSED])
async def test_refusals_are_400_success_false_naming_the_field(
    v2: ApiClient, body: dict[str, Any], field: str
) -> None:
    answer = await v2.post("/waiter-call", json=body)
    assert_error(answer, 400, "validation_failed")
    assert answer.json()["success"] is False and field in error_fields(answer)


async def test_a_payment_method_disabled_at_the_venue_is_refused(v2: ApiClient, db_url: str) -> None:
    await switch_payment_method(db_url, 2, 1, 0)
    answer = await v2.post("/waiter-call", json={"table_id": 1, "type": "PAY", "payment_method": 2})
    assert_error(answer, 400, "validation_failed")


async def test_guards(
    client: httpx.AsyncClient, v2: ApiClient, v1: ApiClient, revoke_scope: Change, app: FastAPI
) -> None:
    call = {"table_id": 1, "type": "WAITER"}
    assert_error(await client.post("/open-api/v2/waiter-call", json=call), 401, "unauthorized")
    assert (await v1.post("/waiter-call", json=call)).status_code == 404
    assert_error(await v2.post("/waiter-call", content=b"[1]"), 400, "validation_failed")
    await revoke_scope("waiter-call:write")
    body = assert_error(await v2.post("/waiter-call", json=call), 403, "forbidden")
    assert body["message"] == "Integrator lacks scope waiter-call:write"
    services = services_of(app)
    async with services.db.write() as conn:
        await conn.execute(update(Brand).where(Brand.slug == "openapitest").values(modules=["cash_shift"]))
    await services.directory.refresh(services.db)
    body = assert_error(await v2.post("/waiter-call", json=call), 403, "forbidden")
    assert body["message"] == "Module restaurant_emenu is not available"


async def next_chunk(stream: AsyncIterator[str], timeout: float = 3.0) -> str:
    return await asyncio.wait_for(stream.__anext__(), timeout)


def events_of(chunk: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in chunk.split("\n\n"):
        fields = dict(line.partition(": ")[::2] for line in block.splitlines() if ": " in line)
        if fields.get("event") == name:
            found.append((fields.get("id", ""), json.loads(fields["data"])))
    return found


async def test_the_call_is_on_the_board_live_until_acknowledged(
    app: FastAPI, client: httpx.AsyncClient, v2: ApiClient
) -> None:
    stream = BoardStream(services_of(app), 1, 1, "csrf-token").events(None)
    assert (await next_chunk(stream)).startswith("retry: ")
    assert (await next_chunk(stream)).startswith(": connected")
    call = (await v2.post("/waiter-call", json={"table_id": 2, "type": "WAITER"})).json()["data"]
    ((seq, data),) = events_of(await next_chunk(stream, 2.0), "waiter_call")
    assert int(seq) > 0 and data["call"]["id"] == call["id"]
    assert f'data-call="{call["id"]}"' in data["html"] and "Acknowledge" in data["html"]
    assert data["announce"] == "T2 calls: Waiter"

    board = await BoardUser.signed_in(client)
    page = (await board.page(1)).text
    assert (
        'id="calls"' in page and f'data-call="{call["id"]}"' in page and 'href="/board/stock?venue=1"' in page
    )
    acknowledged = await board.act(f"/waiter-calls/{call['id']}/ack")
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["waiter_call"]["html"] == ""
    ((later, gone),) = events_of(await next_chunk(stream, 2.0), "waiter_call")
    assert int(later) > int(seq) and gone["html"] == "" and gone["call"]["acknowledged_by"] == 1
    assert f'data-call="{call["id"]}"' not in (await board.page(1)).text
    again = await board.act(f"/waiter-calls/{call['id']}/ack")
    assert again.status_code == 409 and "already acknowledged" in again.json()["message"]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_reconnecting_board_catches_up_with_calls(app: FastAPI, v2: ApiClient) -> None:
    first = BoardStream(services_of(app), 1, 1, "csrf-token").events(None)
    await next_chunk(first)
    await next_chunk(first)
    await first.aclose()  # type: ignore[attr-defined]
    async with services_of(app).db.read() as conn:
        from clopos_server.events.log import latest_cursor

        since = await latest_cursor(conn, 1, 1)
    await v2.post("/waiter-call", json={"table_id": 3, "type": "PAY", "payment_method": 1})
    stream = BoardStream(services_of(app), 1, 1, "csrf-token").events(since)
    await next_chunk(stream)
    ((_, data),) = events_of(await next_chunk(stream), "waiter_call")
    assert data["call"]["table_name"] == "T3" and data["announce"] == "T3 calls: Bill (Cash)"
    await stream.aclose()  # type: ignore[attr-defined]


async def test_another_venue_or_brand_cannot_acknowledge(
    app: FastAPI, client: httpx.AsyncClient, v2: ApiClient
) -> None:
    call = (await v2.post("/waiter-call", json={"table_id": 7, "type": "WAITER"})).json()["data"]
    assert call["venue_id"] == 2  # Baku's hall
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as own_cookies:
        other = await BoardUser.signed_in(own_cookies, **OTHER_OWNER)
        assert (await other.act(f"/waiter-calls/{call['id']}/ack")).status_code == 404
        assert (await other.act("/waiter-calls/abc/ack")).status_code == 404
    owner = await BoardUser.signed_in(client)
    assert (await owner.act(f"/waiter-calls/{call['id']}/ack", csrf="wrong")).status_code == 403
    assert (await owner.act(f"/waiter-calls/{call['id']}/ack")).status_code == 200


async def test_the_events_are_in_the_log(v2: ApiClient) -> None:
    call = (await v2.post("/waiter-call", json={"table_id": 4, "type": "WAITER"})).json()["data"]
    feed = await v2.get("/events", params={"types[]": "waiter_call.created"})
    assert feed.status_code == 200, feed.text
    assert [e["data"]["object"]["id"] for e in feed.json()["data"]][-1] == call["id"]
