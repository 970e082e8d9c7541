"""Whether a brand has the ``cash_shift`` module (spec/backoffice.md, "modules"): with it off, receipts close
without shifts (the endpoints answer 403 through ``auth.access.require``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.db.models import Brand

CASH_SHIFT = "cash_shift"


async def has_cash_shifts(conn: AsyncConnection, brand_id: int) -> bool:
    """Read in the closing transaction (not the directory's cache): a module switched off counts at once."""
    modules = (await conn.execute(select(Brand.modules).where(Brand.id == brand_id))).scalar_one_or_none()
    return CASH_SHIFT in (modules or [])
