"""A brand as one document, in the form ``import_brand`` takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    select,
)

from clopos_server.catalog.importer.spec import FORMAT_VERSION, Spec
from clopos_server.catalog.importer.table import BRAND, CHILDREN, SPECS, TOP_SPECS
from clopos_server.catalog.importer.values import export_value, field_kind
from clopos_server.db.engine import Database


def _export_row(spec: Spec, row: Mapping[Any, Any]) -> Any:
    values = {f.name: export_value(field_kind(spec, f), row[f.col]) for f in spec.fields if not f.secret}
    if spec.shape == "ids":
        return values[spec.fields[0].name]
    for child in CHILDREN[spec.name]:
        if child.shape == "map":
            values[child.key] = {}
        elif child.shape != "one":
            values[child.key] = []
    return values


async def export_brand(db: Database, slug: str) -> dict[str, Any]:
    """The brand as one document, in the form ``import_brand`` takes (secrets as hashes only).

    Money comes out as ``Decimal``: write it with ``clopos_server.jsonio`` to keep it exact.
    """
    document: dict[str, Any] = {"version": FORMAT_VERSION}
    async with db.read() as conn:
        brand = (await conn.execute(select(BRAND.table).where(BRAND.table.c.slug == slug))).mappings().first()
        if brand is None:
            raise LookupError(f"no brand {slug!r}")
        exported: dict[str, list[tuple[Mapping[Any, Any], Any]]] = {}
        for spec in SPECS:
            table = spec.table
            query = select(table).order_by(*[table.c[k] for k in spec.keys])
            if spec is BRAND:
                query = query.where(table.c.slug == slug)
            elif spec.branded:
                query = query.where(table.c.brand_id == brand["id"])
            rows = (await conn.execute(query)).mappings().all()
            exported[spec.name] = [(row, _export_row(spec, row)) for row in rows]
    for spec in SPECS:
        if spec.parent:
            _attach(spec, exported)
    for spec in TOP_SPECS:
        items = [item for _row, item in exported[spec.name]]
        document[spec.key] = items[0] if spec.shape == "one" else items
    return document


def _attach(spec: Spec, exported: Mapping[str, list[tuple[Mapping[Any, Any], Any]]]) -> None:
    """Put nested rows (a product's taxes, a customer's balance) into their parents' objects."""
    parents = {row[spec.parent_column]: item for row, item in exported[spec.parent]}
    for row, item in exported[spec.name]:
        parent = parents.get(row[spec.link])
        if parent is None:
            continue
        if spec.shape == "one":
            parent[spec.key] = item
        elif spec.shape == "map":
            parent[spec.key][str(row[spec.fields[0].col])] = row[spec.fields[1].col]
        else:
            parent[spec.key].append(item)
