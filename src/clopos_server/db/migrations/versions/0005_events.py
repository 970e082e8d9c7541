"""events (issue 13): the event log, with a commit-ordered cursor (see clopos_server/db/events_models.py)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import clopos_server.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in db/events_models.py (a migration keeps its own copy: the model may change later).
_LOW_SEQUENCE = "events_seq_low"
_PG_SEQ_DEFAULT = "(pg_current_xact_id()::text::bigint << 24) | (nextval('events_seq_low') & 16777215)"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(f"CREATE SEQUENCE {_LOW_SEQUENCE}")
        seq = sa.Column("seq", sa.BigInteger(), server_default=sa.text(_PG_SEQ_DEFAULT), nullable=False)
    else:
        seq = sa.Column("seq", sa.Integer(), nullable=False)
    op.create_table(
        "events",
        seq,
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("created_at", clopos_server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_events_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_brand_seq", "events", ["brand_id", "seq"])
    op.create_index("ix_events_brand_venue_seq", "events", ["brand_id", "venue_id", "seq"])
    op.create_index(op.f("ix_events_created_at"), "events", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_events_created_at"), table_name="events")
    op.drop_index("ix_events_brand_venue_seq", table_name="events")
    op.drop_index("ix_events_brand_seq", table_name="events")
    op.drop_table("events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SEQUENCE {_LOW_SEQUENCE}")
