"""What the finance endpoints accept in their query strings (the list query syntax of spec/api.md)."""

from __future__ import annotations

from clopos_server.finance.accounts import ACCOUNT_TYPES, CATEGORY_TYPES
from clopos_server.finance.ledger import TYPES
from clopos_server.kit.query import ID, STR, TEXT, ResourceQuerySpec, enum

TAX_TYPES = ("INCLUSIVE", "EXCLUSIVE")

BALANCE_QUERY = ResourceQuerySpec(
    sorts=("id", "name", "type", "amount", "position", "created_at"),
    default_sort=("id", False),
    filters={"type": enum(*ACCOUNT_TYPES), "venue_id": ID, "name": TEXT},
)
# ``/finance/balances/list``: the same accounts, every one on one page (for pickers)
BALANCE_LIST_QUERY = ResourceQuerySpec(
    default_limit=1000,
    max_limit=1000,
    sorts=BALANCE_QUERY.sorts,
    default_sort=("position", False),
    filters=BALANCE_QUERY.filters,
)
DATE_STATES_QUERY = ResourceQuerySpec(
    sorts=("id", "name"), default_sort=("id", False), filters=BALANCE_QUERY.filters, params={"date": STR}
)
TRANSACTION_FILTERS = {
    "balance_id": ID,
    "category_id": ID,
    "type": enum(*TYPES),
    "receipt_id": ID,
    "operation_id": ID,
    "customer_id": ID,
    "supplier_id": ID,
}
TRANSACTION_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=("id", "operated_at", "amount"),
    default_sort=("id", True),
    filters=TRANSACTION_FILTERS,
    dates=True,
)
BALANCE_TRANSACTIONS_QUERY = ResourceQuerySpec(
    max_limit=200,
    sorts=TRANSACTION_QUERY.sorts,
    default_sort=TRANSACTION_QUERY.default_sort,
    filters={k: v for k, v in TRANSACTION_FILTERS.items() if k != "balance_id"},
    params={"balance_id": ID},
    dates=True,
)
CUSTOMER_BALANCE_QUERY = ResourceQuerySpec(params={"customer_id": ID})

SHIFT_QUERY = ResourceQuerySpec(
    sorts=("opened_at", "closed_at", "terminal_id"),
    default_sort=("opened_at", True),
    filters={"venue_id": ID, "terminal_id": ID, "status": enum("open", "closed")},
    dates=True,
)
CATEGORY_QUERY = ResourceQuerySpec(
    max_limit=500,
    sorts=("id", "name", "position", "created_at"),
    default_sort=("position", False),
    filters={"type": enum(*CATEGORY_TYPES), "parent_id": ID, "name": TEXT},
)
TAX_QUERY = ResourceQuerySpec(
    sorts=("id", "name", "rate", "priority"),
    default_sort=("id", False),
    filters={"type": enum(*TAX_TYPES)},
)
TAX_TYPES_QUERY = ResourceQuerySpec(sorts=("id",), default_sort=("id", False))
TAX_REPORT_QUERY = ResourceQuerySpec(
    max_limit=500,
    sorts=("date", "tax_id", "amount"),
    default_sort=("date", False),
    filters={"tax_id": ID},
    dates=True,
)
TAX_TOTAL_QUERY = ResourceQuerySpec(sorts=(), filters={"tax_id": ID}, dates=True)
