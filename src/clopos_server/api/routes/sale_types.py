"""``GET /sale-types``: with the ``status`` map from every venue id (a string) to 1/0."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import service, shapes
from clopos_server.catalog.schemas import SALE_TYPE_QUERY

router = APIRouter()


@router.get(
    "/sale-types",
    summary="Sale types (IN, DELIVERY, TAKEAWAY) with their per-venue status",
    **operation(answer=shapes.SALE_TYPE, many=True, query=SALE_TYPE_QUERY),
)
async def list_sale_types(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, SALE_TYPE_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_sale_types(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=SALE_TYPE_QUERY.sorts)
