"""What the receipt request bodies may hold: their limits, and the payment list that closing reads.

Every value is read with :class:`~clopos_server.kit.body.BodyReader`; problems are collected and answered
together as one 400 ``validation_failed``, each naming its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clopos_server.db.types import MONEY_MAX
from clopos_server.kit.body import BodyReader

RECEIPT_ORDER_STATUSES = ("NEW", "SCHEDULED", "IN_PROGRESS", "READY", "PICKED_UP", "COMPLETED", "CANCELLED")
PATCHABLE = ("order_status", "order_number", "fiscal_id", "lock")
INVALID_FIELDS = "Invalid field values provided"
ORDER_NUMBER_LENGTH = 64
FISCAL_ID_LENGTH = 255
NAME_LENGTH = 255
TEXT_LENGTH = 1000
ADDRESS_LENGTH = 500
MAX_LINES = 500
MAX_PAYMENTS = 50
MAX_COUNT = 10_000
MONEY_PLACES = 4  # what a money column keeps
FREE_FORM_DEPTH = 32  # a line's meta, modifiers and taxes are stored as sent
# The receipt's money figures: changed on the POS only, so an update may repeat them but not change them.
MONEY_FIGURES = (
    "subtotal",
    "total",
    "discount_value",
    "discount_rate",
    "total_discount",
    "service_charge",
    "service_charge_value",
    "delivery_fee",
    "i_tax",
    "e_tax",
    "total_tax",
    "remaining",
)


def money(reader: BodyReader, value: Any, path: str) -> Decimal | None:
    """A required non-negative amount that a money column holds exactly."""
    return reader.decimal(value, path, high=MONEY_MAX, places=MONEY_PLACES, required=True)


@dataclass(frozen=True)
class Payment:
    id: int
    name: str | None
    amount: Decimal
    path: str


def read_payments(reader: BodyReader, raw: Any, path: str = "payment_methods") -> list[Payment]:
    """``[{id, name, amount}, ...]`` with at least one entry; amounts as numbers or numeric strings."""
    entries = reader.array(raw, path, required=True, max_items=MAX_PAYMENTS)
    if entries is None:
        return []
    if not entries:
        reader.bad(path, "must be a list of at least one {id, name, amount}")
        return []
    payments: list[Payment] = []
    for i, entry in enumerate(entries):
        here = f"{path}[{i}]"
        item = reader.mapping(entry, here, required=True)
        if item is None:
            continue
        method_id = reader.integer(item.get("id"), f"{here}.id", required=True)
        name = reader.string(item.get("name"), f"{here}.name", limit=NAME_LENGTH)
        amount = money(reader, item.get("amount"), f"{here}.amount")
        if method_id is not None and amount is not None:
            payments.append(Payment(method_id, name, amount, here))
    return payments
