"""The declarative base every table builds on, with the naming convention Alembic's constraints follow.

Below ``db/models.py`` and the table modules it imports at its end (``events_models``, ``finance_models``,
...), which take ``Base`` from here so that no table module imports ``models`` back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from clopos_server.db.types import JSONType, Money, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: Money(),
        dict[str, Any]: JSONType,
    }


def brand_fk(*, index: bool = True) -> Mapped[int]:
    """The owning brand (its rows go with it). ``index=False`` where another index leads with ``brand_id``
    and serves the table's lookups: an index on the column alone then costs every insert, and lets a plan
    made before the table has statistics walk the whole brand instead of the key (migration 0011)."""
    return mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=index)
