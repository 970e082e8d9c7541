"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.services import services_of

router = APIRouter()


@router.get("/healthz", summary="The process is up", **operation(probe=True))
async def healthz(request: Request) -> Response:
    return success(request, {"status": "ok"})


@router.get("/readyz", summary="The database answers (else 503)", **operation(probe=True))
async def readyz(request: Request) -> Response:
    async with services_of(request).db.read() as conn:
        await conn.execute(text("SELECT 1"))
    return success(request, {"status": "ready", "database": services_of(request).db.dialect})
