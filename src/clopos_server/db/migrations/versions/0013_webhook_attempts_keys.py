"""webhook attempts: a delivery that succeeded at once is its attempt alone, found by index when pruned

An attempt belonged to a delivery row in every case, and each row was checked against the brand, the
endpoint and the delivery. Now:

- A new delivery whose first attempt succeeded (most of them) is stored as that attempt alone,
  ``delivery_id`` NULL: nothing is left to do with it, and the API shows only its attempts. A delivery
  row is written only for what is pending or failed. A delivery that succeeds at once thus costs one
  row instead of two (and two foreign-key checks instead of five).
- Deleting stored deliveries (the hourly prune, an endpoint's deletion) deletes their attempts by
  ``delivery_id``, which had no index: PostgreSQL scanned every attempt once per deleted delivery (1,000
  deliveries against 40,000 attempts: 2.0 s; with the index, 8 ms). ``ix_webhook_attempts_delivery_id``
  (partial: stored deliveries' attempts) serves that; ``ix_webhook_attempts_alone_at`` (partial: the
  attempts that are their delivery) serves their prune by age.
- The attempts' foreign key to the brand goes (the endpoint's ties an attempt to its brand, and a
  brand's deletion reaches it through its endpoints), with the brand indexes of attempts and
  deliveries, which no query read.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORED = sa.text("delivery_id IS NOT NULL")
ALONE = sa.text("delivery_id IS NULL")

# SQLite rebuilds the table for the foreign key and the nullable column (alembic's batch mode): nothing
# references attempts, so nothing cascades from dropping the old one.


def upgrade() -> None:
    with op.batch_alter_table("webhook_attempts") as batch:
        batch.drop_constraint("fk_webhook_attempts_brand_id_brands", type_="foreignkey")
        batch.alter_column("delivery_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_index("ix_webhook_attempts_brand_id")
    op.create_index(
        "ix_webhook_attempts_delivery_id",
        "webhook_attempts",
        ["delivery_id"],
        sqlite_where=STORED,
        postgresql_where=STORED,
    )
    op.create_index(
        "ix_webhook_attempts_alone_at", "webhook_attempts", ["at"], sqlite_where=ALONE, postgresql_where=ALONE
    )
    op.drop_index("ix_webhook_deliveries_brand_id", table_name="webhook_deliveries")


def downgrade() -> None:
    """Each attempt that is its delivery gets a delivery row again (``delivered``; its event's type is not
    kept with the attempt and is left empty), so that every attempt belongs to one."""
    op.create_index("ix_webhook_deliveries_brand_id", "webhook_deliveries", ["brand_id"])
    # the attempts find their new delivery by endpoint and message id: indexed for that time only
    op.create_index("ix_webhook_deliveries_downgrade", "webhook_deliveries", ["endpoint_id", "message_id"])
    op.execute(
        "INSERT INTO webhook_deliveries (brand_id, endpoint_id, event_id, event_type, message_id, body,"
        " status, attempts, next_at, created_at, finished_at)"
        " SELECT brand_id, endpoint_id, event_id, '', message_id, '', 'delivered', number, 0, at, at"
        " FROM webhook_attempts WHERE delivery_id IS NULL"
    )
    op.execute(
        "UPDATE webhook_attempts SET delivery_id = (SELECT max(d.id) FROM webhook_deliveries d"
        " WHERE d.endpoint_id = webhook_attempts.endpoint_id AND d.message_id = webhook_attempts.message_id)"
        " WHERE delivery_id IS NULL"
    )
    op.drop_index("ix_webhook_deliveries_downgrade", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_attempts_alone_at", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_delivery_id", table_name="webhook_attempts")
    with op.batch_alter_table("webhook_attempts") as batch:
        batch.create_index("ix_webhook_attempts_brand_id", ["brand_id"])
        batch.alter_column("delivery_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_webhook_attempts_brand_id_brands", "brands", ["brand_id"], ["id"], ondelete="CASCADE"
        )
