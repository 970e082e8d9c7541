"""Board sign-in attempts: sliding windows kept in process memory, and the policy built on them.

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
        return _seconds(wait)

    def hit(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._recent(key, now).append(now)

    def count(self, key: str) -> int:
        return len(self._recent(key, self._clock()))

    def until_clear(self, key: str) -> int:
        """Seconds until the key has no hit left in the window."""
        now = self._clock()
        hits = self._recent(key, now)
        return _seconds(hits[-1] + self.window - now) if hits else 0

    def take_back(self, *keys: str) -> None:
        """Forget the newest hit of each key (an attempt that turned out not to count)."""
        now = self._clock()
        for key in keys:
            hits = self._recent(key, now)
            if hits:
                hits.pop()

    def forget(self, key: str) -> None:
        self._hits.pop(key, None)


def _seconds(wait: float) -> int:
    return math.ceil(wait) if wait > 0 else 0


class SignInLimits:
    """Who may try a password now. An anonymous client must not be able to lock a staff user out, so no
    budget belongs to a username alone:

    - a client and a username together: ``limit`` attempts per window, then that client waits for it;
    - a client alone: ``limit`` attempts per window over every username (no spraying from one address);
    - a username under attack (``limit`` attempts in the window, from any clients) holds back only the
      clients that have themselves been failing for it, until their own attempts leave the window. A
      client with no recent attempt on that username goes through, so the staff user signs in.

    An attempt counts before the password is checked (parallel guesses count too); a correct password
    takes its attempt back and clears the client's failures for that username.
    """

    def __init__(self, window: SlidingWindow | None = None) -> None:
        self.window = window or SlidingWindow()

    @staticmethod
    def _keys(client: str, username: str) -> tuple[str, str, str]:
        return f"pair:{client}|{username}", f"client:{client}", f"user:{username}"

    def wait(self, client: str, username: str) -> int:
        """Seconds this client must wait before trying a password for ``username``; 0: go ahead."""
        pair, by_client, by_user = self._keys(client, username)
        wait = self.window.retry_after(pair, by_client)
        if self.window.count(pair) and self.window.count(by_user) >= self.window.limit:
            wait = max(wait, self.window.until_clear(pair))
        return wait

    def attempt(self, client: str, username: str) -> None:
        self.window.hit(*self._keys(client, username))

    def succeeded(self, client: str, username: str) -> None:
        pair, by_client, by_user = self._keys(client, username)
        self.window.forget(pair)
        self.window.take_back(by_client, by_user)
