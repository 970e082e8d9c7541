"""Pure ASGI middleware: request id, timing, body size limit, headers of every answer, the access log line."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clopos_server import jsonio
from clopos_server.api.handlers import error_for_unexpected
from clopos_server.errors import ApiError
from clopos_server.logs import request_id_var
from clopos_server.ratelimit.middleware import AUTH_PATHS

log = logging.getLogger("clopos_server.access")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")


class RequestContextMiddleware:
    """Gives each request an id (the client's ``X-Request-ID`` when sane) and a start time, echoes the
    id on the answer, refuses bodies over the limit with 413, and logs one line per request. Every answer
    gets ``X-Content-Type-Options: nosniff`` (unless it set it), token answers ``Cache-Control: no-store``."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, error_format: str = "list") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.error_format = error_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        sent = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _CLIENT_REQUEST_ID.match(sent) else uuid.uuid4().hex
        scope.setdefault("state", {}).update(started=started, request_id=request_id)
        token = request_id_var.set(request_id)
        status_holder: dict[str, int] = {}
        extra = [(b"x-request-id", request_id.encode())]
        if scope["path"] in AUTH_PATHS:  # a token answer (or a refusal) is not for any cache to keep
            extra.append(_NO_STORE)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                answer_headers = [*message.get("headers", []), *extra]
                if not any(name == _NOSNIFF[0] for name, _ in answer_headers):
                    answer_headers.append(_NOSNIFF)
                message["headers"] = answer_headers
            await send(message)

        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                await send_error(send_with_id, _too_large_error(self.max_body_bytes), self.error_format)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        except Exception as exc:
            if "status" in status_holder:  # the answer has begun: nothing sane can be sent any more
                raise
            error = error_for_unexpected(exc, request_id)
            await send_error(send_with_id, error, self.error_format)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status_holder.get("status"),
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)

    def _limited(self, receive: Receive) -> Receive:
        """Counts a body sent without Content-Length (chunked) and stops it past the limit."""
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _too_large_error(self.max_body_bytes)
            return message

        return limited_receive


async def send_error(send: Send, error: ApiError, error_format: str) -> None:
    """An error answer from ASGI middleware, outside the app's exception handlers."""
    body = jsonio.dumps(error.body(error_format))
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(name.lower().encode(), value.encode()) for name, value in error.headers.items()]
    await send({"type": "http.response.start", "status": error.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large_error(limit: int) -> ApiError:
    return ApiError("payload_too_large", f"The request body is larger than {limit} bytes")
