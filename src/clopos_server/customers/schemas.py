"""What the customer endpoints accept: query specs for the lists, and the ``POST /customers`` body."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from clopos_server.api.errors import ApiError, Problem
from clopos_server.api.query import INT, STR, ResourceQuerySpec

CUSTOMER_INCLUDES = frozenset({"group", "balance", "cashback_balance"})

CUSTOMER_QUERY = ResourceQuerySpec(
    default_limit=50,
    max_limit=999,
    sorts=("id", "cid", "group_id", "name", "email", "address", "created_at", "updated_at"),
    default_sort=("created_at", True),
    # ``phone`` is accepted as a spelling of ``phones``: both match any of the customer's numbers
    filters={"name": STR, "phones": STR, "phone": STR, "group_id": INT},
    includes=CUSTOMER_INCLUDES,
)
CUSTOMER_READ_QUERY = ResourceQuerySpec(includes=CUSTOMER_INCLUDES)

CUSTOMER_GROUP_QUERY = ResourceQuerySpec(
    sorts=("id", "name", "position", "created_at", "updated_at"), default_sort=("position", False)
)

DEFAULT_GROUP_SYSTEM_TYPE = "my_customers"

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT_RE = re.compile(r"[0-9]{1,18}")
_MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class NewCustomer:
    """A validated ``POST /customers`` body."""

    name: str
    email: str | None
    phone: str | None
    code: str | None
    cid: str
    description: str | None
    group_id: int | None
    gender: int | None
    date_of_birth: date | None


class _Reader:
    """Reads fields of one body, collecting every problem so that one 400 names them all."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.problems: list[Problem] = []

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(f"{name} {message}", name))

    def text(self, name: str, limit: int, *, required: bool = False, numbers: bool = False) -> str | None:
        """A string field, stripped; blank is absent. ``numbers`` also takes an integer (phones, codes)."""
        value = self.body.get(name)
        if numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return None
        value = value.strip()
        if len(value) > limit:
            self.fail(name, f"must be at most {limit} characters")
            return None
        return value

    def integer(self, name: str, choices: tuple[int, ...] = ()) -> int | None:
        """An id or code: a number or a numeric string (as integrators send ids)."""
        value = self.body.get(name)
        if value is None or value == "":
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            number = int(value.strip())
        if number is None or not 0 < number <= _MAX_ID or (choices and number not in choices):
            allowed = " or ".join(str(choice) for choice in choices)
            self.fail(name, f"must be {allowed}" if choices else "must be a positive integer")
            return None
        return number

    def day(self, name: str) -> date | None:
        text = self.text(name, 10)
        if text is None:
            return None
        try:
            if not _DATE_RE.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            self.fail(name, "must be a date in YYYY-MM-DD format")
            return None

    def uuid(self, name: str) -> str:
        text = self.text(name, 36)
        if text is None:
            return str(uuid.uuid4())
        if not _UUID_RE.fullmatch(text):
            self.fail(name, "must be a UUID")
        return text.lower()


def parse_new_customer(body: dict[str, Any]) -> NewCustomer:
    """The body of ``POST /customers``, or a 400 ``validation_failed`` naming every bad field."""
    read = _Reader(body)
    customer = NewCustomer(
        name=read.text("name", 255, required=True) or "",
        email=read.text("email", 255),
        phone=read.text("phone", 64, numbers=True),
        code=read.text("code", 64, numbers=True),
        cid=read.uuid("cid"),
        description=read.text("description", 1000),
        group_id=read.integer("group_id"),
        gender=read.integer("gender", (1, 2)),
        date_of_birth=read.day("date_of_birth"),
    )
    if read.problems:
        count = len(read.problems)
        message = read.problems[0].message if count == 1 else f"{count} problems in the customer"
        raise ApiError("validation_failed", message, read.problems)
    return customer
