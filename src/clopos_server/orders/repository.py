"""Order queries. Every query takes the brand, so another brand's order is simply not found."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy import Sequence as DbSequence
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import ScalarElementColumnDefault, Table

from clopos_server import jsonio
from clopos_server.db.models import Base, Customer, Order, OrderHistory, Product, Receipt, StopListEntry
from clopos_server.db.sqlite_driver import InlineConnection
from clopos_server.db.statements import DriverStatement, SqliteStatement, on_driver, on_sqlite
from clopos_server.events import log as events
from clopos_server.idempotency import service as idempotency
from clopos_server.kit.values import MAX_ID
from clopos_server.orders.intake.records import CustomerInfo
from clopos_server.orders.render import render_order

# In a list the JSON columns are read as their stored text, which the answer embeds as it is (decoding
# them with exact Decimals and encoding them again was most of a list's CPU).
_JSON_COLUMNS = ("payload", "pricing", "warnings")


# The create path's statements, each written once in Core. On PostgreSQL the create path runs on the
# driver's pool (db/driver_pool.py, docs/decisions/0006): its statements are compiled for asyncpg at import
# (``on_driver``), and a create is two round trips, with or without an Idempotency-Key: one that reads
# the customer, the stop list of the products the body names and the key, and one that writes the order,
# its history row, its order.created event and the key with its answer (data-modifying CTEs). Each
# commits on its own, so there is no BEGIN and no COMMIT. On SQLite the same reads, and the inserts of the
# order, its history row, its event and the key with its answer, are compiled for SQLite at import
# (``on_sqlite``) and run on the sqlite3 connection in the writer's turn, in one BEGIN IMMEDIATE
# transaction (docs/decisions/0003). The rare creates that take the SQLAlchemy path instead (auto-accept,
# an expired key) run the Core statements on SQLAlchemy's connection, in ``Database.write``.
_ORDERS = Base.metadata.tables[Order.__tablename__]
_HISTORY = Base.metadata.tables[OrderHistory.__tablename__]
_EVENTS = Base.metadata.tables["events"]
_ORDER_IDS = DbSequence("orders_id_seq")  # orders.id's own sequence (SERIAL)
_INSERTED_COLUMNS = (
    "brand_id", "venue_id", "customer_id", "sale_type_id", "api_client_id", "status", "type",
    "integration", "integration_status", "payload", "total", "pricing", "warnings", "receipt_id",
    "created_at", "updated_at",
)  # fmt: skip
# The stop list of some products: ``= ANY(array)`` on asyncpg and the members of a JSON array on sqlite3
# (one statement, compiled once, for any number of products), an expanding ``IN`` on SQLAlchemy's
# connection.
_DRIVER_PRODUCTS = StopListEntry.product_id == any_(bindparam("products", type_=ARRAY(Integer)))
_SQLITE_PRODUCTS = StopListEntry.product_id.in_(
    select(literal_column("value")).select_from(func.json_each(bindparam("products", type_=JSON)))
)
_EXPANDING_PRODUCTS = StopListEntry.product_id.in_(bindparam("products", expanding=True))
_THE_CUSTOMER = (Customer.brand_id == bindparam("brand"), Customer.id == bindparam("customer"))
_CUSTOMER_COLUMNS = (Customer.id, Customer.name, Customer.phone, Customer.address)


def _stop_list_of(products: ColumnElement[bool]) -> Select[int, int, str]:
    return (
        select(StopListEntry.product_id, StopListEntry.remaining, Product.name)
        .join(Product, Product.id == StopListEntry.product_id)
        .where(StopListEntry.brand_id == bindparam("brand"), products)
    )


def _nothing(column: Any) -> Any:
    return cast(null(), column.type)


# Rows of the create path's first statement: (kind, id, name, phone, address, remaining, expires_at,
# response_status, response_body, response_headers), each kind filling its own columns.
_CUSTOMER_ROW, _STOP_ROW, _KEY_ROW = 0, 1, 2
_KEY_COLUMNS = idempotency.KEY_ROW_COLUMNS


def _create_reads(products: ColumnElement[bool], *, keyed: bool) -> CompoundSelect[Any]:
    """The customer, the stop-list entries of ``products`` and (``keyed``) the key: one round trip."""
    no_key = tuple(_nothing(column) for column in _KEY_COLUMNS[1:])
    branches = [
        select(
            literal_column(str(_CUSTOMER_ROW)), *_CUSTOMER_COLUMNS, _nothing(StopListEntry.remaining), *no_key
        ).where(*_THE_CUSTOMER),
        select(
            literal_column(str(_STOP_ROW)), StopListEntry.product_id, Product.name, null(), null(),
            StopListEntry.remaining, *no_key,
        )
        .join(Product, Product.id == StopListEntry.product_id)
        .where(StopListEntry.brand_id == bindparam("brand"), products),
    ]  # fmt: skip
    if keyed:
        keys = idempotency.KEYS
        branches.append(
            select(
                literal_column(str(_KEY_ROW)), keys.c.id, *_KEY_COLUMNS[:1], null(), null(), null(),
                *_KEY_COLUMNS[1:],
            ).where(idempotency.THIS_KEY)
        )  # fmt: skip
    return union_all(*branches)


_READS = _create_reads(_EXPANDING_PRODUCTS, keyed=False)
Rows = Sequence[Sequence[Any]]


async def _fetch_asyncpg(conn: Any, statement: Any, values: Mapping[str, Any]) -> Rows:
    rows: Rows = await conn.fetch(statement.sql, *statement.args(values))
    return rows


async def _fetch_sqlite(conn: Any, statement: Any, values: Mapping[str, Any]) -> Rows:
    rows: Rows = await statement.rows(conn, values)
    return rows


@dataclass(frozen=True)
class CreateReads:
    """The create path's reads compiled for one driver (``reads`` by whether the request has a key), and
    how that driver fetches a statement's rows."""

    reads: dict[bool, DriverStatement | SqliteStatement]
    customer: DriverStatement | SqliteStatement
    stop_list: DriverStatement | SqliteStatement
    fetch: Callable[[Any, Any, Mapping[str, Any]], Awaitable[Rows]]

    @classmethod
    def compiled(
        cls,
        on: Callable[[Any], DriverStatement | SqliteStatement],
        products: ColumnElement[bool],
        fetch: Callable[[Any, Any, Mapping[str, Any]], Awaitable[Rows]],
    ) -> CreateReads:
        return cls(
            {keyed: on(_create_reads(products, keyed=keyed)) for keyed in (False, True)},
            on(select(*_CUSTOMER_COLUMNS).where(*_THE_CUSTOMER)),
            on(_stop_list_of(products)),
            fetch,
        )


ON_ASYNCPG = CreateReads.compiled(on_driver, _DRIVER_PRODUCTS, _fetch_asyncpg)
ON_SQLITE = CreateReads.compiled(on_sqlite, _SQLITE_PRODUCTS, _fetch_sqlite)


def _insert_order_statement(*, keyed: bool) -> Select[Any]:
    """The order, its first history row and its order.created event in one statement (PostgreSQL's
    data-modifying CTEs): ``by`` is the history's, ``data_parts`` the event's data, rendered before the id
    was known and split where the id goes (joined by the new id, as the answer is). ``keyed``: also the
    key's row with its answer (``answer_parts`` joined by the new id: the answer rendered before the id
    was known), and the order only if the key was free; the result is then the order's id and the key
    row's (None: the key was taken meanwhile)."""
    order_values = {
        name: bindparam(f"order_{name}", type_=_ORDERS.c[name].type) for name in _INSERTED_COLUMNS
    }
    returned = (_ORDERS.c.id, _ORDERS.c.brand_id, _ORDERS.c.venue_id, _ORDERS.c.status, _ORDERS.c.created_at)
    if keyed:
        keys = idempotency.KEYS
        ids = select(_ORDER_IDS.next_value().label("id")).cte("ids")
        answer = func.convert_to(
            func.array_to_string(bindparam("answer_parts", type_=ARRAY(Text)), cast(ids.c.id, Text)),
            literal_column("'UTF8'"),
        )
        claim = (
            pg_insert(keys)
            .from_select(
                [
                    "brand_id", "client_ref", "key", "fingerprint", "created_at", "expires_at",
                    "response_status", "response_body", "response_headers",
                ],
                select(
                    bindparam("brand_id", type_=keys.c.brand_id.type),
                    bindparam("client_ref", type_=keys.c.client_ref.type),
                    bindparam("the_key", type_=keys.c.key.type),
                    bindparam("fingerprint", type_=keys.c.fingerprint.type),
                    bindparam("created", type_=keys.c.created_at.type),
                    bindparam("expires", type_=keys.c.expires_at.type),
                    bindparam("answer_status", type_=Integer),
                    answer,
                    cast(bindparam("answer_headers", type_=String), JSONB),
                ).select_from(ids),
            )
            .on_conflict_do_nothing(index_elements=["brand_id", "client_ref", "key"])
            .returning(keys.c.id)
            .cte("claim")
        )  # fmt: skip
        new_order = (
            insert(_ORDERS)
            .from_select(
                ["id", *_INSERTED_COLUMNS],
                select(ids.c.id, *order_values.values()).select_from(ids.join(claim, true())),
            )
            .returning(*returned)
            .cte("new_order")
        )
    else:
        new_order = insert(_ORDERS).values(order_values).returning(*returned).cte("new_order")
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
    # the event's data as the answer: rendered before the id was known, joined around it (json text)
    data = cast(
        func.array_to_string(bindparam("data_parts", type_=ARRAY(Text)), cast(new_order.c.id, Text)),
        _EVENTS.c.data.type,
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
    if keyed:
        return (
            select(ids.c.id, claim.c.id)
            .select_from(ids.outerjoin(claim, true()))
            .add_cte(new_order, history, event)
        )
    return select(new_order.c.id).add_cte(history, event)


_DRIVER_INSERT_ORDER = {keyed: on_driver(_insert_order_statement(keyed=keyed)) for keyed in (False, True)}
_INSERT_ORDER = insert(_ORDERS).returning(_ORDERS.c.id)
_INSERT_HISTORY = insert(_HISTORY)
# Column defaults the INSERT fills in, so that the answer can be rendered without reading the row back.
_ORDER_DEFAULTS = {
    column.name: column.default.arg
    for column in _ORDERS.columns
    if isinstance(column.default, ScalarElementColumnDefault)
}


def _customer_info(row: Sequence[Any]) -> CustomerInfo:
    return CustomerInfo(row[0], row[1], row[2], row[3])


class DbLookups:
    """The fresh reads order intake needs, on SQLAlchemy's connection (inside the write transaction).

    ``likely_products``: the product ids the raw body names. The customer's read also fetches their
    stop-list entries (one statement for both); a later ``stop_list`` call for ids outside them, or one
    without a customer read before it, queries as usual.
    """

    def __init__(self, conn: AsyncConnection, brand_id: int, likely_products: Collection[int] = ()) -> None:
        self.conn = conn
        self.brand_id = brand_id
        self.likely_products = frozenset(likely_products)
        self.prefetched: dict[int, tuple[int, str]] | None = None  # the likely products' entries

    async def customer(self, customer_id: int) -> CustomerInfo | None:
        values = {"brand": self.brand_id, "customer": customer_id, "products": list(self.likely_products)}
        rows = (await self.conn.execute(_READS, values)).all()
        info: CustomerInfo | None = None
        self.prefetched = {}
        for kind, row_id, name, phone, address, remaining, *_ in rows:
            if kind == _STOP_ROW:
                self.prefetched[row_id] = (remaining, name)
            else:
                info = CustomerInfo(row_id, name, phone, address)
        return info

    async def stop_list(self, product_ids: Collection[int]) -> Mapping[int, tuple[int, str]]:
        if not product_ids:
            return {}
        if self.prefetched is not None and self.likely_products.issuperset(product_ids):
            return {pid: self.prefetched[pid] for pid in product_ids if pid in self.prefetched}
        values = {"brand": self.brand_id, "products": list(product_ids)}
        rows = (await self.conn.execute(_stop_list_of(_EXPANDING_PRODUCTS), values)).all()
        return {product_id: (remaining, name) for product_id, remaining, name in rows}


class DriverLookups:
    """The fresh reads order intake needs, on the driver's connection (asyncpg's, or sqlite3's in the
    writer's turn): what ``create_reads`` fetched for the customer and the products the raw body names,
    and a statement of its own for anything else."""

    def __init__(
        self,
        conn: Any,
        brand_id: int,
        *,
        on: CreateReads,
        customer_id: int,
        customer: CustomerInfo | None,
        products: frozenset[int],
        stop_list: dict[int, tuple[int, str]],
    ) -> None:
        self.conn = conn
        self.brand_id = brand_id
        self.on = on
        self.customer_id = customer_id
        self._customer = customer
        self.products = products
        self._stop_list = stop_list

    async def customer(self, customer_id: int) -> CustomerInfo | None:
        if customer_id == self.customer_id:
            return self._customer
        values = {"brand": self.brand_id, "customer": customer_id}
        rows = await self.on.fetch(self.conn, self.on.customer, values)
        return _customer_info(rows[0]) if rows else None

    async def stop_list(self, product_ids: Collection[int]) -> Mapping[int, tuple[int, str]]:
        if not product_ids:
            return {}
        if self.products.issuperset(product_ids):
            return {pid: self._stop_list[pid] for pid in product_ids if pid in self._stop_list}
        values = {"brand": self.brand_id, "products": list(product_ids)}
        rows = await self.on.fetch(self.conn, self.on.stop_list, values)
        return {product_id: (remaining, name) for product_id, remaining, name in rows}


@dataclass(frozen=True)
class KeyRow:
    """A key used before, as ``idempotency.answer_owed`` reads it."""

    fingerprint: str
    expires_at: datetime
    response_status: int | None
    response_body: bytes | None
    response_headers: dict[str, str] | None


async def create_reads(
    conn: Any, on: CreateReads, brand_id: int, body: Mapping[str, Any], claim: idempotency.KeyClaim | None
) -> tuple[DriverLookups, KeyRow | None]:
    """The create path's first statement on the driver (``on``: ``ON_ASYNCPG`` or ``ON_SQLITE``): the
    customer and the products the raw body names (hints, checked by intake), and the key's row when the
    request has a key and it was used before."""
    customer_id = customer_id_in(body)
    products = frozenset(product_ids_in(body))
    values: dict[str, Any] = {"brand": brand_id, "customer": customer_id, "products": list(products)}
    if claim is not None:
        values.update(claim.lookup())
    customer: CustomerInfo | None = None
    stop_list: dict[int, tuple[int, str]] = {}
    key_row: KeyRow | None = None
    for kind, row_id, name, phone, address, remaining, *key in await on.fetch(
        conn, on.reads[claim is not None], values
    ):
        if kind == _STOP_ROW:
            stop_list[row_id] = (remaining, name)
        elif kind == _CUSTOMER_ROW:
            customer = CustomerInfo(row_id, name, phone, address)
        else:
            key_row = KeyRow(name, *key)
    lookups = DriverLookups(
        conn,
        brand_id,
        on=on,
        customer_id=customer_id,
        customer=customer,
        products=products,
        stop_list=stop_list,
    )
    return lookups, key_row


async def key_row_of(conn: Any, claim: idempotency.KeyClaim) -> KeyRow | None:
    """The key's row alone (after a twin took the key while this request validated)."""
    values = {"brand": claim.brand_id, "customer": 0, "products": [], **claim.lookup()}
    for kind, _, name, _, _, _, *key in await _fetch_asyncpg(conn, ON_ASYNCPG.reads[True], values):
        if kind == _KEY_ROW:
            return KeyRow(name, *key)
    return None


def product_ids_in(body: Mapping[str, Any]) -> set[int]:
    """The integer ``product_id``s of a raw create body's lines, nested or flat (a hint: unchecked)."""
    payload = body.get("payload")
    lines = payload.get("products") if isinstance(payload, dict) else body.get("products")
    if not isinstance(lines, list):
        return set()
    ids = (line.get("product_id") for line in lines if isinstance(line, dict))
    return {pid for pid in ids if type(pid) is int and 0 < pid <= MAX_ID}  # bound as INTEGER parameters


def customer_id_in(body: Mapping[str, Any]) -> int:
    """The customer id of a raw create body, nested (``customer_id``) or flat (``customer.id``); 0 when
    there is none that fits an INTEGER parameter (a hint: unchecked)."""
    if "payload" in body:
        found = body.get("customer_id")
    else:
        customer = body.get("customer")
        found = customer.get("id") if isinstance(customer, dict) else None
    return found if type(found) is int and 0 < found <= MAX_ID else 0


def order_row(values: dict[str, Any]) -> dict[str, Any]:
    """The order's row as stored, from the values intake made: the column defaults filled in."""
    return {"receipt_id": None, **_ORDER_DEFAULTS, **values}


def _driver_values(row: dict[str, Any], by: str, event_object: dict[str, Any]) -> dict[str, Any]:
    """The order's parameters as the column types store them (JSON as text), its history's and its event's."""
    values = {
        f"order_{name}": jsonio.dumps_str(row[name]) if name in _JSON_COLUMNS else row[name]
        for name in _INSERTED_COLUMNS
    }
    values["by"] = by
    # the order's id was rendered as a placeholder, found only where the id goes (the caller checked)
    placeholder = str(event_object["id"])
    values["data_parts"] = jsonio.dumps_str(events.event_data(event_object)).split(placeholder)
    return values


async def insert_order_on_driver(
    conn: Any, row: dict[str, Any], *, by: str, event_object: dict[str, Any]
) -> int:
    """Insert the order ``row`` (``order_row``), its first history row and its order.created event (of
    ``event_object``, the order rendered with a placeholder id that occurs nowhere else in it) in one
    statement; returns its id.

    ``row`` must be what the column types store unchanged: whole-second UTC times, Decimals at most
    4 places, JSON of str, int, Decimal, bool, None, lists and dicts.
    """
    statement = _DRIVER_INSERT_ORDER[False]
    order_id: int = await conn.fetchval(statement.sql, *statement.args(_driver_values(row, by, event_object)))
    return order_id


async def insert_keyed_order_on_driver(
    conn: Any,
    row: dict[str, Any],
    *,
    by: str,
    event_object: dict[str, Any],
    claim: dict[str, Any],
    answer_status: int,
    answer_parts: list[str],
    answer_headers: dict[str, str],
) -> tuple[int, bool]:
    """``insert_order_on_driver`` guarded by the key (``claim``: ``KeyClaim.claim``), whose row is written
    in the same statement with its answer (``answer_parts`` joined by the new id). Returns the id and
    whether the key was free; when it was not, nothing was written."""
    values = _driver_values(row, by, event_object)
    values.update(claim)
    values["answer_status"] = answer_status
    values["answer_parts"] = answer_parts
    values["answer_headers"] = jsonio.dumps_str(answer_headers)
    statement = _DRIVER_INSERT_ORDER[True]
    found = await conn.fetchrow(statement.sql, *statement.args(values))
    return found[0], found[1] is not None


def _insert_of(table: Table, params: Mapping[str, str]) -> Any:
    """An INSERT of ``table`` whose columns (keys) take the parameters named in ``params`` (values), each
    of its column's type."""
    return insert(table).values(
        {column: bindparam(param, type_=table.c[column].type) for column, param in params.items()}
    )


_SQLITE_INSERT_ORDER = on_sqlite(
    _insert_of(_ORDERS, {name: name for name in _INSERTED_COLUMNS}).returning(_ORDERS.c.id)
)
_SQLITE_INSERT_HISTORY = on_sqlite(
    _insert_of(_HISTORY, {name: name for name in ("brand_id", "order_id", "status", "at", "by")})
)
_SQLITE_INSERT_EVENT = on_sqlite(
    _insert_of(_EVENTS, {name: name for name in ("type", "brand_id", "venue_id", "created_at", "data")})
)
# The key's row with its answer (``KeyClaim.claim``'s parameters and the answer's), inserted after the key
# was read as free in the same BEGIN IMMEDIATE transaction: no other writer can take it meanwhile.
_SQLITE_INSERT_KEY = on_sqlite(
    _insert_of(
        idempotency.KEYS,
        {
            "brand_id": "brand_id", "client_ref": "client_ref", "key": "the_key",
            "fingerprint": "fingerprint", "created_at": "created", "expires_at": "expires",
            "response_status": "answer_status", "response_body": "answer_body",
            "response_headers": "answer_headers",
        },
    )
)  # fmt: skip


async def insert_order_on_sqlite(conn: InlineConnection, row: dict[str, Any], *, by: str) -> dict[str, Any]:
    """Insert the order ``row`` (``order_row``), its first history row and its order.created event on the
    sqlite3 connection, in the caller's transaction; returns the order rendered, with its id."""
    (order_id,) = (await _SQLITE_INSERT_ORDER.rows(conn, row))[0]
    history = {"brand_id": row["brand_id"], "order_id": order_id, "status": row["status"], "by": by}
    await _SQLITE_INSERT_HISTORY.rows(conn, {**history, "at": row["created_at"]})
    rendered = render_order(SimpleNamespace(**row, id=order_id))
    event = {"type": events.ORDER_CREATED, "brand_id": row["brand_id"], "venue_id": row["venue_id"]}
    await _SQLITE_INSERT_EVENT.rows(
        conn, {**event, "created_at": row["created_at"], "data": events.event_data(rendered)}
    )
    return rendered


async def insert_key_on_sqlite(
    conn: InlineConnection, claim: dict[str, Any], *, status: int, body: bytes, headers: dict[str, str]
) -> None:
    """The key's row (``claim``: ``KeyClaim.claim``) with its answer, in the transaction of the work."""
    values = {**claim, "answer_status": status, "answer_body": body, "answer_headers": headers}
    await _SQLITE_INSERT_KEY.rows(conn, values)


async def insert_order(conn: AsyncConnection, values: dict[str, Any], *, by: str) -> SimpleNamespace:
    """Insert an order, its first history row (its status, at its creation, ``by``) and its
    ``order.created`` event on SQLAlchemy's connection; returns the order's row as stored (the id from
    the database, the rest from ``values``)."""
    row = order_row(values)
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
