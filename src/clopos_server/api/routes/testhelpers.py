"""Test helpers for integrators' CI: drive the venue's side of an order without a person, and rehearse
failures.

``POST {prefix}/test-helpers/orders/{id}/accept|ignore|deliver`` and
``POST {prefix}/test-helpers/receipts/{id}/close`` run the very services the board and the API use;
``{prefix}/test-helpers/faults`` arms (POST), lists (GET) and clears (DELETE) fault rules
(:mod:`clopos_server.faults`). They exist only on brands flagged ``is_test``: elsewhere they answer 403
``forbidden``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.auth.context import AuthContext
from clopos_server.errors import ApiError, conflict
from clopos_server.events.outbox import Outbox
from clopos_server.faults import rules as faults
from clopos_server.faults import shapes as fault_shapes
from clopos_server.idempotency.service import run_idempotent
from clopos_server.kit.body import read_json_object, read_no_body
from clopos_server.orders import lifecycle
from clopos_server.orders.shapes import NO_BODY, ORDER
from clopos_server.receipts import closing as receipts
from clopos_server.receipts.shapes import RECEIPT, TEST_CLOSE

router = APIRouter()

# The order transitions take no body (an empty JSON object is fine) and answer the order.
TRANSITION = operation(
    answer=ORDER, message=True, body=[NO_BODY], body_required=False, idempotent=True, errors=[403, 404]
)

MESSAGES = {"accept": "Order accepted", "ignore": "Order ignored", "deliver": "Order delivered"}


def _require_test_brand(context: AuthContext) -> None:
    if not context.brand.is_test:
        raise ApiError("forbidden", "Test helpers are available on test brands only (is_test)")


def _by(context: AuthContext) -> str:
    return f"test-helper:{context.credential_ref}"


async def _optional_body(request: Request) -> dict[str, Any]:
    """The JSON object sent, or ``{}`` for no body at all."""
    if not (await request.body()).strip():
        return {}
    return await read_json_object(request)


async def _transition(action: str, order_id: str, request: Request, context: AuthContext) -> Response:
    _require_test_brand(context)
    identifier = parse_id(order_id, "order_id")
    await read_no_body(request)
    outbox = Outbox()

    async def work(conn: AsyncConnection) -> Response:
        order = await lifecycle.apply(action, conn, context.brand, identifier, outbox=outbox, by=_by(context))
        return success(request, order, message=MESSAGES[action])

    return await run_idempotent(request, context, {}, work, outbox)


@router.post(
    "/test-helpers/orders/{order_id}/accept",
    summary="Test brands: accept a pending order",
    **TRANSITION,
)
async def accept_order(order_id: str, request: Request, context: Auth) -> Response:
    return await _transition("accept", order_id, request, context)


@router.post(
    "/test-helpers/orders/{order_id}/ignore",
    summary="Test brands: ignore a pending order",
    **TRANSITION,
)
async def ignore_order(order_id: str, request: Request, context: Auth) -> Response:
    return await _transition("ignore", order_id, request, context)


@router.post(
    "/test-helpers/orders/{order_id}/deliver",
    summary="Test brands: deliver a received order",
    **TRANSITION,
)
async def deliver_order(order_id: str, request: Request, context: Auth) -> Response:
    return await _transition("deliver", order_id, request, context)


@router.post(
    "/test-helpers/receipts/{receipt_id}/close",
    summary="Test brands: close a receipt (no body: its total in the venue's first payment method)",
    **operation(
        answer=RECEIPT,
        message=True,
        body=[TEST_CLOSE],
        body_required=False,
        idempotent=True,
        errors=[403, 404],
    ),
)
async def close_receipt(receipt_id: str, request: Request, context: Auth) -> Response:
    _require_test_brand(context)
    identifier = parse_id(receipt_id, "receipt_id")
    body = await _optional_body(request)
    outbox = Outbox()

    async def work(conn: AsyncConnection) -> Response:
        receipt = await receipts.close_for_test(
            conn,
            context,
            identifier,
            body,
            outbox=outbox,
            by=_by(context),
            deliver=lifecycle.deliver_if_received,
        )
        return success(request, receipt, message="Receipt closed")

    return await run_idempotent(request, context, body, work, outbox)


# ------------------------------------------------------------------------------------------------ faults


@router.post(
    "/test-helpers/faults",
    summary="Test brands: arm a fault rule (lose_answer, fail, delay_ms) for the next matching requests",
    status_code=201,
    **operation(
        answer=fault_shapes.FAULT,
        message=True,
        created=True,
        body=[fault_shapes.LOSE_ANSWER, fault_shapes.FAIL, fault_shapes.DELAY],
        idempotent=True,
        errors=[403],
    ),
)
async def arm_fault(request: Request, context: Auth, services: Svc) -> Response:
    _require_test_brand(context)
    body = await read_json_object(request)
    values = faults.read_rule(body)

    async def work(conn: AsyncConnection) -> Response:
        rule = await faults.arm(conn, context.brand.id, values)
        if rule is None:
            raise conflict(f"At most {faults.MAX_RULES} fault rules can be armed at once: clear them first")
        return success(request, rule.render(), status=201, message="Fault armed")

    response = await run_idempotent(request, context, body, work)
    if response.status_code == 201:  # this instance at once; the others at their next directory refresh
        directory = services.directory
        directory.brands_with_faults = directory.brands_with_faults | {context.brand.id}
    return response


@router.get(
    "/test-helpers/faults",
    summary="Test brands: the armed fault rules, oldest first (the first matching one applies)",
    **operation(answer=fault_shapes.FAULT, many=True, errors=[403]),
)
async def list_faults(request: Request, context: Auth, services: Svc) -> Response:
    _require_test_brand(context)
    async with services.db.read() as conn:
        rules = await faults.armed(conn, context.brand.id)
    return success(request, [rule.render() for rule in rules], total=len(rules))


@router.delete(
    "/test-helpers/faults",
    summary="Test brands: clear every fault rule of the brand",
    **operation(answer=fault_shapes.CLEARED, message=True, errors=[403]),
)
async def clear_faults(request: Request, context: Auth, services: Svc) -> Response:
    _require_test_brand(context)
    async with services.db.write() as conn:
        cleared = await faults.clear(conn, context.brand.id)
    return success(request, {"cleared": cleared}, message="Faults cleared")
