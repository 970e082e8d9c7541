"""The one catalogue of machine error codes, and the exception every layer raises to answer with one.

Services raise :class:`ApiError` (or a helper below); the app's exception handlers render it in the error
envelope of ``spec/api.md``. Nothing else decides statuses or codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """The machine codes; each member is its wire string (``ErrorCode.CONFLICT == "conflict"``)."""

    INVALID_PARAMETER = "invalid_parameter"
    VALIDATION_FAILED = "validation_failed"
    AUTHENTICATION_FAILED = "authentication_failed"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    RESOURCE_NOT_FOUND = "resource_not_found"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    URI_TOO_LONG = "uri_too_long"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    HEADERS_TOO_LARGE = "headers_too_large"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    BAD_GATEWAY = "bad_gateway"
    UNAVAILABLE = "unavailable"
    GATEWAY_TIMEOUT = "gateway_timeout"


# machine code -> (HTTP status, exception name written in each error entry)
ERROR_CODES: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.INVALID_PARAMETER: (400, "InvalidParameterException"),
    ErrorCode.VALIDATION_FAILED: (400, "ValidationException"),
    ErrorCode.AUTHENTICATION_FAILED: (401, "AuthenticationException"),
    ErrorCode.UNAUTHORIZED: (401, "UnauthorizedException"),
    ErrorCode.FORBIDDEN: (403, "ForbiddenException"),
    ErrorCode.RESOURCE_NOT_FOUND: (404, "NotFoundException"),
    ErrorCode.NOT_FOUND: (404, "NotFoundException"),
    ErrorCode.METHOD_NOT_ALLOWED: (405, "MethodNotAllowedException"),
    ErrorCode.CONFLICT: (409, "ConflictException"),
    ErrorCode.IDEMPOTENCY_KEY_IN_USE: (409, "IdempotencyException"),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (422, "IdempotencyException"),
    ErrorCode.PAYLOAD_TOO_LARGE: (413, "PayloadTooLargeException"),
    ErrorCode.URI_TOO_LONG: (414, "UriTooLongException"),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: (415, "UnsupportedMediaTypeException"),
    ErrorCode.HEADERS_TOO_LARGE: (431, "RequestHeaderFieldsTooLargeException"),
    ErrorCode.RATE_LIMITED: (429, "TooManyRequestsException"),
    ErrorCode.SERVER_ERROR: (500, "ServerException"),
    ErrorCode.BAD_GATEWAY: (502, "BadGatewayException"),  # only from a rehearsed fault (test brands)
    ErrorCode.UNAVAILABLE: (503, "ServiceUnavailableException"),
    ErrorCode.GATEWAY_TIMEOUT: (504, "GatewayTimeoutException"),  # only from a rehearsed fault (test brands)
}


@dataclass(frozen=True)
class Problem:
    """One entry of the ``error`` list: a message, and for validation problems the field path."""

    message: str
    field: str | None = None


@dataclass
class ApiError(Exception):
    """An answer other than success. ``problems`` holds one entry per problem (at least one)."""

    code: ErrorCode | str  # a wire string is read into its ErrorCode; an unknown one is a ValueError
    message: str
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # overrides the code's status where the real API differs (e.g. v2 auth)

    def __post_init__(self) -> None:
        try:
            self.code = ErrorCode(self.code)
        except ValueError:
            raise ValueError(f"unknown error code {self.code!r}") from None
        if not self.problems:
            self.problems = [Problem(self.message)]
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return self.status if self.status is not None else ERROR_CODES[ErrorCode(self.code)][0]

    def body(self, error_format: str = "list") -> dict[str, Any]:
        """The error envelope. ``error_format`` is ``list`` (the real API) or ``documented`` (a string)."""
        exception = ERROR_CODES[ErrorCode(self.code)][1]
        if error_format == "documented":
            error: Any = str(self.code)
        else:
            error = []
            for problem in self.problems:
                entry: dict[str, Any] = {
                    "message": problem.message,
                    "type": str(self.code),
                    "exception": exception,
                    "code": 0,
                    "http_code": self.http_status,
                }
                if problem.field is not None:
                    entry["field"] = problem.field
                error.append(entry)
        return {"success": False, "code": str(self.code), "message": self.message, "error": error}


def validation_failed(problems: list[Problem]) -> ApiError:
    """A 400 for a body with one or more problems, all answered together."""
    message = problems[0].message if len(problems) == 1 else f"{len(problems)} problems in the order"
    return ApiError("validation_failed", message, list(problems))


def invalid_parameter(name: str, message: str) -> ApiError:
    """A 400 for a bad query parameter, naming it as ``query.<name>``."""
    return ApiError("invalid_parameter", message, [Problem(message, f"query.{name}")])


def not_found(message: str, code: ErrorCode | str = ErrorCode.RESOURCE_NOT_FOUND) -> ApiError:
    return ApiError(code, message)


def conflict(message: str) -> ApiError:
    return ApiError("conflict", message)


def unauthorized(message: str) -> ApiError:
    return ApiError("unauthorized", message)
