"""Rate-limit counters: in process memory, or in Redis shared by every instance, with a fallback.

Both backends are the ``limits`` library's async storages. Each tier costs one storage call per
request: a fixed window is one ``INCR`` (a Lua script of ``limits``) on a key named after the clock
window, so its reset time is known without asking; the sliding window is one Lua script (below) that
takes the hit and answers the counts the headers need.

When Redis fails (down, refused, timing out), the request is counted in this process's memory
instead, a warning is logged once for the outage, and Redis is tried again after
``REDIS_RETRY_SECONDS``; a Redis failure never fails the request.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
from limits.aio.storage import MemoryStorage, RedisStorage
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

T = TypeVar("T")

REDIS_RETRY_SECONDS = 2.0  # after a failure, requests use memory counters this long, then Redis is tried
REDIS_TIMEOUT_SECONDS = 0.5  # connect and command timeout: a hung Redis must not hold requests up

# KEYS[1] the previous window, KEYS[2] the current one; ARGV: limit, window (s), cost. Times in ms.
# The sliding-window-counter algorithm of ``limits`` (acquire_sliding_window.lua, same keys and
# rules), answering {acquired, previous count, previous ttl, current count, current ttl} so that one
# round trip both charges the hit and tells what is left.
_ACQUIRE_SLIDING = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])
local current_ttl = tonumber(redis.call('pttl', KEYS[2]))
if current_ttl > 0 and current_ttl < expiry then
    redis.call('rename', KEYS[2], KEYS[1])
    redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end
local previous_count = tonumber(redis.call('get', KEYS[1])) or 0
local previous_ttl = tonumber(redis.call('pttl', KEYS[1])) or 0
local current_count = tonumber(redis.call('get', KEYS[2])) or 0
current_ttl = tonumber(redis.call('pttl', KEYS[2])) or 0
if previous_ttl < 0 then previous_ttl = 0 end
if current_ttl < 0 then current_ttl = 0 end
local weighted = math.floor(previous_count * previous_ttl / expiry) + current_count
local acquired = 0
if weighted + amount <= limit then
    acquired = 1
    if redis.call('exists', KEYS[2]) == 1 then
        redis.call('incrby', KEYS[2], amount)
    else
        redis.call('set', KEYS[2], amount, 'PX', expiry * 2)
        current_ttl = expiry * 2
    end
    current_count = current_count + amount
end
return {acquired, previous_count, previous_ttl, current_count, current_ttl}
"""


@dataclass(frozen=True, slots=True)
class SlidingWindow:
    """One sliding-window hit: whether it was taken, and the window's counts after it."""

    acquired: bool
    previous_count: int
    previous_ttl: float  # seconds the previous window still weighs
    current_count: int
    current_ttl: float  # seconds until the current window's key expires (window + up to one more)
    window: int

    def used(self) -> int:
        return math.floor(self.previous_count * self.previous_ttl / self.window) + self.current_count

    def seconds_to_free(self) -> float:
        """Seconds until the weighted count drops by one (what ``limits`` reports as the reset)."""
        candidates = []
        if self.previous_count:
            candidates.append(self.previous_ttl % (self.window / self.previous_count))
        if self.current_count:
            candidates.append(self.current_ttl % self.window)
        return min(candidates, default=0.0)


def redis_storage_url(url: str) -> str:
    """``redis://...`` (the setting) as the ``limits`` async scheme."""
    if url.startswith("async+"):
        return url
    if url.startswith("unix://"):
        return "async+redis+unix://" + url.removeprefix("unix://")
    return "async+" + url


class CounterStore:
    """Counters for the limiter: Redis when configured and healthy, else this process's memory."""

    def __init__(self, redis_url: str | None, key_prefix: str) -> None:
        self.memory = MemoryStorage()
        self.key_prefix = key_prefix
        self.redis: RedisStorage | None = None
        self._client: aioredis.Redis | None = None
        self._outage = False
        self._outage_since = 0.0
        self._retry_at = 0.0
        if redis_url:
            plain = redis_storage_url(redis_url).removeprefix("async+").replace("redis+unix://", "unix://")
            pool = aioredis.ConnectionPool.from_url(
                plain,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),  # a failure falls back at once; the next probe is later
            )
            self._client = aioredis.Redis(connection_pool=pool)
            options: dict[str, Any] = {"connection_pool": pool}
            self.redis = RedisStorage(
                redis_storage_url(redis_url), implementation="redispy", key_prefix=key_prefix, **options
            )
            self._acquire_sliding = self._client.register_script(_ACQUIRE_SLIDING)

    @property
    def shared(self) -> bool:
        """True while counters live in Redis (configured and not in an outage)."""
        return self.redis is not None and not self._outage

    async def incr(self, key: str, expiry: int) -> int:
        return await self._call(lambda redis: redis.incr(key, expiry), lambda: self.memory.incr(key, expiry))

    async def get(self, key: str) -> int:
        return await self._call(lambda redis: redis.get(key), lambda: self.memory.get(key))

    async def acquire_sliding(self, key: str, limit: int, window: int) -> SlidingWindow:
        return await self._call(
            lambda _redis: self._redis_sliding(key, limit, window),
            lambda: self._memory_sliding(key, limit, window),
        )

    async def _redis_sliding(self, key: str, limit: int, window: int) -> SlidingWindow:
        current = f"{self.key_prefix}:{{{key}}}"  # the key names limits' own sliding window uses
        raw = await self._acquire_sliding(keys=[f"{current}/-1", current], args=[limit, window, 1])
        acquired, previous_count, previous_ttl, current_count, current_ttl = (int(x) for x in raw)
        return SlidingWindow(
            bool(acquired), previous_count, previous_ttl / 1000, current_count, current_ttl / 1000, window
        )

    async def _memory_sliding(self, key: str, limit: int, window: int) -> SlidingWindow:
        acquired = await self.memory.acquire_sliding_window_entry(key, limit, window)
        previous_count, previous_ttl, current_count, current_ttl = await self.memory.get_sliding_window(
            key, window
        )
        return SlidingWindow(acquired, previous_count, previous_ttl, current_count, current_ttl, window)

    async def _call(
        self, on_redis: Callable[[RedisStorage], Awaitable[T]], on_memory: Callable[[], Awaitable[T]]
    ) -> T:
        redis = self.redis
        if redis is not None:
            started = time.monotonic()
            if not self._outage or started >= self._retry_at:
                if self._outage:
                    self._retry_at = started + REDIS_RETRY_SECONDS  # one probe at a time; others use memory
                try:
                    result = await on_redis(redis)
                except Exception as exc:  # any Redis trouble: count here, never fail the request
                    failed_at = time.monotonic()
                    self._retry_at = failed_at + REDIS_RETRY_SECONDS
                    if not self._outage:
                        self._outage = True
                        self._outage_since = failed_at
                        log.warning(
                            "rate-limit counters: Redis unreachable (%s: %s); counting in this process "
                            "until it is back, retrying every %.0f s",
                            type(exc).__name__,
                            exc,
                            REDIS_RETRY_SECONDS,
                        )
                else:
                    # only a call started after the outage began ends it: an answer to a call sent just
                    # before Redis went away says nothing about Redis now
                    if self._outage and started > self._outage_since:
                        self._outage = False
                        log.warning("rate-limit counters: Redis is reachable again; budgets are shared again")
                    return result
        return await on_memory()

    async def aclose(self) -> None:
        if self._client is not None:
            try:
                await self._client.aclose()
                await self._client.connection_pool.disconnect()
            except Exception:  # closing a dead connection is not worth a traceback at shutdown
                log.debug("closing the Redis client failed", exc_info=True)
