"""The one catalogue of machine error codes, and the exception every layer raises to answer with one.

Services raise :class:`ApiError` (or a helper below); the app's exception handlers render it in the error
envelope of ``spec/api.md``. Nothing else decides statuses or codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# machine code -> (HTTP status, exception name written in each error entry)
ERROR_CODES: dict[str, tuple[int, str]] = {
    "invalid_parameter": (400, "InvalidParameterException"),
    "validation_failed": (400, "ValidationException"),
    "authentication_failed": (401, "AuthenticationException"),
    "unauthorized": (401, "UnauthorizedException"),
    "forbidden": (403, "ForbiddenException"),
    "resource_not_found": (404, "NotFoundException"),
    "not_found": (404, "NotFoundException"),
    "method_not_allowed": (405, "MethodNotAllowedException"),
    "conflict": (409, "ConflictException"),
    "idempotency_key_in_use": (409, "IdempotencyException"),
    "idempotency_key_reused": (422, "IdempotencyException"),
    "payload_too_large": (413, "PayloadTooLargeException"),
    "uri_too_long": (414, "UriTooLongException"),
    "unsupported_media_type": (415, "UnsupportedMediaTypeException"),
    "headers_too_large": (431, "RequestHeaderFieldsTooLargeException"),
    "rate_limited": (429, "TooManyRequestsException"),
    "server_error": (500, "ServerException"),
    "bad_gateway": (502, "BadGatewayException"),  # only from a rehearsed fault (test brands)
    "unavailable": (503, "ServiceUnavailableException"),
    "gateway_timeout": (504, "GatewayTimeoutException"),  # only from a rehearsed fault (test brands)
}


@dataclass(frozen=True)
class Problem:
    """One entry of the ``error`` list: a message, and for validation problems the field path."""

    message: str
    field: str | None = None


@dataclass
class ApiError(Exception):
    """An answer other than success. ``problems`` holds one entry per problem (at least one)."""

    code: str
    message: str
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # overrides the code's status where the real API differs (e.g. v2 auth)

    def __post_init__(self) -> None:
        if self.code not in ERROR_CODES:
            raise ValueError(f"unknown error code {self.code!r}")
        if not self.problems:
            self.problems = [Problem(self.message)]
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return self.status if self.status is not None else ERROR_CODES[self.code][0]

    def body(self, error_format: str = "list") -> dict[str, Any]:
        """The error envelope. ``error_format`` is ``list`` (the real API) or ``documented`` (a string)."""
        exception = ERROR_CODES[self.code][1]
        if error_format == "documented":
            error: Any = self.code
        else:
            error = []
            for problem in self.problems:
                entry: dict[str, Any] = {
                    "message": problem.message,
                    "type": self.code,
                    "exception": exception,
                    "code": 0,
                    "http_code": self.http_status,
                }
                if problem.field is not None:
                    entry["field"] = problem.field
                error.append(entry)
        return {"success": False, "code": self.code, "message": self.message, "error": error}


def validation_failed(problems: list[Problem]) -> ApiError:
    """A 400 for a body with one or more problems, all answered together."""
    message = problems[0].message if len(problems) == 1 else f"{len(problems)} problems in the order"
    return ApiError("validation_failed", message, list(problems))


def invalid_parameter(name: str, message: str) -> ApiError:
    """A 400 for a bad query parameter, naming it as ``query.<name>``."""
    return ApiError("invalid_parameter", message, [Problem(message, f"query.{name}")])


def not_found(message: str, code: str = "resource_not_found") -> ApiError:
    return ApiError(code, message)


def conflict(message: str) -> ApiError:
    return ApiError("conflict", message)


def unauthorized(message: str) -> ApiError:
    return ApiError("unauthorized", message)
