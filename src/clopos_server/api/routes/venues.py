"""``GET /venues``: every venue of the brand (paging accepted, rarely needed)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import service, shapes
from clopos_server.catalog.schemas import VENUE_QUERY

router = APIRouter()


@router.get(
    "/venues", summary="Venues of the brand", **operation(answer=shapes.VENUE, many=True, query=VENUE_QUERY)
)
async def list_venues(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, VENUE_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_venues(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=VENUE_QUERY.sorts)
