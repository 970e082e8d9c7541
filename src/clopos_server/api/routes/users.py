"""``GET /users`` and ``GET /users/{id}``: the brand's staff, never with a password or PIN hash."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import service, shapes
from clopos_server.catalog.schemas import USER_QUERY

router = APIRouter()


@router.get(
    "/users", summary="Staff users of the brand", **operation(answer=shapes.USER, many=True, query=USER_QUERY)
)
async def list_users(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, USER_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_users(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=USER_QUERY.sorts)


@router.get(
    "/users/{user_id}", summary="One staff user, by id", **operation(answer=shapes.USER, errors=[404])
)
async def get_user(user_id: str, request: Request, context: Auth, services: Svc) -> Response:
    identifier = parse_id(user_id, "user_id")
    async with services.db.read() as conn:
        data = await service.get_user(conn, context.brand.id, identifier)
    return success(request, data)
