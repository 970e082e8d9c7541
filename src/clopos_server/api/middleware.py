"""Pure ASGI middleware: request id, timing, the request deadline, body size limit, headers of every answer,
the access log line and the request metrics."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clopos_server import jsonio, metrics
from clopos_server.api.handlers import error_for_unexpected, unavailable_error
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
    gets ``X-Content-Type-Options: nosniff`` (unless it set it), token answers ``Cache-Control: no-store``.

    A request whose answer has not begun within ``request_timeout`` seconds is cancelled and answered
    with the JSON 503 (a board stream has begun its answer long before: the deadline stops there)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        error_format: str = "list",
        request_timeout: float | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.error_format = error_format
        self.request_timeout = request_timeout

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
        route: list[str] = []  # the route template, worked out once when the answer begins
        extra = [(b"x-request-id", request_id.encode())]
        if scope["path"] in AUTH_PATHS:  # a token answer (or a refusal) is not for any cache to keep
            extra.append(_NO_STORE)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                if status_holder.pop("armed", 0):  # the answer has begun: a stream may run on
                    deadline.reschedule(None)
                status_holder["status"] = message["status"]
                route.append(route_template(scope))
                _observe(route[0], scope["method"], message["status"], started)
                answer_headers = [*message.get("headers", []), *extra]
                if not any(name == _NOSNIFF[0] for name, _ in answer_headers):
                    answer_headers.append(_NOSNIFF)
                message["headers"] = answer_headers
            await send(message)

        deadline = asyncio.timeout(self.request_timeout)
        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                await send_error(send_with_id, _too_large_error(self.max_body_bytes), self.error_format)
                return
            async with deadline:
                status_holder["armed"] = 1
                try:
                    await self.app(scope, self._limited(receive), send_with_id)
                finally:
                    status_holder.pop("armed", None)
        except Exception as exc:
            if "status" in status_holder:  # the answer has begun: nothing sane can be sent any more
                raise
            await send_error(send_with_id, self._error_for(exc, deadline, request_id), self.error_format)
        finally:
            if log.isEnabledFor(logging.INFO):  # the line's fields are not built for a level that drops it
                template = route[0] if route else route_template(scope)
                fields = _access_fields(scope, template, status_holder.get("status"), started)
                log.info("request", extra=fields)
            request_id_var.reset(token)

    def _error_for(self, exc: Exception, deadline: asyncio.Timeout, request_id: str) -> ApiError:
        if isinstance(exc, TimeoutError) and deadline.expired():
            metrics.DB_UNAVAILABLE.labels(reason="deadline").inc()
            log.warning("request deadline", extra={"seconds": self.request_timeout})
            return unavailable_error(
                f"the request did not finish within {self.request_timeout:g} s", request_id
            )
        return error_for_unexpected(exc, request_id)

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


def route_template(scope: Scope) -> str:
    """The path as declared (``/open-api/orders/{order_id}``): a label of bounded cardinality. Built from
    the path and the matched route's parameters, since an included router's route knows only its own
    part of the path; a path no route matched is ``unmatched``."""
    if "endpoint" not in scope and "route" not in scope:
        return "unmatched"
    segments = str(scope["path"]).split("/")
    for name, value in (scope.get("path_params") or {}).items():
        segments = [f"{{{name}}}" if segment == str(value) else segment for segment in segments]
    return "/".join(segments)


# Each answer's two series, looked up once per (route, method, status): ``labels()`` takes a lock, builds
# the label tuple and checks it on every call, 3.4% of a catalogue page's CPU (docs/decisions/0009). The
# keys are as bounded as the series themselves (route templates, not paths).
_SERIES: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def _observe(route: str, method: str, status: int, started: float) -> None:
    series = _SERIES.get((route, method, status))
    if series is None:
        series = _SERIES[route, method, status] = (
            metrics.REQUESTS.labels(route=route, method=method, status=str(status)),
            metrics.REQUEST_SECONDS.labels(route=route, method=method),
        )
    count, seconds = series
    count.inc()
    seconds.observe(time.perf_counter() - started)


def _access_fields(scope: Scope, route: str, status: int | None, started: float) -> dict[str, Any]:
    """The access line's fields: the same in every worker and format."""
    client = scope.get("client")
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": scope["path"],
        "route": route,
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 2),
        "client": client[0] if client else None,
    }
    auth = scope.get("state", {}).get("auth")
    brand = getattr(getattr(auth, "brand", None), "slug", None)
    if brand is not None:
        fields["brand"] = brand
    return fields


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
