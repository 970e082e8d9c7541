"""The board by keyboard and the waiting alert, in headless Chromium: every action reachable with Tab
and Enter, a visible focus, A and I on a focused card; an order waiting longer than the chosen time turns
its card and the tab title red."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from clopos_server.db.engine import Database
from clopos_server.db.models import Order
from clopos_server.timeutil import utcnow
from tests.board.pages import SHOWS, Page, card, expect, signed_in_page
from tests.support.api import example
from tests.support.board import create_order
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

FOCUS = """() => { const el = document.activeElement; const style = getComputedStyle(el);
  return {id: el.id, text: el.textContent.trim().slice(0, 40), tag: el.tagName,
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2}; }"""


async def tab_to(page: Page, text: str, limit: int = 40) -> dict[str, Any]:
    """Press Tab until the focused element's text starts with ``text``; it must show its focus."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused: dict[str, Any] = await page.evaluate(FOCUS)
        if focused["text"].startswith(text):
            assert focused["outline"], focused  # a visible focus ring
            return focused
    raise AssertionError(f"{text!r} is not reachable with Tab")


async def test_every_action_by_keyboard(browser: Any, server: ServerProcess) -> None:
    base = server.base_url
    page = await signed_in_page(browser, base)
    async with httpx.AsyncClient(timeout=10) as http:
        first = await create_order(http, base, example("create-order.v1.request.json"))
        second = await create_order(http, base, example("create-order.v1.request.json"))
    await expect(card(page, "PENDING", second["id"])).to_be_visible(timeout=SHOWS)

    await page.keyboard.press("Tab")
    assert (await page.evaluate(FOCUS))["text"] == "Skip to the orders"
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    focused = await page.evaluate(FOCUS)
    assert focused["id"] == f"order-{second['id']}" and focused["outline"], focused  # the newest, on top
    await page.keyboard.press("a")  # accept the focused card
    await expect(card(page, "RECEIVED", second["id"])).to_be_visible(timeout=SHOWS)
    await expect(card(page, "RECEIVED", second["id"])).to_be_focused()

    await card(page, "PENDING", first["id"]).focus()
    await page.keyboard.press("i")  # ignore asks first; Keep has the focus
    await expect(card(page, "PENDING", first["id"]).locator("button", has_text="Keep")).to_be_focused()
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")  # Yes, ignore
    await expect(card(page, "DONE", first["id"])).to_contain_text("Ignored", timeout=SHOWS)

    await card(page, "RECEIVED", second["id"]).focus()
    await tab_to(page, "Mark delivered")
    await page.keyboard.press("Enter")
    await expect(card(page, "RECEIVED", second["id"]).locator(".badge")).to_have_text("Delivered")
    await card(page, "RECEIVED", second["id"]).focus()
    await tab_to(page, "Close ·")
    await page.keyboard.press("Enter")
    await expect(card(page, "DONE", second["id"])).to_contain_text("closed: Cash 16.20 AZN", timeout=SHOWS)

    await page.locator("#sound-toggle").focus()
    await tab_to(page, "Stop list")
    await page.keyboard.press("Enter")
    await expect(page.locator("#stoplist [data-close-panel]")).to_be_focused()  # inside the drawer
    await tab_to(page, "Set limit")
    await page.keyboard.press("Escape")
    await expect(page.locator("#stoplist")).to_be_hidden()
    await expect(page.locator("#stoplist-toggle")).to_be_focused()
    await page.context.close()


async def test_an_order_waiting_too_long_turns_its_card_and_the_title_red(
    browser: Any, server: ServerProcess, db_url: str
) -> None:
    base = server.base_url
    page = await signed_in_page(browser, base)
    async with httpx.AsyncClient(timeout=10) as http:
        order = await create_order(http, base, example("create-order.v1.request.json"))
    await expect(card(page, "PENDING", order["id"])).to_be_visible(timeout=SHOWS)
    await expect(card(page, "PENDING", order["id"])).not_to_have_class("overdue")
    db = Database(db_url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.execute(
                update(Order)
                .where(Order.id == order["id"])
                .values(created_at=utcnow() - timedelta(minutes=12))
            )
    finally:
        await db.dispose()
    await page.reload()
    pending = card(page, "PENDING", order["id"])
    await expect(page.locator("#alert-after")).to_have_value("10")
    await expect(pending.locator(".overdue-flag")).to_have_text("Waiting 12 min: over 10 min")
    assert (await page.title()).startswith("\u26a0 1 waiting too long · (1) Orders")
    await page.locator("#alert-after").select_option("15")
    await expect(pending.locator(".overdue-flag")).to_have_count(0)
    assert (await page.title()).startswith("(1) Orders")
    await page.reload()
    await expect(page.locator("#alert-after")).to_have_value("15")  # remembered
    await page.locator("#alert-after").select_option("5")
    await expect(pending.locator(".overdue-flag")).to_have_text("Waiting 12 min: over 5 min")
    await page.context.close()
