"""The success envelope of spec/api.md, rendered once to bytes with exact decimals."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from clopos_server.kit.responses import JSON_MEDIA_TYPE, json_response

__all__ = ["JSON_MEDIA_TYPE", "envelope_stamp", "json_response", "success"]


def envelope_stamp(request: Request) -> dict[str, Any]:
    """``time`` (whole ms spent so far), ``timestamp`` and ``unix`` of the answer."""
    started: float = getattr(request.state, "started", time.perf_counter())
    unix = int(time.time())
    return {
        "time": int((time.perf_counter() - started) * 1000),
        "timestamp": _timestamp(unix),
        "unix": unix,
    }


@functools.lru_cache(maxsize=4)
def _timestamp(unix: int) -> str:
    """The answer's ``timestamp``, written once a second (``strftime`` per answer was 1% of a read's
    CPU)."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M:%S")


def success(
    request: Request,
    data: Any,
    *,
    status: int = 200,
    message: str | None = None,
    total: int | None = None,
    sorts: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"success": True}
    if message is not None:
        body["message"] = message
    body["data"] = data
    if total is not None:
        body["total"] = total
    body.update(envelope_stamp(request))
    if sorts is not None:
        body["sorts"] = list(sorts)
    return json_response(body, status, headers)
