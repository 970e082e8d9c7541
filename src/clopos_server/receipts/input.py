"""Reading receipt request bodies: money as numbers or numeric strings, times as text or epoch ms.

Problems are collected and answered together as one 400 ``validation_failed``, each naming its field.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from clopos_server.api.errors import ApiError, Problem, validation_failed
from clopos_server.db.types import MONEY_MAX

RECEIPT_ORDER_STATUSES = ("NEW", "SCHEDULED", "IN_PROGRESS", "READY", "PICKED_UP", "COMPLETED", "CANCELLED")
PATCHABLE = ("order_status", "order_number", "fiscal_id", "lock")
INVALID_FIELDS = "Invalid field values provided"
ORDER_NUMBER_LENGTH = 64
FISCAL_ID_LENGTH = 255
TEXT_LENGTH = 1000
ADDRESS_LENGTH = 500
MAX_INT = 2**31 - 1
MAX_LINES = 500
MONEY_PLACES = 4  # what a money column keeps
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_EPOCH_MS_FLOOR = 10**11  # below this a number is epoch seconds, not milliseconds (1973-03-03 in ms)


class Missing:
    """Marks a key that was not sent (as opposed to a ``null`` that was)."""


MISSING = Missing()


@dataclass
class Reader:
    """Collects problems while reading a body; ``done`` raises them all as one 400."""

    problems: list[Problem] = field(default_factory=list)
    message: str | None = None  # the top-level message, when one fits every problem

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(message, path))

    def done(self) -> None:
        if self.problems:
            error = validation_failed(self.problems)
            if self.message is not None:
                error = ApiError("validation_failed", self.message, self.problems)
            raise error

    def integer(self, value: Any, path: str, *, low: int = 0, high: int = MAX_INT) -> int | None:
        if isinstance(value, bool):
            number: int | None = None
        elif isinstance(value, int):
            number = value
        elif (
            isinstance(value, str)
            and value.isascii()
            and value.strip().lstrip("+-").isdigit()
            and len(value) < 20
        ):
            number = int(value.strip())
        elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            number = int(value)
        else:
            number = None
        if number is None:
            self.fail(path, f"{path} must be an integer")
            return None
        if not low <= number <= high:
            self.fail(path, f"{path} must be between {low} and {high}")
            return None
        return number

    def money(self, value: Any, path: str, *, places: int = MONEY_PLACES) -> Decimal | None:
        """A non-negative amount, as a number or a numeric string, with at most ``places`` decimals."""
        amount: Decimal | None = None
        if value is None:
            self.fail(path, f"{path} is required")
            return None
        if isinstance(value, bool):
            amount = None
        elif isinstance(value, int | Decimal):
            amount = Decimal(value)
        elif isinstance(value, str) and _NUMBER.fullmatch(value) and len(value) <= 64:
            try:
                amount = Decimal(value.strip())
            except InvalidOperation:
                amount = None
        if amount is None or not amount.is_finite():
            self.fail(path, f"{path} must be a number or a numeric string")
            return None
        if amount < 0:
            self.fail(path, f"{path} must not be negative")
            return None
        if amount > MONEY_MAX:
            self.fail(path, f"{path} must be at most {MONEY_MAX}")
            return None
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            self.fail(path, f"{path} must have at most {places} decimal places")
            return None
        return amount + Decimal(0)

    def string(self, value: Any, path: str, *, limit: int, nullable: bool = True) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            self.fail(path, f"{path} must be a string" + (" or null" if nullable else ""))
            return None
        if len(value) > limit:
            self.fail(path, f"{path} must be at most {limit} characters")
            return None
        if "\x00" in value:
            self.fail(path, f"{path} must not contain NUL characters")
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if isinstance(value, bool):
            return value
        if value in (0, 1) and not isinstance(value, Decimal):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
            return value.strip().lower() in {"true", "1"}
        self.fail(path, f"{path} must be true or false")
        return None

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        self.fail(path, f"{path} must be one of {', '.join(choices)}")
        return None

    def moment(self, value: Any, path: str) -> datetime | None:
        """``2026-01-13 20:04:05``, ISO 8601 (``...T...Z`` or with an offset), or epoch milliseconds."""
        moment = parse_moment(value)
        if moment is None:
            self.fail(path, f"{path} must be a time as YYYY-MM-DD HH:MM:SS, ISO 8601 or epoch milliseconds")
        return moment

    def uuid(self, value: Any, path: str) -> str | None:
        text = value if isinstance(value, str) else None
        if text is None or not is_uuid(text):
            self.fail(path, f"{path} must be a UUID")
            return None
        return text.lower()


def is_uuid(text: str) -> bool:
    try:
        return len(text) == 36 and str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def parse_moment(value: Any) -> datetime | None:
    """A UTC moment at whole seconds, or None when the value is not a time."""
    if isinstance(value, bool) or value is None:
        return None
    number: Decimal | None = None
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str) and value.isascii() and value.strip().isdigit():
        number = Decimal(value.strip())
    if number is not None:
        if not number.is_finite() or number < 0 or number > Decimal(253402300799999):
            return None
        seconds = number / 1000 if number >= _EPOCH_MS_FLOOR else number
        return datetime.fromtimestamp(int(seconds), UTC)
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Payment:
    id: int
    name: str | None
    amount: Decimal
    path: str


def read_payments(reader: Reader, raw: Any, path: str = "payment_methods") -> list[Payment]:
    """``[{id, name, amount}, ...]`` with at least one entry; amounts as numbers or numeric strings."""
    if not isinstance(raw, list) or not raw:
        reader.fail(path, f"{path} must be a list of at least one {{id, name, amount}}")
        return []
    if len(raw) > 50:
        reader.fail(path, f"{path} takes at most 50 entries")
        return []
    payments: list[Payment] = []
    for i, entry in enumerate(raw):
        here = f"{path}[{i}]"
        if not isinstance(entry, dict):
            reader.fail(here, f"{here} must be an object {{id, name, amount}}")
            continue
        method_id = reader.integer(entry.get("id"), f"{here}.id", low=1)
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            reader.fail(f"{here}.name", f"{here}.name must be a string")
        amount = reader.money(entry.get("amount"), f"{here}.amount")
        if method_id is not None and amount is not None:
            payments.append(Payment(method_id, name if isinstance(name, str) else None, amount, here))
    return payments
