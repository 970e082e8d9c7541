"""Webhook endpoints (v2, docs/webhooks.md) and the test helper's ping (both prefixes, test brands).

Thin: read, call the webhook service, wrap. An endpoint is the token's brand's and API client's: any
other id is a 404. Creating and rotating answer a secret, so they never go through the idempotency store
(which would keep the answer, secret included, in the database): a retried create makes a second endpoint,
which the integrator can delete.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.auth.context import AuthContext
from clopos_server.errors import ApiError, not_found
from clopos_server.kit.body import read_json_object, read_no_body
from clopos_server.orders.shapes import NO_BODY
from clopos_server.services import Services
from clopos_server.webhooks import dispatcher, service, shapes
from clopos_server.webhooks.dispatcher import Webhooks
from clopos_server.webhooks.repository import Owner
from clopos_server.webhooks.schemas import ATTEMPT_QUERY, ENDPOINT_QUERY

router = APIRouter()
testhelper_router = APIRouter()
PATH = "/webhook-endpoints"
ONE = PATH + "/{endpoint_id}"


def _owner(context: AuthContext) -> Owner:
    return Owner(context.brand.id, context.api_client_id)


def _webhooks(services: Services) -> Webhooks:
    if services.webhooks is None:  # the lifespan sets it before the first request
        raise RuntimeError("webhooks are not started")
    return services.webhooks


@router.post(
    PATH,
    summary="Create a webhook endpoint (answers its secret, once)",
    status_code=201,
    **operation(
        answer=shapes.ENDPOINT_WITH_SECRET,
        message=True,
        created=True,
        body=[shapes.NEW_ENDPOINT],
        errors=[422],
    ),
)
async def create_endpoint(request: Request, context: Auth, services: Svc) -> Response:
    body = await read_json_object(request)
    config = _webhooks(services).runtime.config
    async with services.db.write() as conn:
        data = await service.create_endpoint(conn, config, _owner(context), context.brand.venues, body)
    return success(request, data, status=201, message="Webhook endpoint created")


@router.get(
    PATH,
    summary="The API client's webhook endpoints",
    **operation(answer=shapes.ENDPOINT, many=True, query=ENDPOINT_QUERY),
)
async def list_endpoints(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, ENDPOINT_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_endpoints(conn, _owner(context), query)
    return success(request, data, total=total, sorts=ENDPOINT_QUERY.sorts)


@router.get(ONE, summary="One webhook endpoint (never its secret)", **operation(answer=shapes.ENDPOINT))
async def get_endpoint(endpoint_id: str, request: Request, context: Auth, services: Svc) -> Response:
    identifier = parse_id(endpoint_id, "endpoint_id")
    async with services.db.read() as conn:
        data = await service.get_endpoint(conn, _owner(context), identifier)
    return success(request, data)


@router.patch(
    ONE,
    summary="Change a webhook endpoint: url, events, description, venue_ids, enabled",
    **operation(answer=shapes.ENDPOINT, message=True, body=[shapes.ENDPOINT_CHANGES], errors=[422]),
)
async def update_endpoint(endpoint_id: str, request: Request, context: Auth, services: Svc) -> Response:
    identifier = parse_id(endpoint_id, "endpoint_id")
    body = await read_json_object(request)
    config = _webhooks(services).runtime.config
    async with services.db.write() as conn:
        data = await service.update_endpoint(
            conn, config, _owner(context), identifier, context.brand.venues, body
        )
    return success(request, data, message="Webhook endpoint updated")


@router.delete(
    ONE,
    summary="Delete a webhook endpoint, its deliveries and its attempts",
    **operation(answer=shapes.ENDPOINT, message=True),
)
async def delete_endpoint(endpoint_id: str, request: Request, context: Auth, services: Svc) -> Response:
    identifier = parse_id(endpoint_id, "endpoint_id")
    async with services.db.write() as conn:
        data = await service.delete_endpoint(conn, _owner(context), identifier)
    return success(request, data, message="Webhook endpoint deleted")


@router.post(
    ONE + "/rotate-secret",
    summary="A new secret (answered once); the old one keeps signing beside it for 24 hours",
    **operation(answer=shapes.ENDPOINT_WITH_SECRET, message=True, body=[NO_BODY], body_required=False),
)
async def rotate_secret(endpoint_id: str, request: Request, context: Auth, services: Svc) -> Response:
    identifier = parse_id(endpoint_id, "endpoint_id")
    await read_no_body(request)
    config = _webhooks(services).runtime.config
    async with services.db.write() as conn:
        data = await service.rotate_secret(conn, config, _owner(context), identifier)
    return success(request, data, message="Secret rotated")


@router.get(
    ONE + "/attempts",
    summary="The endpoint's delivery attempts, newest first",
    **operation(answer=shapes.ATTEMPT, many=True, query=ATTEMPT_QUERY),
)
async def list_attempts(endpoint_id: str, request: Request, context: Auth, services: Svc) -> Response:
    identifier = parse_id(endpoint_id, "endpoint_id")
    query = parse_list_query(request.url.query, ATTEMPT_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_attempts(conn, _owner(context), identifier, query)
    return success(request, data, total=total, sorts=ATTEMPT_QUERY.sorts)


@router.post(
    ONE + "/redeliver",
    summary="Deliver an event again ({event_id}) or the endpoint's events of a window ({since, until})",
    **operation(
        answer=shapes.REDELIVERED,
        message=True,
        body=[shapes.REDELIVER_EVENT, shapes.REDELIVER_WINDOW],
        errors=[422],
    ),
)
async def redeliver(endpoint_id: str, request: Request, context: Auth, services: Svc) -> Response:
    identifier = parse_id(endpoint_id, "endpoint_id")
    body = await read_json_object(request)
    async with services.db.write() as conn:
        data = await service.redeliver(conn, _owner(context), identifier, body)
    _webhooks(services).wake()
    return success(request, data, message="Redelivery queued")


@testhelper_router.post(
    "/test-helpers" + ONE + "/ping",
    summary="Test brands: send a webhook.test delivery to the endpoint now; answers the attempt",
    **operation(answer=shapes.ATTEMPT, message=True, body=[NO_BODY], body_required=False, errors=[403, 404]),
)
async def ping_endpoint(endpoint_id: str, request: Request, context: Auth, services: Svc) -> Response:
    if not context.brand.is_test:
        raise ApiError("forbidden", "Test helpers are available on test brands only (is_test)")
    identifier = parse_id(endpoint_id, "endpoint_id")
    await read_no_body(request)
    attempt = await dispatcher.ping(services.db, _webhooks(services).runtime, _owner(context), identifier)
    if attempt is None:
        raise not_found("Webhook endpoint not found")
    return success(request, attempt, message="Ping sent")
