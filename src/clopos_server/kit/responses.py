"""JSON answers as Starlette responses: the one place a body becomes bytes with its media type.

Below ``api/`` so that a domain package that answers with a stored or rejected response (idempotency)
renders it exactly as the app's error handlers do, without importing ``clopos_server.api``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from clopos_server import jsonio
from clopos_server.errors import ApiError

JSON_MEDIA_TYPE = "application/json"


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(jsonio.dumps(body), status_code=status, headers=headers, media_type=JSON_MEDIA_TYPE)


def error_response(error: ApiError, error_format: str = "list") -> Response:
    """The error envelope of ``error`` (``error_format``: ``list``, or ``documented`` for a string)."""
    return json_response(error.body(error_format), error.http_status, dict(error.headers))
