"""Talking to the app the way an integrator does: log in, send the x- headers, read envelopes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

DEMO_LOGIN = {
    "client_id": "eNUKI04aYJRU6TBhh5bwUrvmEORgQoxM",
    "client_secret": "dqYkWUpDjzvKOgbP3ar8tSNKJbwMyYe1V5R7DHClfSNYkap5C5XxRA6PmzoPv1I2",
    "brand": "openapitest",
    "venue_id": 1,
}
OTHER_BRAND_LOGIN = {
    "client_id": "demo-other-client",
    "client_secret": "demo-other-secret-0123456789",
    "brand": "demo-other",
    "venue_id": 1,
}
TEST_INTEGRATOR = "test_jKsU96rq333b6PotTZfkgw"  # is_test: for the test brand openapitest
PROD_INTEGRATOR = "prod_demo"  # not a test integrator: for the production brand demo-other
DEMO_V2_LOGIN = {**{k: v for k, v in DEMO_LOGIN.items() if k != "venue_id"}, "integrator_id": TEST_INTEGRATOR}
OTHER_BRAND_V2_LOGIN = {
    **{k: v for k, v in OTHER_BRAND_LOGIN.items() if k != "venue_id"},
    "integrator_id": PROD_INTEGRATOR,
}
PREFIXES = {"v1": "/open-api", "v2": "/open-api/v2"}
GENERATIONS = tuple(PREFIXES)


def login_body(generation: str, **login: Any) -> dict[str, Any]:
    """The body of a login under ``generation``, ``login`` overriding fields of the demo login.

    v1 keys (``venue_id``) are dropped from a v2 login and v2 keys (``integrator_id``) from a v1 one, so
    that one override dict serves both; a v2 login of ``demo-other`` uses its production integrator
    unless one is given.
    """
    if generation == "v1":
        body = {**DEMO_LOGIN, **login}
        body.pop("integrator_id", None)
    else:
        base = OTHER_BRAND_V2_LOGIN if login.get("brand") == OTHER_BRAND_LOGIN["brand"] else DEMO_V2_LOGIN
        body = {**base, **login}
        body.pop("venue_id", None)
    return body


def example(name: str) -> Any:
    """A body from examples/ (the spec's examples, shipped with the repo)."""
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@dataclass
class ApiClient:
    """An integrator of one API generation: v1 sends ``x-token``, ``x-brand`` and ``x-venue`` on every
    call; v2 sends ``x-token`` only (its token carries the brand and the main venue), and ``x-venue``
    only when ``venue_override`` is set."""

    http: httpx.AsyncClient
    token: str
    brand: str
    venue: int
    extra_headers: dict[str, str] = field(default_factory=dict)
    generation: str = "v1"
    venue_override: int | None = None

    @property
    def prefix(self) -> str:
        return PREFIXES[self.generation]

    @classmethod
    async def login(cls, http: httpx.AsyncClient, generation: str = "v1", **login: Any) -> ApiClient:
        """Log in under ``generation`` at ``POST {prefix}/auth``; ``login`` overrides fields of the demo
        login of that generation (``login_body``)."""
        body = login_body(generation, **login)
        answer = await http.post(f"{PREFIXES[generation]}/auth", json=body)
        assert answer.status_code == 200 and answer.json()["success"] is True, answer.text
        return cls.with_token(http, answer.json()["token"], generation, **login)

    @classmethod
    def with_token(
        cls, http: httpx.AsyncClient, token: str, generation: str = "v1", **login: Any
    ) -> ApiClient:
        """The client that ``login`` with the same arguments returns, holding ``token``."""
        venue = int(login.get("venue_id", 1))  # v2: the token's venue is the brand's main venue (1)
        return cls(http, token, str(login_body(generation, **login)["brand"]), venue, generation=generation)

    def headers(self, **extra: str) -> dict[str, str]:
        if self.generation == "v1":
            return {"x-token": self.token, "x-brand": self.brand, "x-venue": str(self.venue), **extra}
        headers = {"x-token": self.token}
        if self.venue_override is not None:
            headers["x-venue"] = str(self.venue_override)
        return {**headers, **extra}

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return await self.http.request(
            method, f"{self.prefix}{path}", headers=self.headers(**(headers or {})), **kwargs
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)


V1Client = ApiClient  # the name the v1-only tests use


def error_fields(answer: httpx.Response) -> list[str | None]:
    return [entry.get("field") for entry in answer.json()["error"]]


def assert_error(answer: httpx.Response, status: int, code: str) -> dict:
    """The error envelope of spec/api.md with this status and code, every entry complete; its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["success"] is False
    assert body["code"] == code
    assert isinstance(body["error"], list) and body["error"]
    for entry in body["error"]:
        assert {"message", "type", "exception", "code", "http_code"} <= entry.keys()
        assert entry["type"] == code and entry["http_code"] == status and isinstance(entry["code"], int)
    return body
