"""order list indexes (issue 18): the list is an index walk, with or without a status filter

The list's default order is ``created_at DESC, id``. The old index ``(brand_id, venue_id, created_at)``
found the venue's rows but left the tie-break on ``id`` to a sort of every row sharing a second, and a
status filter read the venue's rows one by one. These two give the default order directly, for one venue
and for one venue and one status, so a page is the index's first rows and its total is counted on the
index alone (docs/decisions/0005-order-reads-index-walk.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_orders_venue_newest", "orders", ["brand_id", "venue_id", sa.text("created_at DESC"), "id"]
    )
    op.create_index(
        "ix_orders_venue_status_newest",
        "orders",
        ["brand_id", "venue_id", "status", sa.text("created_at DESC"), "id"],
    )
    op.drop_index("ix_orders_brand_venue_created", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_brand_venue_created", "orders", ["brand_id", "venue_id", "created_at"])
    op.drop_index("ix_orders_venue_status_newest", table_name="orders")
    op.drop_index("ix_orders_venue_newest", table_name="orders")
