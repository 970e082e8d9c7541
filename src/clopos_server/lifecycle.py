"""The server is stopping: a notice the app hears as soon as the signal arrives, before uvicorn waits.

uvicorn, told to stop (SIGTERM, SIGINT), closes its listening socket and then waits up to the grace
period for the requests in flight; only then does the app's lifespan end. A board stream never ends by
itself, so without a notice it would hold the whole grace period and then be cut. ``serve`` runs uvicorn
with a server that calls ``begin_stopping()`` when told to stop; the app (app.py) listens with
``on_stop`` and then ends every board stream with a ``reconnect`` event and answers /readyz with 503.
Listeners run in the signal handler: they must only schedule work (``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

from collections.abc import Callable

_listeners: list[Callable[[], None]] = []


def on_stop(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` when the server begins to stop; returns the function that forgets it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def begin_stopping() -> None:
    for listener in list(_listeners):
        listener()
