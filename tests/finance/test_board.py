"""The board's cash-shift page: open a shift with the drawer's cash, close it with the cash counted (the
difference stored), one open shift per terminal, CSRF, who may (owner, cashier; a role without
CASH_SHIFT_VIEW may not), the module off, another brand's shift not found."""

from __future__ import annotations

from decimal import Decimal

import httpx
from fastapi import FastAPI

from tests.finance.conftest import Change
from tests.support.api import ApiClient
from tests.support.board import CASHIER, OTHER_OWNER, BoardUser
from tests.support.lifecycle import create_order, money, order_body


async def _board(http: httpx.AsyncClient, **login: str) -> BoardUser:
    user = await BoardUser.signed_in(http, **login)
    page = await http.get("/board/cash-shift?venue=1")
    assert page.status_code == 200, page.text
    return user


async def _open_shifts(v2: ApiClient, terminal: int) -> list[dict[str, object]]:
    params = {"filters[terminal_id]": str(terminal), "filters[status]": "open"}
    data: list[dict[str, object]] = (await v2.get("/finance/cash-shifts", params=params)).json()["data"]
    return data


async def test_open_and_close_a_shift_on_the_board(
    client: httpx.AsyncClient, v2: ApiClient, app: FastAPI
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        owner = await _board(http)
        opened = await owner.act("/cash-shift/open", terminal=5, opening="20,50")
        assert opened.status_code == 303, opened.text
        [shift] = await _open_shifts(v2, 5)
        assert money(shift["opening_amount"]) == Decimal("20.50") and shift["opened_by"] == 1

        again = await owner.act("/cash-shift/open", terminal=5, opening="0")
        assert again.status_code == 409 and "already has an open cash shift" in again.json()["message"]

        v1 = await ApiClient.login(client, "v1")
        order = await create_order(v1, order_body(auto_order_accept=True))
        closed = await v2.post(
            f"/receipts/{order['receipt_id']}/close", json={"payment_methods": [{"id": 1, "amount": "16.20"}]}
        )
        assert closed.status_code == 200
        page = await http.get("/board/cash-shift?venue=1")
        assert "Terminal 5" in page.text and "36.70 AZN" in page.text

        shut = await owner.act("/cash-shift/close", uuid=shift["uuid"], counted="40")
        assert shut.status_code == 303, shut.text
        after = (await v2.get(f"/finance/cash-shifts/{shift['uuid']}")).json()["data"]
        assert after["closed_by"] == 1 and money(after["difference"]) == Decimal("3.30")
        twice = await owner.act("/cash-shift/close", uuid=shift["uuid"], counted="40")
        assert twice.status_code == 409 and "closed already" in twice.json()["message"]


async def test_the_board_refuses_what_it_must(v2: ApiClient, app: FastAPI, powerless_owner: Change) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        owner = await _board(http)
        assert (await owner.act("/cash-shift/open", csrf=None, terminal=6)).status_code == 403
        assert (await owner.act("/cash-shift/open", terminal=6, opening="-1")).status_code == 400
        assert (await owner.act("/cash-shift/open", terminal="x")).status_code == 400
        assert (await owner.act("/cash-shift/close", uuid="7", counted="1")).status_code == 400
        missing = await owner.act(
            "/cash-shift/close", uuid="00000000-0000-4000-8000-000000000000", counted="1"
        )
        assert missing.status_code == 404
        assert await _open_shifts(v2, 6) == []
        await powerless_owner()
        assert (await http.get("/board/cash-shift?venue=1")).status_code == 403
        assert (await owner.act("/cash-shift/open", terminal=6)).status_code == 403


async def test_a_cashier_works_the_till(v2: ApiClient, app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        cashier = await _board(http, **CASHIER)
        assert (await cashier.act("/cash-shift/open", terminal=7, opening="5")).status_code == 303
        [shift] = await _open_shifts(v2, 7)
        assert shift["opened_by"] == 2


async def test_another_brands_shift_is_not_found(v2: ApiClient, app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        owner = await _board(http)
        assert (await owner.act("/cash-shift/open", terminal=8, opening="0")).status_code == 303
    [shift] = await _open_shifts(v2, 8)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        other = await BoardUser.signed_in(http, **OTHER_OWNER)
        answer = await other.act("/cash-shift/close", uuid=shift["uuid"], counted="1")
        assert answer.status_code in (403, 404), answer.text  # the module (403) or the shift (404)
    assert len(await _open_shifts(v2, 8)) == 1


async def test_with_the_module_off_the_page_is_not_there(
    v2: ApiClient, app: FastAPI, without_module: Change
) -> None:
    await without_module("cash_shift")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        await BoardUser.signed_in(http)
        assert (await http.get("/board/cash-shift?venue=1")).status_code == 404
