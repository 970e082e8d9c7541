"""Path parameters: an id is ASCII digits within the INTEGER column's range, else a 400 naming it."""

from __future__ import annotations

from clopos_server.errors import ApiError, Problem
from clopos_server.kit.values import MAX_ID, int_text


def parse_id(value: str, name: str) -> int:
    """The id in path parameter ``name``; a bad one is a 400 naming ``path.<name>``."""
    number = int_text(value)
    if number is None:
        message = f"{name} must be an integer from 1 to {MAX_ID}"
        raise ApiError("invalid_parameter", message, [Problem(message, f"path.{name}")])
    return number
