"""The path index (api/route_index.py) picks, for every literal path and method, and for a path made from
every route with parameters, the route that FastAPI's walk over every route picks, and a request answers
the same with it as without it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, Route

from clopos_server.api.route_index import PathIndex, index_literal_paths, index_parameter_paths

# a value of each convertor's kind, and one that only a plain string parameter takes
SAMPLES = {
    "StringConvertor": ("5", "abc"),
    "IntegerConvertor": ("5", "abc"),
    "FloatConvertor": ("1.5", "x"),
    "UUIDConvertor": ("0" * 8 + "-0000-0000-0000-" + "0" * 12, "5"),
}


async def _dispatch(app: FastAPI, method: str, path: str) -> tuple[int | None, Any, Any]:
    """One request without credentials or body; what the router put into the scope, and the status."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await asyncio.wait_for(app(scope, receive, send), 10)
    return (status[0] if status else None), scope.get("endpoint"), scope.get("route")


async def test_every_literal_path_finds_the_route_the_walk_finds(app: FastAPI) -> None:
    routes = app.router.routes
    index = routes[0]
    assert isinstance(index, PathIndex), "the index must come before every route it stands in for"
    table = index_literal_paths(routes[1:])
    literal = {
        (context.path, method)
        for context in iter_route_contexts(routes[1:])
        if context.path and "{" not in context.path
        for method in context.methods or ()
    }
    assert literal and set(table) == literal  # every literal path of this app is in the index
    with_index = {key: await _dispatch(app, *reversed(key)) for key in sorted(table)}
    routes.remove(index)
    try:
        walked = {key: await _dispatch(app, *reversed(key)) for key in sorted(table)}
    finally:
        routes.insert(0, index)
    assert with_index == walked
    for key, target in table.items():  # and the index chose it: the endpoint the walk put in the scope
        _status, endpoint, _route = walked[key]
        assert endpoint is target.endpoint, key


def _sample_paths(template: str, convertors: dict[str, Any]) -> list[str]:
    """The template with every parameter filled by a value of its kind, and by the other sample."""
    paths = []
    for pick in (0, 1):
        path = template
        for name, convertor in convertors.items():
            value = SAMPLES[type(convertor).__name__][pick]
            path = re.sub(rf"{{{name}(:[a-z]+)?}}", value, path)
        paths.append(path)
    return paths


async def test_every_path_with_parameters_finds_the_route_the_walk_finds(app: FastAPI) -> None:
    routes = app.router.routes
    index = routes[0]
    assert isinstance(index, PathIndex)
    patterns = index_parameter_paths(routes[1:])
    blockers = {p.regex.pattern for ps in patterns.values() for p in ps if p.target is None}
    assert patterns and blockers == {"^/docs/static/(?P<path>.*)$"}  # Swagger UI's files, a mount
    asked = sorted(
        {
            (path, method)
            for context in iter_route_contexts(routes[1:])
            if context.path and "{" in context.path
            for method in context.methods or ()
            for path in _sample_paths(context.path, context.param_convertors)
        }
    )
    assert len(asked) > 100
    with_index = {key: await _dispatch(app, *reversed(key)) for key in asked}
    routes.remove(index)
    try:
        walked = {key: await _dispatch(app, *reversed(key)) for key in asked}
    finally:
        routes.insert(0, index)
    assert with_index == walked
    found = [key for key in asked if index._with_parameters(*key) is not None]
    assert len(found) > len(asked) // 2  # most were the index's to answer, not left to the walk
    for key in found:
        target, _params = index._with_parameters(*key)  # type: ignore[misc]
        assert walked[key][1] is target.endpoint, key


async def test_a_route_the_index_cannot_judge_stops_the_scan(app: FastAPI) -> None:
    """A mount (or a ``{name:path}`` route) before the routes with parameters: the walk decides."""
    routes = app.router.routes
    mount = Mount("/open-api/v2/products", app=lambda scope, receive, send: None)
    patterns = index_parameter_paths([mount, *routes[1:]])
    assert all(ps[0].target is None for ps in patterns.values())  # first in every list
    index = PathIndex([mount, *routes[1:]])
    index._build()
    assert index._with_parameters("/open-api/v2/products/3", "GET") is None  # the mount may take it
    assert index._with_parameters("/open-api/v2/orders/3", "GET") is not None  # it cannot
    spanning = Route("/open-api/{rest:path}", endpoint=lambda request: None)
    index = PathIndex([spanning, *routes[1:]])
    index._build()
    assert index._with_parameters("/open-api/v2/orders/3", "GET") is None
