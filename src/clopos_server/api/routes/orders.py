"""Order endpoints (spec/orders.md). Thin: parse, call the service, wrap in the envelope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from clopos_server import metrics
from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.auth.context import require_auth
from clopos_server.db.driver_reads import reading
from clopos_server.events.outbox import Outbox
from clopos_server.idempotency.service import REPLAYED_HEADER, run_idempotent
from clopos_server.kit.body import read_json_object
from clopos_server.orders import reads, service, shapes
from clopos_server.orders.schemas import ORDER_LIST_QUERY, ORDER_READ_QUERY
from clopos_server.services import services_of

router = APIRouter()

# What create and calculate both read: either body shape, with the documented examples.
ORDER_BODY: dict[str, Any] = {
    "body": [shapes.CREATE_NESTED, shapes.CREATE_FLAT],
    "body_examples": {"nested": "create-order.v1.request.json", "flat": "create-order.v2.request.json"},
}


@router.post(
    "/orders",
    summary="Create an order (nested or flat body)",
    status_code=201,
    **operation(
        answer=shapes.ORDER,
        message=True,
        created=True,
        also_ok=True,
        **ORDER_BODY,
        answer_examples={"created": "create-order.v1.response.json"},
        idempotent=True,
        errors=[401, 404],
    ),
)
async def create_order(request: Request, context: Auth, services: Svc) -> Response:
    body = await read_json_object(request)
    status = 201 if "payload" in body else 200
    outbox = Outbox()

    def answer(order: dict[str, Any]) -> Response:
        return success(request, order, status=status, message="Order created")

    async def work(conn: AsyncConnection) -> Response:
        return answer(await service.create(services, conn, context, body, outbox))

    response = None
    if services.db.driver is not None:  # PostgreSQL: two round trips on the driver (decision 0006)
        response = await service.create_on_driver(services, request, context, body, outbox, answer)
    elif services.db.sqlite_writer is not None:  # SQLite: on sqlite3 in the writer's turn (decision 0003)
        response = await service.create_on_sqlite(services, request, context, body, outbox, answer)
    if response is None:
        response = await run_idempotent(request, context, body, work, outbox)
    if response.status_code < 300 and REPLAYED_HEADER not in response.headers:
        metrics.ORDERS_CREATED.labels(api=context.generation).inc()
    return response


async def create_order_direct(request: Request) -> Response:
    """``create_order`` as a plain Starlette endpoint, without FastAPI's routing and dependency solving
    (app.py mounts it in front of the router)."""
    return await create_order(request, await require_auth(request), services_of(request))


@router.post(
    "/orders/calculate",
    summary="Validate and price an order without writing it",
    **operation(
        answer=shapes.ORDER_DRAFT,
        message=True,
        **ORDER_BODY,
        idempotent=True,
    ),
)
async def calculate_order(request: Request, context: Auth, services: Svc) -> Response:
    body = await read_json_object(request)

    async def work(conn: AsyncConnection) -> Response:
        order = await service.validate(services, conn, context, body)
        return success(request, service.draft_order(order), message="Order calculated")

    return await run_idempotent(request, context, body, work)


@router.get(
    "/orders",
    summary="List orders of the request's venue",
    **operation(answer=shapes.ORDER, many=True, query=ORDER_LIST_QUERY),
)
async def list_orders(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, ORDER_LIST_QUERY)
    async with reading(services.db, cold=bool(query.includes)) as reader:
        data, total = await reads.read_many(reader, context, query)
    return success(request, data, total=total, sorts=ORDER_LIST_QUERY.sorts)


@router.get(
    "/orders/{order_id}",
    summary="One order, by id",
    **operation(answer=shapes.ORDER, query=ORDER_READ_QUERY, errors=[404]),
)
async def get_order(
    order_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(order_id, "order_id")
    query = parse_list_query(request.url.query, ORDER_READ_QUERY)
    async with reading(services.db, cold=bool(query.includes)) as reader:
        order = await reads.read_one(reader, context, identifier, dict(query.includes))
    return success(request, order)


async def get_order_direct(request: Request) -> Response:
    """``get_order`` as a plain Starlette endpoint (app.py mounts it in front of the router): FastAPI
    matches a path with a parameter by walking every included router's routes, a third of the worker's
    CPU per read of one order (py-spy, docs/performance.md)."""
    order_id = request.path_params["order_id"]
    return await get_order(order_id, request, await require_auth(request), services_of(request))


@router.put(
    "/orders/{order_id}",
    summary='Ignore an order: body {"status": "IGNORE"}',
    **operation(answer=shapes.ORDER, message=True, body=[shapes.IGNORE], errors=[404, 409]),
)
async def update_order(
    order_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(order_id, "order_id")
    body = await read_json_object(request)
    outbox = Outbox()
    async with services.db.write() as conn:
        order = await service.ignore_by_integrator(conn, context, identifier, body, outbox)
    await outbox.flush(services)
    return success(request, order, message="Operation completed successfully")
