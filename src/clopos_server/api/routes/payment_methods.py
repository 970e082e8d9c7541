"""``GET /payment-methods``: with the ``status`` map naming every venue of the brand."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import service, shapes
from clopos_server.catalog.schemas import PAYMENT_METHOD_QUERY

router = APIRouter()


@router.get(
    "/payment-methods",
    summary="Payment methods with their per-venue status",
    **operation(answer=shapes.PAYMENT_METHOD, many=True, query=PAYMENT_METHOD_QUERY),
)
async def list_payment_methods(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, PAYMENT_METHOD_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_payment_methods(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=PAYMENT_METHOD_QUERY.sorts)
