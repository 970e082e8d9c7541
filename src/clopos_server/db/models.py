"""The schema. Every row belongs to one brand (``brand_id``); venues are numbered per brand.

Queries use these classes through SQLAlchemy Core (``select(Product)...`` on a connection): the tables are
declared once here, for the code and for Alembic. ``Base`` itself is in ``db/base.py``, so that the table
modules this one imports at its end (events, finance, webhooks, ...) build on it without importing this
module back; the schema is long because it is every core table, one class each.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clopos_server.db.base import Base as Base  # re-exported: the code and Alembic take it from here
from clopos_server.db.base import brand_fk as brand_fk
from clopos_server.db.types import JSONText, JSONType, Money, UTCDateTime


class ServerSecret(Base):
    """Secrets generated once and shared by every instance (insert-if-absent)."""

    __tablename__ = "server_secrets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class Brand(Base):
    __tablename__ = "brands"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    day_cutoff_hour: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(8), default="AZN")
    minor_unit: Mapped[int] = mapped_column(Integer, default=2)
    price_check: Mapped[str] = mapped_column(String(16), default="warn")
    require_idempotency_key: Mapped[bool] = mapped_column(Boolean, default=False)
    # the features the brand has (clopos_server.auth.access.MODULES): cash_shift, restaurant_emenu, ...
    modules: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # bumped by every catalogue write (import, stop list): instances drop their cached copy when it moves
    catalog_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Venue(Base):
    __tablename__ = "venues"
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[int] = mapped_column(Integer, default=1)
    is_main: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Storage(Base):
    __tablename__ = "storages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    venue_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("brand_id", "username"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    username: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mobile_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    venue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: every venue of the brand
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # the board's; None: English
    owner: Mapped[int] = mapped_column(Integer, default=0)
    # a built-in role (owner, manager, cashier) or one of the brand's roles; None: owner if owner else cashier
    role: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hide: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RevokedBoardSession(Base):
    """A board session ended at sign-out: its cookie is refused on every instance until it would have
    expired anyway (``expires_at``); later rows are pruned. Sessions themselves live only in cookies."""

    __tablename__ = "revoked_board_sessions"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class FaultRule(Base):
    """A failure an integrator armed on a test brand (``POST /test-helpers/faults``): the next ``times``
    requests matching ``method`` and the ``path`` glob fail as ``action`` says. Kept in the database so
    that every instance behind a load balancer rehearses the same failures."""

    __tablename__ = "fault_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    method: Mapped[str] = mapped_column(String(16))  # an HTTP method, or * for any
    path: Mapped[str] = mapped_column(String(255))  # an fnmatch glob
    action: Mapped[str] = mapped_column(String(16))  # lose_answer, fail, delay_ms
    times: Mapped[int] = mapped_column(Integer)  # requests still to fail (0: spent)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # fail: the status answered
    retry_after: Mapped[int | None] = mapped_column(Integer, nullable=True)  # fail: Retry-After seconds
    delay_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)  # delay_ms: the wait
    lose_as: Mapped[str | None] = mapped_column(String(32), nullable=True)  # lose_answer: 502 or a close
    created_at: Mapped[datetime]


class ApiClient(Base):
    """A credential pair a brand issues; the secret is stored only as an argon2 hash."""

    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    client_id: Mapped[str] = mapped_column(String(255), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Integrator(Base):
    __tablename__ = "integrators"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)  # clopos_server.auth.access.SCOPES
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=1)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    type: Mapped[str] = mapped_column(String(32), default="PRODUCT")
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    color: Mapped[str] = mapped_column(String(16), default="00bcd4")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Station(Base):
    __tablename__ = "stations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[int] = mapped_column(Integer, default=0)
    printable: Mapped[int] = mapped_column(Integer, default=1)
    can_print: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Tax(Base):
    __tablename__ = "taxes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    rate: Mapped[Decimal]
    type: Mapped[str] = mapped_column(String(16), default="INCLUSIVE")
    rounding_option: Mapped[str] = mapped_column(String(32), default="ROUND_HALF_UP")
    priority: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), nullable=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), nullable=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), nullable=True)
    unit_id: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    barcode: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[int] = mapped_column(Integer, default=1)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    sold_by_weight: Mapped[bool] = mapped_column(Boolean, default=False)
    discountable: Mapped[bool] = mapped_column(Boolean, default=True)
    giftable: Mapped[bool] = mapped_column(Boolean, default=False)
    ignore_service_charge: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    price: Mapped[Decimal]
    cost_price: Mapped[Decimal]
    cooking_time: Mapped[int] = mapped_column(Integer, default=0)
    inventory_behavior: Mapped[int] = mapped_column(Integer, default=3)
    image: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    setting: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProductTax(Base):
    __tablename__ = "product_taxes"
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    tax_id: Mapped[int] = mapped_column(ForeignKey("taxes.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[int] = brand_fk()


class ProductVenue(Base):
    """A per-venue override: the product unavailable there (status 0), or priced differently."""

    __tablename__ = "product_venues"
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    venue_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    price: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    status: Mapped[int] = mapped_column(Integer, default=1)


class ModifierGroup(Base):
    __tablename__ = "modifier_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[int] = mapped_column(Integer, default=0)
    min_select: Mapped[int] = mapped_column(Integer, default=0)
    max_select: Mapped[int] = mapped_column(Integer, default=0)
    adjust_to_portion: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProductModifierGroup(Base):
    __tablename__ = "product_modifier_groups"
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("modifier_groups.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = brand_fk()
    position: Mapped[int] = mapped_column(Integer, default=0)


class Modifier(Base):
    __tablename__ = "modifiers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    group_id: Mapped[int] = mapped_column(ForeignKey("modifier_groups.id", ondelete="CASCADE"), index=True)
    dish_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[Decimal]
    cost_price: Mapped[Decimal]
    default_count: Mapped[int] = mapped_column(Integer, default=0)
    min_count: Mapped[int] = mapped_column(Integer, default=0)
    max_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class RecipeItem(Base):
    __tablename__ = "recipe_items"
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    ingredient_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    gross: Mapped[Decimal]
    net: Mapped[Decimal]


class StopListEntry(Base):
    """Portions left of a product (0 = sold out); a product without a row is unlimited."""

    __tablename__ = "stop_list"
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    remaining: Mapped[int] = mapped_column(Integer)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)


class SaleType(Base):
    __tablename__ = "sale_types"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    system_type: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    service_charge_rate: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SaleTypeVenue(Base):
    __tablename__ = "sale_type_venues"
    sale_type_id: Mapped[int] = mapped_column(
        ForeignKey("sale_types.id", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    status: Mapped[int] = mapped_column(Integer, default=1)


class Balance(Base):
    __tablename__ = "balances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32), default="CUSTOMER")
    system_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount: Mapped[Decimal]
    position: Mapped[int] = mapped_column(Integer, default=0)
    venue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PaymentMethod(Base):
    __tablename__ = "payment_methods"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    split: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer_required: Mapped[int] = mapped_column(Integer, default=0)
    is_system: Mapped[int] = mapped_column(Integer, default=0)
    balance_id: Mapped[int | None] = mapped_column(ForeignKey("balances.id"), nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PaymentMethodVenue(Base):
    __tablename__ = "payment_method_venues"
    payment_method_id: Mapped[int] = mapped_column(
        ForeignKey("payment_methods.id", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    status: Mapped[int] = mapped_column(Integer, default=1)


class PriceList(Base):
    __tablename__ = "price_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PriceListPrice(Base):
    __tablename__ = "price_list_prices"
    __table_args__ = (UniqueConstraint("list_id", "product_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    price: Mapped[Decimal]


class PriceListBinding(Base):
    """A price list applies to orders of a sale type at a venue."""

    __tablename__ = "price_list_bindings"
    sale_type_id: Mapped[int] = mapped_column(
        ForeignKey("sale_types.id", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"))


class CustomerGroup(Base):
    __tablename__ = "customer_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    discount_type: Mapped[int] = mapped_column(Integer, default=0)
    discount_value: Mapped[int] = mapped_column(Integer, default=0)
    system_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("brand_id", "phone"),
        UniqueConstraint("brand_id", "code"),
        UniqueConstraint("brand_id", "cid"),
        Index("ix_customers_brand_id_id", "brand_id", "id"),  # a customer by id within its brand
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk(index=False)
    venue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cid: Mapped[str] = mapped_column(String(36))
    group_id: Mapped[int] = mapped_column(ForeignKey("customer_groups.id"))
    balance_id: Mapped[int] = mapped_column(ForeignKey("balances.id"))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phones: Mapped[list[str]] = mapped_column(JSONType, default=list)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    address_data: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    discount: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[Decimal]
    total_discount: Mapped[Decimal]
    total_bonus: Mapped[Decimal]
    receipt_count: Mapped[int] = mapped_column(Integer, default=0)
    gender: Mapped[int | None] = mapped_column(Integer, nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    can_use_loyalty_system: Mapped[bool] = mapped_column(Boolean, default=True)
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"
    # The list's default order, for a venue and for a venue and one status (migration 0009).
    __table_args__ = (
        Index("ix_orders_venue_newest", "brand_id", "venue_id", text("created_at DESC"), "id"),
        Index(
            "ix_orders_venue_status_newest", "brand_id", "venue_id", "status", text("created_at DESC"), "id"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    venue_id: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sale_type_id: Mapped[int] = mapped_column(Integer)
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    type: Mapped[str] = mapped_column(String(32), default="CALL_CENTER_ORDER")
    integration: Mapped[str] = mapped_column(String(64), default="call_center_new")
    integration_status: Mapped[str] = mapped_column(String(32), default="CREATED")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONText)
    total: Mapped[Decimal]
    pricing: Mapped[dict[str, Any]] = mapped_column(JSONText)
    warnings: Mapped[list[Any]] = mapped_column(JSONText, default=list)
    receipt_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderHistory(Base):
    __tablename__ = "order_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(255))


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("brand_id", "cid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    venue_id: Mapped[int] = mapped_column(Integer)
    cid: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sale_type_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_notification_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="pos")
    guests: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[int] = mapped_column(Integer, default=1)
    order_status: Mapped[str] = mapped_column(String(16), default="NEW")
    order_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fiscal_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lock: Mapped[bool] = mapped_column(Boolean, default=False)
    subtotal: Mapped[Decimal]
    discount_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    discount_value: Mapped[Decimal]
    discount_rate: Mapped[Decimal]
    total_discount: Mapped[Decimal]
    service_charge: Mapped[Decimal]
    service_charge_value: Mapped[Decimal]
    delivery_fee: Mapped[Decimal]
    i_tax: Mapped[Decimal]
    e_tax: Mapped[Decimal]
    total_tax: Mapped[Decimal]
    total: Mapped[Decimal]
    remaining: Mapped[Decimal]
    payment_methods: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    shift_date: Mapped[date] = mapped_column(Date)


class ReceiptProduct(Base):
    __tablename__ = "receipt_products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id", ondelete="CASCADE"), index=True)
    cid: Mapped[str] = mapped_column(String(36))
    product_id: Mapped[int] = mapped_column(Integer)
    product_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    count: Mapped[int] = mapped_column(Integer)
    portion_size: Mapped[Decimal]
    price: Mapped[Decimal]
    subtotal: Mapped[Decimal]
    discount_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    discount_value: Mapped[Decimal]
    discount_rate: Mapped[Decimal]
    total_discount: Mapped[Decimal]
    receipt_discount: Mapped[Decimal]
    service_charge: Mapped[Decimal]
    i_tax: Mapped[Decimal]
    e_tax: Mapped[Decimal]
    total: Mapped[Decimal]
    is_gift: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[Decimal]
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    seller_id: Mapped[int] = mapped_column(Integer, default=0)
    loyalty_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    loyalty_value: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    modificators: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    taxes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class StockLevel(Base):
    __tablename__ = "stock_levels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = (UniqueConstraint("storage_id", "product_id"),)
    brand_id: Mapped[int] = brand_fk()
    storage_id: Mapped[int] = mapped_column(ForeignKey("storages.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal]
    cost: Mapped[Decimal]  # the weighted average unit cost
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class StockOperation(Base):
    """The stock ledger (clopos_server.inventory.ledger): one row per movement of one product in one
    storage, caused by a receipt (closed or deleted: ``receipt_id``) or a stock document (``operation_id``).
    ``quantity`` is the amount moved (never negative); before/after say which way."""

    __tablename__ = "stock_operations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    type: Mapped[int] = mapped_column(Integer, default=2)  # clopos_server.inventory.types
    # no foreign key: the ledger outlives a deleted receipt
    receipt_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    operation_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    operation_item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    receipt_product_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    product_id: Mapped[int] = mapped_column(Integer)
    stock_id: Mapped[int] = mapped_column(Integer)
    storage_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal]
    before_quantity: Mapped[Decimal]
    after_quantity: Mapped[Decimal]
    cost: Mapped[Decimal]
    before_cost: Mapped[Decimal]
    after_cost: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    total_cost: Mapped[Decimal]
    operated_at: Mapped[datetime]


class IdempotencyKey(Base):
    """A key, the fingerprint of the request that claimed it, and the answer it got.

    The row is inserted in the same transaction as the work it guards, so a crash leaves both or neither.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("brand_id", "client_ref", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk(index=False)  # the unique key leads with it
    client_ref: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


from clopos_server.db import backoffice_models as _backoffice_models  # noqa: E402, F401  (issue 17: access, inventory)
from clopos_server.db import events_models as _events_models  # noqa: E402, F401  (issue 13: the event log)
from clopos_server.db import finance_models as _finance_models  # noqa: E402, F401  (issue 17: finance)
from clopos_server.db import webhooks_models as webhooks_models  # noqa: E402  (webhook tables, issue 13)
