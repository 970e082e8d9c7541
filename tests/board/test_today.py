"""The "today" page over HTTP: the business day's counts by status, revenue of closed receipts, average
waits, and the search by number, customer name or phone."""

from __future__ import annotations

import re

import httpx

from tests.support.api import example
from tests.support.board import BoardUser, create_order

LEYLA = {
    "sale_type_id": 3,
    "venue_id": 1,
    "customer": {"id": 0, "name": "Leyla Mammadova", "phone": "+994501234567"},
    "products": [{"product_id": 103, "count": 1}],
}


def stat(page: str, key: str) -> str:
    found = re.search(rf'data-stat="{key}">([^<]*)<', page)
    assert found, key
    return found.group(1)


def listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-order="(\d+)"', page)]


async def test_the_day_in_numbers_and_the_search(client: httpx.AsyncClient) -> None:
    closed = await create_order(client, "", example("create-order.v1.request.json"))
    numbered = await create_order(client, "", example("create-order.v2.request.json"))
    leyla = await create_order(client, "", LEYLA)
    ignored = await create_order(client, "", example("create-order.v1.request.json"))
    board = await BoardUser.signed_in(client)
    await board.act(f"/orders/{closed['id']}/accept")
    receipt = await client.get(f"/board/orders/{closed['id']}/print/receipt")
    receipt_id = re.search(r"Receipt #(\d+) open", receipt.text).group(1)  # type: ignore[union-attr]
    assert (await board.act(f"/receipts/{receipt_id}/close", pm_1="16.20")).status_code == 200
    await board.act(f"/orders/{ignored['id']}/ignore", confirm="yes")

    page = await client.get("/board/today?venue=1")
    assert page.status_code == 200
    text = page.text
    assert (stat(text, "PENDING"), stat(text, "RECEIVED"), stat(text, "DELIVERED"), stat(text, "IGNORE")) == (
        "2",
        "0",
        "1",
        "1",
    )
    assert stat(text, "closed") == "1" and stat(text, "revenue") == "16.20 AZN"
    assert re.fullmatch(r"\d+ s|\d+ min \d\d s", stat(text, "to-accept"))
    assert re.fullmatch(r"\d+ s|\d+ min \d\d s", stat(text, "to-deliver"))
    assert listed(text) == [ignored["id"], leyla["id"], numbered["id"], closed["id"]]  # newest first

    async def search(query: str) -> list[int]:
        answer = await client.get("/board/today", params={"venue": "1", "q": query})
        assert answer.status_code == 200
        return listed(answer.text)

    assert await search("a-1024") == [numbered["id"]]
    assert await search("leyla") == [leyla["id"]]
    assert await search("50 123") == [leyla["id"]]  # the digits of the phone
    assert await search(f"#{closed['id']}") == [closed["id"]]
    nobody = await client.get("/board/today", params={"venue": "1", "q": "<nobody>"})
    assert listed(nobody.text) == [] and "No order of today matches “&lt;nobody&gt;”" in nobody.text


async def test_the_today_page_needs_a_session_and_a_venue_of_the_user(client: httpx.AsyncClient) -> None:
    assert (await client.get("/board/today?venue=1")).status_code == 303
    await BoardUser.signed_in(client, username="cashier", password="cashier-demo-1")
    assert (await client.get("/board/today?venue=1")).status_code == 200
    assert (await client.get("/board/today?venue=2")).status_code == 404  # not the cashier's venue
