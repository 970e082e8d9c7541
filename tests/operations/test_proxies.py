"""CLOPOS_TRUSTED_PROXIES: X-Forwarded-For and -Proto are believed from those peers only: the client's
address for the per-IP limits, and a Secure board cookie behind a TLS proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from clopos_server.app import create_app
from clopos_server.settings import Settings
from tests.ratelimit.conftest import clear_of_window_edge
from tests.support.api import DEMO_LOGIN

PROXY = "10.1.2.3"
Client = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def behind_proxy(db_url: str) -> AsyncIterator[Client]:
    """``client(peer)``: an HTTP client whose connections come from ``peer``, to an app that trusts
    10.0.0.0/8 and allows two /auth calls per client address per minute."""
    settings = Settings(
        database_url=db_url,
        secret_key="operations-test-secret-0123456789abcdef",
        trusted_proxies="10.0.0.0/8, ::1",
        rate_auth_per_minute=2,
    )
    app: FastAPI = create_app(settings)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))

        def client(peer: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(peer, 40000))
            return httpx.AsyncClient(transport=transport, base_url="http://testserver")

        yield client


async def auth_statuses(http: httpx.AsyncClient, forwarded_for: str | None, times: int = 3) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [
        (await http.post("/open-api/auth", json=DEMO_LOGIN, headers=headers)).status_code
        for _ in range(times)
    ]


async def test_clients_behind_a_trusted_proxy_have_their_own_budgets(behind_proxy: Client) -> None:
    await clear_of_window_edge()
    async with behind_proxy(PROXY) as http:
        assert await auth_statuses(http, "203.0.113.7") == [200, 200, 429]
        assert await auth_statuses(http, "203.0.113.8") == [200, 200, 429]  # not the proxy's budget
        # a client's own X-Forwarded-For left of the proxy's entry is not believed
        assert await auth_statuses(http, "198.51.100.1, 203.0.113.7", 1) == [429]


async def test_an_untrusted_peer_cannot_choose_its_address(behind_proxy: Client) -> None:
    await clear_of_window_edge()
    async with behind_proxy("192.0.2.50") as http:
        assert await auth_statuses(http, "203.0.113.20", 2) == [200, 200]
        assert await auth_statuses(http, "203.0.113.21", 1) == [429]  # still 192.0.2.50's budget


def cookie_is_secure(answer: httpx.Response) -> bool:
    cookies: Any = answer.headers.get_list("set-cookie")
    assert cookies, answer.headers
    return all("secure" in cookie.lower().split("; ") for cookie in cookies)


async def test_the_board_cookie_is_secure_behind_a_tls_proxy(behind_proxy: Client) -> None:
    async with behind_proxy(PROXY) as http:
        answer = await http.get("/board/login", headers={"X-Forwarded-Proto": "https"})
        assert answer.status_code == 200 and cookie_is_secure(answer)
        plain = await http.get("/board/login", headers={"X-Forwarded-Proto": "http"})
        assert not cookie_is_secure(plain)
    async with behind_proxy("192.0.2.50") as http:
        spoofed = await http.get("/board/login", headers={"X-Forwarded-Proto": "https"})
        assert not cookie_is_secure(spoofed)
