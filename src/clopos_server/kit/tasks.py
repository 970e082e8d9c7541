"""Bounded waits that a cancellation always ends, and the stopping of background tasks.

Why not ``asyncio.wait_for``: on Python 3.11 it runs the awaited coroutine as a task of its own, and when
the waiting task is cancelled in the same turn as that coroutine finishes (an event set, a queue item
arriving), it returns the result and the cancellation is lost. A background loop then goes on as though it
had never been cancelled, and the shutdown that awaits it never ends: an app's stop hung for good that way
(the webhook dispatcher's runner, woken as it was cancelled). ``asyncio.timeout`` waits in the task
itself and counts cancellations, so it never loses one (Python 3.12's ``wait_for`` is built on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

STOP_SECONDS = 5.0  # how long ``stop`` waits for cancelled tasks to finish their clean-up


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Wait at most ``seconds`` for ``event``: whether it is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()


async def stop(tasks: Iterable[asyncio.Task[object] | None], within: float = STOP_SECONDS) -> None:
    """Cancel ``tasks`` and wait at most ``within`` seconds for them to end; those still running are
    named in a warning and left (a shutdown must end; what they hold is reclaimed as after a crash)."""
    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    if not running:
        return
    _, left = await asyncio.wait(running, timeout=within)
    for task in running:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: an error at cancellation is not logged as never retrieved
    if left:
        names = ", ".join(sorted(task.get_name() for task in left))
        log.warning("background tasks did not stop within %g s: %s", within, names)
