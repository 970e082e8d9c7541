"""Time formats of the real API, and the brand's business day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def ts_iso(moment: datetime) -> str:
    """``2026-02-02T13:45:53.000000Z``: orders, customers, categories, users, sale types, ..."""
    return moment.astimezone(UTC).isoformat()[:19] + ".000000Z"  # isoformat: several times strftime's speed


def ts_plain(moment: datetime) -> str:
    """``2026-01-13 20:04:05``: products, receipts and receipt lines."""
    return moment.astimezone(UTC).isoformat(sep=" ")[:19]


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def business_day(moment: datetime, timezone: str, cutoff_hour: int) -> date:
    """The brand's business day of a moment: the local date, hours before the cutoff counting as the
    day before."""
    local = moment.astimezone(ZoneInfo(timezone))
    return (local - timedelta(hours=cutoff_hour)).date()


def business_days_range(
    first: date | None, last: date | None, timezone: str, cutoff_hour: int
) -> tuple[datetime | None, datetime | None]:
    """UTC bounds ``[start, end)`` covering business days ``first`` to ``last`` inclusive."""
    zone = ZoneInfo(timezone)

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(hour=cutoff_hour), zone).astimezone(UTC)

    start = start_of(first) if first else None
    end = start_of(last + timedelta(days=1)) if last else None
    return start, end
