"""The cash-shift page in headless Chromium: reached from the board's top bar, a shift opened and closed
with the keyboard-reachable forms (the drawer's cash typed as 20,50), and no serious or critical axe
violation with a shift open and with one closed; every control has a name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.board.pages import expect, serious_violations, signed_in_page
from tests.board.test_browser_a11y import UNNAMED_CONTROLS
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow


async def test_a_shift_opened_and_closed_in_the_browser(browser: Any, server: ServerProcess) -> None:
    page = await signed_in_page(browser, server.base_url, bypass_csp=True)
    await page.get_by_role("link", name="Cash shift").click()
    await page.wait_for_url(f"{server.base_url}/board/cash-shift?venue=1")
    assert await serious_violations(page) == []

    opening = page.locator("form[action='/board/cash-shift/open']")
    await opening.get_by_label("Terminal").fill("3")
    await opening.get_by_label("Cash at the start").fill("20,50")
    await opening.get_by_role("button", name="Open the shift").click()
    shift = page.locator("section.shift")
    await expect(shift).to_contain_text("Terminal 3")
    await expect(shift).to_contain_text("20.50 AZN")
    assert await page.evaluate(UNNAMED_CONTROLS) == []
    assert await serious_violations(page) == []

    await shift.get_by_label("Cash counted").fill("21")
    await shift.get_by_role("button", name="Close the shift").click()
    await expect(page.locator("section.shift")).to_have_count(0)
    closed = page.locator("table")
    await expect(closed).to_contain_text("0.50 AZN")  # counted 21.00 against 20.50 expected
    assert await serious_violations(page) == []
    await page.context.close()
