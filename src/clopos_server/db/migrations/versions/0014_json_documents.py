"""orders' and events' documents as json text: written once and read back whole, never parsed by the database

An order's ``payload``, ``pricing`` and ``warnings`` and an event's ``data`` are written once (an order's
three again when it changes) and read back whole: the API embeds them as stored text, and nothing
searches inside them but the board's one path into an event (``data -> object -> id``, which ``json``
serves as well). As ``jsonb`` PostgreSQL parsed each into its binary form on every insert (a 5-line
order writes about 11 KB of them: payload 3 KB, pricing 2.3 KB, its event 6 KB; about 11 us of the
database's CPU per KB against ``json``'s validation) and printed it again on every read (a 6 KB event's
text about ten times dearer than ``json``'s). As ``json`` they are stored as the text the server wrote,
so a read answers exactly those bytes, as on SQLite.

On PostgreSQL each ``ALTER ... TYPE`` rewrites its table under an exclusive lock: on a database with
millions of orders, plan the upgrade for a quiet time (docs/deploy.md). SQLite stores JSON as text
already: nothing changes there.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENTS = {"orders": ("payload", "pricing", "warnings"), "events": ("data",)}


def _retype(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in DOCUMENTS.items():
        changes = ", ".join(f"ALTER COLUMN {column} TYPE {kind} USING {column}::{kind}" for column in columns)
        op.execute(f"ALTER TABLE {table} {changes}")  # names from DOCUMENTS above, never input


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
