"""The JSON shapes of the finance endpoints, for the OpenAPI document. The real v2 reference gives these
paths but no schemas: every shape here is ours (docs/api/finance.md, docs/compatibility.md)."""

from __future__ import annotations

from clopos_server.finance.accounts import ACCOUNT_TYPES, CATEGORY_TYPES
from clopos_server.finance.ledger import TYPES
from clopos_server.kit.schema import INT_OUT, MONEY_OUT, PLAIN_TIME, STR_OUT, Schema, maybe, out

_ENUM = "enum"
DATE_OUT: Schema = {"type": "string", "examples": ["2026-01-13"]}

BALANCE: Schema = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "type": {"type": "string", _ENUM: list(ACCOUNT_TYPES)},
        "venue_id": maybe(INT_OUT),
        "amount": MONEY_OUT,
        "currency": STR_OUT,
        "opening_amount": MONEY_OUT,
        "payment_method_ids": {"type": "array", "items": INT_OUT},
        "position": INT_OUT,
        "created_at": PLAIN_TIME,
        "updated_at": PLAIN_TIME,
    },
    title="MoneyAccount",
    description="*ours*: a money account; `amount` = `opening_amount` + its transactions' amounts; "
    "payments with `payment_method_ids` at its venue (every venue when `venue_id` is null) go into it",
)
DATE_STATE: Schema = out(
    {
        "balance_id": INT_OUT,
        "name": STR_OUT,
        "type": STR_OUT,
        "currency": STR_OUT,
        "date": DATE_OUT,
        "amount": maybe(MONEY_OUT),
    },
    title="MoneyAccountDateState",
    description="*ours*: an account's amount at the end of a business day (null: created later)",
)
CUSTOMER_BALANCE: Schema = out(
    {
        "id": INT_OUT,
        "customer_id": INT_OUT,
        "name": STR_OUT,
        "type": STR_OUT,
        "venue_id": maybe(INT_OUT),
        "amount": MONEY_OUT,
        "currency": STR_OUT,
    },
    title="CustomerBalance",
    description="*ours*: a customer's own balance",
)
TRANSACTION: Schema = out(
    {
        "id": INT_OUT,
        "balance_id": INT_OUT,
        "category_id": maybe(INT_OUT),
        "type": {"type": "string", _ENUM: list(TYPES)},
        "amount": MONEY_OUT,
        "before_amount": MONEY_OUT,
        "after_amount": MONEY_OUT,
        "receipt_id": maybe(INT_OUT),
        "operation_id": maybe(INT_OUT),
        "customer_id": maybe(INT_OUT),
        "supplier_id": maybe(INT_OUT),
        "description": maybe(STR_OUT),
        "operated_at": PLAIN_TIME,
    },
    title="MoneyTransaction",
    description="*ours*: one movement; `amount` is signed (income adds, expense takes; a transfer is two "
    "rows, out and in) and `after_amount` = `before_amount` + `amount`",
)
_CATEGORY_FIELDS: Schema = {
    "id": INT_OUT,
    "parent_id": maybe(INT_OUT),
    "name": STR_OUT,
    "type": {"type": "string", _ENUM: list(CATEGORY_TYPES)},
    "system_type": maybe(STR_OUT),
    "position": INT_OUT,
    "created_at": PLAIN_TIME,
    "updated_at": PLAIN_TIME,
}
CATEGORY: Schema = out(
    _CATEGORY_FIELDS,
    title="FinanceCategory",
    description="*ours*: an income or expense category; `parent_id` makes the tree",
)
CATEGORY_ONE: Schema = out(
    {**_CATEGORY_FIELDS, "children": {"type": "array", "items": INT_OUT}},
    title="FinanceCategoryWithChildren",
    description="*ours*: a category and the ids of its children",
)
_SHIFT_FIELDS: Schema = {
    "uuid": STR_OUT,
    "venue_id": INT_OUT,
    "terminal_id": INT_OUT,
    "opened_by": maybe(INT_OUT),
    "opened_at": PLAIN_TIME,
    "opening_amount": MONEY_OUT,
    "closed_by": maybe(INT_OUT),
    "closed_at": maybe(PLAIN_TIME),
    "counted_amount": maybe(MONEY_OUT),
    "expected_amount": maybe(MONEY_OUT),
    "difference": maybe(MONEY_OUT),
}
CASH_SHIFT: Schema = out(
    _SHIFT_FIELDS,
    title="CashShift",
    description="*ours*: a till session; `difference` = counted - expected cash (null while open)",
)
_BY_METHOD: Schema = {
    "type": "array",
    "items": out(
        {"payment_method_id": INT_OUT, "name": STR_OUT, "amount": MONEY_OUT, "receipts_count": INT_OUT}
    ),
}
CASH_SHIFT_REPORT: Schema = out(
    {
        **_SHIFT_FIELDS,
        "receipts_count": INT_OUT,
        "sales_total": MONEY_OUT,
        "sales": _BY_METHOD,
        "refunds_count": INT_OUT,
        "refunds_total": MONEY_OUT,
        "refunds": _BY_METHOD,
        "cash_sales": MONEY_OUT,
        "cash_refunds": MONEY_OUT,
        "cash_in": MONEY_OUT,
        "cash_out": MONEY_OUT,
        "expected_cash": MONEY_OUT,
        "counted_cash": maybe(MONEY_OUT),
    },
    title="CashShiftReport",
    description="*ours*: the shift's receipts, sales and refunds by payment method, cash in and out, "
    "and `expected_cash` = opening + cash sales - cash refunds + cash in - cash out",
)
TAX: Schema = out(
    {
        "id": INT_OUT,
        "name": STR_OUT,
        "rate": MONEY_OUT,
        "type": STR_OUT,
        "rounding_option": STR_OUT,
        "priority": INT_OUT,
    },
    title="FinanceTax",
    description="A tax rate of the brand's catalogue",
)
TAX_TYPE: Schema = out({"id": STR_OUT, "name": STR_OUT}, title="TaxType", description="*ours*")
TAX_REPORT_ROW: Schema = out(
    {
        "date": DATE_OUT,
        "tax_id": INT_OUT,
        "name": STR_OUT,
        "rate": MONEY_OUT,
        "type": STR_OUT,
        "amount": MONEY_OUT,
        "receipts_count": INT_OUT,
    },
    title="TaxReportRow",
    description="*ours*: tax collected by closed receipts on one business day",
)
TAX_TOTAL: Schema = out(
    {
        "date_from": maybe(DATE_OUT),
        "date_to": maybe(DATE_OUT),
        "amount": MONEY_OUT,
        "inclusive_amount": MONEY_OUT,
        "exclusive_amount": MONEY_OUT,
        "receipts_count": INT_OUT,
        "taxes": {
            "type": "array",
            "items": out({"tax_id": INT_OUT, "name": STR_OUT, "amount": MONEY_OUT}),
        },
    },
    title="TaxTotal",
    description="*ours*: the tax report's sum over the date range",
)
