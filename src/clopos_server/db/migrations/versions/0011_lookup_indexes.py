"""lookup indexes: no index on ``brand_id`` alone where a key lookup could be planned on it

Every create-order looks up its idempotency key by ``(brand_id, client_ref, key)`` (the unique key) and
its customer by ``(brand_id, id)``. A statement prepared while those tables were still small and had no
statistics (a fresh database, PostgreSQL with autovacuum off or not yet run) could be planned on the
index on ``brand_id`` alone, and the driver keeps that plan for the connection's life: each create then
read every key and every customer of the brand. Measured in the bench (PostgreSQL, autovacuum off,
``pg_stat_statements``): the create's lookup statement read 2,636 buffers per call at 21,000 keys, and
7.6 after this migration; create-order went from 613 to 851 requests a second, its database CPU from
1.81 to 0.91 ms.

- ``idempotency_keys``: the index on ``brand_id`` goes; the unique key leads with that column, so a
  brand's deletion still finds its keys by index, and every insert maintains one index less.
- ``customers``: the index on ``brand_id`` becomes one on ``(brand_id, id)``: a customer by id within its
  brand, and a brand's customers in id order.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_idempotency_keys_brand_id", table_name="idempotency_keys")
    op.create_index("ix_customers_brand_id_id", "customers", ["brand_id", "id"])
    op.drop_index("ix_customers_brand_id", table_name="customers")


def downgrade() -> None:
    op.create_index("ix_customers_brand_id", "customers", ["brand_id"])
    op.drop_index("ix_customers_brand_id_id", table_name="customers")
    op.create_index("ix_idempotency_keys_brand_id", "idempotency_keys", ["brand_id"])
