"""Sign-in attempts per client IP and per username: a sliding window kept in process memory.

Each instance counts its own attempts; behind a load balancer that spreads one client over N instances a
guesser gets at most N times the budget, which with argon2 hashes is still slow guessing.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

SIGN_IN_ATTEMPTS = 10
SIGN_IN_WINDOW_SECONDS = 60.0
MAX_KEYS = 100_000  # a bound on memory: past it the oldest-touched keys are forgotten


class SlidingWindow:
    def __init__(
        self,
        limit: int = SIGN_IN_ATTEMPTS,
        window: float = SIGN_IN_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.pop(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        self._hits[key] = hits  # re-inserted: the dict's order is the order keys were last touched
        if len(self._hits) > MAX_KEYS:
            del self._hits[next(iter(self._hits))]
        return hits

    def retry_after(self, *keys: str) -> int:
        """Seconds until every key has room again; 0 when each is under its limit now."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                wait = max(wait, hits[0] + self.window - now)
        return math.ceil(wait) if wait > 0 else 0

    def hit(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._recent(key, now).append(now)
