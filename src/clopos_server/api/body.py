"""Reading a JSON request body: exact decimals, clear 400s, never a 500."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from clopos_server.api.errors import Problem, validation_failed


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    """Parse JSON with numbers as ``int`` or ``Decimal`` (no float ever), or raise a 400."""
    if not raw.strip():
        raise validation_failed([Problem("The request body is empty: send a JSON object", "body")])
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not valid JSON"
        raise validation_failed([Problem(f"Malformed JSON body: {reason}", "body")]) from None


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an array or scalar is a 400 naming ``body``."""
    value = parse_json(await request.body())
    if not isinstance(value, dict):
        raise validation_failed([Problem("The request body must be a JSON object", "body")])
    return value
