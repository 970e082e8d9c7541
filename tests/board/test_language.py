"""The board in English and Azerbaijani, chosen per staff user: pages, cards, messages, printouts and the
today page in the user's language, with money as "16,20 ₼" and dates as "05.12.2026" in Azerbaijani."""

from __future__ import annotations

import re

import httpx

from tests.support.api import example
from tests.support.board import CASHIER, BoardUser, create_order


async def choose(board: BoardUser, lang: str, csrf: str | None = "") -> httpx.Response:
    headers = {} if csrf is None else {"X-CSRF-Token": csrf or board.csrf}
    return await board.http.post(
        f"{board.base}/board/language", data={"lang": lang, "venue": "1"}, headers=headers
    )


async def test_a_staff_user_reads_the_board_in_azerbaijani(client: httpx.AsyncClient) -> None:
    order = await create_order(client, "", example("create-order.v1.request.json"))
    board = await BoardUser.signed_in(client)
    page = (await board.page()).text
    assert '<html lang="en">' in page and ">Accept</button>" in page and "16.20 AZN" in page

    assert (await choose(board, "xx")).status_code == 400
    assert (await choose(board, "az", csrf=None)).status_code == 403
    chosen = await choose(board, "az")
    assert chosen.status_code == 303 and chosen.headers["location"] == "/board?venue=1"
    page = (await board.page()).text
    assert '<html lang="az">' in page
    for text in (
        ">Qəbul et</button>",
        ">İmtina et</button>",
        "16,20 ₼",
        "Ara cəm",
        ">Yeni<",
        "Sifariş yoxdur",
    ):
        assert text in page, text
    assert "16.20 AZN" not in page and "Sound" not in page
    assert "indicə" in page  # the script's words come with the page

    accepted = await board.act(f"/orders/{order['id']}/accept")
    assert accepted.json()["message"] == f"Sifariş #{order['id']} qəbul edildi"
    assert "Bağla · 16,20 ₼" in accepted.json()["card"]["html"]
    receipt_id = re.search(r"Çek #(\d+) açıqdır", accepted.json()["card"]["html"]).group(1)  # type: ignore[union-attr]
    short = await board.act(f"/receipts/{receipt_id}/close", pm_1="5")
    assert short.status_code == 400
    assert short.json()["message"] == (
        "Daxil edilən məbləğlərin cəmi 5,00 ₼, çekin cəmi isə 16,20 ₼: onlar bərabər olmalıdır."
    )
    assert (
        'name="pm_1" inputmode="decimal" autocomplete="off" value="16,20"' in accepted.json()["card"]["html"]
    )
    closed = await board.act(f"/receipts/{receipt_id}/close", pm_1="16,20")
    assert closed.status_code == 200 and closed.json()["message"] == f"Çek #{receipt_id} bağlandı"
    ticket = (await client.get(f"/board/orders/{order['id']}/print/ticket")).text
    assert "Mətbəx çeki #" in ticket and re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", ticket)
    today = (await client.get("/board/today?venue=1")).text
    assert (
        "Bu gün" in today
        and "Bugünkü sifarişlərdə axtar" in today
        and re.search(r"İş günü \d\d\.\d\d\.\d{4}", today)
    )

    # the choice is the user's: it survives signing in again, and another user keeps English
    await client.post("/board/logout", data={"csrf": board.csrf})
    again = await BoardUser.signed_in(client)
    assert '<html lang="az">' in (await again.page()).text
    await client.post("/board/logout", data={"csrf": again.csrf})
    cashier = await BoardUser.signed_in(client, **CASHIER)
    assert '<html lang="en">' in (await cashier.page()).text
