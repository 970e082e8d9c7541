"""the back office, part two (issue 17): money accounts, transactions, finance categories and cash shifts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import clopos_server.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = clopos_server.db.types.Money(precision=18, scale=4)
TIME = clopos_server.db.types.UTCDateTime(timezone=True)


def _brand(table: str) -> list[Any]:
    return [
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f(f"fk_{table}_brand_id_brands"), ondelete="CASCADE"
        ),
    ]


def _index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "money_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("money_accounts"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("opening_amount", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_accounts")),
    )
    _index("money_accounts", "brand_id")
    op.create_table(
        "money_account_methods",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=False),
        *_brand("money_account_methods"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["money_accounts.id"],
            name=op.f("fk_money_account_methods_account_id_money_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name=op.f("fk_money_account_methods_payment_method_id_payment_methods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "payment_method_id", name=op.f("pk_money_account_methods")),
    )
    _index("money_account_methods", "brand_id")
    op.create_table(
        "finance_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("finance_categories"),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("system_type", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["finance_categories.id"],
            name=op.f("fk_finance_categories_parent_id_finance_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_categories")),
    )
    _index("finance_categories", "brand_id")
    op.create_table(
        "finance_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_brand("finance_transactions"),
        sa.Column("balance_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("before_amount", MONEY, nullable=False),
        sa.Column("after_amount", MONEY, nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("operated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["balance_id"],
            ["money_accounts.id"],
            name=op.f("fk_finance_transactions_balance_id_money_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["finance_categories.id"],
            name=op.f("fk_finance_transactions_category_id_finance_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_transactions")),
    )
    _index("finance_transactions", "brand_id", "receipt_id")
    op.create_index(
        "ix_finance_transactions_account_time", "finance_transactions", ["balance_id", "operated_at"]
    )
    op.create_table(
        "finance_supply_payments",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_finance_supply_payments_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["finance_transactions.id"],
            name=op.f("fk_finance_supply_payments_transaction_id_finance_transactions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("brand_id", "operation_id", name=op.f("pk_finance_supply_payments")),
    )
    op.create_table(
        "cash_shifts",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        *_brand("cash_shifts"),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("opening_amount", MONEY, nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("counted_amount", MONEY, nullable=True),
        sa.Column("expected_amount", MONEY, nullable=True),
        sa.Column("difference", MONEY, nullable=True),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_cash_shifts")),
    )
    _index("cash_shifts", "brand_id")
    op.create_index(
        "uq_cash_shifts_open_terminal",
        "cash_shifts",
        ["brand_id", "venue_id", "terminal_id"],
        unique=True,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "cash_shift_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        *_brand("cash_shift_receipts"),
        sa.Column("shift_uuid", sa.String(length=36), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column(
            "payments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("closed_at", TIME, nullable=False),
        sa.Column("refunded_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["shift_uuid"],
            ["cash_shifts.uuid"],
            name=op.f("fk_cash_shift_receipts_shift_uuid_cash_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_shift_receipts")),
    )
    _index("cash_shift_receipts", "receipt_id", "brand_id", "shift_uuid")


def downgrade() -> None:
    for table in (
        "cash_shift_receipts",
        "cash_shifts",
        "finance_supply_payments",
        "finance_transactions",
        "finance_categories",
        "money_account_methods",
        "money_accounts",
    ):
        op.drop_table(table)
