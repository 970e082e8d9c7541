"""Driving the board in the browser tests: sign in, find a card, check the layout (Playwright pages)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.board.conftest import IN_CI

try:  # every browser test imports this module: one guard for all of them
    from playwright.async_api import Page, expect
except ImportError:  # pragma: no cover - the dev extras install it
    if IN_CI:
        raise
    pytest.skip("the playwright package is not installed (pip install -e '.[dev]')", allow_module_level=True)

from tests.support.board import OWNER

# How long a browser test waits for a change to show on a board (a card arriving or moving). Generous on
# purpose: under `make test` three workers, Chromium and PostgreSQL share two cores, and on a slow machine
# a change that takes 0.1 s alone took more than 2 s there. How fast changes reach a board is measured by
# `make bench` and set by the stream's design (docs/board.md), not asserted here.
SHOWS = 10_000  # milliseconds
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}


async def signed_in_page(
    browser: Any, base: str, viewport: dict[str, int] = DESKTOP, *, bypass_csp: bool = False, **login: str
) -> Page:
    """A new browser context (its own cookies) signed in; ``bypass_csp`` lets a test inject a script."""
    context = await browser.new_context(viewport=viewport, bypass_csp=bypass_csp)
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


def axe_script() -> str:
    """axe-core's script as a Python package ships it (the dev extras' axe-playwright-python): the
    accessibility check never fetches anything at run time."""
    from importlib import resources

    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA checks on the page as it is now: the serious and critical violations.
    The page's context needs ``bypass_csp=True`` (the board allows no inline script)."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(content=axe_script())
    result = await page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
              values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["html"][:160] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
