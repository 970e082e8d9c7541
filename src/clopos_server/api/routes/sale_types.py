"""``GET /sale-types``: with the ``status`` map from every venue id (a string) to 1/0.
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
from clopos_server.catalog.schemas import SALE_TYPE_QUERY

router = APIRouter()


@router.get(
    "/sale-types",
    summary="Sale types (IN, DELIVERY, TAKEAWAY) with their per-venue status",
    **operation(answer=shapes.SALE_TYPE, many=True, query=SALE_TYPE_QUERY),
)
async def list_sale_types(request: Request, context: Auth, services: Svc) -> Response:
    page = await catalog_answer(
        request, context, services, "sale-types", SALE_TYPE_QUERY, reads.list_sale_types
    )
    return success(request, page.data, total=page.total, sorts=SALE_TYPE_QUERY.sorts)
