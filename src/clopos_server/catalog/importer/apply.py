"""Checking parsed rows against the database (ids another brand owns, references, unique columns) and
writing them: upsert by id, replace link sets, prune; ``import_brand`` runs it all in one transaction."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
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

from clopos_server.catalog.importer.reading import ParsedDocument, ParsedRow, hash_secrets, parse_document
from clopos_server.catalog.importer.spec import CHUNK, TABLES, BrandDocumentError, ImportReport, Spec
from clopos_server.catalog.importer.table import BRAND, BY_NAME, SPECS
from clopos_server.catalog.importer.values import column_kind
from clopos_server.catalog.snapshot import bump_catalog_version
from clopos_server.db.engine import Database, dialect_of
from clopos_server.db.models import Base
from clopos_server.events import log as events

logger = logging.getLogger("clopos_server.catalog.importer")  # the name the import log has always had


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _key(spec: Spec, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    if any(values.get(column) is None for column in spec.keys):
        return None
    return tuple(values[column] for column in spec.keys)


def _describe(spec: Spec, key: tuple[Any, ...]) -> str:
    shown = [f"{column} {value}" for column, value in zip(spec.keys, key, strict=True) if column != spec.link]
    return f"{spec.label} " + ", ".join(shown) if shown else spec.label


class _Import:
    """One import inside its write transaction: resolve, check, then apply."""

    def __init__(self, conn: AsyncConnection, parsed: ParsedDocument, brand_id: int | None) -> None:
        self.conn = conn
        self.parsed = parsed
        self.brand_id = brand_id
        self.problems = parsed.problems
        self.existing: dict[str, dict[tuple[Any, ...], Any]] = {}
        self.now = datetime.now(UTC).replace(microsecond=0)

    def rows(self, spec: Spec) -> list[ParsedRow]:
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
                balance = ParsedRow(f"{customer.path}.balance", parent=customer)
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
            seen: dict[tuple[Any, ...], ParsedRow] = {}
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
                first: dict[Any, ParsedRow] = {}
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
        self, spec: Spec, column: str, across_brands: bool, first: dict[Any, ParsedRow]
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
            kind = column_kind(column)
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
        target = TABLES[spec.prune.table]
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


async def _record_import(conn: AsyncConnection, brand_id: int | None, report: ImportReport) -> None:
    """``catalog.updated`` when the import changed anything: its counts per section (the catalogue
    itself is read through the catalogue endpoints)."""
    counts = {"created": report.created, "updated": report.updated, "removed": report.removed}
    counts["deactivated"] = report.deactivated
    if brand_id is None or not any(any(section.values()) for section in counts.values()):
        return
    summary = {"brand": report.brand, "brand_created": report.brand_created, **counts}
    await events.record(conn, events.CATALOG_UPDATED, brand_id, None, summary)


async def import_brand(
    db: Database, document: dict[str, Any], *, prune: bool = False, reset: bool = False
) -> ImportReport:
    """Validate a whole brand document, then upsert it in one transaction.

    ``prune`` deactivates the brand's products, categories, modifier groups and modifiers, stations, sale
    types, payment methods and customers that the file no longer has. ``reset`` first deletes every row of
    the brand (in the same transaction), so the brand ends up exactly as the file says.
    Raises :class:`BrandDocumentError` listing every problem; nothing is written then.
    """
    parsed = parse_document(document)
    await hash_secrets(parsed)
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
            await _record_import(conn, run.brand_id, report)
            if dialect_of(conn) == "postgresql":
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
