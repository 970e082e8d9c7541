"""Pure ASGI middleware for the per-IP tiers and the rate-limit headers of every API answer.

Before the app: the v2 failure budget of the client IP (a client over it gets 429 without any token
work), then, on ``POST .../auth``, the per-IP auth budget. The client tiers (v1 client, v2 integrator)
are counted by ``require_auth`` once the caller is known. When the answer starts: a v2 answer >= 400
is counted as a failure, and the headers of the tier with the fewest requests remaining are added.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clopos_server import jsonio
from clopos_server.ratelimit.limiter import RateLimiter, TierState, headers_for, rate_limited, states_of

V1_ROOT = "/open-api"
V2_ROOT = "/open-api/v2"
AUTH_PATHS = frozenset({f"{V1_ROOT}/auth", f"{V2_ROOT}/auth"})


def generation_of_path(path: str) -> str | None:
    if path == V2_ROOT or path.startswith(V2_ROOT + "/"):
        return "v2"
    if path == V1_ROOT or path.startswith(V1_ROOT + "/"):
        return "v1"
    return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, error_format: str = "list") -> None:
        self.app = app
        self.error_format = error_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        generation = generation_of_path(scope["path"])
        services = getattr(scope["app"].state, "services", None) if "app" in scope else None
        limiter: RateLimiter | None = getattr(services, "limiter", None)
        if generation is None or limiter is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        state: dict[str, Any] = scope.setdefault("state", {})
        states = states_of(state)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                if generation == "v2" and message["status"] >= 400:
                    counted = await limiter.count_failure(ip)
                    if counted is not None:
                        states[:] = [s for s in states if s.tier != "failures"] + [counted]
                extra = [(k.lower().encode(), v.encode()) for k, v in headers_for(states, generation)]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if generation == "v2":
            failures = await limiter.failures_so_far(ip)
            if failures is not None:
                states.append(failures)
                if failures.exceeded:  # not counted again: the budget is spent until the window ends
                    await self._reject(send, failures, headers_for(states, generation))
                    return
        if scope["method"] == "POST" and scope["path"] in AUTH_PATHS:
            auth = await limiter.auth(ip)
            if auth is not None:
                states.append(auth)
                if auth.exceeded:  # send_with_headers adds the headers (and counts a v2 failure)
                    await self._reject(send_with_headers, auth, [])
                    return
        await self.app(scope, receive, send_with_headers)

    async def _reject(self, send: Send, tier: TierState, rate_headers: list[tuple[str, str]]) -> None:
        """429 in the error envelope, with ``Retry-After`` and the given rate-limit headers."""
        error = rate_limited(tier)
        body = jsonio.dumps(error.body(self.error_format))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *[(k.lower().encode(), v.encode()) for k, v in [*error.headers.items(), *rate_headers]],
        ]
        await send({"type": "http.response.start", "status": error.http_status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
