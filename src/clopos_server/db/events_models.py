"""The event log's table (issue 13, docs/events.md): one row per change, written in the change's transaction.

``seq`` is the log's cursor and is commit-ordered. On PostgreSQL the column's default packs the writing
transaction's id above a sequence's low 24 bits: ``(pg_current_xact_id() << 24) | (nextval & 0xFFFFFF)``.
Readers only take events whose transaction is older than every transaction still running (see
``events.log``), so an event that becomes visible later always has a larger ``seq`` than every event a
reader has already seen: a transaction that commits late also started writing late, or was still running
(and hidden) when the reader read. On SQLite one writer commits at a time, and ``seq`` is the row id
(``AUTOINCREMENT``: never reused, even after pruning the newest rows).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, FetchedValue, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clopos_server.db.base import Base
from clopos_server.db.types import JSONText, UTCDateTime

# The low bits of ``seq`` that hold the sequence's share (the transaction id sits above them); the
# column's default itself is set by migration 0005.
SEQ_LOW_BITS = 24


class Event(Base):
    """What happened (``type``) to which resource, as the API renders it then (``data``)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_brand_seq", "brand_id", "seq"),
        Index("ix_events_brand_venue_seq", "brand_id", "venue_id", "seq"),
        {"sqlite_autoincrement": True},
    )
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, server_default=FetchedValue()
    )
    type: Mapped[str] = mapped_column(String(40))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    venue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONText)
