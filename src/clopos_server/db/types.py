"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no exact decimal and no time zones: ``Money`` stores scaled integers there (exact, sortable),
``UTCDateTime`` stores naive UTC and hands back aware UTC datetimes truncated to whole seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = 4
_SCALE_FACTOR = Decimal(10) ** MONEY_SCALE
MONEY_MAX = Decimal("99999999999999")  # 14 integer digits fit NUMERIC(18, 4) and a scaled BIGINT


def stored_money(amount: Decimal) -> Decimal:
    """The value a Money column gives back for ``amount`` (at most 4 places): normalised, never ``-0``."""
    return amount.normalize() + Decimal(0)


class Money(TypeDecorator[Decimal]):
    """An exact decimal with 4 places: NUMERIC(18, 4) on PostgreSQL, an integer of 1/10,000 on SQLite."""

    impl = Numeric(18, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if dialect.name == "sqlite":
            return int((amount * _SCALE_FACTOR).to_integral_value())
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return stored_money(Decimal(int(value)) / _SCALE_FACTOR)
        return stored_money(Decimal(value))


def stored_time(moment: datetime) -> datetime:
    """The aware UTC datetime a UTCDateTime column stores for ``moment`` (naive is read as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=0)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes at whole seconds; naive input is read as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("UTCDateTime takes datetime values")
        moment = stored_time(value)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        moment: datetime = value
        return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).replace(
            microsecond=0
        )


JSONType = JSON().with_variant(JSONB(), "postgresql")
# JSON kept as the text it was written (PostgreSQL ``json``, not ``jsonb``), for the large documents written
# once and read back whole, never searched inside: an order's payload, pricing and warnings, an event's
# data. ``jsonb`` parsed them into its binary form on every insert and printed them again on every read
# (migration 0014: about 11 us of the database's CPU per KB written; a 6 KB event read as text 10 times
# dearer than as ``json``). On SQLite, JSON is text either way.
JSONText = JSON()
