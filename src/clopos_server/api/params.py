"""Path parameters: ids are positive integers, anything else is a 400 naming the parameter."""

from __future__ import annotations

from clopos_server.api.errors import invalid_parameter

MAX_ID = 2**63 - 1


def parse_id(value: str, name: str = "id") -> int:
    if value.isdigit() and 0 < int(value) <= MAX_ID and value.isascii():
        return int(value)
    raise invalid_parameter(name, f"{name} must be a positive integer")
