"""What a list endpoint accepts and what one parsed list request holds: the typed query repositories read.

The query-string parser that builds a :class:`ListQuery` is HTTP and lives in ``api/query.py``; these types
sit below the domain packages so that a schema or a repository can name them without importing ``api``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from clopos_server.kit.values import INT32_MIN, MAX_ID

KindType = Literal["int", "str", "bool", "enum", "range"]


@dataclass(frozen=True)
class Kind:
    """What a filter or extra parameter holds. ``choices`` lists the allowed values of an ``enum``.

    A ``range`` is a two-element list ``[from, to]`` of integers (either end may be blank). ``bounds``
    limits an ``int`` or ``range`` to what its column holds (a larger value is a 400, never bound to a
    query: PostgreSQL refuses an INTEGER parameter beyond 32 bits). ``stored`` text is compared in the
    database, so it may hold no NUL (PostgreSQL refuses it; ``parse_qsl`` never yields a lone surrogate).
    """

    type: KindType
    choices: tuple[str, ...] = ()
    bounds: tuple[int, int] | None = None
    stored: bool = False


FilterKind = Kind
ParamKind = Kind

INT = Kind("int")
STR = Kind("str")
BOOL = Kind("bool")
RANGE = Kind("range")
ID = Kind("int", bounds=(INT32_MIN, MAX_ID))  # an id, or any value of an INTEGER column
RANGE32 = Kind("range", bounds=(INT32_MIN, MAX_ID))
TEXT = Kind("str", stored=True)


def enum(*choices: str) -> Kind:
    """An enum kind accepting exactly ``choices`` (case-sensitive)."""
    return Kind("enum", tuple(choices))


ORDER_STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")
CATEGORY_TYPES = ("PRODUCT", "INGREDIENT", "ACCOUNTING")


@dataclass(frozen=True)
class ResourceQuerySpec:
    """What one list endpoint accepts."""

    default_limit: int = 50
    max_limit: int = 100
    sorts: tuple[str, ...] = ("id", "created_at", "updated_at")
    default_sort: tuple[str, bool] = ("created_at", True)  # (field, descending)
    filters: Mapping[str, Kind] = field(default_factory=dict)
    includes: frozenset[str] = frozenset()
    selects: frozenset[str] = frozenset()
    params: Mapping[str, Kind] = field(default_factory=dict)
    dates: bool = False


@dataclass(frozen=True)
class ListQuery:
    """One parsed list request. Only what was sent (and allowed) appears in the mappings."""

    page: int
    limit: int
    sort: str
    descending: bool
    filters: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)  # field -> any of these values
    ranges: Mapping[str, tuple[Any | None, Any | None]] = field(default_factory=dict)  # field -> (from, to)
    includes: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)  # None = all columns
    selects: tuple[str, ...] | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit
