"""Exchanging client credentials for a token at ``POST {prefix}/auth``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from clopos_server.auth.passwords import verify_secret_async
from clopos_server.db.models import ApiClient, Brand, Integrator
from clopos_server.errors import ApiError, Problem
from clopos_server.kit.values import UNSTORABLE, storable
from clopos_server.services import Services


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    api_client_id: int
    user_id: int
    brand_id: int


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text if 0 < len(text) <= 512 else None


def require_fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The fields as text; missing ones are one 400, text the database cannot take (NUL) another."""
    values = {name: _text(body, name) for name in names}
    if any(value is None for value in values.values()):
        listed = ", ".join(names[:-1]) + f", or {names[-1]}"
        raise ApiError("validation_failed", f"Missing {listed}")
    fields = {name: value for name, value in values.items() if value is not None}
    problems = [
        Problem(f"{name} {UNSTORABLE}", name) for name, value in fields.items() if not storable(value)
    ]
    if problems:
        raise ApiError("validation_failed", problems[0].message, problems)
    return fields


async def verify_client(services: Services, client_id: str, secret: str, brand_slug: str) -> ClientIdentity:
    """The client behind a credential pair, or a 401. Unknown ids cost the same hash check as known ones."""
    async with services.db.read() as conn:
        row = (
            await conn.execute(
                select(ApiClient.id, ApiClient.secret_hash, ApiClient.user_id, ApiClient.enabled, Brand.id)
                .join(Brand, Brand.id == ApiClient.brand_id)
                .where(ApiClient.client_id == client_id, Brand.slug == brand_slug)
            )
        ).first()
    ok = await verify_secret_async(row.secret_hash if row is not None else None, secret)
    if row is None or not ok:
        raise ApiError("authentication_failed", "Invalid credentials")
    if not row.enabled:
        raise ApiError("authentication_failed", "Client is disabled")
    return ClientIdentity(api_client_id=row.id, user_id=row.user_id, brand_id=row[4])


async def find_integrator(services: Services, integrator_id: str) -> bool:
    """The integrator's ``is_test`` flag; 400 ``Invalid integrator_id`` when unknown or disabled."""
    async with services.db.read() as conn:
        row = (
            await conn.execute(
                select(Integrator.is_test, Integrator.enabled).where(Integrator.id == integrator_id)
            )
        ).first()
    if row is None or not row.enabled:
        message = "Invalid integrator_id"
        raise ApiError("validation_failed", message, [Problem(message, "integrator_id")])
    return bool(row.is_test)


def integrator_mode_mismatch(integrator_is_test: bool, brand_is_test: bool) -> str | None:
    """The real API's words when a test integrator meets a production brand (or the reverse)."""
    if integrator_is_test and not brand_is_test:
        return "Integrator is in test mode. But brand is not in test mode"
    if brand_is_test and not integrator_is_test:
        return "Integrator is not in test mode. But brand is in test mode"
    return None
