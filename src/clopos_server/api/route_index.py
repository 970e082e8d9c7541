"""A request for a path without parameters finds its route in one dict look-up.

FastAPI's router tries every route in turn: each included router (one per resource and prefix, 40 of
them) walks its routes' regexes to say whether it has a match, then walks them again to pick it. A page of
products spent 39% of a worker's CPU there (py-spy, docs/decisions/0009). ``PathIndex`` sits first in the
router's routes and knows, for each literal path and method, the route that walk would choose: the first
route, in the router's own order, whose pattern matches the path and which takes the method. It is worked
out once, at the first request (every route is added by then), from the same routes. Anything else (a
path with a parameter, a method no route there takes, a route the walk would reach through a mount) is
not in the index: the walk goes on as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class _Target:
    """What the walk would put into the request's scope, and the route's own handler (the ASGI app that
    the route's ``handle`` calls once the method has been checked)."""

    endpoint: Any
    route: APIRoute | None  # FastAPI puts the APIRoute into the scope; a Starlette route puts nothing
    app: ASGIApp


class PathIndex(BaseRoute):
    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes  # the router's own list, read at the first request
        self._table: dict[tuple[str, str], _Target] | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("root_path"):  # a root path: the walk strips it
            return Match.NONE, {}
        table = self._table if self._table is not None else self._build()
        target = table.get((scope["path"], scope["method"]))
        if target is None:
            return Match.NONE, {}
        child: dict[str, Any] = {"endpoint": target.endpoint, "path_params": {}}
        if target.route is not None:
            child["route"] = target.route
        return Match.FULL, child

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # names belong to the routes themselves, found after this one

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._table is not None  # matches() built it and found the path
        await self._table[scope["path"], scope["method"]].app(scope, receive, send)

    def _build(self) -> dict[tuple[str, str], _Target]:
        self._table = index_literal_paths([route for route in self._routes if route is not self])
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
