"""Applying the armed rules to a request of a test brand, once it is authenticated (the brand is known).

``fail`` answers at once with the API's error envelope, ``delay_ms`` waits and goes on, ``lose_answer``
lets the request do its work and commit, and marks it so that :class:`LostAnswerMiddleware` throws the
answer away (as a gateway that dropped it would).
"""

from __future__ import annotations

import asyncio
from typing import Any

from clopos_server.db.engine import Database
from clopos_server.errors import ApiError
from clopos_server.faults.rules import Rule, take

LOST = "clopos.lost_answer"  # request state: how to lose this request's answer
_FAILURES = {
    429: ("rate_limited", "Too many requests"),
    500: ("server_error", "Internal server error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("unavailable", "Service unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}


def failure(rule: Rule) -> ApiError:
    """The error a ``fail`` rule answers, with ``Retry-After`` when it names one (429 and 503: 1 s)."""
    status = rule.status or 500
    code, message = _FAILURES[status]
    retry_after = rule.retry_after if rule.retry_after is not None else (1 if status in (429, 503) else None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return ApiError(code, f"{message} (rehearsed fault {rule.id})", headers=headers)


def lost_answer(rule_id: int) -> ApiError:
    return ApiError("bad_gateway", f"Bad gateway: the answer was lost (rehearsed fault {rule_id})")


async def rehearse(db: Database, state: dict[str, Any], brand_id: int, method: str, path: str) -> None:
    """Apply the first armed rule matching the request, if any (``state`` is the ASGI scope's state)."""
    rule = await take(db, brand_id, method, path)
    if rule is None:
        return
    if rule.action == "fail":
        raise failure(rule)
    if rule.action == "delay_ms":
        await asyncio.sleep((rule.delay_ms or 0) / 1000)
        return
    state[LOST] = (rule.id, rule.lose_as)
