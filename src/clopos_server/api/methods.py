"""The methods each path serves: 405 with a complete ``Allow``, ``OPTIONS``, and 415 for a body not in JSON.

Starlette answers 405 with the methods of the first route whose path matched, and hands a request to a
route with a path parameter even where a literal path names another resource (``PUT /orders/calculate``
reached ``PUT /orders/{order_id}`` and answered 400 for its id). ``MethodGuardMiddleware`` looks the path
up first, in a table built once from the app's own routes (so it lists exactly what each prefix serves):
the most specific template that matches the path (a literal segment beats a parameter, left to right) is
the resource, and the union of its routes' methods is what ``Allow`` says. A method outside it answers 405
before any route runs; ``OPTIONS`` answers 200 with ``Allow`` and the same list in a success envelope.
Paths no route serves go on to the router (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from clopos_server.api.envelope import success
from clopos_server.api.middleware import send_error
from clopos_server.errors import ApiError, Problem

API_ROOT = "/open-api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ANY = "*"


@dataclass
class _Node:
    """One path segment of the table: literal children, at most one parameter child, and the methods of
    the routes whose template ends here (``None``: none does; ``ANY`` among them: one takes every method).
    ``allow`` is what a request for this node's path is answered with, computed once."""

    literal: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    methods: set[str] | None = None
    allow: frozenset[str] | None = None


class MethodTable:
    """Which methods a path serves, from the app's routes (parameters match one non-empty segment)."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._root = _Node()
        for route in iter_route_contexts(routes):
            path, methods = route.path, route.methods
            if not path or not isinstance(route.original_route, Route):
                continue  # a mount (the paths below it are its own) or a websocket: not in the table
            node = self._root
            for segment in path.split("/")[1:]:
                if segment.startswith("{"):
                    node.param = node.param or _Node()
                    node = node.param
                else:
                    node = node.literal.setdefault(segment, _Node())
            node.methods = (node.methods or set()) | (set(methods) if methods else {ANY})
            node.allow = None if ANY in node.methods else frozenset(node.methods | {"OPTIONS"})

    def allowed(self, path: str) -> frozenset[str] | None:
        """The methods of the path's resource; ``None`` for a path that no route serves as a whole, or
        that a route serves with every method (nothing to refuse)."""
        node = _find(self._root, path.split("/")[1:], 0)
        return None if node is None else node.allow


def _find(node: _Node, segments: list[str], index: int) -> _Node | None:
    """Depth first, literal before parameter: the first template found is the most specific one."""
    if index == len(segments):
        return node if node.methods is not None else None
    segment = segments[index]
    child = node.literal.get(segment)
    if child is not None:
        found = _find(child, segments, index + 1)
        if found is not None:
            return found
    if node.param is not None and segment:
        return _find(node.param, segments, index + 1)
    return None


def allow_header(methods: frozenset[str]) -> str:
    known = [m for m in _ORDER if m in methods]
    return ", ".join(known + sorted(methods.difference(_ORDER)))


def json_body_refusal(headers: list[tuple[bytes, bytes]]) -> ApiError | None:
    """A 415 when the request has a body and a ``Content-Type`` other than JSON in UTF-8; a body without
    any ``Content-Type`` is left to the body reader (JSON or a 400)."""
    has_body = False
    types: list[bytes] = []
    for name, value in headers:
        if name == b"content-type":
            if value != b"application/json":  # the common case needs no parsing
                types.append(value)
        elif name == b"content-length":
            has_body = has_body or value.strip() not in (b"0", b"")
        elif name == b"transfer-encoding":
            has_body = True
    bad = next((value for value in types if not _is_json(value)), None) if has_body else None
    if bad is None:
        return None
    message = (
        f"The body must be JSON (Content-Type: application/json; charset=utf-8), not "
        f"{bad.decode('latin-1')[:100]!r}"
    )
    return ApiError("unsupported_media_type", message, [Problem(message, "header.content-type")])


def _is_json(content_type: bytes) -> bool:
    """``application/json``, any case, parameters tolerated; a charset other than UTF-8 is not."""
    media, *parameters = content_type.decode("latin-1").split(";")
    if media.strip().lower() != "application/json":
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            return False
    return True


class MethodGuardMiddleware:
    """405 and ``OPTIONS`` from ``MethodTable``, then 415 for a non-JSON body under the API prefixes."""

    def __init__(self, app: ASGIApp, error_format: str = "list") -> None:
        self.app = app
        self.error_format = error_format
        self._table: MethodTable | None = None  # built at the first request, once every route is added

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._table is None:
            self._table = MethodTable(scope["app"].routes)
        path = scope["path"]
        methods = self._table.allowed(path)
        method = scope["method"]
        if methods is None:
            await self.app(scope, receive, send)
        elif method == "OPTIONS":
            allow = allow_header(methods)
            answer = success(Request(scope), {"allow": allow.split(", ")}, headers={"Allow": allow})
            await answer(scope, receive, send)
        elif method not in methods:
            allow = allow_header(methods)
            error = ApiError(
                "method_not_allowed", f"Method not allowed; allowed: {allow}", headers={"Allow": allow}
            )
            await send_error(send, error, self.error_format)
        elif (
            method in BODY_METHODS
            and path.startswith(API_ROOT)
            and (refusal := json_body_refusal(scope["headers"])) is not None
        ):
            await send_error(send, refusal, self.error_format)
        else:
            await self.app(scope, receive, send)
