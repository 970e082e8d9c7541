"""Printing from the board and an order's timeline, in headless Chromium: the kitchen ticket and the
customer receipt print to PDF (Chromium's print-to-PDF, what the print dialog's "Save as PDF" makes) with
the order's lines, modifiers, notes, number, time, sale type, customer and totals; the card's timeline
names who accepted and when each step happened."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.board.pages import SHOWS, Page, card, expect, signed_in_page
from tests.support.api import example
from tests.support.board import create_order
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

CLOCK = r"\d\d:\d\d"


async def printed_text(page: Page, url: str, pdf: Path) -> str:
    """The page printed to PDF by Chromium, as text (pdftotext, where poppler-utils is installed; else
    the text the page shows under print media, which is what the PDF is made from)."""
    await page.goto(url)
    await page.emulate_media(media="print")
    data = await page.pdf(width="80mm", print_background=True)
    assert data[:5] == b"%PDF-"
    pdf.write_bytes(data)
    tool = shutil.which("pdftotext")
    if tool:
        done = subprocess.run([tool, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
        return done.stdout
    return str(await page.evaluate("document.body.innerText"))


async def test_a_ticket_and_a_receipt_print_to_pdf_and_the_card_shows_its_timeline(
    browser: Any, server: ServerProcess, tmp_path: Path
) -> None:
    base = server.base_url
    page = await signed_in_page(browser, base)
    async with httpx.AsyncClient(timeout=10) as http:
        order = await create_order(http, base, example("create-order.v2.request.json"))
    pending = card(page, "PENDING", order["id"])
    await expect(pending).to_be_visible(timeout=SHOWS)
    await pending.locator("button", has_text="Accept").click()
    received = card(page, "RECEIVED", order["id"])
    await received.locator("button", has_text="Mark delivered").click()
    await expect(received.locator(".badge")).to_have_text("Delivered")
    await received.locator("form.act-close button").click()
    done = card(page, "DONE", order["id"])
    await expect(done).to_contain_text("closed: Cash 19.51 AZN", timeout=SHOWS)

    await done.locator(".timeline summary").click()
    steps = done.locator(".timeline li")
    await expect(steps).to_have_count(4)
    await expect(steps.nth(0)).to_have_text(re.compile(rf"^{CLOCK} Arrived by the integrator$"))
    await expect(steps.nth(1)).to_have_text(re.compile(rf"^{CLOCK} Accepted by Clopos Test$"))
    await expect(steps.nth(2)).to_have_text(re.compile(rf"^{CLOCK} Delivered by Clopos Test$"))
    await expect(steps.nth(3)).to_have_text(re.compile(rf"^{CLOCK} Receipt #\d+ closed$"))
    links = done.locator(".card-tools a")
    await expect(links).to_have_text(["Kitchen ticket", "Receipt"])
    ticket_url = f"{base}/board/orders/{order['id']}/print/ticket"
    await expect(links.first).to_have_attribute(
        "href", f"/board/orders/{order['id']}/print/ticket?autoprint=1"
    )

    printer = await page.context.new_page()
    ticket = await printed_text(printer, ticket_url, tmp_path / "ticket.pdf")
    for text in (
        "Kitchen ticket A-1024",
        f"(#{order['id']})",
        "Delivery",
        "Rahid Akhundzada",
        "+994705401040",
        "123 Main St",
        "Pizza",
        "+ Extra Cheese",
        "No onions",
        "Leave at the door",
    ):
        assert text in ticket, (text, ticket)
    assert re.search(rf"\d{{4}}-\d\d-\d\d {CLOCK}", ticket), ticket
    assert "AZN" not in ticket and "Total" not in ticket and "Print" not in ticket  # no prices, no buttons

    receipt = await printed_text(printer, ticket_url.replace("ticket", "receipt"), tmp_path / "receipt.pdf")
    for text in (
        "Receipt A-1024",
        "Pizza",
        "+ Extra Cheese",
        "Subtotal",
        "Total",
        "19.51 AZN",
        "Cash 19.51 AZN",
    ):
        assert text in receipt, (text, receipt)
    await page.context.close()
