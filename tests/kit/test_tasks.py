"""kit/tasks.py: a loop that waits on an event ends when it is cancelled, even in the very turn the event is
set (``asyncio.wait_for`` lost that cancellation on Python 3.11, and an app's stop waited for good on the
webhook dispatcher's runner); ``stop`` waits a bounded time and names a task that would not end."""

from __future__ import annotations

import asyncio
import logging

import pytest

from clopos_server.kit.tasks import stop, wait_set


async def _wait_forever_in_rounds(event: asyncio.Event, rounds: list[int]) -> None:
    """A background loop as the dispatcher's: wait for a wake-up or a timeout, do a round, again."""
    while True:
        event.clear()
        await wait_set(event, 0.2)
        rounds.append(1)


async def test_a_loop_cancelled_as_its_event_is_set_ends() -> None:
    for _ in range(20):  # with wait_for in place of wait_set, every one of these went on running
        event, rounds = asyncio.Event(), []
        task = asyncio.create_task(_wait_forever_in_rounds(event, rounds))
        await asyncio.sleep(0)  # the loop waits on the event
        event.set()
        task.cancel()  # in the same turn
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done == {task} and task.cancelled()
        assert rounds == []


async def test_wait_set_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_set(event, 5) is True


async def test_stop_ends_the_tasks_and_names_one_that_will_not(caplog: pytest.LogCaptureFixture) -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue  # ignores its cancellation: stop must end anyway

    async def failing() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            raise RuntimeError("an error at cancellation is retrieved, not logged as never retrieved")

    plain = asyncio.create_task(asyncio.sleep(10), name="plain")
    broken = asyncio.create_task(failing(), name="broken")
    holdout = asyncio.create_task(stubborn(), name="holdout")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="clopos_server.kit.tasks"):
        await stop([plain, broken, holdout, None], within=0.2)
    assert plain.cancelled() and broken.done() and not holdout.done()
    assert [r.getMessage() for r in caplog.records] == ["background tasks did not stop within 0.2 s: holdout"]
    release.set()
    holdout.cancel()
    await asyncio.wait({holdout}, timeout=5)
    assert holdout.done()
