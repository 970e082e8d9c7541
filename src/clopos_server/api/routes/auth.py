"""``POST /open-api/auth``: client credentials for a token (v1)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from clopos_server.api.body import read_json_object
from clopos_server.api.envelope import json_response
from clopos_server.api.errors import ApiError
from clopos_server.auth.service import require_fields, verify_client
from clopos_server.services import services_of

router = APIRouter()

V1_FIELDS = ("client_id", "client_secret", "brand", "venue_id")


@router.post("/auth", summary="Exchange client credentials for a token (v1)")
async def auth_v1(request: Request) -> Response:
    services = services_of(request)
    body = await read_json_object(request)
    fields = require_fields(body, V1_FIELDS)
    identity = await verify_client(services, fields["client_id"], fields["client_secret"], fields["brand"])
    brand = services.directory.brands_by_id.get(identity.brand_id)
    if brand is None:  # a brand imported this very second: read it now rather than wait for the refresh
        await services.directory.refresh(services.db)
        brand = services.directory.brands_by_id.get(identity.brand_id)
    venue = fields["venue_id"]
    if brand is None or not venue.isdigit() or int(venue) not in brand.venues:
        raise ApiError("authentication_failed", "Invalid credentials")
    ttl = services.settings.token_ttl
    token, _exp = services.signer.issue_v1(
        client=identity.api_client_id, user=identity.user_id, brand=brand.id, venue=int(venue), ttl=ttl
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
