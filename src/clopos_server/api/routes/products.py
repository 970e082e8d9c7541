"""``GET /products``, ``GET /products/stop-list`` and ``GET /products/{id}``.

Products are answered from the catalogue snapshot through the page cache (``catalog.service.answer``,
decision 0004); the stop list is read from the database on every request, so a change shows at once.
The stop list is registered before ``/products/{id}`` so that ``stop-list`` is never read as an id.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.catalog_answers import catalog_answer
from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import reads, service, shapes
from clopos_server.catalog.schemas import PRODUCT_QUERY, PRODUCT_READ_QUERY, STOP_LIST_QUERY

router = APIRouter()


@router.get(
    "/products",
    summary="Products, with with[] relations, selects and filters (limit up to 100)",
    **operation(answer=shapes.PRODUCT, many=True, query=PRODUCT_QUERY),
)
async def list_products(request: Request, context: Auth, services: Svc) -> Response:
    page = await catalog_answer(request, context, services, "products", PRODUCT_QUERY, reads.list_products)
    return success(request, page.data, total=page.total, sorts=PRODUCT_QUERY.sorts)


@router.get(
    "/products/stop-list",
    summary="Portions left of limited products (timestamps in epoch ms)",
    **operation(answer=shapes.STOP_LIST_ENTRY, many=True, query=STOP_LIST_QUERY),
)
async def stop_list(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, STOP_LIST_QUERY)
    async with services.db.read() as conn:
        data, total = await service.read_stop_list(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=STOP_LIST_QUERY.sorts)


@router.get(
    "/products/{product_id}",
    summary="One product, by id, with with[] relations",
    **operation(answer=shapes.PRODUCT, query=PRODUCT_READ_QUERY, errors=[404]),
)
async def get_product(
    product_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(product_id, "product_id")
    page = await catalog_answer(
        request,
        context,
        services,
        f"products/{identifier}",
        PRODUCT_READ_QUERY,
        lambda rows, query: (reads.get_product(rows, identifier, query), None),
    )
    return success(request, page.data)
