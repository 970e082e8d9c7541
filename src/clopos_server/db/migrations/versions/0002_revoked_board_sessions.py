"""revoked board sessions: sign-out ends a board session on every instance

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clopos_server.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revoked_board_sessions",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("expires_at", clopos_server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_revoked_board_sessions")),
    )
    with op.batch_alter_table("revoked_board_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revoked_board_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("revoked_board_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_board_sessions_expires_at"))
    op.drop_table("revoked_board_sessions")
