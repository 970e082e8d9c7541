"""The spec table: every section of the brand document, declared once (``SPECS``), in the order they are
applied. It is data, one entry per section, which is why it is longer than a module usually is here; a new
column is one line in it."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clopos_server.auth.access import ABILITIES, BUILTIN_ROLES, MODULES, SCOPES
from clopos_server.catalog.importer.spec import F, Prune, Spec


def _new_uuid() -> str:
    return str(uuid.uuid4())


_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SLUG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _uuid_problem(value: Any) -> str | None:
    return None if _UUID_RE.fullmatch(value) else "must be a UUID"


def _slug_problem(value: Any) -> str | None:
    return None if _SLUG_RE.fullmatch(value) else "may hold only letters, digits, '-' and '_'"


def _vocabulary_problem(known: tuple[str, ...]) -> Any:
    """A check that a list holds only ``known`` names (scopes, abilities, modules)."""

    def problem(value: Any) -> str | None:
        unknown = [item for item in value if item not in known]
        return f"holds unknown names {unknown}; known: {', '.join(known)}" if unknown else None

    return problem


def _custom_role_problem(value: Any) -> str | None:
    return f"{value!r} is a built-in role" if value in BUILTIN_ROLES else None


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
            F("modules", kind="list", default=lambda: list(MODULES), check=_vocabulary_problem(MODULES)),
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
            F("scopes", kind="list", default=lambda: list(SCOPES), check=_vocabulary_problem(SCOPES)),
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
        "suppliers",
        "suppliers",
        "suppliers",
        "supplier",
        (
            ID,
            F("name", required=True),
            F("phone"),
            F("email"),
            F("address"),
            F("tin"),
            F("description"),
            F("status", choices=BIT),
            *STAMPS,
        ),
        prune=Prune("suppliers", "id", "status", 0),
    ),
    Spec(
        "halls",
        "halls",
        "halls",
        "hall",
        (ID, F("venue_id", required=True, ref="venues"), F("name", required=True), F("position")),
    ),
    Spec(
        "halls.tables",
        "tables",
        "dining_tables",
        "table",
        (ID, F("name", required=True), F("seats", minimum=0), F("status")),
        parent="halls",
        link="hall_id",
    ),
    Spec(
        "roles",
        "roles",
        "roles",
        "role",
        (
            ID,
            F("name", required=True, check=_custom_role_problem),
            F("abilities", kind="list", default=list, check=_vocabulary_problem(ABILITIES)),
        ),
        unique=(("name", False),),
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
            F("role"),
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
    "suppliers",
    "halls",
    "roles",
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
