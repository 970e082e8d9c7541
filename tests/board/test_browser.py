"""The board in a real browser (headless Chromium), against a real server process: sign in, an order
arriving live, accept, close the receipt with cash, a second board following along, refusals, isolation
between brands, catching up after the server was gone, and the layout at desktop and tablet widths."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.board.pages import DESKTOP, SHOWS, TABLET, card, expect, fits_the_width, signed_in_page
from tests.support.api import OTHER_BRAND_LOGIN, example
from tests.support.board import CASHIER, OTHER_OWNER, create_order
from tests.support.servers import ServerProcess, start_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


async def test_an_order_arrives_live_is_accepted_closed_with_cash_and_a_second_board_follows(
    browser: Any, server: ServerProcess
) -> None:
    base = server.base_url
    desk = await signed_in_page(browser, base)
    tablet = await signed_in_page(browser, base, TABLET, **CASHIER)  # a second context: its own session
    for page in (desk, tablet):
        assert await fits_the_width(page)
        await page.evaluate("window.notReloaded = true")
    await expect(desk.locator("#sound-toggle")).to_have_attribute("aria-checked", "true")  # on by default
    beeps = await desk.evaluate("window.boardStats.beeps")

    async with httpx.AsyncClient(timeout=10) as http:
        order = await create_order(http, base, example("create-order.v1.request.json"))
    created = time.monotonic()
    # no reload: the card appears within a second, highlighted, with a beep
    await expect(card(desk, "PENDING", order["id"])).to_be_visible(timeout=SHOWS)
    await expect(card(tablet, "PENDING", order["id"])).to_be_visible(timeout=SHOWS)
    assert time.monotonic() - created < 1.5
    assert await desk.evaluate("window.notReloaded") is True
    assert await tablet.evaluate("window.notReloaded") is True
    await expect(card(desk, "PENDING", order["id"])).to_have_class(r"card status-PENDING fresh")
    assert await desk.evaluate("window.boardStats.beeps") == beeps + 1
    pending = card(desk, "PENDING", order["id"])
    for text in ("Mega Dürüm", "+ yyy", "+ S-bb", "Rahid Akhundzada", "Delivery", "16.20"):
        await expect(pending).to_contain_text(text)
    await expect(desk.locator('[data-count="PENDING"]')).to_have_text("1")

    await pending.locator("button", has_text="Accept").click()
    received = card(desk, "RECEIVED", order["id"])
    await expect(received).to_be_visible(timeout=SHOWS)
    await expect(card(tablet, "RECEIVED", order["id"])).to_be_visible(timeout=SHOWS)
    await expect(card(desk, "PENDING", order["id"])).to_have_count(0)
    await expect(received.locator('input[name="pm_1"]')).to_have_value("16.20")  # Cash: the total

    await received.locator("form.act-close button").click()
    done = card(desk, "DONE", order["id"])
    await expect(done).to_be_visible(timeout=SHOWS)
    await expect(done).to_contain_text("Delivered")
    await expect(done).to_contain_text("closed: Cash 16.20")
    await expect(card(tablet, "DONE", order["id"])).to_be_visible(timeout=SHOWS)
    await expect(card(tablet, "DONE", order["id"])).to_contain_text("Delivered")
    assert await desk.evaluate("window.notReloaded") is True
    for page in (desk, tablet):
        assert await fits_the_width(page)
        await page.context.close()


async def test_a_wrong_password_is_refused(browser: Any, server: ServerProcess) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{server.base_url}/board/login?brand=openapitest")
    await page.fill('input[name="username"]', "owner")
    await page.fill('input[name="password"]', "not-the-password")
    await page.click('button[type="submit"]')
    await expect(page.locator(".error")).to_have_text("Wrong brand, username or password.")
    assert page.url.endswith("/board/login")
    await page.goto(f"{server.base_url}/board")
    assert page.url.endswith("/board/login")  # still signed out
    await context.close()


async def test_the_page_cannot_act_without_its_csrf_token(browser: Any, server: ServerProcess) -> None:
    page = await signed_in_page(browser, server.base_url)
    async with httpx.AsyncClient(timeout=10) as http:
        order = await create_order(http, server.base_url, example("create-order.v1.request.json"))
    await expect(card(page, "PENDING", order["id"])).to_be_visible(timeout=SHOWS)
    status = await page.evaluate(
        """id => fetch(`/board/orders/${id}/accept`, {method: "POST",
              headers: {"Accept": "application/json"}, body: new URLSearchParams({venue: "1"})})
            .then(r => r.status)""",
        order["id"],
    )
    assert status == 403
    await expect(card(page, "PENDING", order["id"])).to_be_visible()
    await page.context.close()


async def test_a_staff_user_of_demo_other_never_sees_openapitests_orders(
    browser: Any, server: ServerProcess
) -> None:
    other = await signed_in_page(browser, server.base_url, **OTHER_OWNER)
    await expect(other.locator("#venue-select option")).to_have_text(["Other Main"])
    async with httpx.AsyncClient(timeout=10) as http:
        theirs = await create_order(http, server.base_url, example("create-order.v1.request.json"))
        own = await create_order(
            http,
            server.base_url,
            {
                "sale_type_id": 10000,
                "venue_id": 1,
                "customer": {"id": 0, "name": "Other guest", "phone": "+10000000002"},
                "products": [{"product_id": 10000, "count": 1}],
            },
            **OTHER_BRAND_LOGIN,
        )
    await expect(card(other, "PENDING", own["id"])).to_be_visible(timeout=SHOWS)  # its stream works
    await expect(other.locator(f"#order-{theirs['id']}")).to_have_count(0)
    await other.reload()
    await expect(other.locator(f"#order-{theirs['id']}")).to_have_count(0)
    assert "Rahid" not in await other.content()
    await other.context.close()


async def test_ignore_asks_first_and_the_stop_list_sets_and_clears(
    browser: Any, server: ServerProcess
) -> None:
    page = await signed_in_page(browser, server.base_url)
    async with httpx.AsyncClient(timeout=10) as http:
        order = await create_order(http, server.base_url, example("create-order.v2.request.json"))
    pending = card(page, "PENDING", order["id"])
    await expect(pending).to_be_visible(timeout=SHOWS)
    await pending.locator("button", has_text="Ignore").click()
    await expect(pending.locator(".confirm-bar")).to_be_visible()
    await pending.locator("button", has_text="Keep").click()
    await expect(pending.locator(".confirm-bar")).to_have_count(0)
    await pending.locator("button", has_text="Ignore").click()
    await pending.locator("button", has_text="Yes, ignore").click()
    await expect(card(page, "DONE", order["id"])).to_contain_text("Ignored", timeout=SHOWS)

    await page.click("#stoplist-toggle")
    panel = page.locator("#stoplist")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".stop-items li")).to_have_count(2)  # Ayran sold out, Baklava 3
    await panel.locator('select[name="product_id"]').select_option(label="Pizza Margherita")
    await panel.locator('input[name="limit"]').fill("4")
    await panel.locator("button", has_text="Set limit").click()
    await expect(panel.locator('li[data-product="102"]')).to_contain_text("4 left")
    await expect(page.locator("#stop-count")).to_have_text("3")
    await panel.locator('li[data-product="54"] button', has_text="Clear").click()
    await expect(panel.locator('li[data-product="54"]')).to_have_count(0)
    await expect(page.locator("#stop-count")).to_have_text("2")
    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await page.context.close()


async def test_a_board_catches_up_on_what_happened_while_its_server_was_gone(
    browser: Any, server: ServerProcess, db_url: str
) -> None:
    page = await signed_in_page(browser, server.base_url)
    port = int(server.base_url.rsplit(":", 1)[1])
    async with httpx.AsyncClient(timeout=10) as http:
        before = await create_order(http, server.base_url, example("create-order.v1.request.json"))
        await expect(card(page, "PENDING", before["id"])).to_be_visible(timeout=SHOWS)
        server.kill()  # the board's stream drops; the browser keeps retrying
        await expect(page.locator("#live")).not_to_have_attribute("data-state", "live", timeout=5000)
        other = start_server(db_url)  # meanwhile an order arrives through another instance
        try:
            missed = await create_order(http, other.base_url, example("create-order.v2.request.json"))
        finally:
            other.stop()
        back = start_server(db_url, port=port)  # the board's own server returns
        try:
            await expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=10000)
            await expect(card(page, "PENDING", missed["id"])).to_be_visible(timeout=SHOWS)
            await expect(card(page, "PENDING", before["id"])).to_be_visible()
        finally:
            await page.context.close()
            back.stop()


@pytest.mark.slow(seconds=13)
def test_the_screenshot_script_writes_the_docs_images(tmp_path: Path) -> None:
    from tests.board.conftest import CHROMIUM, _unavailable

    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "board_screenshots.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sizes = {}
    names = (
        "board-login.png",
        "board-1280x800.png",
        "board-stop-list.png",
        "board-768x1024.png",
        "board-ticket.png",
        "board-az.png",
    )
    for name in names:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        sizes[name] = (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    assert sizes["board-1280x800.png"] == (1280, 800)
    assert sizes["board-768x1024.png"] == (768, 1024)
    assert sizes["board-az.png"] == (1280, 800)
