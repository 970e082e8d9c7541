"""Apps with rate limits on, with the budgets a test asks for, talked to from chosen client IPs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from clopos_server.app import create_app
from clopos_server.settings import Settings

TEST_SECRET = "rate-limit-test-secret-0123456789abcdef"

MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]


async def clear_of_window_edge(period: int = 60, margin: float = 4.0) -> None:
    """Fixed windows turn over on the clock (each minute); a test that counts inside one window waits
    out the last seconds of a window rather than see its counters reset mid-test."""
    left = period - time.time() % period
    if left < margin:
        await asyncio.sleep(left + 0.05)


@pytest.fixture
async def limited(db_url: str) -> AsyncIterator[MakeClient]:
    """``await limited(ip="10.0.0.1", app=None, **settings)``: an HTTP client to an app with rate limits
    on and the given settings (``rate_v1_per_minute=5``, ...), calling from ``ip``. Pass ``app`` to talk
    to an app made before from another IP."""
    async with AsyncExitStack() as stack:

        async def make(
            ip: str = "10.0.0.1", app: FastAPI | None = None, **overrides: Any
        ) -> httpx.AsyncClient:
            if app is None:
                settings = Settings(
                    database_url=db_url, secret_key=TEST_SECRET, rate_limits="on", **overrides
                )
                app = create_app(settings)
                await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, client=(ip, 40000))
            http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            http.app = app  # type: ignore[attr-defined]
            return await stack.enter_async_context(http)

        yield make
