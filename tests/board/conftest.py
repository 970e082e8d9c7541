"""A real browser for the board tests: Playwright driving Debian's Chromium (never a downloaded build).

Where Chromium (``CLOPOS_TEST_CHROMIUM``, default ``/usr/bin/chromium``) or the playwright package is
missing, the browser tests skip and say why, except under ``CI=true``, where they fail: CI must run them
(``.ci/run`` installs Chromium with apt when it is missing).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.support.servers import ServerProcess, running_servers

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CLOPOS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the browser tests must run)")
    pytest.skip(f"{message}: the browser tests need it (apt-get install -y chromium)")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the session; each test opens its own contexts (cookie jars)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def server(db_url: str) -> Iterator[ServerProcess]:
    """A real server process on the test's fresh demo database."""
    with running_servers(db_url) as (one,):
        yield one
