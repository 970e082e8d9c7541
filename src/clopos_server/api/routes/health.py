"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Svc
from clopos_server.api.envelope import success
from clopos_server.api.handlers import unavailable_error
from clopos_server.api.openapi import operation
from clopos_server.db.unavailable import unavailable_reason

router = APIRouter()


@router.get("/healthz", summary="The process is up", **operation(probe=True))
async def healthz(request: Request) -> Response:
    return success(request, {"status": "ok"})


READY_WITHIN = 0.8  # seconds: a load balancer's probe gets its answer within 1 s, whatever the database does


@router.get("/readyz", summary="The database answers (else 503)", **operation(probe=True))
async def readyz(request: Request, services: Svc) -> Response:
    """503 while the server stops (so the load balancer sends no more), or when the database does not
    answer ``SELECT 1`` within READY_WITHIN (frozen, starting up, out of connections...)."""
    request_id = request.scope.get("state", {}).get("request_id", "-")
    if services.stopping:
        raise unavailable_error("the server is shutting down", request_id)
    try:
        await services.db.ping(READY_WITHIN)
    except Exception as exc:
        found = unavailable_reason(exc)
        if found is None and not isinstance(exc, TimeoutError):
            raise
        raise unavailable_error(found.message if found else "the database is not ready", request_id) from exc
    return success(request, {"status": "ready", "database": services.db.dialect})
