"""When a failed delivery is tried again: the spec's schedule after the first try (5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 10 h), each wait with ±10% jitter so that a receiver coming back from an outage is not
met by every retry at the same instant. ``CLOPOS_WEBHOOK_RETRY_SCHEDULE`` replaces it (tests shorten it)."""

from __future__ import annotations

import random

JITTER = 0.10


def parse_schedule(text: str) -> tuple[float, ...]:
    """``"5,300,1800"`` -> ``(5.0, 300.0, 1800.0)`` (the setting's pattern has checked the form)."""
    return tuple(float(part) for part in text.split(",") if part.strip())


def retry_delay(schedule: tuple[float, ...], attempts_made: int) -> float | None:
    """Seconds until the next try after ``attempts_made`` tries, or None when the schedule is spent."""
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    base = schedule[attempts_made - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)
