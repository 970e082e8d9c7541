"""``POST /open-api/v2/waiter-call`` (``spec/backoffice.md``, "Waiter calls"; ``docs/api/waiter-call.md``):
a guest at a table calls a waiter or asks to pay. Needs the brand's ``restaurant_emenu`` module and the
integrator's ``waiter-call:write`` scope. The call is written with its event; the venue's board is woken
after the commit and shows it, with a sound, until staff acknowledge it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.auth.access import require
from clopos_server.auth.context import AuthContext
from clopos_server.events.bus import channel_name
from clopos_server.kit.body import read_json_object
from clopos_server.services import services_of
from clopos_server.waiter_calls import service, shapes

router = APIRouter()
CALLER = Depends(require(scope="waiter-call:write", module="restaurant_emenu"))


@router.post(
    "/waiter-call",
    summary="Call a waiter to a table, or ask for the bill (PAY with a payment method)",
    **operation(answer=shapes.WAITER_CALL, body=[shapes.CALL_BODY], errors=[403]),
)
async def waiter_call(request: Request, context: AuthContext = CALLER) -> Response:
    body = await read_json_object(request)
    services = services_of(request)
    async with services.db.write() as conn:
        call = await service.create(conn, context.brand.id, body, integrator_id=context.integrator_id)
    await services.events.publish(
        channel_name(context.brand.id, call["venue_id"]), {"type": service.CREATED, "id": call["id"]}
    )
    return success(request, call)
