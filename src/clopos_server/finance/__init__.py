"""Finance (issue 17, spec/backoffice.md "Finance"): money accounts bound to payment methods, money
transactions, finance categories, cash shifts and their reports, the tax report.

- ``ledger``: the one way an account's amount moves (an atomic update and a transaction row, together);
- ``hooks``: what closing and deleting a receipt write here (called from ``receipts``, in its transaction);
- ``shifts``: open, close and report cash shifts; ``supplies``: marking a supply document paid;
- ``reads``, ``taxes``: the v2 read endpoints; ``accounts``: creating accounts and categories (CLI, demo);
- ``repository``: the queries, every one scoped to a brand; ``render``, ``shapes``, ``schemas``: the answers,
  their OpenAPI shapes and what the list endpoints accept.
"""
