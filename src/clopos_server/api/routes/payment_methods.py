"""``GET /payment-methods``: with the ``status`` map naming every venue of the brand.
Answered from the catalogue snapshot through the page cache (decision 0004).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.catalog_answers import catalog_answer
from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.catalog import reads, shapes
from clopos_server.catalog.schemas import PAYMENT_METHOD_QUERY

router = APIRouter()


@router.get(
    "/payment-methods",
    summary="Payment methods with their per-venue status",
    **operation(answer=shapes.PAYMENT_METHOD, many=True, query=PAYMENT_METHOD_QUERY),
)
async def list_payment_methods(request: Request, context: Auth, services: Svc) -> Response:
    page = await catalog_answer(
        request, context, services, "payment-methods", PAYMENT_METHOD_QUERY, reads.list_payment_methods
    )
    return success(request, page.data, total=page.total, sorts=PAYMENT_METHOD_QUERY.sorts)
