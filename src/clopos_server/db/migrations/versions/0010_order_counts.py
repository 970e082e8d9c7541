"""order counts (issue 18): the list's total read from counts that triggers keep, not counted per request

``order_counts`` holds, per brand, venue, status and slot, how many orders there are
(clopos_server/db/order_counts.py, docs/decisions/0005-order-reads-index-walk.md). Triggers on ``orders``
keep it in the writer's transaction, whatever inserts, deletes or re-statuses an order:

- PostgreSQL: statement-level triggers with transition tables (a bulk insert adds one row per venue and
  status, not one per order), each adding to the writing backend's slot, ``pg_backend_pid() % 16``,
  with an atomic ``INSERT ... ON CONFLICT DO UPDATE SET n = order_counts.n + excluded.n``, the keys in
  one order; TRUNCATE empties the counts.
- SQLite: row-level triggers, slot 0 (one writer at a time).

The counts are filled from the orders after the triggers exist: on PostgreSQL ``CREATE TRIGGER`` locks
``orders`` against writers until this migration commits, so no order is counted twice or missed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

# ruff: noqa: S608  (the SQL here is built from this file's own constants)

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SLOTS = 16  # PostgreSQL: how many rows a venue's count is spread over (see db/order_counts.py)
_PG_FOLLOW = "order_counts_follow"  # the triggers' function on PostgreSQL
_ADD = (
    "INSERT INTO order_counts (brand_id, venue_id, status, slot, n) {rows} "
    "ON CONFLICT (brand_id, venue_id, status, slot) DO UPDATE SET n = order_counts.n + excluded.n"
)


def _pg_add(changes: str, n: str, having: str = "") -> str:
    """Add ``n`` per (brand, venue, status) of ``changes`` to this backend's slot, keys in order (two
    writers never take the same two count rows in opposite orders)."""
    rows = (
        f"SELECT brand_id, venue_id, status, pg_backend_pid() % {_SLOTS}, {n} FROM {changes} "
        f"GROUP BY brand_id, venue_id, status {having}ORDER BY brand_id, venue_id, status"
    )
    return _ADD.format(rows=rows) + ";"


_PG_MOVED = (
    "(SELECT brand_id, venue_id, status, 1 AS change FROM added "
    "UNION ALL SELECT brand_id, venue_id, status, -1 FROM removed) AS moved"
)
_PG_FUNCTION = f"""
CREATE FUNCTION {_PG_FOLLOW}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_pg_add("added", "count(*)")}
    ELSIF TG_OP = 'DELETE' THEN
        {_pg_add("removed", "-count(*)")}
    ELSIF TG_OP = 'UPDATE' THEN
        {_pg_add(_PG_MOVED, "sum(change)", "HAVING sum(change) <> 0 ")}
    ELSE  -- TRUNCATE
        DELETE FROM order_counts;
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGERS = {
    "order_counts_insert": "AFTER INSERT ON orders REFERENCING NEW TABLE AS added",
    "order_counts_delete": "AFTER DELETE ON orders REFERENCING OLD TABLE AS removed",
    "order_counts_update": "AFTER UPDATE ON orders REFERENCING OLD TABLE AS removed NEW TABLE AS added",
    "order_counts_truncate": "AFTER TRUNCATE ON orders",
}


def _sqlite_add(row: str, n: int) -> str:
    return _ADD.format(rows=f"VALUES ({row}.brand_id, {row}.venue_id, {row}.status, 0, {n})") + ";"


_SQLITE_TRIGGERS = {
    "order_counts_insert": f"AFTER INSERT ON orders BEGIN {_sqlite_add('NEW', 1)} END",
    "order_counts_delete": f"AFTER DELETE ON orders BEGIN {_sqlite_add('OLD', -1)} END",
    "order_counts_update": (
        "AFTER UPDATE OF brand_id, venue_id, status ON orders "
        "WHEN OLD.brand_id IS NOT NEW.brand_id OR OLD.venue_id IS NOT NEW.venue_id "
        "OR OLD.status IS NOT NEW.status "
        f"BEGIN {_sqlite_add('OLD', -1)} {_sqlite_add('NEW', 1)} END"
    ),
}


def upgrade() -> None:
    op.create_table(
        "order_counts",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("brand_id", "venue_id", "status", "slot", name=op.f("pk_order_counts")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for name, when in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FOLLOW}()")
    else:
        for name, definition in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {definition}")
    op.execute(
        "INSERT INTO order_counts (brand_id, venue_id, status, slot, n) "
        "SELECT brand_id, venue_id, status, 0, count(*) FROM orders GROUP BY brand_id, venue_id, status"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in _PG_TRIGGERS if postgres else _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON orders" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        op.execute(f"DROP FUNCTION {_PG_FOLLOW}()")
    op.drop_table("order_counts")
