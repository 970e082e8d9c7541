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


def example(name: str) -> Any:
    """A body from examples/ (the spec's examples, shipped with the repo)."""
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@dataclass
class V1Client:
    http: httpx.AsyncClient
    token: str
    brand: str
    venue: int
    extra_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def login(cls, http: httpx.AsyncClient, **login: Any) -> V1Client:
        body = {**DEMO_LOGIN, **login}
        answer = await http.post("/open-api/auth", json=body)
        assert answer.status_code == 200, answer.text
        return cls(http, answer.json()["token"], str(body["brand"]), int(body["venue_id"]))

    def headers(self, **extra: str) -> dict[str, str]:
        return {"x-token": self.token, "x-brand": self.brand, "x-venue": str(self.venue), **extra}

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return await self.http.request(
            method, f"/open-api{path}", headers=self.headers(**(headers or {})), **kwargs
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)


def error_fields(answer: httpx.Response) -> list[str | None]:
    return [entry.get("field") for entry in answer.json()["error"]]
