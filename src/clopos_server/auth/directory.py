"""An in-process copy of the small, hot tenancy tables: brands, venues, integrators, disabled credentials.

Token checks read it instead of the database. Each instance refreshes it every
``CLOPOS_REVOCATION_REFRESH_SECONDS`` (2 s by default), so a disabled client, a new brand or a venue
change is seen everywhere within seconds; writers in this process call ``refresh`` at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from clopos_server.db.engine import Database
from clopos_server.db.models import ApiClient, Brand, FaultRule, Integrator, Venue

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VenueInfo:
    id: int
    name: str
    status: int
    is_main: int


@dataclass(frozen=True, slots=True)
class BrandInfo:
    id: int
    slug: str
    name: str
    is_test: bool
    timezone: str
    day_cutoff_hour: int
    currency: str
    minor_unit: int
    price_check: str
    require_idempotency_key: bool
    catalog_version: int
    venues: Mapping[int, VenueInfo] = field(default_factory=dict)
    modules: frozenset[str] = frozenset()  # the brand's features (clopos_server.auth.access)

    @property
    def main_venue_id(self) -> int | None:
        mains = [v.id for v in self.venues.values() if v.is_main]
        return min(mains) if mains else min(self.venues, default=None)


# The refresh's statements, built once: it runs every second in every instance, and at each app start.
_BRANDS = select(Brand)
_VENUES = select(Venue)
_DISABLED_CLIENTS = select(ApiClient.id).where(ApiClient.enabled.is_(False))
_INTEGRATORS = select(Integrator.id, Integrator.is_test, Integrator.enabled, Integrator.scopes)
_FAULTED_BRANDS = select(FaultRule.brand_id).where(FaultRule.times > 0).distinct()


@dataclass
class Directory:
    brands_by_id: dict[int, BrandInfo] = field(default_factory=dict)
    brands_by_slug: dict[str, BrandInfo] = field(default_factory=dict)
    disabled_clients: frozenset[int] = frozenset()
    disabled_integrators: frozenset[str] = frozenset()
    integrators_is_test: dict[str, bool] = field(default_factory=dict)  # every integrator: id -> is_test
    integrator_scopes: dict[str, frozenset[str]] = field(default_factory=dict)  # clopos_server.auth.access
    # brands with armed fault rules (clopos_server.faults): only their requests look the rules up
    brands_with_faults: frozenset[int] = frozenset()
    loaded: bool = False

    async def refresh(self, db: Database) -> None:
        async with db.read() as conn:
            brands = (await conn.execute(_BRANDS)).all()
            venues = (await conn.execute(_VENUES)).all()
            disabled = (await conn.execute(_DISABLED_CLIENTS)).all()
            integrators = (await conn.execute(_INTEGRATORS)).all()
            faulted = (await conn.execute(_FAULTED_BRANDS)).all()
        venues_of: dict[int, dict[int, VenueInfo]] = {}
        for v in venues:
            venues_of.setdefault(v.brand_id, {})[v.id] = VenueInfo(v.id, v.name, v.status, v.is_main)
        by_id = {
            b.id: BrandInfo(
                id=b.id,
                slug=b.slug,
                name=b.name,
                is_test=b.is_test,
                timezone=b.timezone,
                day_cutoff_hour=b.day_cutoff_hour,
                currency=b.currency,
                minor_unit=b.minor_unit,
                price_check=b.price_check,
                require_idempotency_key=b.require_idempotency_key,
                catalog_version=b.catalog_version,
                venues=venues_of.get(b.id, {}),
                modules=frozenset(b.modules or ()),
            )
            for b in brands
        }
        self.brands_by_id = by_id
        self.brands_by_slug = {b.slug: b for b in by_id.values()}
        self.disabled_clients = frozenset(row.id for row in disabled)
        self.disabled_integrators = frozenset(row.id for row in integrators if not row.enabled)
        self.integrators_is_test = {row.id: bool(row.is_test) for row in integrators}
        self.integrator_scopes = {row.id: frozenset(row.scopes or ()) for row in integrators}
        self.brands_with_faults = frozenset(row.brand_id for row in faulted)
        self.loaded = True

    async def keep_fresh(self, db: Database, interval: float) -> None:
        """Refresh forever; a failed refresh keeps the last good copy and is logged."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh(db)
            except Exception:
                log.warning("directory refresh failed; keeping the last copy", exc_info=True)
