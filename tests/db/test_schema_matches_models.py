"""The schema the migrations build is the schema the models declare: tables, columns, indexes and unique
constraints, on SQLite and PostgreSQL. A model changed without its migration (or a migration without its
model) fails here, before it reaches a database that was migrated rather than created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy.engine import Connection
from tests.conftest import fresh_database
from tests.support.databases import BACKENDS
from tests.support.migrations import migrate

from clopos_server.db.engine import Database
from clopos_server.db.models import Base
from clopos_server.db.order_counts import ORDER_COUNTS

# indexes on an expression (``created_at DESC``): alembic reads them back from SQLite as something else
# and reports each as removed and added; PostgreSQL's comparison covers them
EXPRESSION_INDEXES = {
    index.name
    for table in Base.metadata.tables.values()
    for index in table.indexes
    if any(not isinstance(part, Column) for part in index.expressions)
}


def differences(connection: Connection) -> list[Any]:
    """What autogenerate would write (column types aside: the custom types compare by their implementation,
    which differs in name only)."""
    sqlite = connection.dialect.name == "sqlite"

    def compared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and name == ORDER_COUNTS.name:  # the triggers' table (migration 0010),
            return False  # declared apart in db/order_counts.py
        return not (sqlite and type_ == "index" and name in EXPRESSION_INDEXES)

    opts = {"compare_type": False, "include_object": compared}
    return list(compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata))


async def compare(db: Database) -> list[Any]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(differences)


def named(difference: Any) -> tuple[str, str]:
    """(kind, name) of one of autogenerate's differences: ``(kind, object)``, or for a column's changes a
    list of ``(kind, schema, table, column, ...)``."""
    if isinstance(difference, list):
        kind, _schema, table, column = difference[0][:4]
        return kind, f"{table}.{column}"
    kind, item = difference
    return kind, item.name


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_migrated_schema_is_the_models(backend: str, tmp_root: Path) -> None:
    """At the head, and again after the newest migration went down and up (its downgrade restores what
    its upgrade changed: the models then differ by exactly that)."""
    async with fresh_database(backend, tmp_root) as url:
        db = Database(url, pool_size=1)
        try:
            assert await compare(db) == []
            await migrate(db, "downgrade", "0012")
            undone = {named(difference) for difference in await compare(db)}
            assert undone == {
                ("remove_fk", "fk_webhook_attempts_brand_id_brands"),
                ("remove_index", "ix_webhook_attempts_brand_id"),
                ("add_index", "ix_webhook_attempts_delivery_id"),
                ("add_index", "ix_webhook_attempts_alone_at"),
                ("remove_index", "ix_webhook_deliveries_brand_id"),
                ("modify_nullable", "webhook_attempts.delivery_id"),
            }
            await migrate(db, "upgrade", "head")
            assert await compare(db) == []
        finally:
            await db.dispose()
