"""The demo brands (``spec/demo-data.md``), shipped as brand documents and loaded through the importer.

Seeding through ``import_brand`` rather than dedicated code means every ``make run`` and every test
session exercises the operators' import path.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from sqlalchemy import select

from clopos_server import jsonio
from clopos_server.catalog.importer import import_brand
from clopos_server.db.engine import Database
from clopos_server.db.models import Brand
from clopos_server.finance.demo import seed as seed_finance
from clopos_server.inventory.demo import seed as seed_inventory

DEMO_BRAND = "openapitest"
DEMO_OTHER_BRAND = "demo-other"
# The public sandbox pair printed in the Clopos API docs; bound to staff user 1 of the demo brand.
DEMO_CLIENT_ID = "eNUKI04aYJRU6TBhh5bwUrvmEORgQoxM"
DEMO_CLIENT_SECRET = "dqYkWUpDjzvKOgbP3ar8tSNKJbwMyYe1V5R7DHClfSNYkap5C5XxRA6PmzoPv1I2"  # noqa: S105 (public)
DEMO_TEST_INTEGRATOR = "test_jKsU96rq333b6PotTZfkgw"
DEMO_PROD_INTEGRATOR = "prod_demo"
DEMO_OTHER_CLIENT_ID = "demo-other-client"
DEMO_OTHER_CLIENT_SECRET = "demo-other-secret-0123456789"  # noqa: S105 (public)

DEMO_FILES = ("openapitest.json", "demo-other.json")
FINANCE_FILES = {"openapitest": "openapitest-finance.json"}  # seeded after the brand, by finance.demo
INVENTORY_FILES = {"openapitest": "openapitest-inventory.json"}  # stock documents, by inventory.demo


def demo_document(name: str) -> dict[str, Any]:
    """One shipped demo document, parsed (money as JSON numbers; the importer makes them exact)."""
    document: dict[str, Any] = jsonio.loads((resources.files(__name__) / name).read_bytes())
    return document


async def load_demo(db: Database, *, reset: bool = False) -> list[str]:
    """Import both demo brands; a brand that exists is skipped, or with ``reset`` wiped and reloaded.

    Returns one line per brand saying what happened, for the CLI to print.
    """
    lines: list[str] = []
    for name in DEMO_FILES:
        document = demo_document(name)
        slug = document["brand"]["slug"]
        async with db.read() as conn:
            exists = (await conn.execute(select(Brand.id).where(Brand.slug == slug))).first() is not None
        if exists and not reset:
            lines.append(f"{slug}: exists, skipped")
            continue
        report = await import_brand(db, document, reset=exists)
        if slug in INVENTORY_FILES:  # supplies, a waste, a draft: the stock ledger's first rows
            await seed_inventory(db, slug, demo_document(INVENTORY_FILES[slug]))
        if slug in FINANCE_FILES:  # money accounts, categories, a paid supply, a closed cash shift
            await seed_finance(db, slug, demo_document(FINANCE_FILES[slug]))
        done = "reset and reloaded" if exists else "imported"
        lines.append(f"{slug}: {done} ({report.total_created} rows)")
    return lines


__all__ = [
    "DEMO_BRAND",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_FILES",
    "DEMO_OTHER_BRAND",
    "DEMO_OTHER_CLIENT_ID",
    "DEMO_OTHER_CLIENT_SECRET",
    "DEMO_PROD_INTEGRATOR",
    "DEMO_TEST_INTEGRATOR",
    "demo_document",
    "load_demo",
]
