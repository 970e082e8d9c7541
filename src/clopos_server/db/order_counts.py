"""How many orders a venue holds per status, kept by the database itself (issue 18, decision 4;
docs/decisions/0005-order-reads-index-walk.md; migration 0010).

``GET /orders`` answers an exact ``total``. Counted per request, it grew with the matching orders (15 of
17 ms of database CPU at 80,000 orders in a venue). Triggers on ``orders`` (migration 0010, both
dialects) add every inserted, deleted or re-statused order to this table in the writer's own transaction,
whichever code wrote it (create on the driver or on SQLAlchemy, the lifecycle, test helpers, the CLI, a
reset, a bench fill, plain SQL). So the list reads the venue's total from a handful of rows here, in the
same statement and snapshot as its page, and it is exact for every query this table can answer (brand,
venues, statuses); other filters still count the orders.

A venue's count is spread over ``slot`` rows (on PostgreSQL the writing backend's ``pg_backend_pid() %
16``; 0 on SQLite, whose writers take turns anyway): a row updated by every create would make a venue's
creates wait for each other's commit. The answer is the sum over slots; one slot's ``n`` may be negative
(an order counted in one slot leaves from another).

The table is not in ``Base.metadata``: no application code writes it, and a brand's reset
(``catalog.importer.delete_brand_rows``) walks that metadata deleting a brand's rows in an order the
counts must not depend on; deleting the brand's orders brings its counts to zero through the triggers.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, SmallInteger, String, Table

ORDER_COUNTS = Table(
    "order_counts",
    MetaData(),
    Column("brand_id", Integer, primary_key=True),
    Column("venue_id", Integer, primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("slot", SmallInteger, primary_key=True),
    Column("n", BigInteger, nullable=False),
)
