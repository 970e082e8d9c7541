"""``GET /categories`` (the tree) and ``GET /categories/{id}`` (one node with its subtree)."""

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
from clopos_server.catalog.schemas import CATEGORY_QUERY, CATEGORY_READ_QUERY

router = APIRouter()


@router.get(
    "/categories",
    summary="The category tree (paging and total count root nodes)",
    **operation(answer=shapes.CATEGORY, many=True, query=CATEGORY_QUERY),
)
async def list_categories(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, CATEGORY_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_categories(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=CATEGORY_QUERY.sorts)


@router.get(
    "/categories/{category_id}",
    summary="One category with its subtree",
    **operation(answer=shapes.CATEGORY, query=CATEGORY_READ_QUERY, errors=[404]),
)
async def get_category(
    category_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(category_id, "category_id")
    query = parse_list_query(request.url.query, CATEGORY_READ_QUERY)
    async with services.db.read() as conn:
        data = await service.get_category(conn, context.brand.id, identifier, query)
    return success(request, data)
