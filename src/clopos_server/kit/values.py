"""What one value may be, wherever it comes from: a JSON body, a path, a header, a query string or a form.

Ids live in INTEGER columns (``db/models.py`` has no BigInteger id), so an id is at most ``MAX_ID`` and a
larger one is refused before any query binds it (PostgreSQL answers an overflow with an error, SQLite does
not). Text from a client is an id only when it is ASCII digits: ``str.isdigit`` also accepts ``²`` and
``①``, which ``int`` then refuses. Text that reaches the database holds no NUL (PostgreSQL refuses it in
text and JSONB) and no lone surrogate (no UTF-8 encoder writes one).
"""

from __future__ import annotations

import hmac
import math
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

MAX_ID = 2**31 - 1  # ids live in INTEGER columns
INT32_MIN = -(2**31)
UNSTORABLE = "holds characters that cannot be stored (NUL or a lone surrogate)"
# Times a client sends: from the epoch to the end of 9998, so that every brand's time zone can show them
# (9999-12-31 23:59:59 UTC is in the year 10000 at UTC+4, past the last date Python has).
MIN_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MOMENT = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)
MAX_EPOCH_MS = int(MAX_MOMENT.timestamp()) * 1000 + 999

_DIGITS = re.compile(r"[0-9]{1,20}")  # a str pattern: [0-9] is ASCII only (\d would not be)
NUMBER_TEXT_LIMIT = 64
_NUMBER_CHARS = frozenset("0123456789+-.eE")
_EPOCH_MS_FLOOR = 10**11  # below this a number is epoch seconds, not milliseconds (1973-03-03 in ms)


def int_text(text: str, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """The integer ``text`` spells in ASCII digits (no sign, no spaces) within ``low..high``; else None."""
    if _DIGITS.fullmatch(text) is None:
        return None
    number = int(text)
    return number if low <= number <= high else None


def to_decimal(value: Any) -> Decimal | None:
    """A JSON number or numeric string as a finite Decimal; None for anything else (a bool is no number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):  # not from the API's parser, but from callers that used plain json
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > NUMBER_TEXT_LIMIT or not set(text) <= _NUMBER_CHARS:
            return None
        try:
            number = Decimal(text)
        except ArithmeticError:
            return None
        return number if number.is_finite() else None
    return None


def utf8(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8, i.e. holds no lone surrogate."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str) -> bool:
    """No NUL and no lone surrogate: what both databases store and every JSON writer writes."""
    return "\x00" not in text and utf8(text)


def same_secret(given: str, expected: str) -> bool:
    """A constant-time comparison that never raises: ``hmac.compare_digest`` refuses ``str`` with
    non-ASCII characters (a 500 from any header), so both sides are compared as UTF-8 bytes."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def is_uuid(text: str) -> bool:
    """A UUID in its 36-character hyphenated form (either case)."""
    try:
        return len(text) == 36 and str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def parse_moment(value: Any) -> datetime | None:
    """A UTC moment at whole seconds from ``2026-01-13 20:04:05``, ISO 8601 or epoch milliseconds (seconds
    below 1973 in ms), within ``MIN_MOMENT..MAX_MOMENT``; None when the value is not such a time."""
    if isinstance(value, bool) or value is None:
        return None
    number: Decimal | None = None
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = Decimal(value.strip())
    if number is not None:
        if not number.is_finite() or number < 0 or number > MAX_EPOCH_MS:
            return None
        seconds = number / 1000 if number >= _EPOCH_MS_FLOOR else number
        return datetime.fromtimestamp(int(seconds), UTC)
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 9999-12-31T23:59:59-01:00 is past the last datetime in UTC
        return None
    moment = moment.replace(microsecond=0)
    return moment if MIN_MOMENT <= moment <= MAX_MOMENT else None
