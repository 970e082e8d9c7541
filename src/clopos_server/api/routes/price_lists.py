"""``GET /price-lists`` (``with[]=prices``) and ``GET /price-lists/prices``.

v2 paths in the real API; served under both prefixes here, from the same handlers.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import service, shapes
from clopos_server.catalog.schemas import PRICE_LIST_QUERY, PRICE_QUERY

router = APIRouter()


@router.get(
    "/price-lists",
    summary="Price lists (with[]=prices for their rows)",
    **operation(answer=shapes.PRICE_LIST, many=True, query=PRICE_LIST_QUERY),
)
async def list_price_lists(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, PRICE_LIST_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_price_lists(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=PRICE_LIST_QUERY.sorts)


@router.get(
    "/price-lists/prices",
    summary="Price rows of the brand's price lists (filters list_id, product_id)",
    **operation(answer=shapes.PRICE, many=True, query=PRICE_QUERY),
)
async def list_prices(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, PRICE_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_prices(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=PRICE_QUERY.sorts)
