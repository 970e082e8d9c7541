"""The rate-limit tiers of spec/api.md, their budgets (settings), and the headers they answer with.

| tier | keyed by | window |
| --- | --- | --- |
| ``v1-minute``, ``v1-hour`` | API client | fixed, on the clock (minute, hour) |
| ``auth`` | client IP | fixed minute; ``POST /open-api/auth`` and ``/open-api/v2/auth`` |
| ``failures`` | client IP | fixed minute; answers >= 400 of v2 calls, checked before the token |
| ``integrator`` | integrator and brand | sliding minute; every authenticated v2 call |

A budget of 0 turns its tier off; ``CLOPOS_RATE_LIMITS=off`` turns every tier off (no limiter at all).
Fixed windows are aligned to the clock, so every instance agrees on when one resets and
``X-RateLimit-Reset`` is the same epoch second everywhere.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

from clopos_server import metrics
from clopos_server.errors import ApiError
from clopos_server.ratelimit.store import CounterStore
from clopos_server.settings import Settings

MINUTE = 60
HOUR = 3600
STATE_KEY = "rate_limits"  # request.state / scope["state"] key: the tiers this request was counted in


@dataclass(frozen=True, slots=True)
class TierState:
    """Where one budget stands after this request was counted."""

    tier: str
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the budget frees up
    exceeded: bool

    def retry_after(self, now: float | None = None) -> int:
        return max(1, math.ceil(self.reset_at - (time.time() if now is None else now)))


def _fixed(
    tier: str, limit: int, count: int, window_end: float, *, exceeded: bool | None = None
) -> TierState:
    return TierState(
        tier=tier,
        limit=limit,
        remaining=max(0, limit - count),
        reset_at=window_end,
        exceeded=count > limit if exceeded is None else exceeded,
    )


def _window(now: float, period: int) -> tuple[int, float]:
    index = int(now // period)
    return index, float((index + 1) * period)


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.v1_per_minute = settings.rate_v1_per_minute
        self.v1_per_hour = settings.rate_v1_per_hour
        self.auth_per_minute = settings.rate_auth_per_minute
        self.failed_per_minute = settings.rate_failed_per_minute
        self.integrator_per_minute = settings.rate_integrator_per_minute
        self.store = CounterStore(settings.redis_url, settings.rate_key_prefix)

    async def aclose(self) -> None:
        await self.store.aclose()

    async def _fixed_hit(self, tier: str, limit: int, period: int, ident: str) -> TierState:
        index, end = _window(time.time(), period)
        count = await self.store.incr(f"{tier}:{ident}:{index}", period)
        return _fixed(tier, limit, count, end)

    # -- tiers -------------------------------------------------------------------------------------

    async def v1_client(self, api_client_id: int) -> list[TierState]:
        ident = str(api_client_id)
        hits = [
            self._fixed_hit(tier, limit, period, ident)
            for tier, limit, period in (
                ("v1-minute", self.v1_per_minute, MINUTE),
                ("v1-hour", self.v1_per_hour, HOUR),
            )
            if limit > 0
        ]
        if len(hits) == 2 and self.store.shared:  # two round trips at once
            return list(await asyncio.gather(*hits))
        return [await hit for hit in hits]

    async def integrator(self, integrator_id: str, brand_id: int) -> TierState | None:
        limit = self.integrator_per_minute
        if limit <= 0:
            return None
        window = await self.store.acquire_sliding(f"integrator:{integrator_id}:{brand_id}", limit, MINUTE)
        return TierState(
            tier="integrator",
            limit=limit,
            remaining=max(0, limit - window.used()),
            reset_at=time.time() + window.seconds_to_free(),
            exceeded=not window.acquired,
        )

    async def auth(self, ip: str) -> TierState | None:
        if self.auth_per_minute <= 0:
            return None
        return await self._fixed_hit("auth", self.auth_per_minute, MINUTE, ip)

    async def failures_so_far(self, ip: str) -> TierState | None:
        """The failure budget before the request runs: exceeded when it is used up (no counting)."""
        limit = self.failed_per_minute
        if limit <= 0:
            return None
        index, end = _window(time.time(), MINUTE)
        count = await self.store.get(f"failures:{ip}:{index}")
        return _fixed("failures", limit, count, end, exceeded=count >= limit)

    async def count_failure(self, ip: str) -> TierState | None:
        """Count one failed answer; the state after it (never "exceeded": the answer is already made)."""
        limit = self.failed_per_minute
        if limit <= 0:
            return None
        index, end = _window(time.time(), MINUTE)
        count = await self.store.incr(f"failures:{ip}:{index}", MINUTE)
        return _fixed("failures", limit, count, end, exceeded=False)

    async def charge_client(
        self,
        state: dict[str, Any],
        *,
        generation: str,
        api_client_id: int,
        integrator_id: str | None,
        brand_id: int,
    ) -> None:
        """Count an authenticated call in its client tier (v1) or integrator tier (v2); 429 when over."""
        if generation == "v2" and integrator_id is not None:
            one = await self.integrator(integrator_id, brand_id)
            counted = [one] if one is not None else []
        else:
            counted = await self.v1_client(api_client_id)
        states_of(state).extend(counted)
        over = [s for s in counted if s.exceeded]
        if over:
            raise rate_limited(max(over, key=lambda s: s.reset_at))


# -- per request ----------------------------------------------------------------------------------


def states_of(state: dict[str, Any]) -> list[TierState]:
    """The tiers counted for this request so far (kept in the ASGI scope's ``state``)."""
    found = state.get(STATE_KEY)
    if found is None:
        found = state[STATE_KEY] = []
    assert isinstance(found, list)
    return found


def rate_limited(state: TierState) -> ApiError:
    """The 429 of a spent budget (counted in ``clopos_rate_limited_total`` by tier)."""
    metrics.RATE_LIMITED.labels(tier=state.tier).inc()
    seconds = state.retry_after()
    return ApiError(
        "rate_limited",
        f"Too many requests; retry after {seconds} seconds",
        headers={"Retry-After": str(seconds)},
    )


def headers_for(states: list[TierState], generation: str, now: float | None = None) -> list[tuple[str, str]]:
    """The headers of the tier with the fewest requests remaining (the later reset on a tie).

    v1: ``X-RateLimit-*`` with the reset as epoch seconds; v2: ``RateLimit-*`` with seconds to go.
    """
    if not states:
        return []
    chosen = min(states, key=lambda s: (s.remaining, -s.reset_at))
    now = time.time() if now is None else now
    if generation == "v1":
        return [
            ("X-RateLimit-Limit", str(chosen.limit)),
            ("X-RateLimit-Remaining", str(chosen.remaining)),
            ("X-RateLimit-Reset", str(math.ceil(chosen.reset_at))),
        ]
    return [
        ("RateLimit-Limit", str(chosen.limit)),
        ("RateLimit-Remaining", str(chosen.remaining)),
        ("RateLimit-Reset", str(max(0, math.ceil(chosen.reset_at - now)))),
    ]
