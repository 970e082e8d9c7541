"""Accessibility in headless Chromium: axe-core (shipped by a Python package, injected by the test, never
fetched) finds no serious or critical WCAG 2 A/AA violation on the sign-in page, the board with orders in
every column and the stop list open, and a printout; every control has a name, and a new order is
announced in a live region."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.board.pages import SHOWS, TABLET, card, expect, serious_violations, signed_in_page
from tests.support.api import example
from tests.support.board import create_order
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    "button, input:not([type=hidden]), select, a, summary")]
  .filter(el => el.getClientRects().length)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                && !el.getAttribute("aria-labelledby") && !el.textContent.trim())
  .map(el => el.outerHTML.slice(0, 120))"""


@pytest.mark.slow(seconds=15)
async def test_the_sign_in_page_and_the_board_pass_axe(browser: Any, server: ServerProcess) -> None:
    base = server.base_url
    context = await browser.new_context(bypass_csp=True)
    login = await context.new_page()
    await login.goto(f"{base}/board/login?brand=openapitest")
    assert await serious_violations(login) == []
    await login.fill('input[name="username"]', "owner")
    await login.fill('input[name="password"]', "wrong-password")
    await login.click('button[type="submit"]')
    await expect(login.locator(".error")).to_be_visible()
    assert await serious_violations(login) == []  # with the error shown
    await context.close()

    page = await signed_in_page(browser, base, bypass_csp=True)
    async with httpx.AsyncClient(timeout=10) as http:
        orders = [
            await create_order(http, base, example(name))
            for name in ("create-order.v1.request.json", "create-order.v2.request.json")
            for _ in range(2)
        ]
    for order in orders:
        await expect(card(page, "PENDING", order["id"])).to_be_visible(timeout=SHOWS)
    await expect(page.locator("#announcer")).to_contain_text("New order")  # said to screen readers
    await expect(page.locator("#announcer")).to_have_attribute("aria-live", "assertive")
    await card(page, "PENDING", orders[0]["id"]).locator("button", has_text="Accept").click()
    await card(page, "PENDING", orders[1]["id"]).locator("button", has_text="Accept").click()
    await card(page, "RECEIVED", orders[1]["id"]).locator("button", has_text="Mark delivered").click()
    await card(page, "RECEIVED", orders[0]["id"]).locator("form.act-close button").click()
    await expect(card(page, "DONE", orders[0]["id"])).to_be_visible(timeout=SHOWS)
    await card(page, "PENDING", orders[2]["id"]).locator("button", has_text="Ignore").click()  # confirm bar
    await card(page, "DONE", orders[0]["id"]).locator(".timeline summary").click()
    await expect(page.locator("#flash")).not_to_be_empty()
    assert await page.evaluate(UNNAMED_CONTROLS) == []
    assert await serious_violations(page) == []

    await page.click("#stoplist-toggle")
    await expect(page.locator("#stoplist")).to_be_visible()
    assert await serious_violations(page) == []
    await page.set_viewport_size(TABLET)
    assert await serious_violations(page) == []

    await page.goto(f"{base}/board/orders/{orders[0]['id']}/print/receipt")
    assert await serious_violations(page) == []
    await page.context.close()


async def test_the_today_page_searches_and_passes_axe(browser: Any, server: ServerProcess) -> None:
    base = server.base_url
    page = await signed_in_page(browser, base, bypass_csp=True)
    async with httpx.AsyncClient(timeout=10) as http:
        first = await create_order(http, base, example("create-order.v1.request.json"))
        numbered = await create_order(http, base, example("create-order.v2.request.json"))
    await expect(card(page, "PENDING", numbered["id"])).to_be_visible(timeout=SHOWS)
    await page.get_by_role("link", name="Today").click()
    await page.wait_for_url(f"{base}/board/today?venue=1")
    await expect(page.locator("#results tbody tr")).to_have_count(2)
    await page.get_by_label("Search today’s orders").fill("A-1024")
    await page.keyboard.press("Enter")
    await expect(page.locator("#results tbody tr")).to_have_count(1)
    await expect(page.locator(f'#results tr[data-order="{numbered["id"]}"]')).to_contain_text("Rahid")
    assert await page.evaluate(UNNAMED_CONTROLS) == []
    assert await serious_violations(page) == []
    await page.get_by_role("link", name="Back to the board").click()
    await expect(card(page, "PENDING", first["id"])).to_be_visible()
    await page.context.close()


async def test_the_board_in_azerbaijani_speaks_it_in_the_script_too(
    browser: Any, server: ServerProcess
) -> None:
    base = server.base_url
    page = await signed_in_page(browser, base, bypass_csp=True)
    await page.get_by_label("Language").select_option("az")
    await page.wait_for_url(f"{base}/board?venue=1")
    await expect(page.locator("html")).to_have_attribute("lang", "az")
    await expect(page.locator("#live")).to_have_text("Canlı", timeout=5000)
    await expect(page.locator("#sound-state")).to_have_text("Açıq")
    async with httpx.AsyncClient(timeout=10) as http:
        order = await create_order(http, base, example("create-order.v1.request.json"))
    pending = card(page, "PENDING", order["id"])
    await expect(pending).to_be_visible(timeout=SHOWS)
    await expect(pending.locator(".new-flag")).to_have_text("Yeni")
    await expect(pending.locator("time.age")).to_have_text("indicə")
    await expect(pending.locator(".totals .total").last).to_have_text("16,20 ₼")
    await expect(page.locator("#announcer")).to_have_text(re.compile(r"^Yeni sifariş #\d+: .*16,20 ₼$"))
    await pending.get_by_role("button", name=f"İmtina et: sifariş #{order['id']}").click()
    await expect(pending.locator(".confirm-bar button")).to_have_text(["Bəli, imtina et", "Saxla"])
    assert await serious_violations(page) == []
    await page.context.close()
