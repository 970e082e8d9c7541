"""pending deliveries index: only deliveries still due are indexed by endpoint and due time

The dispatcher looks deliveries up by endpoint and due time only while they are ``pending`` (its poll,
its claim, a sender's release). The two indexes that served it, on ``(status, next_at)`` and
``(endpoint_id, status)``, also held every delivered and failed delivery, and a delivery's state change
rewrote both. One partial index on ``(endpoint_id, next_at) WHERE status = 'pending'`` serves those
lookups; a delivery stored already delivered (its first attempt succeeded, docs/webhooks.md) is never
written into it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_pending",
        "webhook_deliveries",
        ["endpoint_id", "next_at"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_endpoint_status", table_name="webhook_deliveries")


def downgrade() -> None:
    op.create_index("ix_webhook_deliveries_endpoint_status", "webhook_deliveries", ["endpoint_id", "status"])
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_at"])
    op.drop_index("ix_webhook_deliveries_pending", table_name="webhook_deliveries")
