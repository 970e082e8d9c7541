"""The board's buttons over HTTP, as its script sends them: accept, ignore (confirmed), deliver, close a
receipt with payments, and the stop list. The rules are the lifecycle's; these check the wiring."""

from __future__ import annotations

import re

import httpx

from tests.support.api import V1Client, example
from tests.support.board import BoardUser, create_order


def _section(page: str, column: str) -> str:
    start = page.index(f'id="col-{column}"')
    end = page.find('<section class="column', start)
    return page[start : end if end != -1 else len(page)]


async def test_accept_then_close_the_receipt_with_cash_moves_the_card_along(
    client: httpx.AsyncClient, v1: V1Client
) -> None:
    order = await create_order(client, "", example("create-order.v2.request.json"))
    board = await BoardUser.signed_in(client)
    page = (await board.page()).text
    assert f'id="order-{order["id"]}"' in _section(page, "PENDING")
    for text in (
        "A-1024",
        "Rahid Akhundzada",
        "Delivery",
        "Pizza",
        "+ Extra Cheese",
        "No onions",
        "Leave at the door",
        "123 Main St",
        "19.51",
        "Delivery fee",
        "Service charge",
    ):
        assert text in _section(page, "PENDING"), text

    accepted = await board.act(f"/orders/{order['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    card = accepted.json()["card"]
    assert (card["status"], card["column"]) == ("RECEIVED", "RECEIVED")
    receipt_id = int(re.search(r"Receipt #(\d+) open", card["html"]).group(1))  # type: ignore[union-attr]
    assert 'name="pm_1"' in card["html"] and 'value="19.51"' in card["html"]  # Cash, prefilled
    page = (await board.page()).text
    assert f'id="order-{order["id"]}"' in _section(page, "RECEIVED")

    again = await board.act(f"/orders/{order['id']}/accept")
    assert again.status_code == 409
    assert "RECEIVED" in again.json()["message"]

    short = await board.act(f"/receipts/{receipt_id}/close", pm_1="10.00", pm_2="")
    assert short.status_code == 400, short.text
    nothing = await board.act(f"/receipts/{receipt_id}/close", pm_1="", pm_2="0")
    assert nothing.status_code == 400 and "at least one" in nothing.json()["message"]

    closed = await board.act(f"/receipts/{receipt_id}/close", pm_1="19.51", pm_2="")
    assert closed.status_code == 200, closed.text
    card = closed.json()["card"]
    assert (card["status"], card["column"]) == ("DELIVERED", "DONE")
    assert "closed: Cash 19.51" in card["html"]
    page = (await board.page()).text
    assert f'id="order-{order["id"]}"' in _section(page, "DONE")

    read = await v1.get(f"/orders/{order['id']}?with[]=history&with[]=receipt")
    data = read.json()["data"]
    assert data["status"] == "DELIVERED"
    assert data["receipt"]["status"] == 2
    assert data["receipt"]["payment_methods"] == [{"id": 1, "name": "Cash", "amount": 19.51}]
    assert [(h["status"], h["by"]) for h in data["history"]][1:] == [
        ("RECEIVED", "staff:1"),
        ("DELIVERED", "staff:1"),
    ]


async def test_split_payment_and_deliver_without_closing(client: httpx.AsyncClient, v1: V1Client) -> None:
    first = await create_order(client, "", example("create-order.v1.request.json"))
    second = await create_order(client, "", example("create-order.v1.request.json"))
    board = await BoardUser.signed_in(client)
    await board.act(f"/orders/{first['id']}/accept")
    receipt_id = (await v1.get(f"/orders/{first['id']}")).json()["data"]["receipt_id"]
    split = await board.act(f"/receipts/{receipt_id}/close", pm_1="6.20", pm_2="10")
    assert split.status_code == 200, split.text
    assert "Cash 6.20 AZN, Card 10.00 AZN" in split.json()["card"]["html"]

    await board.act(f"/orders/{second['id']}/accept")
    delivered = await board.act(f"/orders/{second['id']}/deliver")
    assert delivered.status_code == 200
    assert delivered.json()["card"]["status"] == "DELIVERED"
    assert "Receipt #" in delivered.json()["card"]["html"] and "open" in delivered.json()["card"]["html"]


async def test_ignore_needs_a_confirmation(client: httpx.AsyncClient) -> None:
    order = await create_order(client, "", example("create-order.v1.request.json"))
    board = await BoardUser.signed_in(client)
    unconfirmed = await board.act(f"/orders/{order['id']}/ignore")
    assert unconfirmed.status_code == 400 and "Confirm" in unconfirmed.json()["message"]
    ignored = await board.act(f"/orders/{order['id']}/ignore", confirm="yes")
    assert ignored.status_code == 200
    assert ignored.json()["card"]["column"] == "DONE"
    assert "Ignored" in ignored.json()["card"]["html"]
    late = await board.act(f"/orders/{order['id']}/accept")
    assert late.status_code == 409 and "IGNORE" in late.json()["message"]
    missing = await board.act("/orders/999999/accept")
    assert missing.status_code == 404


async def test_a_plain_form_post_redirects_back_to_the_board(client: httpx.AsyncClient) -> None:
    order = await create_order(client, "", example("create-order.v1.request.json"))
    board = await BoardUser.signed_in(client)
    answer = await client.post(f"/board/orders/{order['id']}/accept", data={"csrf": board.csrf, "venue": "1"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/board?venue=1"


async def test_the_stop_list_panel_sets_and_clears_limits(client: httpx.AsyncClient, v1: V1Client) -> None:
    board = await BoardUser.signed_in(client)
    page = (await board.page()).text
    assert "Ayran" in page and "sold out" in page and "Baklava" in page and "3 left" in page

    limited = await board.act("/stop-list", product_id=102, limit=2)
    assert limited.status_code == 200, limited.text
    assert limited.json()["stop_count"] == 3
    assert "Pizza Margherita" in limited.json()["stop_list"] and "2 left" in limited.json()["stop_list"]
    stop = (await v1.get("/products/stop-list")).json()["data"]
    assert {row["id"]: row["limit"] for row in stop}[102] == 2

    cleared = await board.act("/stop-list/clear", product_id=54)
    assert cleared.status_code == 200
    assert cleared.json()["stop_count"] == 2 and 'data-product="54"' not in cleared.json()["stop_list"]
    stop = (await v1.get("/products/stop-list")).json()["data"]
    assert 54 not in {row["id"] for row in stop}

    assert (await board.act("/stop-list", product_id=999999, limit=1)).status_code == 404
    assert (await board.act("/stop-list", product_id=102, limit=-1)).status_code == 400
    assert (await board.act("/stop-list", product_id=102, limit="many")).status_code == 400


async def test_the_static_assets_are_served_with_validators(client: httpx.AsyncClient) -> None:
    script = await client.get("/board/static/board.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    again = await client.get("/board/static/board.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    assert (await client.get("/board/static/board.css")).status_code == 200
    assert (await client.get("/board/static/../app.py")).status_code == 404
    assert (await client.get("/board/static/secrets.txt")).status_code == 404


async def test_the_favicon_is_served_from_the_package(client: httpx.AsyncClient) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"
    page = (await client.get("/board/login")).text
    assert '<link rel="icon" href="/favicon.ico">' in page


async def test_the_stop_list_form_needs_a_product_chosen(client: httpx.AsyncClient, v1: V1Client) -> None:
    board = await BoardUser.signed_in(client)
    page = (await board.page()).text
    assert '<option value="" selected disabled>Choose a product</option>' in page
    assert 'name="limit" min="0" step="1" value=""' in page
    answer = await board.act("/stop-list", product_id="", limit=0)
    assert answer.status_code == 400 and answer.json()["message"] == "Choose a product first."
    stop = (await v1.get("/products/stop-list")).json()["data"]
    assert len(stop) == 2  # nothing written


async def test_the_print_pages_are_the_viewers_orders_only(client: httpx.AsyncClient) -> None:
    order = await create_order(client, "", example("create-order.v2.request.json"))
    assert (await client.get(f"/board/orders/{order['id']}/print/ticket")).status_code == 303  # sign in
    board = await BoardUser.signed_in(client)
    ticket = await client.get(f"/board/orders/{order['id']}/print/ticket")
    assert ticket.status_code == 200
    assert "Kitchen ticket A-1024" in ticket.text and "+ Extra Cheese" in ticket.text
    assert "19.51" not in ticket.text
    receipt = await client.get(f"/board/orders/{order['id']}/print/receipt")
    assert receipt.status_code == 200 and "19.51 AZN" in receipt.text
    for path in (
        f"/orders/{order['id']}/print/menu",
        "/orders/999999/print/ticket",
        "/orders/x/print/ticket",
    ):
        assert (await client.get(f"/board{path}")).status_code == 404, path
    assert board.csrf


async def test_a_card_shows_its_timeline_with_who_accepted(client: httpx.AsyncClient) -> None:
    order = await create_order(client, "", example("create-order.v1.request.json"))
    board = await BoardUser.signed_in(client)
    html = (await board.act(f"/orders/{order['id']}/accept")).json()["card"]["html"]
    timeline = html[html.index('<details class="timeline">') :]
    assert re.search(r'data-step="PENDING"><time [^>]+>\d\d:\d\d</time> Arrived', timeline)
    assert re.search(
        r'data-step="RECEIVED"><time [^>]+>\d\d:\d\d</time> Accepted <span class="by">by Clopos', timeline
    )
