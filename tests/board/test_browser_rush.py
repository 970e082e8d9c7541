"""The board through a dinner rush, in headless Chromium: what a manager tripped over (issue 16) stays
fixed. Newest order on top and marked until seen, sound on by default with a clear state and a test
sound, close a receipt after "Mark delivered", messages never over a button and money in them formatted,
the stop-list form without defaults, "No orders" at the top, a roomy ignore confirmation, a favicon."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from tests.board.pages import COVERED_CONTROLS, SHOWS, TABLET, card, expect, in_viewport, signed_in_page
from tests.support.api import example
from tests.support.board import create_order
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

FRESH = re.compile(r"\bfresh\b")


async def test_a_rush_newest_on_top_sound_close_after_deliver_and_messages(
    browser: Any, server: ServerProcess
) -> None:
    base = server.base_url
    page = await signed_in_page(browser, base)
    toggle = page.locator("#sound-toggle")
    await expect(toggle).to_have_attribute("role", "switch")
    await expect(toggle).to_have_attribute("aria-checked", "true")  # a fresh tablet is not silent
    await expect(page.locator("#sound-state")).to_have_text("On")

    async with httpx.AsyncClient(timeout=10) as http:
        orders = [await create_order(http, base, example("create-order.v1.request.json")) for _ in range(4)]
    newest = orders[-1]["id"]
    for order in orders:
        await expect(card(page, "PENDING", order["id"])).to_be_visible(timeout=SHOWS)
    await expect(page.locator("#col-PENDING > .card").first).to_have_id(f"order-{newest}")
    assert await in_viewport(page, f"#order-{newest} header"), "the newest order is below the fold"
    assert await in_viewport(page, f"#order-{newest} button[aria-label='Accept order #{newest}']")
    assert await page.evaluate("window.boardStats.beeps") == 4
    await expect(page.locator("#announcer")).to_contain_text(f"New order #{newest}")

    await asyncio.sleep(1.5)  # marked new until seen, not for a while
    for order in orders:
        await expect(card(page, "PENDING", order["id"])).to_have_class(FRESH)
        await expect(card(page, "PENDING", order["id"]).locator(".new-flag")).to_have_text("New")
    await card(page, "PENDING", newest).hover()
    await expect(card(page, "PENDING", newest)).not_to_have_class(FRESH)
    await expect(card(page, "PENDING", orders[0]["id"])).to_have_class(FRESH)

    await page.click("#sound-test")  # one click, one sound
    assert await page.evaluate("window.boardStats.beeps") == 5
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-checked", "false")
    await expect(page.locator("#sound-state")).to_have_text("Off")
    async with httpx.AsyncClient(timeout=10) as http:
        quiet = await create_order(http, base, example("create-order.v1.request.json"))
    await expect(card(page, "PENDING", quiet["id"])).to_be_visible(timeout=SHOWS)
    assert await page.evaluate("window.boardStats.beeps") == 5
    await page.reload()
    await expect(page.locator("#sound-toggle")).to_have_attribute("aria-checked", "false")  # remembered
    await page.locator("#sound-toggle").click()
    await expect(page.locator("#sound-toggle")).to_have_attribute("aria-checked", "true")

    # Mark delivered leaves the receipt open: the card stays in progress and can still be closed
    await card(page, "PENDING", newest).locator("button", has_text="Accept").click()
    received = card(page, "RECEIVED", newest)
    await received.locator("button", has_text="Mark delivered").click()
    await expect(received.locator(".badge")).to_have_text("Delivered")
    await expect(received.locator("form.act-close button")).to_have_text("Close · 16.20 AZN")
    await received.locator('input[name="pm_1"]').fill("5")
    await received.locator("form.act-close button").click()
    flash = page.locator("#flash")
    await expect(flash).to_have_text(
        "The amounts entered add up to 5.00 AZN, but the receipt total is 16.20 AZN: they must be equal."
    )
    overlap = await page.evaluate(COVERED_CONTROLS)
    assert overlap["height"] > 0 and overlap["covered"] == [], overlap
    await received.locator('input[name="pm_1"]').fill("16.20")
    await received.locator("form.act-close button").click()
    done = card(page, "DONE", newest)
    await expect(done).to_contain_text("closed: Cash 16.20 AZN", timeout=SHOWS)
    await expect(flash).to_have_text(re.compile(r"Receipt #\d+ closed"))
    await page.context.close()


async def test_an_empty_board_the_stop_list_form_the_ignore_confirmation_and_the_icon(
    browser: Any, server: ServerProcess
) -> None:
    base = server.base_url
    page = await signed_in_page(browser, base, TABLET)
    for column in ("PENDING", "RECEIVED", "DONE"):
        gap = await page.evaluate(
            """c => { const s = document.querySelector(`section[data-column="${c}"]`);
                      return s.querySelector(".empty").getBoundingClientRect().top
                             - s.querySelector("h2").getBoundingClientRect().bottom; }""",
            column,
        )
        assert 0 <= gap < 4, (column, gap)  # "No orders" right under the heading
        await expect(page.locator(f'section[data-column="{column}"] .empty')).to_be_visible()

    await page.click("#stoplist-toggle")
    panel = page.locator("#stoplist")
    await expect(page.locator("#stoplist-toggle")).to_have_attribute("aria-expanded", "true")
    await expect(panel.locator('select[name="product_id"]')).to_have_value("")
    await expect(panel.locator('input[name="limit"]')).to_have_value("")
    await panel.locator("button", has_text="Set limit").click()  # one careless click: nothing happens
    await asyncio.sleep(0.5)
    await expect(panel.locator(".stop-items li")).to_have_count(2)
    await expect(page.locator("#stop-count")).to_have_text("2")
    assert await panel.locator('select[name="product_id"]').evaluate("el => !el.validity.valid")
    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()

    async with httpx.AsyncClient(timeout=10) as http:
        order = await create_order(http, base, example("create-order.v1.request.json"))
    pending = card(page, "PENDING", order["id"])
    await expect(pending).to_be_visible(timeout=SHOWS)
    await expect(page.locator('section[data-column="PENDING"] .empty')).to_be_hidden()
    await pending.locator("button", has_text="Ignore").click()
    bar = pending.locator(".confirm-bar")
    await expect(bar).to_be_visible()
    sizes = await pending.evaluate(
        """el => { const box = e => el.querySelector(e).getBoundingClientRect();
                   const line = parseFloat(getComputedStyle(el.querySelector(".confirm-text")).lineHeight);
                   return {bar: box(".confirm-bar").width, card: el.clientWidth,
                           text: box(".confirm-text").height, line,
                           yes: box(".confirm-buttons .armed").height,
                           keep: box(".confirm-buttons button:not(.armed)").height}; }"""
    )
    assert sizes["bar"] >= 0.8 * sizes["card"], sizes  # the width of the card, not beside a button
    assert sizes["text"] <= 2 * sizes["line"] + 1, sizes  # at most two lines of text
    assert sizes["yes"] == sizes["keep"] >= 40, sizes
    await expect(bar.locator("button", has_text="Keep")).to_be_focused()
    await bar.locator("button", has_text="Keep").click()
    await expect(bar).to_have_count(0)

    icon = await page.evaluate("document.querySelector('link[rel=icon]').href")
    assert icon == f"{base}/favicon.ico"
    answer = await page.request.get(icon)
    assert answer.status == 200 and answer.headers["content-type"] == "image/x-icon"
    assert (await answer.body())[:4] == b"\x00\x00\x01\x00"
    await page.context.close()
