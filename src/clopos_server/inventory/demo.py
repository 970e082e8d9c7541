"""The demo brand's stock documents (``spec/demo-data.md``): an opening stock, supplies and a waste in the
main venue's bar storage, and a draft supply. Recorded through ``documents.record`` (the CLI's and the
board's path), so the demo's ledger is written as any other; ids are fixed like the rest of the demo.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from clopos_server.catalog.importer.apply import bump_sequences
from clopos_server.db.backoffice_models import StockDocument
from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.models import Brand
from clopos_server.inventory import documents


async def seed(db: Database, slug: str, document: dict[str, Any]) -> bool:
    """Record ``document["documents"]`` in brand ``slug`` unless it has stock documents; whether it did."""
    async with db.write() as conn:
        brand_id = (await conn.execute(select(Brand.id).where(Brand.slug == slug))).scalar_one_or_none()
        if brand_id is None:
            return False
        known = select(StockDocument.id).where(StockDocument.brand_id == brand_id).limit(1)
        if (await conn.execute(known)).first() is not None:
            return False
        for entry in document.get("documents", []):
            body = {key: value for key, value in entry.items() if key not in ("id", "draft")}
            await documents.record(
                conn, brand_id, body, created_by=1, publish=not entry.get("draft"), document_id=entry["id"]
            )
        if dialect_of(conn) == "postgresql":
            await bump_sequences(conn)
    return True
