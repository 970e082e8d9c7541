"""The finance tables (issue 17): money accounts and what binds payment methods to them, finance
categories, money transactions, cash shifts and the receipts each shift took.

An account's ``amount`` moves only with a transaction row written in the same database transaction, by
an atomic ``UPDATE ... SET amount = amount + x RETURNING amount``; so ``amount`` always equals
``opening_amount`` plus the sum of the account's transaction amounts (signed: income adds, expense takes).
Receipt and supply ids on transactions are plain integers, not foreign keys: a deleted receipt's income
and its reversal both stay in the ledger.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from clopos_server.db.base import Base, brand_fk
from clopos_server.db.types import JSONType, Money, UTCDateTime


class MoneyAccount(Base):
    """A till, bank or card account of the brand (``venue_id`` None: every venue's)."""

    __tablename__ = "money_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))  # cash, bank, card
    venue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    currency: Mapped[str] = mapped_column(String(8), default="AZN")
    opening_amount: Mapped[Decimal]
    amount: Mapped[Decimal]
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MoneyAccountMethod(Base):
    """Payments with ``payment_method_id`` go into ``account_id`` (the venue's own account first)."""

    __tablename__ = "money_account_methods"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("money_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    payment_method_id: Mapped[int] = mapped_column(
        ForeignKey("payment_methods.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = brand_fk()


class FinanceCategory(Base):
    """An income or expense category; ``system_type`` marks the ones the server files by itself
    (``sales`` for receipts, ``supplies`` for paid supplies)."""

    __tablename__ = "finance_categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("finance_categories.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))  # income, expense
    system_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FinanceTransaction(Base):
    """One movement of one account: ``after_amount = before_amount + amount``."""

    __tablename__ = "finance_transactions"
    __table_args__ = (Index("ix_finance_transactions_account_time", "balance_id", "operated_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    balance_id: Mapped[int] = mapped_column(ForeignKey("money_accounts.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("finance_categories.id", ondelete="SET NULL"), nullable=True
    )
    type: Mapped[str] = mapped_column(String(16))  # income, expense, transfer
    amount: Mapped[Decimal]
    before_amount: Mapped[Decimal]
    after_amount: Mapped[Decimal]
    receipt_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    operation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    supplier_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    operated_at: Mapped[datetime]


class SupplyPayment(Base):
    """A supply document marked paid (the inventory's documents are not changed): its primary key makes
    paying one twice impossible, also when two requests race."""

    __tablename__ = "finance_supply_payments"
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    operation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("finance_transactions.id", ondelete="SET NULL"), nullable=True
    )
    paid_at: Mapped[datetime]


class CashShift(Base):
    """A till session of one terminal at one venue; at most one open per terminal (a partial index)."""

    __tablename__ = "cash_shifts"
    __table_args__ = (
        Index(
            "uq_cash_shifts_open_terminal",
            "brand_id",
            "venue_id",
            "terminal_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )
    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    venue_id: Mapped[int] = mapped_column(Integer)
    terminal_id: Mapped[int] = mapped_column(Integer)
    opened_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opened_at: Mapped[datetime]
    opening_amount: Mapped[Decimal]
    closed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    counted_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    expected_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    difference: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)


class CashShiftReceipt(Base):
    """A receipt closed during a shift, with its payments as taken (``cash``: paid into a cash account);
    kept when the receipt is deleted, marked ``refunded_at``, so the shift's report still adds up."""

    __tablename__ = "cash_shift_receipts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(Integer, index=True)
    brand_id: Mapped[int] = brand_fk()
    shift_uuid: Mapped[str] = mapped_column(ForeignKey("cash_shifts.uuid", ondelete="CASCADE"), index=True)
    total: Mapped[Decimal]
    payments: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    closed_at: Mapped[datetime]
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
