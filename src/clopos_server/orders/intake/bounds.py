"""What a create-order body may hold (its bounds, shared with the OpenAPI shapes in ``orders.shapes``),
and the small readers every part of the intake uses."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from clopos_server.kit.body import MISSING

MAX_LINES = 500
MAX_COUNT = Decimal(10_000)
MAX_MONEY = Decimal(1_000_000_000)
HUNDRED = Decimal(100)
COUNT_PLACES = 3  # weights to the gram
MONEY_PLACES = 20  # generous: clients that compute prices in floats send 0.30000000000000004
NAME_LENGTH = 255
TEXT_LENGTH = 1000
ADDRESS_LENGTH = 500  # the receipt's address column
ORDER_NUMBER_LENGTH = 20
META_BYTES = 16 * 1024
META_DEPTH = 32
SELLABLE_TYPES = frozenset({"DISH", "GOODS", "MODIFICATION", "TIMER"})
DEFAULT_LINE_STATUS = "new"
FLAT_PASSTHROUGH = (
    "delivery_fee",
    "order_number",
    "auto_order_accept",
    "auto_order_sent_to_station",
    "auto_accept_terminal",
)


def field(container: Mapping[str, Any] | None, key: str) -> Any:
    if container is None:
        return MISSING
    return container.get(key, MISSING)


def absent(value: Any) -> bool:
    return value is MISSING or value is None


def as_sent(raw: Any, parsed: Decimal) -> int | Decimal:
    """The client's number as it sent it (an int stays an int), else the parsed value."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else parsed


def plain(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value
