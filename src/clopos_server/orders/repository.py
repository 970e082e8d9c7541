"""Order queries. Every query takes the brand, so another brand's order is simply not found."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    false,
    func,
    insert,
    literal_column,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from clopos_server import jsonio
from clopos_server.db.engine import dialect_of, driver_of
from clopos_server.db.models import Base, Customer, Order, OrderHistory, Product, Receipt, StopListEntry
from clopos_server.db.statements import on_driver
from clopos_server.events import log as events
from clopos_server.kit.values import MAX_ID
from clopos_server.orders.intake.records import CustomerInfo
from clopos_server.orders.render import render_order

SORT_COLUMNS = {"id": Order.id, "created_at": Order.created_at, "updated_at": Order.updated_at}
# In a list the JSON columns are read as their stored text, which the answer embeds as it is (decoding
# them with exact Decimals and encoding them again was most of a list's CPU).
_JSON_COLUMNS = ("payload", "pricing", "warnings")


# The create path's statements, each written once in Core (docs/decisions/0002). On PostgreSQL they are
# compiled for asyncpg at import and sent on the driver connection: SQLAlchemy's work per statement cost
# more CPU than the round trip. On SQLite the same Core statements run as usual, built once.
_ORDERS = Base.metadata.tables[Order.__tablename__]
_HISTORY = Base.metadata.tables[OrderHistory.__tablename__]
_EVENTS = Base.metadata.tables["events"]
_INSERTED_COLUMNS = (
    "brand_id", "venue_id", "customer_id", "sale_type_id", "api_client_id", "status", "type",
    "integration", "integration_status", "payload", "total", "pricing", "warnings", "receipt_id",
    "created_at", "updated_at",
)  # fmt: skip
# The stop list of some products: ``= ANY(array)`` on PostgreSQL (one prepared statement for any number of
# products), an expanding ``IN`` on SQLite.
_PG_PRODUCTS = StopListEntry.product_id == any_(bindparam("products", type_=ARRAY(Integer)))
_SQLITE_PRODUCTS = StopListEntry.product_id.in_(bindparam("products", expanding=True))


def _stop_list_of(products: ColumnElement[bool]) -> Select[int, int, str]:
    return (
        select(StopListEntry.product_id, StopListEntry.remaining, Product.name)
        .join(Product, Product.id == StopListEntry.product_id)
        .where(StopListEntry.brand_id == bindparam("brand"), products)
    )


_THE_CUSTOMER = (Customer.brand_id == bindparam("brand"), Customer.id == bindparam("customer"))
_CUSTOMER_BY_ID = select(Customer.id, Customer.name, Customer.phone, Customer.address).where(*_THE_CUSTOMER)
_STOP_LIST_OF = _stop_list_of(_SQLITE_PRODUCTS)
_PG_STOP_LIST = on_driver(_stop_list_of(_PG_PRODUCTS))
# The customer, and the stop-list entries of the products the body names: one round trip.
_PG_CUSTOMER_AND_STOP_LIST = on_driver(
    union_all(
        select(false(), *_CUSTOMER_BY_ID.selected_columns, cast(null(), Integer)).where(*_THE_CUSTOMER),
        select(true(), StopListEntry.product_id, Product.name, null(), null(), StopListEntry.remaining)
        .join(Product, Product.id == StopListEntry.product_id)
        .where(StopListEntry.brand_id == bindparam("brand"), _PG_PRODUCTS),
    )
)


def _insert_order_with_history_and_event() -> Select[Any]:
    """The order, its first history row and its order.created event in one statement (PostgreSQL's
    data-modifying CTEs): ``by`` is the history's, ``data`` the event's as rendered before the id was
    known (the id is set in at its two places)."""
    new_order = (
        insert(_ORDERS)
        .values({name: bindparam(f"order_{name}") for name in _INSERTED_COLUMNS})
        .returning(
            _ORDERS.c.id, _ORDERS.c.brand_id, _ORDERS.c.venue_id, _ORDERS.c.status, _ORDERS.c.created_at
        )
        .cte("new_order")
    )
    history = (
        insert(_HISTORY)
        .from_select(
            ["brand_id", "order_id", "status", "at", "by"],
            select(
                new_order.c.brand_id,
                new_order.c.id,
                new_order.c.status,
                new_order.c.created_at,
                bindparam("by", type_=String),
            ),
        )
        .cte("history")
    )
    order_id = func.to_jsonb(new_order.c.id)
    data = func.jsonb_set(
        func.jsonb_set(
            cast(bindparam("data", type_=String), JSONB), literal_column("'{object,id}'"), order_id
        ),
        literal_column("'{object,payload,id}'"),
        order_id,
    )
    event = (
        insert(_EVENTS)
        .from_select(
            ["type", "brand_id", "venue_id", "created_at", "data"],
            select(
                literal_column(f"'{events.ORDER_CREATED}'"),
                new_order.c.brand_id,
                new_order.c.venue_id,
                new_order.c.created_at,
                data,
            ),
        )
        .cte("event")
    )
    return select(new_order.c.id).add_cte(history, event)


_PG_INSERT_ORDER = on_driver(_insert_order_with_history_and_event())
_INSERT_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_HISTORY = insert(_HISTORY)
# Column defaults the INSERT fills in, so that the answer can be rendered without reading the row back.
_ORDER_DEFAULTS = {
    column.name: column.default.arg
    for column in _ORDERS.columns
    if isinstance(column.default, ScalarElementColumnDefault)
}


class DbLookups:
    """The fresh reads order intake needs, inside the create transaction.

    ``likely_products``: the product ids the raw body names. On PostgreSQL the customer's read also
    fetches their stop-list entries (one round trip for both); a later ``stop_list`` call for ids outside
    them, or one without a customer read before it, queries as usual.
    """

    def __init__(self, conn: AsyncConnection, brand_id: int, likely_products: Collection[int] = ()) -> None:
        self.conn = conn
        self.brand_id = brand_id
        self.on_postgres = dialect_of(conn) == "postgresql"
        self.likely_products = frozenset(likely_products)
        self.prefetched: dict[int, tuple[int, str]] | None = None  # the likely products' entries

    async def customer(self, customer_id: int) -> CustomerInfo | None:
        if not self.on_postgres:
            params = {"brand": self.brand_id, "customer": customer_id}
            found = (await self.conn.execute(_CUSTOMER_BY_ID, params)).first()
            return None if found is None else CustomerInfo(found[0], found[1], found[2], found[3])
        values = {"brand": self.brand_id, "customer": customer_id, "products": list(self.likely_products)}
        driver = await driver_of(self.conn)
        rows = await driver.fetch(_PG_CUSTOMER_AND_STOP_LIST.sql, *_PG_CUSTOMER_AND_STOP_LIST.args(values))
        info: CustomerInfo | None = None
        self.prefetched = {}
        for is_stop_entry, row_id, name, phone, address, remaining in rows:
            if is_stop_entry:
                self.prefetched[row_id] = (remaining, name)
            else:
                info = CustomerInfo(row_id, name, phone, address)
        return info

    async def stop_list(self, product_ids: Collection[int]) -> Mapping[int, tuple[int, str]]:
        if not product_ids:
            return {}
        if self.prefetched is not None and self.likely_products.issuperset(product_ids):
            return {pid: self.prefetched[pid] for pid in product_ids if pid in self.prefetched}
        rows: Sequence[Any]
        values = {"brand": self.brand_id, "products": list(product_ids)}
        if self.on_postgres:
            rows = await (await driver_of(self.conn)).fetch(_PG_STOP_LIST.sql, *_PG_STOP_LIST.args(values))
        else:
            rows = (await self.conn.execute(_STOP_LIST_OF, values)).all()
        return {product_id: (remaining, name) for product_id, remaining, name in rows}


def product_ids_in(body: Mapping[str, Any]) -> set[int]:
    """The integer ``product_id``s of a raw create body's lines, nested or flat (a hint: unchecked)."""
    payload = body.get("payload")
    lines = payload.get("products") if isinstance(payload, dict) else body.get("products")
    if not isinstance(lines, list):
        return set()
    ids = (line.get("product_id") for line in lines if isinstance(line, dict))
    return {pid for pid in ids if type(pid) is int and 0 < pid <= MAX_ID}  # bound as INTEGER parameters


async def insert_order(conn: AsyncConnection, values: dict[str, Any], *, by: str) -> SimpleNamespace:
    """Insert an order, its first history row (its status, at its creation, ``by``) and its
    ``order.created`` event; returns the order's row as stored (the id from the database, the rest from
    ``values``). On PostgreSQL the three are one statement (the create path's round trips are counted).

    ``values`` must be what the column types store unchanged: whole-second UTC times, Decimals at most
    4 places, JSON of str, int, Decimal, bool, None, lists and dicts.
    """
    row = {"receipt_id": None, **_ORDER_DEFAULTS, **values}
    if dialect_of(conn) == "postgresql":
        values = {
            f"order_{name}": jsonio.dumps_str(row[name]) if name in _JSON_COLUMNS else row[name]
            for name in _INSERTED_COLUMNS
        }
        values["by"] = by
        values["data"] = jsonio.dumps_str(events.event_data(render_order(SimpleNamespace(**row, id=0))))
        row["id"] = await (await driver_of(conn)).fetchval(
            _PG_INSERT_ORDER.sql, *_PG_INSERT_ORDER.args(values)
        )
        return SimpleNamespace(**row)
    row["id"] = (await conn.execute(_INSERT_ORDER, row)).scalar_one()
    await add_history(
        conn, brand_id=row["brand_id"], order_id=row["id"], status=row["status"], at=row["created_at"], by=by
    )
    order = SimpleNamespace(**row)
    await events.record(
        conn, events.ORDER_CREATED, order.brand_id, order.venue_id, render_order(order), at=order.created_at
    )
    return order


async def add_history(
    conn: AsyncConnection, *, brand_id: int, order_id: int, status: str, at: datetime, by: str
) -> None:
    params = {"brand_id": brand_id, "order_id": order_id, "status": status, "at": at, "by": by}
    await conn.execute(_INSERT_HISTORY, params)


async def get_order(conn: AsyncConnection, brand_id: int, order_id: int) -> Row[Any] | None:
    return (await conn.execute(select(Order).where(Order.brand_id == brand_id, Order.id == order_id))).first()


async def change_status(
    conn: AsyncConnection, *, brand_id: int, order_id: int, from_status: str, values: dict[str, Any]
) -> bool:
    """A conditional update: true only for the one caller that found the order in ``from_status``."""
    result = await conn.execute(
        update(Order)
        .where(Order.brand_id == brand_id, Order.id == order_id, Order.status == from_status)
        .values(**values)
    )
    return bool(result.rowcount == 1)


async def update_order(
    conn: AsyncConnection, *, brand_id: int, order_id: int, values: dict[str, Any]
) -> None:
    await conn.execute(update(Order).where(Order.brand_id == brand_id, Order.id == order_id).values(**values))


async def list_orders(
    conn: AsyncConnection,
    *,
    brand_id: int,
    venue_ids: Sequence[int],
    statuses: Sequence[str],
    customer_ids: Sequence[int],
    sale_type_ids: Sequence[int],
    created_from: datetime | None,
    created_before: datetime | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[list[Row[Any]], int]:
    conditions: list[Any] = [Order.brand_id == brand_id, Order.venue_id.in_(list(venue_ids))]
    if statuses:
        conditions.append(Order.status.in_(list(statuses)))
    if customer_ids:
        conditions.append(Order.customer_id.in_(list(customer_ids)))
    if sale_type_ids:
        conditions.append(Order.sale_type_id.in_(list(sale_type_ids)))
    if created_from is not None:
        conditions.append(Order.created_at >= created_from)
    if created_before is not None:
        conditions.append(Order.created_at < created_before)
    column = SORT_COLUMNS[sort]
    # The page is chosen first and only its rows are cast: PostgreSQL would otherwise cast the JSON of
    # every matching order before the sort.
    page = (
        select(Order)
        .where(*conditions)
        .order_by(column.desc() if descending else column.asc(), Order.id.asc())
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    sort_key = page.c[column.key]
    rows = (
        await conn.execute(
            select(
                *(
                    cast(page_column, Text).label(page_column.key)
                    if page_column.key in _JSON_COLUMNS
                    else page_column
                    for page_column in page.c
                )
            ).order_by(sort_key.desc() if descending else sort_key.asc(), page.c.id.asc())
        )
    ).all()
    total = (await conn.execute(select(func.count()).select_from(Order).where(*conditions))).scalar_one()
    return list(rows), int(total)


async def history_of(
    conn: AsyncConnection, brand_id: int, order_ids: Sequence[int]
) -> dict[int, list[Row[Any]]]:
    rows = await conn.execute(
        select(OrderHistory)
        .where(OrderHistory.brand_id == brand_id, OrderHistory.order_id.in_(list(order_ids)))
        .order_by(OrderHistory.id)
    )
    grouped: dict[int, list[Row[Any]]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return grouped


async def receipts_by_id(
    conn: AsyncConnection, brand_id: int, receipt_ids: Sequence[int]
) -> dict[int, Row[Any]]:
    if not receipt_ids:
        return {}
    rows = await conn.execute(
        select(Receipt).where(Receipt.brand_id == brand_id, Receipt.id.in_(list(receipt_ids)))
    )
    return {row.id: row for row in rows}


async def customers_by_id(conn: AsyncConnection, brand_id: int, ids: Sequence[int]) -> dict[int, Row[Any]]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(Customer).where(Customer.brand_id == brand_id, Customer.id.in_(list(ids)))
    )
    return {row.id: row for row in rows}


def row_values(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)
