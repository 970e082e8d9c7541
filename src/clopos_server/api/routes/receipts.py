"""Receipt endpoints (spec/orders.md, "Receipts"). Thin: parse, call the service, wrap in the envelope.

``router`` is served under both prefixes; ``v1_router`` and ``v2_router`` hold the operations that exist in
one API generation only, and app.py includes each under its own prefix alone. Under the other prefix such a
path is simply not routed: 404 as for an unknown path, or 405 naming the methods the path does serve, and
the OpenAPI document lists each operation only where it is served.
"""

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
from clopos_server.db.driver_reads import reading
from clopos_server.events.outbox import Outbox
from clopos_server.idempotency.service import run_idempotent
from clopos_server.kit.body import read_json_object
from clopos_server.orders.lifecycle import deliver_if_received
from clopos_server.receipts import closing, patching, reads, shapes, v1_writes
from clopos_server.receipts.schemas import RECEIPT_LIST_QUERY, RECEIPT_READ_QUERY

router = APIRouter()
v1_router = APIRouter()
v2_router = APIRouter()


@router.get(
    "/receipts",
    summary="Receipts of the request's venue (filters, sorts, dates, with[])",
    **operation(answer=shapes.RECEIPT, many=True, query=RECEIPT_LIST_QUERY),
)
async def list_receipts(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, RECEIPT_LIST_QUERY)
    async with services.db.read() as conn:
        data, total = await reads.list_receipts(conn, context, query)
    return success(request, data, total=total, sorts=RECEIPT_LIST_QUERY.sorts)


@v1_router.post(
    "/receipts",
    summary="v1: record a sale closed elsewhere (unique cid)",
    status_code=201,
    **operation(
        answer=shapes.RECEIPT, message=True, created=True, body=[shapes.NEW_RECEIPT], idempotent=True
    ),
)
async def create_receipt(request: Request, context: Auth) -> Response:
    body = await read_json_object(request)
    outbox = Outbox()

    async def work(conn: AsyncConnection) -> Response:
        receipt = await v1_writes.record_closed(conn, context, body, outbox=outbox, by=context.credential_ref)
        return success(request, receipt, status=201, message="Receipt created")

    return await run_idempotent(request, context, body, work, outbox)


@v2_router.get(
    "/receipts/cid/{cid}",
    summary="v2: one receipt, by its cid (a UUID)",
    **operation(answer=shapes.RECEIPT, errors=[404]),
)
async def get_receipt_by_cid(
    cid: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    async with reading(services.db) as reader:
        receipt = await reads.read_by_cid(reader, context, cid)
    return success(request, receipt)


@router.get(
    "/receipts/{receipt_id}",
    summary="One receipt, by id, with its lines",
    **operation(answer=shapes.RECEIPT, query=RECEIPT_READ_QUERY, errors=[404]),
)
async def get_receipt(
    receipt_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(receipt_id, "receipt_id")
    parse_list_query(request.url.query, RECEIPT_READ_QUERY)  # lines are always included; bad values 400
    async with reading(services.db) as reader:
        receipt = await reads.read_one(reader, context, identifier)
    return success(request, receipt)


@router.patch(
    "/receipts/{receipt_id}",
    summary="Change order_status, order_number, fiscal_id or lock",
    **operation(answer=shapes.RECEIPT, message=True, body=[shapes.PATCH], idempotent=True, errors=[404]),
)
async def patch_receipt(receipt_id: str, request: Request, context: Auth) -> Response:
    identifier = parse_id(receipt_id, "receipt_id")
    body = await read_json_object(request)

    async def work(conn: AsyncConnection) -> Response:
        receipt = await patching.patch(conn, context, identifier, body)
        return success(request, receipt, message="Operation completed successfully")

    return await run_idempotent(request, context, body, work)


@v1_router.put(
    "/receipts/{receipt_id}",
    summary="v1: update a receipt's editable fields, or close it",
    **operation(answer=shapes.RECEIPT, message=True, body=[shapes.UPDATE], errors=[404, 409]),
)
async def put_receipt(
    receipt_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(receipt_id, "receipt_id")
    body = await read_json_object(request)
    outbox = Outbox()
    async with services.db.write() as conn:
        receipt, closed = await v1_writes.update(
            conn,
            context,
            identifier,
            body,
            outbox=outbox,
            by=context.credential_ref,
            deliver=deliver_if_received,
        )
    await outbox.flush(services)
    return success(
        request, receipt, message="Receipt closed" if closed else "Operation completed successfully"
    )


@v1_router.delete(
    "/receipts/{receipt_id}",
    summary="v1: delete a receipt and give back its stock",
    **operation(message=True, errors=[404, 409]),
)
async def delete_receipt(
    receipt_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(receipt_id, "receipt_id")
    async with services.db.write() as conn:
        removed = await v1_writes.delete(conn, context, identifier)
    return success(request, removed, message="Receipt removed successfully")


@v2_router.post(
    "/receipts/{receipt_id}/close",
    summary="v2: close an open receipt with payments that add up to its total",
    **operation(answer=shapes.RECEIPT, message=True, body=[shapes.CLOSE], idempotent=True, errors=[404]),
)
async def close_receipt(receipt_id: str, request: Request, context: Auth) -> Response:
    identifier = parse_id(receipt_id, "receipt_id")
    body = await read_json_object(request)
    outbox = Outbox()

    async def work(conn: AsyncConnection) -> Response:
        receipt = await closing.close(
            conn,
            context,
            identifier,
            body,
            outbox=outbox,
            by=context.credential_ref,
            deliver=deliver_if_received,
        )
        return success(request, receipt, message="Receipt closed")

    return await run_idempotent(request, context, body, work, outbox)


@v2_router.get(
    "/receipts/{receipt_id}/stock-operations",
    summary="v2: the stock a receipt spent",
    **operation(answer=shapes.STOCK_OPERATION, many=True, errors=[404]),
)
async def receipt_stock_operations(
    receipt_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(receipt_id, "receipt_id")
    async with services.db.read() as conn:
        data = await reads.stock_operations(conn, context, identifier)
    return success(request, data, total=len(data))
