"""Who is calling: the request's brand, venue and credential, from the token and the ``x-`` headers."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from clopos_server.auth.directory import BrandInfo
from clopos_server.auth.service import integrator_mode_mismatch
from clopos_server.errors import not_found, unauthorized
from clopos_server.faults.rehearsal import rehearse
from clopos_server.kit.values import int_text
from clopos_server.services import services_of

V2_PREFIX = "/open-api/v2/"


@dataclass(frozen=True, slots=True)
class AuthContext:
    generation: str  # "v1" or "v2"
    brand: BrandInfo
    venue_id: int
    api_client_id: int
    user_id: int
    integrator_id: str | None = None

    @property
    def credential_ref(self) -> str:
        """The scope of idempotency keys and rate budgets: one API client of one brand."""
        return f"client:{self.api_client_id}"


def generation_of(request: Request) -> str:
    return "v2" if request.scope["path"].startswith(V2_PREFIX) else "v1"


async def require_auth(request: Request) -> AuthContext:
    """The FastAPI dependency of every authenticated API route."""
    context: AuthContext | None = getattr(request.state, "auth", None)
    if context is None:
        if generation_of(request) == "v2":
            context = _authenticate_v2(request)
        else:
            context = _authenticate_v1(request)
        request.state.auth = context
        limiter = services_of(request).limiter
        if limiter is not None:  # the client tier (v1) or the integrator tier (v2); 429 when over
            await limiter.charge_client(
                request.scope.setdefault("state", {}),
                generation=context.generation,
                api_client_id=context.api_client_id,
                integrator_id=context.integrator_id,
                brand_id=context.brand.id,
            )
        faulted = services_of(request).directory.brands_with_faults  # armed rules (clopos_server.faults)
        if context.brand.is_test and context.brand.id in faulted:
            await rehearse(
                services_of(request).db,
                request.scope.setdefault("state", {}),
                context.brand.id,
                request.method,
                request.scope["path"],
            )
    return context


def _authenticate_v1(request: Request) -> AuthContext:
    services = services_of(request)
    headers = request.headers
    token, brand_slug, venue_header = headers.get("x-token"), headers.get("x-brand"), headers.get("x-venue")
    if not token or not brand_slug or not venue_header:
        raise unauthorized("Missing authentication headers")
    claims = services.signer.verify_v1(token)
    brand = services.directory.brands_by_id.get(claims.brand)
    if brand is None or brand.slug != brand_slug:
        raise unauthorized("Invalid token")
    if claims.client in services.directory.disabled_clients:
        raise unauthorized("Client is disabled")
    venue_id = int_text(venue_header.strip())
    if venue_id is None or venue_id not in brand.venues:
        raise unauthorized("Invalid venue: x-venue is not a venue of this brand")
    return AuthContext("v1", brand, venue_id, claims.client, claims.user)


def _authenticate_v2(request: Request) -> AuthContext:
    """``x-token`` (a v2 JWT) alone; ``x-venue``, when sent, names the venue instead of the token's."""
    services = services_of(request)
    directory = services.directory
    token = request.headers.get("x-token")
    if not token:
        raise unauthorized("Missing authentication headers")
    claims = services.signer.verify_v2(token)
    brand = directory.brands_by_id.get(claims.brand)
    integrator = claims.integrator
    if brand is None or integrator is None or integrator not in directory.integrators_is_test:
        raise unauthorized("Invalid token")
    if claims.client in directory.disabled_clients:
        raise unauthorized("Client is disabled")
    if integrator in directory.disabled_integrators:
        raise unauthorized("Integrator is disabled")
    mismatch = integrator_mode_mismatch(directory.integrators_is_test[integrator], brand.is_test)
    if mismatch is not None:
        raise unauthorized(mismatch)
    venue_header = (request.headers.get("x-venue") or "").strip()
    if venue_header:
        venue_id = int_text(venue_header)
    else:
        venue_id = claims.venue if claims.venue_known else None
    if venue_id is None or venue_id not in brand.venues:
        raise not_found("Venue not found")
    return AuthContext("v2", brand, venue_id, claims.client, claims.user, integrator)
