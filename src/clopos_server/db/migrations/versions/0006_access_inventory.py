"""the back office, part one (issue 17): scopes and abilities, inventory, halls, tables, waiter calls

Integrators get their scopes (every existing one: all of them, so nothing they did before is refused),
brands their modules (all), staff users a role; the stock ledger (``stock_operations``) also records stock
documents and outlives a deleted receipt (no foreign key to receipts any more).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import clopos_server.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in clopos_server/auth/access.py on the day of this migration (a migration keeps its own copy).
_SCOPES = [
    "orders:write",
    "orders:read",
    "receipts:read",
    "stock:read",
    "stock-operations:read",
    "operations:read",
    "operation-items:read",
    "storages:read",
    "suppliers:read",
    "finance-balances:read",
    "finance-cash-shifts:read",
    "finance-categories:read",
    "finance-taxes:read",
    "finance-transactions:read",
    "catalog:read",
    "customers:read",
    "customers:write",
    "waiter-call:write",
]
_MODULES = ["cash_shift", "restaurant_emenu", "call_center"]

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_MONEY = clopos_server.db.types.Money()
_TIME = clopos_server.db.types.UTCDateTime(timezone=True)


def _brand(table: str) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f(f"fk_{table}_brand_id_brands"), ondelete="CASCADE"
        ),
    ]


def _brand_index(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_brand_id"), table, ["brand_id"], unique=False)


def _add_columns() -> None:
    with op.batch_alter_table("integrators") as batch:
        batch.add_column(sa.Column("scopes", _JSON, nullable=True))
    with op.batch_alter_table("brands") as batch:
        batch.add_column(sa.Column("modules", _JSON, nullable=True))
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("role", sa.String(length=64), nullable=True))
    with op.batch_alter_table("stock_levels") as batch:
        batch.add_column(sa.Column("updated_at", _TIME, nullable=True))
    integrators = sa.table("integrators", sa.column("scopes", _JSON))
    brands = sa.table("brands", sa.column("modules", _JSON))
    op.execute(integrators.update().values(scopes=_SCOPES))
    op.execute(brands.update().values(modules=_MODULES))
    with op.batch_alter_table("integrators") as batch:
        batch.alter_column("scopes", existing_type=_JSON, nullable=False)
    with op.batch_alter_table("brands") as batch:
        batch.alter_column("modules", existing_type=_JSON, nullable=False)


def _ledger() -> None:
    with op.batch_alter_table("stock_operations") as batch:
        batch.drop_constraint("fk_stock_operations_receipt_id_receipts", type_="foreignkey")
        batch.alter_column("receipt_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("type", sa.Integer(), nullable=False, server_default="2"))
        batch.add_column(sa.Column("operation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("operation_item_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("after_cost", _MONEY, nullable=True))
        batch.create_index(batch.f("ix_stock_operations_operation_id"), ["operation_id"], unique=False)


def _tables() -> None:
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("roles"),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("abilities", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("brand_id", "name", name=op.f("uq_roles_brand_id_name")),
    )
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("suppliers"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("tin", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
    )
    op.create_table(
        "stock_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("stock_documents"),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("storage_id", sa.Integer(), nullable=False),
        sa.Column("target_storage_id", sa.Integer(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("operated_at", _TIME, nullable=False),
        sa.Column("total_cost", _MONEY, nullable=False),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["storage_id"], ["storages.id"], name=op.f("fk_stock_documents_storage_id_storages")
        ),
        sa.ForeignKeyConstraint(
            ["target_storage_id"], ["storages.id"], name=op.f("fk_stock_documents_target_storage_id_storages")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_stock_documents_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_documents")),
    )
    op.create_index(op.f("ix_stock_documents_storage_id"), "stock_documents", ["storage_id"], unique=False)
    op.create_table(
        "stock_document_items",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("stock_document_items"),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", _MONEY, nullable=False),
        sa.Column("cost", _MONEY, nullable=False),
        sa.Column("total_cost", _MONEY, nullable=False),
        sa.Column("before_quantity", _MONEY, nullable=True),
        sa.Column("after_quantity", _MONEY, nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["stock_documents.id"],
            name=op.f("fk_stock_document_items_operation_id_stock_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_stock_document_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_document_items")),
    )
    op.create_index(
        op.f("ix_stock_document_items_operation_id"), "stock_document_items", ["operation_id"], unique=False
    )
    op.create_table(
        "halls",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("halls"),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_halls")),
    )
    op.create_table(
        "dining_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("dining_tables"),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("status", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_dining_tables_hall_id_halls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dining_tables")),
    )
    op.create_index(op.f("ix_dining_tables_hall_id"), "dining_tables", ["hall_id"], unique=False)
    op.create_table(
        "waiter_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("waiter_calls"),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=True),
        sa.Column("integrator_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("acknowledged_at", _TIME, nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("meta", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiter_calls")),
    )
    op.create_index(op.f("ix_waiter_calls_venue_id"), "waiter_calls", ["venue_id"], unique=False)
    for table in ("roles", "suppliers", "stock_documents", "stock_document_items", "halls"):
        _brand_index(table)
    for table in ("dining_tables", "waiter_calls"):
        _brand_index(table)


def upgrade() -> None:
    _add_columns()
    _ledger()
    _tables()


def downgrade() -> None:
    for table in (
        "waiter_calls",
        "dining_tables",
        "halls",
        "stock_document_items",
        "stock_documents",
        "suppliers",
        "roles",
    ):
        op.drop_table(table)
    with op.batch_alter_table("stock_operations") as batch:
        batch.drop_index(batch.f("ix_stock_operations_operation_id"))
        for column in ("after_cost", "operation_item_id", "operation_id", "type"):
            batch.drop_column(column)
        batch.create_foreign_key(
            "fk_stock_operations_receipt_id_receipts", "receipts", ["receipt_id"], ["id"], ondelete="CASCADE"
        )
    for table, column in (
        ("stock_levels", "updated_at"),
        ("staff_users", "role"),
        ("brands", "modules"),
        ("integrators", "scopes"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
