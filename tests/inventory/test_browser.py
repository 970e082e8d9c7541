"""The waiter-call panel and the stock page in headless Chromium: a call made through the API appears on
an open board at once and leaves it when acknowledged; the board with a call waiting and the stock page
pass axe (no serious or critical WCAG 2 A/AA violation) and every control has a name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.board.pages import expect, fits_the_width, serious_violations, signed_in_page
from tests.board.test_browser_a11y import UNNAMED_CONTROLS
from tests.support.api import DEMO_V2_LOGIN
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow


async def call_a_waiter(base: str, table_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as http:
        token = (await http.post(f"{base}/open-api/v2/auth", json=DEMO_V2_LOGIN)).json()["token"]
        answer = await http.post(
            f"{base}/open-api/v2/waiter-call",
            json={"table_id": table_id, "type": "WAITER"},
            headers={"x-token": token},
        )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_a_call_shows_live_and_leaves_when_acknowledged(browser: Any, server: ServerProcess) -> None:
    page = await signed_in_page(browser, server.base_url, bypass_csp=True)
    await expect(page.locator("#calls")).to_be_hidden()
    call = await call_a_waiter(server.base_url, 2)
    item = page.locator(f'#call-list [data-call="{call["id"]}"]')
    await expect(item).to_be_visible(timeout=3000)
    await expect(item).to_contain_text("Table T2 · Main hall")
    await expect(page.locator("#announcer")).to_contain_text("T2 calls: Waiter")
    assert await serious_violations(page) == []
    assert await page.evaluate(UNNAMED_CONTROLS) == []
    assert await fits_the_width(page)
    await item.locator("button", has_text="Acknowledge").click()
    await expect(item).to_have_count(0, timeout=3000)
    await expect(page.locator("#calls")).to_be_hidden()


async def test_the_stock_page_passes_axe(browser: Any, server: ServerProcess) -> None:
    page = await signed_in_page(browser, server.base_url, bypass_csp=True)
    await page.goto(f"{server.base_url}/board/stock?venue=1")
    await expect(page.locator("h1")).to_contain_text("Stock")
    assert await serious_violations(page) == []
    assert await page.evaluate(UNNAMED_CONTROLS) == []
