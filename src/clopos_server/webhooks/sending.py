"""Where a process's webhook requests are sent from: a thread of their own, with its own event loop.

An endpoint takes at most 4 requests at once (``queue.MAX_IN_FLIGHT``), so it is sent to at most
4 / (one request's round trip) deliveries a second. On the app's event loop that round trip included a
turn of the loop: the answer's bytes were read, and the next request written, only when the loop came
back to that socket after every request step that was ready meanwhile. A worker saturated with creates
turns its loop every few milliseconds or more, and the sender fell behind the creates it follows (1,100
to 1,500 deliveries owed when the bench's load stopped; at 90% of the create rate the lag grew past 5 s).
Here the answer is read, the attempt handed back and the next request written as soon as this thread gets
the GIL, which the app's thread gives up at every system call. The pump (its database rounds) stays on
the app's loop: the database and its pool belong to that loop.

What crosses between the threads is small: claimed deliveries go into an endpoint's :class:`Lane` (a
deque, and a wake-up for the senders' loop), and each finished attempt comes back through the app loop's
``call_soon_threadsafe``, so that every piece of the runner's state but the lane is the app thread's.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar

import uvloop

log = logging.getLogger(__name__)

T = TypeVar("T")
STOP_SECONDS = 5.0  # how long closing waits for the thread's loop to end


class SendingThread:
    """One per process (the dispatcher's): a daemon thread running an event loop for the senders."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The thread's loop, started on first use."""
        if self._loop is None:
            started = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(started,), name="webhook-sending", daemon=True
            )
            self._thread.start()
            started.wait()
            assert self._loop is not None
        return self._loop

    def _run(self, started: threading.Event) -> None:
        # uvloop, as the app's (serving.py): asyncio's own loop runs each turn in Python, holding the GIL
        # the busy worker's requests wait for
        loop = uvloop.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        started.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def run(self, job: Coroutine[Any, Any, T]) -> T:
        """``job`` run on the thread's loop, awaited from the caller's."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(job, self.loop))

    async def aclose(self) -> None:
        """Stop the loop (its tasks are cancelled) and wait for the thread, at most ``STOP_SECONDS``."""
        if self._loop is None or self._thread is None:
            return
        to_loop(self._loop, self._loop.stop)
        await asyncio.to_thread(self._thread.join, STOP_SECONDS)
        if self._thread.is_alive():
            log.warning("the webhook sending thread did not stop within %g s", STOP_SECONDS)
        self._loop = self._thread = None


class Lane(Generic[T]):
    """An endpoint's claimed deliveries between the pump (the app's thread puts them in, and drains
    them when it stops) and its senders (the sending thread's tasks take them out).

    ``busy`` counts what the senders took and the app's thread has not had back yet: whether anything
    is left is read (``idle``) under the same lock as a take, so a delivery is always queued, busy, or
    handed back, never none of them in between."""

    def __init__(self) -> None:
        self._items: collections.deque[T] = collections.deque()
        self._lock = threading.Lock()
        self.busy = 0
        self._wake: asyncio.Event | None = None  # the senders' (``attach``)
        self._senders_loop: asyncio.AbstractEventLoop | None = None

    def put_all(self, items: Iterable[T]) -> None:
        """Queue ``items`` (the app's thread) and wake the senders once (unless their loop closed:
        nothing takes them then)."""
        self._items.extend(items)
        if self._senders_loop is not None and self._wake is not None:
            to_loop(self._senders_loop, self._wake.set)

    def qsize(self) -> int:
        return len(self._items)

    def drain(self) -> list[T]:
        """Every queued delivery, oldest first, taken out at once (the app's thread, stopping): under the
        lock, so a sender's take is either before (busy) or finds none."""
        with self._lock:
            drained = list(self._items)
            self._items.clear()
        return drained

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing taken that was not handed back."""
        with self._lock:
            return not self._items and self.busy == 0

    def handed_back(self) -> None:
        """One taken delivery is back in the app's thread (its attempt, or unsent)."""
        with self._lock:
            self.busy -= 1

    def attach(self) -> None:
        """On the senders' loop, before they take: what ``put_all`` wakes them with."""
        self._wake = asyncio.Event()
        self._senders_loop = asyncio.get_running_loop()

    async def take(self) -> T:
        """The oldest queued delivery, waiting for one (a sender, on the sending loop); counted busy."""
        assert self._wake is not None, "attach() first"
        while True:
            with self._lock:
                if self._items:
                    self.busy += 1
                    return self._items.popleft()
            self._wake.clear()
            if not self._items:
                await self._wake.wait()


def to_loop(loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: object) -> None:
    """``callback(*args)`` on ``loop`` (another thread's), unless that loop is closed (the app stopped)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)
