"""The path index (api/route_index.py) picks, for every literal path and method, the route that FastAPI's
walk over every route picks, and a request answers the same with it as without it."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from clopos_server.api.route_index import PathIndex, index_literal_paths


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


async def test_a_path_with_a_parameter_is_left_to_the_walk(app: FastAPI) -> None:
    table = index_literal_paths(app.router.routes[1:])
    assert ("/open-api/products", "GET") in table
    assert not any(path.startswith("/open-api/products/") and path[-1].isdigit() for path, _ in table)
    status, endpoint, route = await _dispatch(app, "GET", "/open-api/products/3")
    assert status == 401 and endpoint is not None and route is not None  # the walk found the route
