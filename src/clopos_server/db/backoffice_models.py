"""The back office's tables (issue 17, part one): the brand's roles, suppliers, stock documents and their
lines, halls and tables, waiter calls. Imported at the end of ``db/models.py`` so that every user of
``Base.metadata`` sees them; the ledger itself is ``stock_operations`` (``db/models.py``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clopos_server.db.base import Base, brand_fk
from clopos_server.db.types import JSONType, Money, UTCDateTime


class Role(Base):
    """A custom role of a brand (from its brand document): a name and the abilities it grants."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(64))
    abilities: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Supplier(Base):
    __tablename__ = "suppliers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    tin: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the supplier's tax number
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StockDocument(Base):
    """An inventory document (``/operations``): a supply, transfer, waste, ... of one storage. A draft
    (status 2) changes nothing; publishing (status 1) writes its ledger rows, once."""

    __tablename__ = "stock_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    type: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer, default=2)
    storage_id: Mapped[int] = mapped_column(ForeignKey("storages.id"), index=True)
    target_storage_id: Mapped[int | None] = mapped_column(ForeignKey("storages.id"), nullable=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), nullable=True)
    number: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    operated_at: Mapped[datetime]
    total_cost: Mapped[Decimal]
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a staff user
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StockDocumentItem(Base):
    """One line of a document; before/after are the (source) storage's quantity around it, once
    published."""

    __tablename__ = "stock_document_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("stock_documents.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[Decimal]
    cost: Mapped[Decimal]
    total_cost: Mapped[Decimal]
    before_quantity: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    after_quantity: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Hall(Base):
    __tablename__ = "halls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    venue_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)


class DiningTable(Base):
    __tablename__ = "dining_tables"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    seats: Mapped[int] = mapped_column(Integer, default=4)
    status: Mapped[bool] = mapped_column(Boolean, default=True)


class WaiterCall(Base):
    """A guest's call from the e-menu (``POST /waiter-call``), shown on the venue's board until
    acknowledged."""

    __tablename__ = "waiter_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    venue_id: Mapped[int] = mapped_column(Integer, index=True)
    table_id: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))  # WAITER or PAY
    payment_method_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    integrator_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
