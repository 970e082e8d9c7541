"""What the customer endpoints accept: query specs for the lists, and the ``POST /customers`` body."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from clopos_server.kit.body import BodyReader
from clopos_server.kit.query import ID, TEXT, ResourceQuerySpec

CUSTOMER_INCLUDES = frozenset({"group", "balance", "cashback_balance"})

CUSTOMER_QUERY = ResourceQuerySpec(
    default_limit=50,
    max_limit=999,
    sorts=("id", "cid", "group_id", "name", "email", "address", "created_at", "updated_at"),
    default_sort=("created_at", True),
    # ``phone`` is accepted as a spelling of ``phones``: both match any of the customer's numbers
    filters={"name": TEXT, "phones": TEXT, "phone": TEXT, "group_id": ID},
    includes=CUSTOMER_INCLUDES,
)
CUSTOMER_READ_QUERY = ResourceQuerySpec(includes=CUSTOMER_INCLUDES)

CUSTOMER_GROUP_QUERY = ResourceQuerySpec(
    sorts=("id", "name", "position", "created_at", "updated_at"), default_sort=("position", False)
)

DEFAULT_GROUP_SYSTEM_TYPE = "my_customers"
NAME_LENGTH = 255
CODE_LENGTH = 64  # phone and code columns
TEXT_LENGTH = 1000


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


def _given(body: dict[str, Any], name: str) -> Any:
    """The field's value, text stripped; a blank string counts as not sent."""
    value = body.get(name)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _cid(read: BodyReader, body: dict[str, Any]) -> str:
    """The client's cid, or a new one when it sent none."""
    sent = _given(body, "cid")
    if sent is None:
        return str(uuid.uuid4())
    return read.uuid(sent, "cid") or ""


def parse_new_customer(body: dict[str, Any]) -> NewCustomer:
    """The body of ``POST /customers``, or a 400 ``validation_failed`` naming every bad field."""
    read = BodyReader(subject="customer")
    customer = NewCustomer(
        name=read.string(_given(body, "name"), "name", limit=NAME_LENGTH, required=True) or "",
        email=read.string(_given(body, "email"), "email", limit=NAME_LENGTH),
        phone=read.string(_given(body, "phone"), "phone", limit=CODE_LENGTH, numbers=True),
        code=read.string(_given(body, "code"), "code", limit=CODE_LENGTH, numbers=True),
        cid=_cid(read, body),
        description=read.string(_given(body, "description"), "description", limit=TEXT_LENGTH),
        group_id=read.integer(_given(body, "group_id"), "group_id"),
        gender=read.choice(_given(body, "gender"), "gender", (1, 2)),
        date_of_birth=read.day(_given(body, "date_of_birth"), "date_of_birth"),
    )
    read.done()
    return customer
