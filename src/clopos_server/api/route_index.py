"""A request finds its route without FastAPI's walk over every router.

FastAPI's router tries every route in turn: each included router (one per resource and prefix, 40 of
them) walks its routes' regexes to say whether it has a match, then walks them again to pick it. A page of
products spent 39% of a worker's CPU there, a read of one order 22% (py-spy, docs/decisions/0009).
``PathIndex`` sits first in the router's routes and picks the route that walk would choose: the first
route, in the router's own order, whose pattern matches the path and which takes the method.

- A literal path (no parameter) is one dict look-up, worked out at the first request (every route is
  added by then).
- A path with parameters is matched against the routes with as many path segments that take the method,
  in the router's order: their literal segments compared as strings first, then the route's own regex,
  whose groups become ``path_params`` through the route's convertors, as the walk does. A route the
  index cannot judge this way (a mount, a ``{name:path}`` parameter that spans segments, a route matched
  by more than its path) stands in every list where it stands in that order: when its pattern may take
  the path (or it has none), the scan stops there and the walk decides.

Anything not found (a method no route there takes, a path that no route matches) is left to the walk,
which then answers 404 or 405 as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A route with parameters, as the scan over its segment count sees it."""

    literals: tuple[tuple[int, str], ...]  # (position, text) of the segments without a parameter
    regex: Any  # a route the index cannot judge: None when nothing says which paths it takes
    convertors: dict[str, Any]
    target: _Target | None  # None: a route the index cannot judge; the scan stops there if it may match


@dataclass(frozen=True, slots=True)
class _Target:
    """What the walk would put into the request's scope, and the route's own handler (the ASGI app that
    the route's ``handle`` calls once the method has been checked)."""

    endpoint: Any
    route: APIRoute | None  # FastAPI puts the APIRoute into the scope; a Starlette route puts nothing
    app: ASGIApp


_TARGET = "clopos.route_target"  # the scope key by which matches() tells handle() what it found


class PathIndex(BaseRoute):
    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes  # the router's own list, read at the first request
        self._table: dict[tuple[str, str], _Target] | None = None
        self._patterns: dict[tuple[str, int], list[_Pattern]] = {}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("root_path"):  # a root path: the walk strips it
            return Match.NONE, {}
        table = self._table if self._table is not None else self._build()
        path, method = scope["path"], scope["method"]
        target = table.get((path, method))
        params: dict[str, Any] = {}
        if target is None:
            found = self._with_parameters(path, method)
            if found is None:
                return Match.NONE, {}
            target, params = found
        child: dict[str, Any] = {"endpoint": target.endpoint, "path_params": params, _TARGET: target}
        if target.route is not None:
            child["route"] = target.route
        return Match.FULL, child

    def _with_parameters(self, path: str, method: str) -> tuple[_Target, dict[str, Any]] | None:
        segments = path.split("/")
        for pattern in self._patterns.get((method, len(segments)), ()):
            if pattern.target is None:  # a mount, say: the walk decides when it may take the path
                if pattern.regex is None or pattern.regex.match(path):
                    return None
                continue
            if any(segments[at] != text for at, text in pattern.literals):
                continue
            found = pattern.regex.match(path)
            if found is not None:
                converted = {
                    name: pattern.convertors[name].convert(value) for name, value in found.groupdict().items()
                }
                return pattern.target, converted
        return None

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # names belong to the routes themselves, found after this one

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope.pop(_TARGET).app(scope, receive, send)

    def _build(self) -> dict[tuple[str, str], _Target]:
        routes = [route for route in self._routes if route is not self]
        self._patterns = index_parameter_paths(routes)
        self._table = index_literal_paths(routes)
        return self._table


def index_literal_paths(routes: list[BaseRoute]) -> dict[tuple[str, str], _Target]:
    """(path, method) -> the route the router's walk chooses, for every literal path a route declares."""
    contexts = list(iter_route_contexts(routes))
    table: dict[tuple[str, str], _Target] = {}
    for context in contexts:
        path, methods = context.path, context.methods
        if not path or "{" in path or not methods or not isinstance(context.original_route, Route):
            continue
        for method in methods:
            if (path, method) not in table and _first_match(contexts, path, method) is context:
                table[path, method] = _target(context)
    return table


def index_parameter_paths(routes: list[BaseRoute]) -> dict[tuple[str, int], list[_Pattern]]:
    """(method, number of path segments) -> the routes with parameters that may match such a path, in the
    router's order; a route the index cannot judge is in every list, where it stands."""
    indexed: dict[tuple[str, int], list[tuple[int, _Pattern]]] = {}  # (position in the order, route)
    blocked: list[tuple[int, _Pattern]] = []  # barriers: in every list, any method
    for position, context in enumerate(iter_route_contexts(routes)):
        path, regex, methods = context.path, getattr(context, "path_regex", None), context.methods or set()
        plain = isinstance(context.original_route, Route) and regex is not None and methods
        if plain and path and "{" not in path:
            continue  # a literal path: in the literal table, or never the walk's choice
        if not plain or not path or any(":path}" in part for part in path.split("/")):
            blocked.append((position, _Pattern((), regex, {}, None)))
            continue
        parts = path.split("/")
        literals = tuple((at, part) for at, part in enumerate(parts) if "{" not in part)
        pattern = _Pattern(literals, regex, dict(context.param_convertors), _target(context))
        for method in methods:
            indexed.setdefault((method, len(parts)), []).append((position, pattern))
    return {
        key: [pattern for _position, pattern in sorted(entries + blocked, key=lambda entry: entry[0])]
        for key, entries in indexed.items()
    }


def _first_match(contexts: list[RouteContext], path: str, method: str) -> RouteContext | None:
    """The walk's choice for an HTTP request: the first route whose pattern matches the whole path and
    whose methods include this one (a route without methods takes any: a mount, for instance). A route
    matched by something other than its path (a host) counts as matching: no path behind it is indexed."""
    for context in contexts:
        pattern = getattr(context, "path_regex", None)
        if pattern is None or (pattern.match(path) and (not context.methods or method in context.methods)):
            return context
    return None


def _target(context: RouteContext) -> _Target:
    route = context.original_route
    return _Target(context.endpoint, route if isinstance(route, APIRoute) else None, context.app)
