"""Customers (list, by id, create) and customer groups. Thin: parse, call the service, wrap."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.customers import service, shapes
from clopos_server.customers.schemas import CUSTOMER_GROUP_QUERY, CUSTOMER_QUERY, CUSTOMER_READ_QUERY
from clopos_server.idempotency.service import run_idempotent
from clopos_server.kit.body import read_json_object

router = APIRouter()


@router.get(
    "/customers",
    summary="Customers (filters name, phones, group_id; with[] group, balance)",
    **operation(answer=shapes.CUSTOMER, many=True, query=CUSTOMER_QUERY),
)
async def list_customers(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, CUSTOMER_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_customers(conn, context, query)
    return success(request, data, total=total, sorts=CUSTOMER_QUERY.sorts)


@router.post(
    "/customers",
    summary="Create a customer (phone, code and cid unique per brand)",
    **operation(answer=shapes.CUSTOMER, message=True, body=[shapes.NEW_CUSTOMER], idempotent=True),
)
async def create_customer(request: Request, context: Auth) -> Response:
    body = await read_json_object(request)

    async def work(conn: AsyncConnection) -> Response:
        customer = await service.create_customer(conn, context, body)
        return success(request, customer, message="Customer created")

    return await run_idempotent(request, context, body, work)


@router.get(
    "/customers/{customer_id}",
    summary="One customer, by id",
    **operation(answer=shapes.CUSTOMER, query=CUSTOMER_READ_QUERY, errors=[404]),
)
async def get_customer(
    customer_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(customer_id, "customer_id")
    query = parse_list_query(request.url.query, CUSTOMER_READ_QUERY)
    async with services.db.read() as conn:
        data = await service.get_customer(conn, context, identifier, query.includes)
    return success(request, data)


@router.get(
    "/customer-groups",
    summary="Customer groups (the default one has system_type my_customers)",
    **operation(answer=shapes.CUSTOMER_GROUP, many=True, query=CUSTOMER_GROUP_QUERY),
)
async def list_customer_groups(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, CUSTOMER_GROUP_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_groups(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=CUSTOMER_GROUP_QUERY.sorts)
