"""fault rules: failures armed on test brands, shared by every instance

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clopos_server.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fault_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("retry_after", sa.Integer(), nullable=True),
        sa.Column("delay_ms", sa.Integer(), nullable=True),
        sa.Column("lose_as", sa.String(length=32), nullable=True),
        sa.Column("created_at", clopos_server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_fault_rules_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fault_rules")),
    )
    with op.batch_alter_table("fault_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fault_rules_brand_id"), ["brand_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fault_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fault_rules_brand_id"))
    op.drop_table("fault_rules")
