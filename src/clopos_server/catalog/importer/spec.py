"""How a section of the brand document is declared (``F``, ``Spec``, ``Prune``), what an import reports,
and the error that lists every problem of a document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import (
    Table,
)

from clopos_server.db.models import Base

FORMAT_VERSION = 1
CHUNK = 500  # ids per IN (...) list: far below SQLite's and asyncpg's parameter limits
TABLES = Base.metadata.tables

Shape = Literal["list", "ids", "map", "one"]
Problem = tuple[str, str]


class BrandDocumentError(Exception):
    """A brand document that cannot be imported; ``problems`` lists every (JSON path, message)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        shown = "; ".join(f"{path or '(document)'}: {message}" for path, message in self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the brand document: {shown}{more}")


@dataclass
class ImportReport:
    """What an import did, per section (``products``, ``products.taxes``, ...)."""

    brand: str
    brand_created: bool = False
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    def summary(self) -> str:
        parts = [
            f"created {self.total_created}",
            f"updated {self.total_updated}",
            f"removed {sum(self.removed.values())}",
            f"deactivated {sum(self.deactivated.values())}",
        ]
        return f"{self.brand}: " + ", ".join(parts)


@dataclass(frozen=True)
class F:
    """One field of a section: its name in the document and the column it fills.

    The value's type, nullability and length come from the column; ``kind`` overrides that for JSON
    columns holding lists and for plain secrets (hashed into ``column``, never exported).
    """

    name: str
    column: str = ""
    required: bool = False
    ref: str = ""  # the section whose ids this field names
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    secret: bool = False
    kind: str = ""
    default: Callable[[], Any] | None = None  # on insert, when absent
    check: Callable[[Any], str | None] | None = None

    @property
    def col(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Prune:
    """How ``prune`` deactivates an entity the file no longer has: ``column = value`` in ``table``."""

    table: str
    by: str  # the column of ``table`` holding the entity's id
    column: str
    value: Any


@dataclass(frozen=True)
class Spec:
    """A section of the document and the table it fills.

    Nested sections (``parent``) sit inside each object of their parent under ``key``; ``link`` is the
    column that takes the parent's ``parent_column``. ``replace`` marks a link set that an entity states
    in full (a product's taxes): rows of that entity the file no longer lists are removed.
    """

    name: str
    key: str
    table_name: str
    label: str
    fields: tuple[F, ...]
    keys: tuple[str, ...] = ("id",)
    parent: str = ""
    link: str = ""
    parent_column: str = "id"
    shape: Shape = "list"
    branded: bool = True
    owned: bool = True  # integer ids are global: refuse those another brand owns
    replace: bool = False
    prune: Prune | None = None
    self_ref: str = ""
    unique: tuple[tuple[str, bool], ...] = ()  # (column, unique across brands?)

    @property
    def table(self) -> Table:
        return TABLES[self.table_name]
