"""``POST /open-api/auth`` (v1) and ``POST /open-api/v2/auth``: client credentials for a token."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.deps import Svc
from clopos_server.api.envelope import json_response
from clopos_server.api.openapi import operation
from clopos_server.auth import shapes
from clopos_server.auth.directory import BrandInfo
from clopos_server.auth.service import (
    ClientIdentity,
    find_integrator,
    integrator_mode_mismatch,
    require_fields,
    verify_client,
)
from clopos_server.errors import ApiError
from clopos_server.kit.body import read_json_object
from clopos_server.kit.values import int_text
from clopos_server.services import Services

router = APIRouter()
v2_router = APIRouter()

V1_FIELDS = ("client_id", "client_secret", "brand", "venue_id")
V2_FIELDS = ("client_id", "client_secret", "brand", "integrator_id")


async def _brand_of(services: Services, identity: ClientIdentity) -> BrandInfo | None:
    brand = services.directory.brands_by_id.get(identity.brand_id)
    if brand is None:  # a brand imported this very second: read it now rather than wait for the refresh
        await services.directory.refresh(services.db)
        brand = services.directory.brands_by_id.get(identity.brand_id)
    return brand


@router.post(
    "/auth",
    summary="Exchange client credentials for a token (v1)",
    **operation(answer=shapes.V1_TOKEN, unwrapped=True, body=[shapes.V1_AUTH], public=True, errors=[401]),
)
async def auth_v1(request: Request, services: Svc) -> Response:
    body = await read_json_object(request)
    fields = require_fields(body, V1_FIELDS)
    identity = await verify_client(services, fields["client_id"], fields["client_secret"], fields["brand"])
    brand = await _brand_of(services, identity)
    venue = int_text(fields["venue_id"])
    if brand is None or venue is None or venue not in brand.venues:
        raise ApiError("authentication_failed", "Invalid credentials")
    ttl = services.settings.token_ttl
    token, _exp = services.signer.issue_v1(
        client=identity.api_client_id, user=identity.user_id, brand=brand.id, venue=venue, ttl=ttl
    )
    return json_response(
        {
            "success": True,
            "token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "message": "Authentication successful",
        }
    )


@v2_router.post(
    "/auth",
    summary="Exchange client credentials and an integrator id for a JWT (v2)",
    **operation(
        answer={"anyOf": [shapes.V2_TOKEN, shapes.MODE_MISMATCH]},
        unwrapped=True,
        body=[shapes.V2_AUTH],
        public=True,
        errors=[401],
    ),
)
async def auth_v2(request: Request, services: Svc) -> Response:
    body = await read_json_object(request)
    fields = require_fields(body, V2_FIELDS)
    integrator_id = fields["integrator_id"]
    integrator_is_test = await find_integrator(services, integrator_id)
    identity = await verify_client(services, fields["client_id"], fields["client_secret"], fields["brand"])
    brand = await _brand_of(services, identity)
    if brand is None:
        raise ApiError("authentication_failed", "Invalid credentials")
    mismatch = integrator_mode_mismatch(integrator_is_test, brand.is_test)
    if mismatch is not None:  # the real API answers this one with HTTP 200
        return json_response({"success": False, "message": mismatch})
    ttl = services.settings.token_ttl
    token, exp = services.signer.issue_v2(
        client=identity.api_client_id,
        user=identity.user_id,
        brand=brand.id,
        venue=brand.main_venue_id,
        integrator=integrator_id,
        ttl=ttl,
    )
    return json_response(
        {
            "success": True,
            "token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "expires_at": exp,
            "message": "Authentication successful",
        }
    )
