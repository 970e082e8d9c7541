"""``GET /stations`` (``status``, ``can_print``) and ``GET /stations/{id}``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Auth, Svc
from clopos_server.api.envelope import success
from clopos_server.api.openapi import operation
from clopos_server.api.params import parse_id
from clopos_server.api.query import parse_list_query
from clopos_server.catalog import service, shapes
from clopos_server.catalog.schemas import STATION_QUERY

router = APIRouter()


@router.get(
    "/stations",
    summary="Stations (kitchen, bar, ...) of the brand",
    **operation(answer=shapes.STATION, many=True, query=STATION_QUERY),
)
async def list_stations(request: Request, context: Auth, services: Svc) -> Response:
    query = parse_list_query(request.url.query, STATION_QUERY)
    async with services.db.read() as conn:
        data, total = await service.list_stations(conn, context.brand.id, query)
    return success(request, data, total=total, sorts=STATION_QUERY.sorts)


@router.get(
    "/stations/{station_id}", summary="One station, by id", **operation(answer=shapes.STATION, errors=[404])
)
async def get_station(
    station_id: str,
    request: Request,
    context: Auth,
    services: Svc,
) -> Response:
    identifier = parse_id(station_id, "station_id")
    async with services.db.read() as conn:
        data = await service.get_station(conn, context.brand.id, identifier)
    return success(request, data)
