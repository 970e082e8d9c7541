"""Import and export a whole brand as one JSON document: the operators' catalogue administration.

Clopos has no public write API for the catalogue, so a brand (venues, staff, credentials, catalogue, sale
types, payment methods, price lists, customers, stock, stop list, existing receipts) travels as one
document; ``docs/brand-document.md`` describes it. Every section is declared once, in ``SPECS`` below, and
one generic parser, checker, upsert and exporter are driven by those declarations, so that a new column
is one line here and export then import stays the identity.

Import checks everything first and reports every problem with its JSON path; only a clean document is
applied, in one transaction (a bad file changes nothing). Rows are upserted by id and never deleted.
"""

from __future__ import annotations

import itertools
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clopos_server.auth.passwords import hash_secret_async
from clopos_server.catalog.snapshot import bump_catalog_version
from clopos_server.db.engine import Database
from clopos_server.db.models import Base
from clopos_server.db.types import MONEY_MAX, MONEY_SCALE, Money, UTCDateTime

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
_CHUNK = 500  # ids per IN (...) list: far below SQLite's and asyncpg's parameter limits
_T = Base.metadata.tables

Shape = Literal["list", "ids", "map", "one"]
Problem = tuple[str, str]


class BrandDocumentError(Exception):
    """A brand document that cannot be imported; ``problems`` lists every (JSON path, message)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        shown = "; ".join(f"{path or '(document)'}: {message}" for path, message in self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the brand document: {shown}{more}")


@dataclass
class ImportReport:
    """What an import did, per section (``products``, ``products.taxes``, ...)."""

    brand: str
    brand_created: bool = False
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    def summary(self) -> str:
        parts = [
            f"created {self.total_created}",
            f"updated {self.total_updated}",
            f"removed {sum(self.removed.values())}",
            f"deactivated {sum(self.deactivated.values())}",
        ]
        return f"{self.brand}: " + ", ".join(parts)


# --------------------------------------------------------------------------- the sections


@dataclass(frozen=True)
class F:
    """One field of a section: its name in the document and the column it fills.

    The value's type, nullability and length come from the column; ``kind`` overrides that for JSON
    columns holding lists and for plain secrets (hashed into ``column``, never exported).
    """

    name: str
    column: str = ""
    required: bool = False
    ref: str = ""  # the section whose ids this field names
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    secret: bool = False
    kind: str = ""
    default: Callable[[], Any] | None = None  # on insert, when absent
    check: Callable[[Any], str | None] | None = None

    @property
    def col(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Prune:
    """How ``prune`` deactivates an entity the file no longer has: ``column = value`` in ``table``."""

    table: str
    by: str  # the column of ``table`` holding the entity's id
    column: str
    value: Any


@dataclass(frozen=True)
class Spec:
    """A section of the document and the table it fills.

    Nested sections (``parent``) sit inside each object of their parent under ``key``; ``link`` is the
    column that takes the parent's ``parent_column``. ``replace`` marks a link set that an entity states
    in full (a product's taxes): rows of that entity the file no longer lists are removed.
    """

    name: str
    key: str
    table_name: str
    label: str
    fields: tuple[F, ...]
    keys: tuple[str, ...] = ("id",)
    parent: str = ""
    link: str = ""
    parent_column: str = "id"
    shape: Shape = "list"
    branded: bool = True
    owned: bool = True  # integer ids are global: refuse those another brand owns
    replace: bool = False
    prune: Prune | None = None
    self_ref: str = ""
    unique: tuple[tuple[str, bool], ...] = ()  # (column, unique across brands?)

    @property
    def table(self) -> Table:
        return _T[self.table_name]


def _new_uuid() -> str:
    return str(uuid.uuid4())


_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SLUG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _uuid_problem(value: Any) -> str | None:
    return None if _UUID_RE.fullmatch(value) else "must be a UUID"


def _slug_problem(value: Any) -> str | None:
    return None if _SLUG_RE.fullmatch(value) else "may hold only letters, digits, '-' and '_'"


def _timezone_problem(value: Any) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not a known time zone"
    return None


ID = F("id", required=True)
STAMPS = (F("created_at"), F("updated_at"))
BIT = (0, 1)
PRODUCT_TYPES = ("GOODS", "DISH", "TIMER", "PREPARATION", "INGREDIENT", "MODIFICATION")


def _venue_map(name: str, parent: str, table: str, link: str, label: str) -> Spec:
    """A ``status`` map from venue id to 1/0, as sale types and payment methods carry it."""
    fields = (F("venue_id", required=True, ref="venues"), F("status", required=True, choices=BIT))
    return Spec(
        name,
        "status",
        table,
        label,
        fields,
        keys=(link, "venue_id"),
        parent=parent,
        link=link,
        shape="map",
        owned=False,
        replace=True,
    )


# Declared in the order they are applied (parents before the rows that point at them).
SPECS: tuple[Spec, ...] = (
    Spec(
        "brand",
        "brand",
        "brands",
        "brand",
        (
            F("slug", required=True, check=_slug_problem),
            F("name", required=True),
            F("is_test"),
            F("timezone", check=_timezone_problem),
            F("day_cutoff_hour", choices=tuple(range(24))),
            F("currency"),
            F("minor_unit", choices=(0, 1, 2, 3, 4)),
            F("price_check", choices=("warn", "reject")),
            F("require_idempotency_key"),
            *STAMPS,
        ),
        keys=("slug",),
        shape="one",
        branded=False,
        owned=False,
    ),
    Spec(
        "integrators",
        "integrators",
        "integrators",
        "integrator",
        (
            ID,
            F("name"),
            F("is_test"),
            F("enabled"),
            *STAMPS,
        ),
        branded=False,
        owned=False,
    ),
    Spec(
        "venues",
        "venues",
        "venues",
        "venue",
        (
            ID,
            F("name", required=True),
            F("address"),
            F("phone"),
            F("email"),
            F("status", choices=BIT),
            F("is_main", choices=BIT),
            F("position"),
            *STAMPS,
        ),
        owned=False,
    ),
    Spec(
        "storages",
        "storages",
        "storages",
        "storage",
        (
            ID,
            F("venue_id", required=True, ref="venues"),
            F("name", required=True),
        ),
    ),
    Spec(
        "users",
        "users",
        "staff_users",
        "user",
        (
            ID,
            F("username", required=True),
            F("email"),
            F("first_name"),
            F("last_name"),
            F("mobile_number"),
            F("password", "password_hash", secret=True),
            F("password_hash"),
            F("venue_id", ref="venues"),
            F("owner", choices=BIT),
            F("hide", choices=BIT),
            F("status"),
            F("position"),
            *STAMPS,
        ),
        unique=(("username", False),),
    ),
    Spec(
        "clients",
        "clients",
        "api_clients",
        "client",
        (
            ID,
            F("client_id", required=True),
            F("client_secret", "secret_hash", secret=True),
            F("secret_hash", required=True),
            F("user_id", required=True, ref="users"),
            F("enabled"),
            *STAMPS,
        ),
        unique=(("client_id", True),),
    ),
    Spec(
        "categories",
        "categories",
        "categories",
        "category",
        (
            ID,
            F("name", required=True),
            F("parent_id", ref="categories"),
            F("status", choices=BIT),
            F("hidden"),
            F("type", choices=("PRODUCT", "INGREDIENT", "ACCOUNTING")),
            F("position"),
            F("color"),
            *STAMPS,
        ),
        self_ref="parent_id",
        prune=Prune("categories", "id", "status", 0),
    ),
    Spec(
        "stations",
        "stations",
        "stations",
        "station",
        (
            ID,
            F("name", required=True),
            F("status", choices=BIT),
            F("type", choices=BIT),
            F("printable", choices=BIT),
            F("can_print"),
            F("position"),
            *STAMPS,
        ),
        prune=Prune("stations", "id", "status", 0),
    ),
    Spec(
        "taxes",
        "taxes",
        "taxes",
        "tax",
        (
            ID,
            F("name", required=True),
            F("rate", required=True),
            F("type", choices=("INCLUSIVE", "EXCLUSIVE")),
            F("rounding_option"),
            F("priority"),
        ),
    ),
    Spec(
        "modifier_groups",
        "modifier_groups",
        "modifier_groups",
        "modifier group",
        (
            ID,
            F("name", required=True),
            F("type", choices=BIT),
            F("min_select", minimum=0),
            F("max_select", minimum=0),
            F("adjust_to_portion"),
            F("status"),
            *STAMPS,
        ),
        prune=Prune("modifier_groups", "id", "status", False),
    ),
    Spec(
        "modifier_groups.modificators",
        "modificators",
        "modifiers",
        "modifier",
        (
            ID,
            F("dish_id", ref="products"),
            F("name", required=True),
            F("price", required=True),
            F("cost_price"),
            F("default_count", minimum=0),
            F("min_count", minimum=0),
            F("max_count", minimum=0),
            F("status"),
            F("position"),
        ),
        parent="modifier_groups",
        link="group_id",
        prune=Prune("modifiers", "id", "status", False),
    ),
    Spec(
        "products",
        "products",
        "products",
        "product",
        (
            ID,
            F("parent_id", ref="products"),
            F("category_id", ref="categories"),
            F("station_id", ref="stations"),
            F("unit_id"),
            F("type", required=True, choices=PRODUCT_TYPES),
            F("name", required=True),
            F("position"),
            F("barcode"),
            F("status", choices=BIT),
            F("hidden"),
            F("sold_by_weight"),
            F("discountable"),
            F("giftable"),
            F("ignore_service_charge"),
            F("description"),
            F("price", required=True),
            F("cost_price"),
            F("cooking_time", minimum=0),
            F("inventory_behavior", choices=(0, 1, 3)),
            F("image"),
            F("meta"),
            F("setting"),
            *STAMPS,
        ),
        self_ref="parent_id",
        prune=Prune("products", "id", "status", 0),
    ),
    Spec(
        "products.taxes",
        "taxes",
        "product_taxes",
        "product tax",
        (F("tax_id", required=True, ref="taxes"),),
        keys=("product_id", "tax_id"),
        parent="products",
        link="product_id",
        shape="ids",
        owned=False,
        replace=True,
    ),
    Spec(
        "products.venues",
        "venues",
        "product_venues",
        "venue override",
        (
            F("venue_id", required=True, ref="venues"),
            F("price"),
            F("status", choices=BIT),
        ),
        keys=("product_id", "venue_id"),
        parent="products",
        link="product_id",
        owned=False,
        replace=True,
    ),
    Spec(
        "products.modifier_groups",
        "modifier_groups",
        "product_modifier_groups",
        "product modifier group",
        (
            F("group_id", required=True, ref="modifier_groups"),
            F("position"),
        ),
        keys=("product_id", "group_id"),
        parent="products",
        link="product_id",
        owned=False,
        replace=True,
    ),
    Spec(
        "products.recipe",
        "recipe",
        "recipe_items",
        "recipe item",
        (
            F("ingredient_id", required=True, ref="products"),
            F("gross", required=True),
            F("net", required=True),
        ),
        keys=("product_id", "ingredient_id"),
        parent="products",
        link="product_id",
        owned=False,
        replace=True,
    ),
    Spec(
        "stop_list",
        "stop_list",
        "stop_list",
        "stop-list entry",
        (
            F("id", "product_id", required=True, ref="products"),
            F("limit", "remaining", required=True, minimum=0),
            F("timestamp", "timestamp_ms", required=True, minimum=0),
        ),
        keys=("product_id",),
        owned=False,
    ),
    Spec(
        "sale_types",
        "sale_types",
        "sale_types",
        "sale type",
        (
            ID,
            F("name", required=True),
            F("system_type", required=True, choices=("IN", "DELIVERY", "TAKEAWAY")),
            F("channel", required=True),
            F("service_charge_rate"),
            F("position"),
            *STAMPS,
        ),
        prune=Prune("sale_type_venues", "sale_type_id", "status", 0),
    ),
    _venue_map("sale_types.status", "sale_types", "sale_type_venues", "sale_type_id", "sale type venue"),
    Spec(
        "customer_groups",
        "customer_groups",
        "customer_groups",
        "customer group",
        (
            ID,
            F("name", required=True),
            F("discount_type", choices=(0, 1, 2)),
            F("discount_value", minimum=0),
            F("system_type"),
            F("position"),
            *STAMPS,
        ),
    ),
    Spec(
        "customers.balance",
        "balance",
        "balances",
        "balance",
        (
            F("name"),
            F("type"),
            F("system_type"),
            F("amount"),
            F("position"),
            F("venue_id", ref="venues"),
            *STAMPS,
        ),
        parent="customers",
        link="id",
        parent_column="balance_id",
        shape="one",
    ),
    Spec(
        "customers",
        "customers",
        "customers",
        "customer",
        (
            ID,
            F("venue_id", ref="venues"),
            F("cid", default=_new_uuid, check=_uuid_problem),
            F("group_id", required=True, ref="customer_groups"),
            F("balance_id"),
            F("name", required=True),
            F("email"),
            F("phone"),
            F("phones", kind="list"),
            F("address"),
            F("address_data", kind="list"),
            F("description"),
            F("discount"),
            F("spent"),
            F("total_discount"),
            F("total_bonus"),
            F("receipt_count", minimum=0),
            F("gender", choices=(1, 2)),
            F("date_of_birth"),
            F("code"),
            F("status"),
            F("can_use_loyalty_system"),
            F("is_verified"),
            *STAMPS,
        ),
        unique=(("cid", False), ("phone", False), ("code", False)),
        prune=Prune("customers", "id", "status", False),
    ),
    Spec(
        "payment_methods",
        "payment_methods",
        "payment_methods",
        "payment method",
        (
            ID,
            F("name", required=True),
            F("split", choices=BIT),
            F("position"),
            F("customer_required", choices=BIT),
            F("is_system", choices=BIT),
            F("balance_id", ref="customers.balance"),
            *STAMPS,
        ),
        prune=Prune("payment_method_venues", "payment_method_id", "status", 0),
    ),
    _venue_map(
        "payment_methods.status",
        "payment_methods",
        "payment_method_venues",
        "payment_method_id",
        "payment method venue",
    ),
    Spec(
        "price_lists",
        "price_lists",
        "price_lists",
        "price list",
        (
            ID,
            F("name", required=True),
            F("description"),
            F("status"),
            F("position"),
            *STAMPS,
        ),
    ),
    Spec(
        "price_lists.prices",
        "prices",
        "price_list_prices",
        "price",
        (
            ID,
            F("product_id", required=True, ref="products"),
            F("price", required=True),
        ),
        parent="price_lists",
        link="list_id",
        replace=True,
    ),
    Spec(
        "price_lists.bindings",
        "bindings",
        "price_list_bindings",
        "price list binding",
        (
            F("sale_type_id", required=True, ref="sale_types"),
            F("venue_id", required=True, ref="venues"),
        ),
        keys=("sale_type_id", "venue_id"),
        parent="price_lists",
        link="list_id",
        owned=False,
        replace=True,
    ),
    Spec(
        "stock",
        "stock",
        "stock_levels",
        "stock level",
        (
            F("storage_id", required=True, ref="storages"),
            F("product_id", required=True, ref="products"),
            F("quantity", required=True),
            F("cost"),
        ),
        keys=("storage_id", "product_id"),
        owned=False,
    ),
    Spec(
        "receipts",
        "receipts",
        "receipts",
        "receipt",
        (
            ID,
            F("cid", required=True, check=_uuid_problem),
            F("venue_id", required=True, ref="venues"),
            F("customer_id", ref="customers"),
            F("sale_type_id", ref="sale_types"),
            F("service_notification_id"),
            F("source", choices=("web", "pos")),
            F("guests", minimum=0),
            F("status", choices=(1, 2)),
            F(
                "order_status",
                choices=("NEW", "SCHEDULED", "IN_PROGRESS", "READY", "PICKED_UP", "COMPLETED", "CANCELLED"),
            ),
            F("order_number"),
            F("fiscal_id"),
            F("lock"),
            F("subtotal", required=True),
            F("discount_type", choices=(0, 1, 2)),
            F("discount_value"),
            F("discount_rate"),
            F("total_discount"),
            F("service_charge"),
            F("service_charge_value"),
            F("delivery_fee"),
            F("i_tax"),
            F("e_tax"),
            F("total_tax"),
            F("total", required=True),
            F("remaining"),
            F("payment_methods", kind="list"),
            F("description"),
            F("address"),
            F("user_id", ref="users"),
            *STAMPS,
            F("closed_at"),
            F("shift_date", required=True),
        ),
        unique=(("cid", False),),
    ),
    Spec(
        "receipts.receipt_products",
        "receipt_products",
        "receipt_products",
        "receipt line",
        (
            ID,
            F("cid", default=_new_uuid, check=_uuid_problem),
            F("product_id", required=True, ref="products"),
            F("product_hash"),
            F("count", required=True),
            F("portion_size", default=lambda: Decimal(1)),
            F("price", required=True),
            F("subtotal", required=True),
            F("discount_type", choices=(0, 1, 2)),
            F("discount_value"),
            F("discount_rate"),
            F("total_discount"),
            F("receipt_discount"),
            F("service_charge"),
            F("i_tax"),
            F("e_tax"),
            F("total", required=True),
            F("is_gift"),
            F("cost"),
            F("meta"),
            F("seller_id"),
            F("loyalty_type"),
            F("loyalty_value"),
            F("receipt_product_modificators", "modificators", kind="list"),
            F("taxes", kind="list"),
            F("position"),
        ),
        parent="receipts",
        link="receipt_id",
    ),
)

BY_NAME: dict[str, Spec] = {spec.name: spec for spec in SPECS}
BRAND = BY_NAME["brand"]
CHILDREN: dict[str, tuple[Spec, ...]] = {
    spec.name: tuple(child for child in SPECS if child.parent == spec.name) for spec in SPECS
}
DOCUMENT_SECTIONS = (
    "brand",
    "integrators",
    "venues",
    "storages",
    "users",
    "clients",
    "categories",
    "stations",
    "taxes",
    "modifier_groups",
    "products",
    "stop_list",
    "sale_types",
    "payment_methods",
    "price_lists",
    "customer_groups",
    "customers",
    "stock",
    "receipts",
)
TOP_SPECS = tuple(BY_NAME[name] for name in DOCUMENT_SECTIONS)


# --------------------------------------------------------------------------- values


class _Bad(ValueError):
    """A value that does not fit its field; the message completes the sentence "<path> ..."."""


@dataclass(frozen=True)
class _Plain:
    """A plain secret waiting to be hashed (outside the transaction: hashing is slow on purpose)."""

    text: str


_INT_RE = re.compile(r"[+-]?\d+")


def _column_kind(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, Money):
        return "money"
    if isinstance(kind, UTCDateTime):
        return "ts"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, String):
        return "str"
    if isinstance(kind, JSON):
        return "object"
    raise TypeError(f"no document kind for column {column}")


def _to_int(value: Any, column: Column[Any]) -> int:
    if isinstance(value, bool | int):
        number = int(value)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        number = int(value)
    else:
        raise _Bad("must be an integer")
    bound = 2**63 if isinstance(column.type, BigInteger) else 2**31
    if not -bound <= number < bound:
        raise _Bad("is out of range")
    return number


def _to_bool(value: Any, _column: Column[Any]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _Bad("must be true or false")


def _to_str(value: Any, column: Column[Any]) -> str:
    if not isinstance(value, str):
        raise _Bad("must be a string")
    length = getattr(column.type, "length", None)
    if length is not None and len(value) > length:
        raise _Bad(f"must be at most {length} characters")
    return value


def _to_money(value: Any, _column: Column[Any]) -> Decimal:
    """Exact: JSON floats go through their shortest text form, never through binary arithmetic."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _Bad("must be a number or a numeric string")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad("must be a number or a numeric string") from None
    if not amount.is_finite() or abs(amount) > MONEY_MAX:
        raise _Bad(f"must be a finite number of at most {MONEY_MAX} in size")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_SCALE:
        raise _Bad(f"may have at most {MONEY_SCALE} decimal places")
    return amount


def _to_ts(value: Any, _column: Column[Any]) -> datetime:
    """ISO (``...T...Z``), plain (``2025-01-01 00:00:00``) or epoch milliseconds; naive means UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            raise _Bad("is not a usable epoch-milliseconds timestamp") from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Bad(
                "must be a timestamp like 2025-01-01T00:00:00.000000Z or 2025-01-01 00:00:00"
            ) from None
    else:
        raise _Bad("must be a timestamp string or epoch milliseconds")
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)


def _to_date(value: Any, _column: Column[Any]) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Bad("must be a date like 2025-01-31")


def _to_object(value: Any, _column: Column[Any]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad("must be an object")
    return value


def _to_list(value: Any, _column: Column[Any]) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad("must be a list")
    return value


def _to_secret(value: Any, _column: Column[Any]) -> _Plain:
    if not isinstance(value, str) or not value:
        raise _Bad("must be a non-empty string")
    return _Plain(value)


_CONVERTERS: dict[str, Callable[[Any, Column[Any]], Any]] = {
    "int": _to_int,
    "bool": _to_bool,
    "str": _to_str,
    "money": _to_money,
    "ts": _to_ts,
    "date": _to_date,
    "object": _to_object,
    "list": _to_list,
    "secret": _to_secret,
}


def _kind(spec: Spec, f: F) -> str:
    return "secret" if f.secret else f.kind or _column_kind(spec.table.c[f.col])


def _convert(spec: Spec, f: F, value: Any) -> Any:
    column = spec.table.c[f.col]
    if value is None:
        if column.nullable:
            return None
        raise _Bad("must not be null")
    kind = _kind(spec, f)
    converted = _CONVERTERS[kind](value, column)
    if kind == "str" and f.required and not converted.strip():
        raise _Bad("must not be empty")
    if f.choices and converted not in f.choices:
        raise _Bad("must be one of " + ", ".join(str(choice) for choice in f.choices))
    if kind == "int" and (f.name == "id" or f.ref) and converted < 1:
        raise _Bad("must be a positive integer")
    if f.minimum is not None and converted < f.minimum:
        raise _Bad(f"must be at least {f.minimum}")
    problem = f.check(converted) if f.check else None
    if problem:
        raise _Bad(problem)
    return converted


def _export_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "ts":
        return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.000000Z"
    if kind == "date":
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- parsing (no database)


@dataclass(eq=False)
class _Row:
    """One row to write: column values, the JSON path each came from, and the row it is nested in."""

    path: str
    values: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    parent: _Row | None = None

    def where(self, column: str) -> str:
        return self.paths.get(column, self.path)


@dataclass
class _Parsed:
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, list[_Row]] = field(default_factory=lambda: {spec.name: [] for spec in SPECS})
    stated: dict[str, list[_Row]] = field(default_factory=lambda: defaultdict(list))  # child -> parents
    sections: set[str] = field(default_factory=set)

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))


def _parse(document: Any) -> _Parsed:
    out = _Parsed()
    if not isinstance(document, Mapping):
        out.problem("", "the document must be a JSON object")
        return out
    for name in document:
        if name not in DOCUMENT_SECTIONS and name != "version":
            out.problem(str(name), "is not a section of a brand document")
    if "version" in document and document["version"] != FORMAT_VERSION:
        out.problem("version", f"must be {FORMAT_VERSION}")
    if "brand" not in document:
        out.problem("brand", "is required")
    for spec in TOP_SPECS:
        if spec.key in document:
            out.sections.add(spec.key)
            _parse_section(spec, document[spec.key], spec.key, None, out)
    return out


def _parse_section(spec: Spec, value: Any, path: str, parent: _Row | None, out: _Parsed) -> None:
    """Turn one section (or a nested list, id list, venue map or object) into rows."""
    items: list[tuple[str, Any]]
    first = spec.fields[0].name
    if spec.shape == "one":
        items = [(path, value)]
    elif spec.shape == "map":
        if not isinstance(value, dict):
            out.problem(path, 'must be an object mapping venue ids to 1 or 0, like {"1": 1}')
            return
        second = spec.fields[1].name
        items = [(f"{path}.{venue}", {first: venue, second: state}) for venue, state in value.items()]
    elif not isinstance(value, list):
        out.problem(path, "must be a list")
        return
    elif spec.shape == "ids":
        items = [(f"{path}[{index}]", {first: item}) for index, item in enumerate(value)]
    else:
        items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    for item_path, item in items:
        if not isinstance(item, dict):
            out.problem(item_path, "must be an object")
            continue
        _parse_row(spec, item, item_path, parent, out)


def _parse_row(spec: Spec, item: dict[str, Any], path: str, parent: _Row | None, out: _Parsed) -> None:
    flat = spec.shape in ("ids", "map")  # the element itself is the value: problems name its path
    row = _Row(path, parent=parent)
    known = {f.name for f in spec.fields} | {child.key for child in CHILDREN[spec.name]}
    for name in item:
        if name not in known:
            out.problem(f"{path}.{name}", "is not a field of this section")
    given: dict[str, str] = {}
    for f in spec.fields:
        if f.name not in item:
            continue
        field_path = path if flat else f"{path}.{f.name}"
        if f.col in given:
            out.problem(field_path, f"give {given[f.col]} or {f.name}, not both")
            continue
        given[f.col] = f.name
        try:
            row.values[f.col] = _convert(spec, f, item[f.name])
        except _Bad as bad:
            out.problem(field_path, str(bad))
            continue
        row.paths[f.col] = field_path
    for f in spec.fields:
        if f.required and f.col not in given:
            names = [g.name for g in spec.fields if g.col == f.col]
            out.problem(
                f"{path}.{names[0]}", " or ".join(names) + " is required" if len(names) > 1 else "is required"
            )
    out.rows[spec.name].append(row)
    for child in CHILDREN[spec.name]:
        if child.key in item:
            out.stated[child.name].append(row)
            _parse_section(child, item[child.key], f"{path}.{child.key}", row, out)


async def _hash_secrets(parsed: _Parsed) -> None:
    for rows in parsed.rows.values():
        for row in rows:
            for column, value in row.values.items():
                if isinstance(value, _Plain):
                    row.values[column] = await hash_secret_async(value.text)


# --------------------------------------------------------------------------- checks and writes


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _key(spec: Spec, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    if any(values.get(column) is None for column in spec.keys):
        return None
    return tuple(values[column] for column in spec.keys)


def _describe(spec: Spec, key: tuple[Any, ...]) -> str:
    shown = [f"{column} {value}" for column, value in zip(spec.keys, key, strict=True) if column != spec.link]
    return f"{spec.label} " + ", ".join(shown) if shown else spec.label


class _Import:
    """One import inside its write transaction: resolve, check, then apply."""

    def __init__(self, conn: AsyncConnection, parsed: _Parsed, brand_id: int | None) -> None:
        self.conn = conn
        self.parsed = parsed
        self.brand_id = brand_id
        self.problems = parsed.problems
        self.existing: dict[str, dict[tuple[Any, ...], Any]] = {}
        self.now = datetime.now(UTC).replace(microsecond=0)

    def rows(self, spec: Spec) -> list[_Row]:
        return self.parsed.rows[spec.name]

    def file_keys(self, spec: Spec) -> set[tuple[Any, ...]]:
        return {key for row in self.rows(spec) if (key := _key(spec, row.values)) is not None}

    async def load_existing(self) -> None:
        """The keys (and parent links) of every row the brand already has, one query per table."""
        for spec in SPECS:
            table = spec.table
            columns = [table.c[column] for column in spec.keys]
            if spec.link:
                columns.append(table.c[spec.link])
            found: dict[tuple[Any, ...], Any] = {}
            if spec.branded and self.brand_id is not None:
                result = await self.conn.execute(select(*columns).where(table.c.brand_id == self.brand_id))
                found = {tuple(row[: len(spec.keys)]): row[-1] for row in result}
            elif not spec.branded:
                wanted = sorted({key[0] for key in self.file_keys(spec)})
                for chunk in _chunks(wanted):
                    result = await self.conn.execute(select(*columns).where(columns[0].in_(chunk)))
                    found.update({tuple(row[: len(spec.keys)]): row[-1] for row in result})
            self.existing[spec.name] = found

    async def assign_balances(self) -> None:
        """Every customer has a balance row: keep its id, reuse the stored one, or number a new one."""
        customers_spec, balance_spec = BY_NAME["customers"], BY_NAME["customers.balance"]
        stored: dict[int, int] = {}
        if self.brand_id is not None:
            result = await self.conn.execute(
                select(customers_spec.table.c.id, customers_spec.table.c.balance_id).where(
                    customers_spec.table.c.brand_id == self.brand_id
                )
            )
            stored = {row.id: row.balance_id for row in result}
        highest = (await self.conn.execute(select(func.max(balance_spec.table.c.id)))).scalar() or 0
        explicit = [row.values.get("balance_id") or 0 for row in self.rows(customers_spec)]
        next_id = max([highest, *explicit]) + 1
        given = {id(row.parent): row for row in self.rows(balance_spec)}
        for customer in self.rows(customers_spec):
            customer_id = customer.values.get("id")
            if customer_id is None:
                continue
            balance_id = customer.values.get("balance_id") or stored.get(customer_id)
            if balance_id is None:
                balance_id, next_id = next_id, next_id + 1
            customer.values["balance_id"] = balance_id
            if (balance_id,) in self.existing[balance_spec.name]:
                continue
            balance = given.get(id(customer))
            if balance is None:
                balance = _Row(f"{customer.path}.balance", parent=customer)
                self.rows(balance_spec).append(balance)
            balance.values.setdefault("name", customer.values.get("name", ""))

    def link_children(self) -> None:
        for spec in SPECS:
            if not spec.parent:
                continue
            for row in self.rows(spec):
                parent = row.parent
                if parent is not None and parent.values.get(spec.parent_column) is not None:
                    row.values[spec.link] = parent.values[spec.parent_column]
                    row.paths[spec.link] = parent.where(spec.parent_column)

    def check_duplicates(self) -> None:
        for spec in SPECS:
            seen: dict[tuple[Any, ...], _Row] = {}
            for row in self.rows(spec):
                key = _key(spec, row.values)
                if key is None:
                    continue
                if key in seen:
                    message = f"{_describe(spec, key)} is listed twice (first at {seen[key].path})"
                    self.problems.append((row.where(spec.keys[-1]), message))
                else:
                    seen[key] = row

    async def check_ownership(self) -> None:
        """Integer ids are global: an id in the file that another brand holds is refused."""
        for spec in SPECS:
            if not (spec.owned and spec.keys == ("id",)):
                continue
            mine = self.existing[spec.name]
            wanted = sorted({key[0] for key in self.file_keys(spec) if key not in mine})
            taken: set[Any] = set()
            for chunk in _chunks(wanted):
                result = await self.conn.execute(select(spec.table.c.id).where(spec.table.c.id.in_(chunk)))
                taken.update(result.scalars())
            for row in self.rows(spec):
                if row.values.get("id") in taken:
                    self.problems.append(
                        (row.where("id"), f"{spec.label} {row.values['id']} belongs to another brand")
                    )

    async def check_unique(self) -> None:
        for spec in SPECS:
            for column, across_brands in spec.unique:
                rows = [row for row in self.rows(spec) if row.values.get(column) is not None]
                first: dict[Any, _Row] = {}
                for row in rows:
                    value = row.values[column]
                    if value in first:
                        message = f"{column} {value!r} is used twice (first at {first[value].where(column)})"
                        self.problems.append((row.where(column), message))
                    first.setdefault(value, row)
                if not across_brands and self.brand_id is None:
                    continue
                await self._check_unique_stored(spec, column, across_brands, first)

    async def _check_unique_stored(
        self, spec: Spec, column: str, across_brands: bool, first: dict[Any, _Row]
    ) -> None:
        table = spec.table
        file_keys = self.file_keys(spec)
        for chunk in _chunks(list(first)):
            query = select(*[table.c[k] for k in spec.keys], table.c[column], table.c.brand_id).where(
                table.c[column].in_(chunk)
            )
            if not across_brands:
                query = query.where(table.c.brand_id == self.brand_id)
            for stored in await self.conn.execute(query):
                key = tuple(stored[: len(spec.keys)])
                row = first[stored[len(spec.keys)]]
                if stored.brand_id != self.brand_id:
                    message = f"{column} {row.values[column]!r} belongs to another brand"
                elif key not in file_keys:
                    message = f"{column} {row.values[column]!r} is already used by {_describe(spec, key)}"
                else:
                    continue
                self.problems.append((row.where(column), message))

    def check_references(self) -> None:
        known: dict[str, set[Any]] = {}
        for spec in SPECS:
            for f in spec.fields:
                if not f.ref:
                    continue
                target = BY_NAME[f.ref]
                if f.ref not in known:
                    known[f.ref] = {key[0] for key in self.file_keys(target)} | {
                        key[0] for key in self.existing[f.ref]
                    }
                for row in self.rows(spec):
                    value = row.values.get(f.col)
                    if value is not None and value not in known[f.ref]:
                        message = f"{target.label} {value} is neither in the document nor in the brand"
                        self.problems.append((row.where(f.col), message))

    def order_self_references(self) -> None:
        """Parents before children (categories, product variants); a loop is a problem."""
        for spec in SPECS:
            if not spec.self_ref:
                continue
            by_id = {row.values["id"]: row for row in self.rows(spec) if row.values.get("id") is not None}
            depth: dict[int, int] = {}
            for row in self.rows(spec):
                seen = {id(row)}
                current = by_id.get(row.values.get(spec.self_ref))
                while current is not None and id(current) not in seen:
                    seen.add(id(current))
                    current = by_id.get(current.values.get(spec.self_ref))
                if current is row:
                    self.problems.append((row.where(spec.self_ref), "the parent chain loops back here"))
                depth[id(row)] = len(seen)
            self.rows(spec).sort(key=lambda row: depth[id(row)])

    async def resolve(self) -> None:
        await self.load_existing()
        await self.assign_balances()
        self.link_children()
        self.check_duplicates()
        await self.check_ownership()
        await self.check_unique()
        self.check_references()
        self.order_self_references()

    # ---- writes

    async def apply(self, report: ImportReport, *, prune: bool) -> None:
        for spec in SPECS:
            if spec.replace:
                removed = await self._remove_unlisted(spec)
                if removed:
                    report.removed[spec.name] = removed
            created, updated = await self._upsert(spec)
            if spec is BRAND and self.brand_id is None:
                slug = self.rows(BRAND)[0].values["slug"]
                self.brand_id = (
                    await self.conn.execute(select(BRAND.table.c.id).where(BRAND.table.c.slug == slug))
                ).scalar_one()
                report.brand_created = True
            if created:
                report.created[spec.name] = created
            if updated:
                report.updated[spec.name] = updated
        if prune:
            for spec in SPECS:
                deactivated = await self._prune(spec)
                if deactivated:
                    report.deactivated[spec.name] = deactivated

    async def _upsert(self, spec: Spec) -> tuple[int, int]:
        """Insert the rows the brand lacks, update the others; consecutive rows of one shape go together."""
        table = spec.table
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for row in self.rows(spec):
            values = dict(row.values)
            if _key(spec, values) in self.existing[spec.name]:
                if "updated_at" in table.c:
                    values.setdefault("updated_at", self.now)
                updates.append({**{f"k_{c}": values.pop(c) for c in spec.keys}, **values})
            else:
                inserts.append(self._with_defaults(spec, values))
        for group in _runs(inserts):
            await self.conn.execute(insert(table), group)
        where: list[ColumnElement[bool]] = [table.c[c] == bindparam(f"k_{c}") for c in spec.keys]
        if spec.branded:
            where.append(table.c.brand_id == self.brand_id)
        for group in _runs(updates):
            if len(group[0]) > len(spec.keys):
                await self.conn.execute(update(table).where(and_(*where)), group)
        return len(inserts), len(updates)

    def _with_defaults(self, spec: Spec, values: dict[str, Any]) -> dict[str, Any]:
        """Fill what a new row needs and the file left out: field defaults, zero money, now."""
        if spec.branded:
            values["brand_id"] = self.brand_id
        for f in spec.fields:
            if f.default is not None and f.col not in values:
                values[f.col] = f.default()
        for column in spec.table.columns:
            if column.name in values or column.nullable or column.default is not None:
                continue
            kind = _column_kind(column)
            if kind == "money":
                values[column.name] = Decimal(0)
            elif kind == "ts":
                values[column.name] = self.now
        return values

    async def _remove_unlisted(self, spec: Spec) -> int:
        """A link set stated in the file replaces the stored one of that entity."""
        parents = {row.values.get(spec.parent_column) for row in self.parsed.stated[spec.name]}
        listed = self.file_keys(spec)
        stored = self.existing[spec.name]
        stale = [key for key, link in stored.items() if link in parents and key not in listed]
        if stale:
            table = spec.table
            condition = and_(*[table.c[c] == bindparam(f"k_{c}") for c in spec.keys])
            await self.conn.execute(
                delete(table).where(condition, table.c.brand_id == self.brand_id),
                [{f"k_{c}": value for c, value in zip(spec.keys, key, strict=True)} for key in stale],
            )
        return len(stale)

    async def _prune(self, spec: Spec) -> int:
        top = spec.parent or spec.name
        if spec.prune is None or BY_NAME[top].key not in self.parsed.sections:
            return 0
        listed = self.file_keys(spec)
        stale = sorted(key[0] for key in self.existing[spec.name] if key not in listed)
        target = _T[spec.prune.table]
        for chunk in _chunks(stale):
            await self.conn.execute(
                update(target)
                .where(target.c[spec.prune.by].in_(chunk), target.c.brand_id == self.brand_id)
                .values({spec.prune.column: spec.prune.value})
            )
        return len(stale)


def _runs(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive rows with the same columns: one executemany each, in the order given."""
    for _columns, group in itertools.groupby(rows, key=lambda values: tuple(sorted(values))):
        yield list(group)


async def delete_brand_rows(conn: AsyncConnection, brand_id: int) -> None:
    """Every row of the brand except the brand itself, dependants first (used by reset)."""
    for table in reversed(Base.metadata.sorted_tables):
        if "brand_id" in table.c and table.name != "brands":
            await conn.execute(delete(table).where(table.c.brand_id == brand_id))


async def bump_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL: explicit ids do not advance SERIAL sequences, so move each past its table's largest id."""
    for table in Base.metadata.sorted_tables:
        primary = list(table.primary_key.columns)
        if len(primary) != 1 or primary[0].name != "id" or not isinstance(primary[0].type, Integer):
            continue
        highest = select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
        await conn.execute(
            select(func.setval(func.pg_get_serial_sequence(table.name, "id"), func.greatest(highest, 1)))
        )


async def import_brand(
    db: Database, document: dict[str, Any], *, prune: bool = False, reset: bool = False
) -> ImportReport:
    """Validate a whole brand document, then upsert it in one transaction.

    ``prune`` deactivates the brand's products, categories, modifier groups and modifiers, stations, sale
    types, payment methods and customers that the file no longer has. ``reset`` first deletes every row of
    the brand (in the same transaction), so the brand ends up exactly as the file says.
    Raises :class:`BrandDocumentError` listing every problem; nothing is written then.
    """
    parsed = _parse(document)
    await _hash_secrets(parsed)
    brand_rows = parsed.rows[BRAND.name]
    slug = brand_rows[0].values.get("slug") if brand_rows else None
    report = ImportReport(brand=str(slug))
    try:
        async with db.write() as conn:
            brand_id = None
            if slug is not None:
                brand_id = (
                    await conn.execute(select(BRAND.table.c.id).where(BRAND.table.c.slug == slug))
                ).scalar_one_or_none()
            if reset and brand_id is not None:
                await delete_brand_rows(conn, brand_id)
            run = _Import(conn, parsed, brand_id)
            await run.resolve()
            if run.problems:
                raise BrandDocumentError(run.problems)
            await run.apply(report, prune=prune)
            await bump_catalog_version(conn, str(slug))
            if conn.dialect.name == "postgresql":
                await bump_sequences(conn)
    except IntegrityError as exc:
        raise BrandDocumentError([("", f"the database refused the document: {exc.orig}")]) from exc
    logger.info(
        "brand import %s",
        report.summary(),
        extra={
            "event": "brand_import",
            "brand": report.brand,
            "brand_created": report.brand_created,
            "prune": prune,
            "reset": reset,
            "rows_created": report.created,
            "rows_updated": report.updated,
            "rows_removed": report.removed,
            "rows_deactivated": report.deactivated,
        },
    )
    return report


# --------------------------------------------------------------------------- export


def _export_row(spec: Spec, row: Mapping[Any, Any]) -> Any:
    values = {f.name: _export_value(_kind(spec, f), row[f.col]) for f in spec.fields if not f.secret}
    if spec.shape == "ids":
        return values[spec.fields[0].name]
    for child in CHILDREN[spec.name]:
        if child.shape == "map":
            values[child.key] = {}
        elif child.shape != "one":
            values[child.key] = []
    return values


async def export_brand(db: Database, slug: str) -> dict[str, Any]:
    """The brand as one document, in the form ``import_brand`` takes (secrets as hashes only).

    Money comes out as ``Decimal``: write it with ``clopos_server.jsonio`` to keep it exact.
    """
    document: dict[str, Any] = {"version": FORMAT_VERSION}
    async with db.read() as conn:
        brand = (await conn.execute(select(BRAND.table).where(BRAND.table.c.slug == slug))).mappings().first()
        if brand is None:
            raise LookupError(f"no brand {slug!r}")
        exported: dict[str, list[tuple[Mapping[Any, Any], Any]]] = {}
        for spec in SPECS:
            table = spec.table
            query = select(table).order_by(*[table.c[k] for k in spec.keys])
            if spec is BRAND:
                query = query.where(table.c.slug == slug)
            elif spec.branded:
                query = query.where(table.c.brand_id == brand["id"])
            rows = (await conn.execute(query)).mappings().all()
            exported[spec.name] = [(row, _export_row(spec, row)) for row in rows]
    for spec in SPECS:
        if spec.parent:
            _attach(spec, exported)
    for spec in TOP_SPECS:
        items = [item for _row, item in exported[spec.name]]
        document[spec.key] = items[0] if spec.shape == "one" else items
    return document


def _attach(spec: Spec, exported: Mapping[str, list[tuple[Mapping[Any, Any], Any]]]) -> None:
    """Put nested rows (a product's taxes, a customer's balance) into their parents' objects."""
    parents = {row[spec.parent_column]: item for row, item in exported[spec.parent]}
    for row, item in exported[spec.name]:
        parent = parents.get(row[spec.link])
        if parent is None:
            continue
        if spec.shape == "one":
            parent[spec.key] = item
        elif spec.shape == "map":
            parent[spec.key][str(row[spec.fields[0].col])] = row[spec.fields[1].col]
        else:
            parent[spec.key].append(item)
