"""webhook attempts: found by their delivery; checked against it alone

An attempt belongs to its delivery (``delivery_id``, cascading), which belongs to its endpoint and brand.
Two changes:

- Deleting deliveries (the hourly prune of finished ones, or an endpoint's deletion, which cascades to its
  deliveries) deletes their attempts by ``delivery_id``, which had no index: PostgreSQL scanned every
  attempt once per deleted delivery (1,000 deliveries against 40,000 attempts: 2.0 s; with the index,
  8 ms). ``ix_webhook_attempts_delivery_id`` serves that and the ping's read of its attempt.
- Each attempt row was also checked against the brand and the endpoint (two more foreign keys, each a
  lookup and a row lock per inserted row: about 3 us apiece on PostgreSQL, for every delivery) and
  indexed by brand, which no query reads. Its delivery already ties it to both: the brand's and the
  endpoint's deletions reach it through its delivery. The columns stay, unchecked, for the endpoint's
  attempt list (``ix_webhook_attempts_endpoint_id_id``). A delivery keeps its own foreign keys; its index
  on the brand alone goes too (nothing reads deliveries by brand; the brand's deletion finds them through
  the foreign key's scan, once per brand).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite rebuilds the table for the foreign keys (alembic's batch mode): nothing references attempts, so
# nothing cascades from dropping the old one.


def upgrade() -> None:
    with op.batch_alter_table("webhook_attempts") as batch:
        batch.drop_constraint("fk_webhook_attempts_brand_id_brands", type_="foreignkey")
        batch.drop_constraint("fk_webhook_attempts_endpoint_id_webhook_endpoints", type_="foreignkey")
        batch.drop_index("ix_webhook_attempts_brand_id")
        batch.create_index("ix_webhook_attempts_delivery_id", ["delivery_id"])
    op.drop_index("ix_webhook_deliveries_brand_id", table_name="webhook_deliveries")


def downgrade() -> None:
    op.create_index("ix_webhook_deliveries_brand_id", "webhook_deliveries", ["brand_id"])
    with op.batch_alter_table("webhook_attempts") as batch:
        batch.drop_index("ix_webhook_attempts_delivery_id")
        batch.create_index("ix_webhook_attempts_brand_id", ["brand_id"])
        batch.create_foreign_key(
            "fk_webhook_attempts_endpoint_id_webhook_endpoints",
            "webhook_endpoints",
            ["endpoint_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_webhook_attempts_brand_id_brands", "brands", ["brand_id"], ["id"], ondelete="CASCADE"
        )
