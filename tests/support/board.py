"""Talking to the order board the way a browser does (cookie, CSRF token, forms), and reading its SSE."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

OWNER = {"brand": "openapitest", "username": "owner", "password": "owner-demo-1"}
CASHIER = {"brand": "openapitest", "username": "cashier", "password": "cashier-demo-1"}
OTHER_OWNER = {"brand": "demo-other", "username": "other-owner", "password": "other-demo-1"}

_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF_META.search(html) or _CSRF_FIELD.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, base: str = "", **login: str) -> httpx.Response:
    """GET the form (for its cookie and token), POST it; the answer to the POST (303 when it worked)."""
    form = await http.get(f"{base}/board/login")
    assert form.status_code == 200, form.text
    fields = {**OWNER, **login, "csrf": csrf_of(form.text)}
    return await http.post(f"{base}/board/login", data=fields)


@dataclass
class BoardUser:
    """A signed-in staff user: the page's CSRF token, and its actions as the page's script sends them."""

    http: httpx.AsyncClient
    base: str = ""
    csrf: str = ""
    venue: int = 1

    @classmethod
    async def signed_in(
        cls, http: httpx.AsyncClient, base: str = "", venue: int | None = None, **login: str
    ) -> BoardUser:
        answer = await sign_in(http, base, **login)
        assert answer.status_code == 303, answer.text
        user = cls(http, base)
        page = await user.page(venue)
        assert page.status_code == 200, page.text
        return user

    async def page(self, venue: int | None = None) -> httpx.Response:
        query = f"?venue={venue}" if venue is not None else ""
        answer = await self.http.get(f"{self.base}/board{query}")
        if answer.status_code == 200:
            self.csrf = csrf_of(answer.text)
            found = re.search(r'data-venue="(\d+)"', answer.text)
            self.venue = int(found.group(1)) if found else self.venue
        return answer

    async def act(self, path: str, csrf: str | None = "", **fields: Any) -> httpx.Response:
        """POST a board form as the script does (JSON answer); ``csrf=None`` sends no token at all."""
        data = {"venue": str(self.venue), **{k: str(v) for k, v in fields.items()}}
        headers = {"Accept": "application/json"}
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf or self.csrf
        return await self.http.post(f"{self.base}/board{path}", data=data, headers=headers)


@dataclass
class SseEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SseReader:
    """Events from a streamed ``text/event-stream`` answer (comments are counted, not returned)."""

    lines: AsyncIterator[str]
    comments: list[str] = field(default_factory=list)
    retry: int | None = None

    async def comment(self, prefix: str) -> str:
        """Read up to the next comment that starts with ``prefix`` (e.g. ``connected``)."""
        async for line in self.lines:
            if line.startswith(":") and line[1:].strip().startswith(prefix):
                self.comments.append(line[1:].strip())
                return line[1:].strip()
            if line.startswith("retry:"):
                self.retry = int(line.partition(":")[2])
        raise EOFError("the stream ended")

    async def next(self) -> SseEvent:
        event = SseEvent()
        seen = False
        async for line in self.lines:
            if line == "":
                if seen:
                    return event
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "retry":
                self.retry = int(value)
                continue
            seen = True
            if name == "event":
                event.event = value
            elif name == "data":
                event.data = value if not event.data else f"{event.data}\n{value}"
            elif name == "id":
                event.id = value
        raise EOFError("the stream ended")


async def create_order(
    http: httpx.AsyncClient, base: str, body: dict[str, Any], **login: Any
) -> dict[str, Any]:
    """Log in as the demo integrator (v1) and create an order; its ``data``."""
    from tests.support.api import DEMO_LOGIN

    auth = await http.post(f"{base}/open-api/auth", json={**DEMO_LOGIN, **login})
    assert auth.status_code == 200, auth.text
    brand = str(login.get("brand", DEMO_LOGIN["brand"]))
    venue = str(login.get("venue_id", 1))
    headers = {"x-token": auth.json()["token"], "x-brand": brand, "x-venue": venue}
    answer = await http.post(f"{base}/open-api/orders", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data
