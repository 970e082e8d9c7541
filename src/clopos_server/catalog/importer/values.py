"""Document values to column values and back: one converter per column kind, chosen from the column's type
(or a field's ``kind``), so that export then import is the identity."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    String,
)

from clopos_server.catalog.importer.spec import F, Spec
from clopos_server.db.types import MONEY_MAX, MONEY_SCALE, Money, UTCDateTime


class BadValue(ValueError):
    """A value that does not fit its field; the message completes the sentence "<path> ..."."""


@dataclass(frozen=True)
class PlainSecret:
    """A plain secret waiting to be hashed (outside the transaction: hashing is slow on purpose)."""

    text: str


_INT_RE = re.compile(r"[+-]?\d+")


def column_kind(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, Money):
        return "money"
    if isinstance(kind, UTCDateTime):
        return "ts"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, String):
        return "str"
    if isinstance(kind, JSON):
        return "object"
    raise TypeError(f"no document kind for column {column}")


def _to_int(value: Any, column: Column[Any]) -> int:
    if isinstance(value, bool | int):
        number = int(value)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        number = int(value)
    else:
        raise BadValue("must be an integer")
    bound = 2**63 if isinstance(column.type, BigInteger) else 2**31
    if not -bound <= number < bound:
        raise BadValue("is out of range")
    return number


def _to_bool(value: Any, _column: Column[Any]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise BadValue("must be true or false")


def _to_str(value: Any, column: Column[Any]) -> str:
    if not isinstance(value, str):
        raise BadValue("must be a string")
    length = getattr(column.type, "length", None)
    if length is not None and len(value) > length:
        raise BadValue(f"must be at most {length} characters")
    return value


def _to_money(value: Any, _column: Column[Any]) -> Decimal:
    """Exact: JSON floats go through their shortest text form, never through binary arithmetic."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise BadValue("must be a number or a numeric string")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise BadValue("must be a number or a numeric string") from None
    if not amount.is_finite() or abs(amount) > MONEY_MAX:
        raise BadValue(f"must be a finite number of at most {MONEY_MAX} in size")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_SCALE:
        raise BadValue(f"may have at most {MONEY_SCALE} decimal places")
    return amount


def _to_ts(value: Any, _column: Column[Any]) -> datetime:
    """ISO (``...T...Z``), plain (``2025-01-01 00:00:00``) or epoch milliseconds; naive means UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            raise BadValue("is not a usable epoch-milliseconds timestamp") from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadValue(
                "must be a timestamp like 2025-01-01T00:00:00.000000Z or 2025-01-01 00:00:00"
            ) from None
    else:
        raise BadValue("must be a timestamp string or epoch milliseconds")
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)


def _to_date(value: Any, _column: Column[Any]) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BadValue("must be a date like 2025-01-31")


def _to_object(value: Any, _column: Column[Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadValue("must be an object")
    return value


def _to_list(value: Any, _column: Column[Any]) -> list[Any]:
    if not isinstance(value, list):
        raise BadValue("must be a list")
    return value


def _to_secret(value: Any, _column: Column[Any]) -> PlainSecret:
    if not isinstance(value, str) or not value:
        raise BadValue("must be a non-empty string")
    return PlainSecret(value)


_CONVERTERS: dict[str, Callable[[Any, Column[Any]], Any]] = {
    "int": _to_int,
    "bool": _to_bool,
    "str": _to_str,
    "money": _to_money,
    "ts": _to_ts,
    "date": _to_date,
    "object": _to_object,
    "list": _to_list,
    "secret": _to_secret,
}


def field_kind(spec: Spec, f: F) -> str:
    return "secret" if f.secret else f.kind or column_kind(spec.table.c[f.col])


def convert(spec: Spec, f: F, value: Any) -> Any:
    column = spec.table.c[f.col]
    if value is None:
        if column.nullable:
            return None
        raise BadValue("must not be null")
    kind = field_kind(spec, f)
    converted = _CONVERTERS[kind](value, column)
    if kind == "str" and f.required and not converted.strip():
        raise BadValue("must not be empty")
    if f.choices and converted not in f.choices:
        raise BadValue("must be one of " + ", ".join(str(choice) for choice in f.choices))
    if kind == "int" and (f.name == "id" or f.ref) and converted < 1:
        raise BadValue("must be a positive integer")
    if f.minimum is not None and converted < f.minimum:
        raise BadValue(f"must be at least {f.minimum}")
    problem = f.check(converted) if f.check else None
    if problem:
        raise BadValue(problem)
    return converted


def export_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "ts":
        return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.000000Z"
    if kind == "date":
        return value.isoformat()
    return value
