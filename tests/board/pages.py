"""Driving the board in the browser tests: sign in, find a card, check the layout (Playwright pages)."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.support.board import OWNER

DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}


async def signed_in_page(browser: Any, base: str, viewport: dict[str, int] = DESKTOP, **login: str) -> Page:
    context = await browser.new_context(viewport=viewport)
    page: Page = await context.new_page()
    fields = {**OWNER, **login}
    await page.goto(f"{base}/board/login?brand={fields['brand']}")
    await page.fill('input[name="brand"]', fields["brand"])
    await page.fill('input[name="username"]', fields["username"])
    await page.fill('input[name="password"]', fields["password"])
    await page.click('button[type="submit"]')
    await page.wait_for_url(f"{base}/board")
    await expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=5000)
    return page


async def fits_the_width(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def card(page: Page, column: str, order_id: int) -> Any:
    return page.locator(f"#col-{column} #order-{order_id}")


# the controls a message covers: any visible part of a button, field or link under the message's box
# (a part scrolled out of its column is not visible, so it is clipped away first)
COVERED_CONTROLS = """() => {
  const box = document.getElementById("flash").getBoundingClientRect();
  function visible(el) {
    let r = el.getBoundingClientRect();
    let rect = {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    for (let up = el.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const c = up.getBoundingClientRect();
      rect = {left: Math.max(rect.left, c.left), right: Math.min(rect.right, c.right),
              top: Math.max(rect.top, c.top), bottom: Math.min(rect.bottom, c.bottom)};
    }
    return rect;
  }
  const hits = [...document.querySelectorAll("button, input, select, a, summary")].filter(el => {
    if (!el.getClientRects().length) return false;
    const r = visible(el);
    return r.left < r.right && r.top < r.bottom && r.left < box.right && r.right > box.left
      && r.top < box.bottom && r.bottom > box.top;
  });
  return {height: box.height, covered: hits.map(el => el.outerHTML.slice(0, 120))};
}"""


async def in_viewport(page: Page, selector: str) -> bool:
    """The element's whole box is on screen without scrolling (the page's or its column's)."""
    return bool(
        await page.eval_on_selector(
            selector,
            """el => { const r = el.getBoundingClientRect();
                       return r.top >= 0 && r.left >= 0
                              && r.bottom <= innerHeight && r.right <= innerWidth; }""",
        )
    )
