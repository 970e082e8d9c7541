"""Who is calling: the request's brand, venue and credential, from the token and the ``x-`` headers."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from clopos_server.api.errors import unauthorized
from clopos_server.auth.directory import BrandInfo
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
    return "v2" if request.url.path.startswith(V2_PREFIX) else "v1"


async def require_auth(request: Request) -> AuthContext:
    """The FastAPI dependency of every authenticated API route."""
    context: AuthContext | None = getattr(request.state, "auth", None)
    if context is None:
        context = _authenticate_v1(request)
        request.state.auth = context
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
    venue_id = int(venue_header) if venue_header.strip().isdigit() else None
    if venue_id is None or venue_id not in brand.venues:
        raise unauthorized("Invalid venue: x-venue is not a venue of this brand")
    return AuthContext("v1", brand, venue_id, claims.client, claims.user)
