"""``GET /categories`` (the tree) and ``GET /categories/{id}`` (one node with its subtree), answered from
the catalogue snapshot through the page cache (``catalog.service.answer``, decision 0004)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.catalog_answers import catalog_answer
from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.catalog import reads, shapes
from clopos_server.catalog.schemas import CATEGORY_QUERY, CATEGORY_READ_QUERY

router = APIRouter()


@router.get(
    "/categories",
    summary="The category tree (paging and total count root nodes)",
    **operation(answer=shapes.CATEGORY, many=True, query=CATEGORY_QUERY),
)
async def list_categories(request: Request, context: Auth, services: Svc) -> Response:
    page = await catalog_answer(
        request, context, services, "categories", CATEGORY_QUERY, reads.list_categories
    )
    return success(request, page.data, total=page.total, sorts=CATEGORY_QUERY.sorts)


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
    page = await catalog_answer(
        request,
        context,
        services,
        f"categories/{identifier}",
        CATEGORY_READ_QUERY,
        lambda rows, query: (reads.get_category(rows, identifier, query), None),
    )
    return success(request, page.data)
