"""Error models declared in the OpenAPI document, so generated clients know the error envelope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorEntry(BaseModel):
    message: str
    type: str
    exception: str
    code: int
    http_code: int
    field: str | None = None


class ErrorEnvelope(BaseModel):
    success: bool = False
    code: str
    message: str
    error: list[ErrorEntry]


_DESCRIPTIONS = {
    400: "Bad input: `validation_failed` (body) or `invalid_parameter` (query)",
    401: "Missing, invalid or expired credentials",
    404: "Not found (a foreign brand's id is not found either)",
    405: "Method not allowed",
    409: "Conflict: duplicate, illegal state change, or idempotency key in use",
    413: "Body over the size limit",
    422: "Idempotency key reused with another request",
    429: "Rate limited (see Retry-After)",
    500: "Server error (quote the request id)",
    503: "Database unavailable",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": text} for status, text in _DESCRIPTIONS.items()
}
