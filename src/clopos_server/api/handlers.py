"""Every failure becomes the JSON error envelope: API errors, framework errors, outages, bugs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from clopos_server import metrics
from clopos_server.db.unavailable import unavailable_reason
from clopos_server.errors import ApiError, Problem
from clopos_server.kit.responses import error_response

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1  # outages here last seconds; clients back off further on repeated 503s

_HTTP_CODES = {
    400: "validation_failed",
    401: "unauthorized",
    403: "forbidden",
    404: "resource_not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    503: "unavailable",
}


def field_path(loc: Sequence[Any]) -> str:
    """``('body', 'payload', 'products', 0, 'count')`` -> ``payload.products[0].count``."""
    parts: list[str] = []
    for item in loc[1:] if loc and loc[0] in {"body", "query", "path", "header"} else loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    prefix = {"query": "query.", "path": "path.", "header": "header."}.get(str(loc[0]) if loc else "", "")
    return prefix + "".join(parts)


def _error_format(request: Request) -> str:
    services = getattr(request.app.state, "services", None)
    return services.settings.error_format if services is not None else "list"


def render(request: Request, error: ApiError) -> Response:
    return error_response(error, _error_format(request))


def unavailable_error(message: str, request_id: str) -> ApiError:
    """The 503 of every "not available now": JSON, with Retry-After, and the request id to quote."""
    return ApiError(
        "unavailable",
        f"Service unavailable: {message}. Retry later (request id {request_id})",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def error_for_unexpected(exc: BaseException, request_id: str) -> ApiError:
    """A 503 when the database cannot serve now (db/unavailable.py), else a 500 with the request id to
    quote; both logged here, the 503 as a warning without a traceback (it is not a bug)."""
    found = unavailable_reason(exc)
    if found is not None:
        metrics.DB_UNAVAILABLE.labels(reason=found.reason).inc()
        if found.reason == "pool":
            metrics.DB_POOL_TIMEOUTS.inc()
        log.warning(
            "database unavailable",
            extra={"reason": found.reason, "detail": found.message, "error": type(exc).__name__},
        )
        return unavailable_error(found.message, request_id)
    log.error("unhandled error", exc_info=exc)
    return ApiError("server_error", f"Internal server error (request id {request_id})")


def install_error_handlers(app: FastAPI) -> None:
    """Errors raised inside routes; unexpected ones are caught by ``RequestContextMiddleware``."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return render(request, exc)

    async def request_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            Problem(str(e.get("msg", "Invalid value")), field_path(e.get("loc", ()))) for e in exc.errors()
        ]
        in_query = all(p.field and p.field.startswith(("query.", "path.")) for p in problems)
        code = "invalid_parameter" if in_query else "validation_failed"
        message = problems[0].message if len(problems) == 1 else f"{len(problems)} problems in the request"
        return render(request, ApiError(code, message, problems))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = _HTTP_CODES.get(
            exc.status_code, "server_error" if exc.status_code >= 500 else "validation_failed"
        )
        message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        return render(request, ApiError(code, message, headers=headers, status=exc.status_code))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(HTTPException, http_error)
