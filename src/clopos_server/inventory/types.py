"""The vocabularies of stock documents and ledger rows (``spec/backoffice.md``; *ours* where marked)."""

from __future__ import annotations

IN = 1
SALE = 2  # ours: a closed receipt's spending
TRANSFER = 3
WASTE = 4
RETURN = 5
SALE_CANCEL = 6  # ours: a deleted receipt's spending given back
MAKE = 7
INVENTORY_CHECK = 9
SUPPLY_RETURN = 10
INITIAL_STOCK = 11

DOCUMENT_TYPES: dict[int, str] = {
    IN: "IN",
    TRANSFER: "TRANSFER",
    WASTE: "WASTE",
    RETURN: "RETURN",
    MAKE: "MAKE",
    INVENTORY_CHECK: "INVENTORY_CHECK",
    SUPPLY_RETURN: "SUPPLY_RETURN",
    INITIAL_STOCK: "INITIAL_STOCK",
}
LEDGER_TYPES: dict[int, str] = {**DOCUMENT_TYPES, SALE: "SALE", SALE_CANCEL: "SALE_CANCEL"}

# document types that bring stock in, valued at the line's cost (weighted into the average)
INCOMING = frozenset({IN, RETURN, INITIAL_STOCK})
# document types that take stock out at the storage's average cost
OUTGOING = frozenset({WASTE, SUPPLY_RETURN})

PUBLISHED = 1
DRAFT = 2
STATUSES: dict[int, str] = {PUBLISHED: "Published", DRAFT: "Draft"}
