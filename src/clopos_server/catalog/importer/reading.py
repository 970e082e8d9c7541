"""Reading a brand document into rows per section, with every problem's JSON path; no database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clopos_server.auth.passwords import hash_secret_async
from clopos_server.catalog.importer.spec import FORMAT_VERSION, Problem, Spec
from clopos_server.catalog.importer.table import CHILDREN, DOCUMENT_SECTIONS, SPECS, TOP_SPECS
from clopos_server.catalog.importer.values import BadValue, PlainSecret, convert


@dataclass(eq=False)
class ParsedRow:
    """One row to write: column values, the JSON path each came from, and the row it is nested in."""

    path: str
    values: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    parent: ParsedRow | None = None

    def where(self, column: str) -> str:
        return self.paths.get(column, self.path)


@dataclass
class ParsedDocument:
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, list[ParsedRow]] = field(default_factory=lambda: {spec.name: [] for spec in SPECS})
    stated: dict[str, list[ParsedRow]] = field(default_factory=lambda: defaultdict(list))  # child -> parents
    sections: set[str] = field(default_factory=set)

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))


def parse_document(document: Any) -> ParsedDocument:
    out = ParsedDocument()
    if not isinstance(document, Mapping):
        out.problem("", "the document must be a JSON object")
        return out
    for name in document:
        if name not in DOCUMENT_SECTIONS and name != "version":
            out.problem(str(name), "is not a section of a brand document")
    if "version" in document and document["version"] != FORMAT_VERSION:
        out.problem("version", f"must be {FORMAT_VERSION}")
    if "brand" not in document:
        out.problem("brand", "is required")
    for spec in TOP_SPECS:
        if spec.key in document:
            out.sections.add(spec.key)
            _parse_section(spec, document[spec.key], spec.key, None, out)
    return out


def _parse_section(spec: Spec, value: Any, path: str, parent: ParsedRow | None, out: ParsedDocument) -> None:
    """Turn one section (or a nested list, id list, venue map or object) into rows."""
    items: list[tuple[str, Any]]
    first = spec.fields[0].name
    if spec.shape == "one":
        items = [(path, value)]
    elif spec.shape == "map":
        if not isinstance(value, dict):
            out.problem(path, 'must be an object mapping venue ids to 1 or 0, like {"1": 1}')
            return
        second = spec.fields[1].name
        items = [(f"{path}.{venue}", {first: venue, second: state}) for venue, state in value.items()]
    elif not isinstance(value, list):
        out.problem(path, "must be a list")
        return
    elif spec.shape == "ids":
        items = [(f"{path}[{index}]", {first: item}) for index, item in enumerate(value)]
    else:
        items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    for item_path, item in items:
        if not isinstance(item, dict):
            out.problem(item_path, "must be an object")
            continue
        _parse_row(spec, item, item_path, parent, out)


def _parse_row(
    spec: Spec, item: dict[str, Any], path: str, parent: ParsedRow | None, out: ParsedDocument
) -> None:
    flat = spec.shape in ("ids", "map")  # the element itself is the value: problems name its path
    row = ParsedRow(path, parent=parent)
    known = {f.name for f in spec.fields} | {child.key for child in CHILDREN[spec.name]}
    for name in item:
        if name not in known:
            out.problem(f"{path}.{name}", "is not a field of this section")
    given: dict[str, str] = {}
    for f in spec.fields:
        if f.name not in item:
            continue
        field_path = path if flat else f"{path}.{f.name}"
        if f.col in given:
            out.problem(field_path, f"give {given[f.col]} or {f.name}, not both")
            continue
        given[f.col] = f.name
        try:
            row.values[f.col] = convert(spec, f, item[f.name])
        except BadValue as bad:
            out.problem(field_path, str(bad))
            continue
        row.paths[f.col] = field_path
    for f in spec.fields:
        if f.required and f.col not in given:
            names = [g.name for g in spec.fields if g.col == f.col]
            out.problem(
                f"{path}.{names[0]}", " or ".join(names) + " is required" if len(names) > 1 else "is required"
            )
    out.rows[spec.name].append(row)
    for child in CHILDREN[spec.name]:
        if child.key in item:
            out.stated[child.name].append(row)
            _parse_section(child, item[child.key], f"{path}.{child.key}", row, out)


async def hash_secrets(parsed: ParsedDocument) -> None:
    for rows in parsed.rows.values():
        for row in rows:
            for column, value in row.values.items():
                if isinstance(value, PlainSecret):
                    row.values[column] = await hash_secret_async(value.text)
