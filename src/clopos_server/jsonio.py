"""JSON in and out with orjson; ``Decimal`` is written as an exact JSON number (``16.2``, never a float)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("non-finite Decimal")
        # str() is format(value, "f") wherever it writes no exponent (a third of its cost; an order's
        # create writes a few hundred Decimals: 7% of its worker CPU was this function, py-spy)
        text = str(value)
        return orjson.Fragment(format(value, "f") if "E" in text else text)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


def dumps_str(value: Any) -> str:
    return dumps(value).decode()


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


JSON_INT = 2**63  # orjson writes 64-bit integers only (signed, as a BIGINT column holds them)


def _integer(text: str) -> int | Decimal:
    """An integer literal as ``int``, or as ``Decimal`` past 64 bits: a stored free-form number such as
    ``1E+23`` is written as the literal ``100000000000000000000000``, which orjson could not write back
    as an ``int`` (a 500 found by the fuzz run: ignoring such an order)."""
    value = int(text)
    return value if -JSON_INT <= value < JSON_INT else Decimal(text)


def loads_exact(data: bytes | str) -> Any:
    """JSON with every fraction read as ``Decimal`` (for stored money: orjson would give floats), and
    every integer past 64 bits too."""
    return json.loads(data, parse_float=Decimal, parse_int=_integer)
