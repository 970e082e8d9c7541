"""Webhook tables (issue 13): endpoints, the deliveries due to them, and every attempt.

What the dispatcher needs to survive a restart lives here and nowhere else: an endpoint's cursor in the
event log (how far its deliveries have been made due), each delivery's state, due time and lease, and
each attempt. Times the dispatcher schedules by are epoch milliseconds (``BigInteger``): a retry 5 s out
(or 50 ms out under a shortened test schedule) needs better than the whole seconds of ``UTCDateTime``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from clopos_server.db.base import Base, brand_fk
from clopos_server.db.types import JSONType


class WebhookEndpoint(Base):
    """A URL of an integrator's that receives the brand's events of the listed types.

    ``secret_box`` holds the signing secret sealed with a key derived from the server's secret key
    (``clopos_server.webhooks.secrets``): the server must compute HMACs with it, so it cannot be a hash.
    ``cursor`` is the event log's position up to which this endpoint's deliveries are stored."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk()
    api_client_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=True, index=True
    )
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(500), default="")
    events: Mapped[list[Any]] = mapped_column(JSONType)
    venue_ids: Mapped[list[Any] | None] = mapped_column(JSONType, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    secret_box: Mapped[str] = mapped_column(Text)
    old_secret_box: Mapped[str | None] = mapped_column(Text, nullable=True)
    old_secret_until: Mapped[datetime | None] = mapped_column(nullable=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(nullable=True)
    # the instance sending to this endpoint now, until when (epoch ms): one sender at a time keeps the
    # endpoint's requests in flight within its limit across instances; an expired one is taken over
    sender: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sender_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event (or test ping) to one endpoint: ``pending`` until a 2xx (``delivered``) or the schedule
    runs out (``failed``). ``body`` is fixed when the delivery is made, so every retry sends the same
    bytes under the same ``message_id`` (the ``webhook-id`` header); a finished delivery keeps an empty
    body (nothing sends it again). A delivery of a new event is
    inserted when its first attempt is recorded (``webhooks.queue``), so most rows are written once,
    already ``delivered``. An instance that claims a pending one sets ``lease_until`` (epoch ms) and
    ``lease_owner``; an expired lease is claimable again (a crash)."""

    __tablename__ = "webhook_deliveries"
    # Only pending deliveries are looked up by endpoint and due time (the dispatcher's poll and claim);
    # a delivered one is read by id alone, so it is never written into this index (migration 0012).
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_pending",
            "endpoint_id",
            "next_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = brand_fk(index=False)  # nothing reads deliveries by brand (migration 0013)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[int] = mapped_column(BigInteger)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class WebhookAttempt(Base):
    """One HTTP request of a delivery, whatever came of it (the endpoint's ``GET /{id}/attempts``).

    A delivery whose first attempt succeeded is that attempt alone (``delivery_id`` None): nothing is
    left to do with it, and its attempt is all the API shows of it. Others belong to their stored
    delivery, and go with it (the prune). The endpoint is a foreign key too (an endpoint's deletion takes
    its attempts along); the brand is a copy, unchecked: the endpoint ties the attempt to it, and a check
    cost every inserted attempt a lookup and a row lock (migration 0013)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_endpoint_id_id", "endpoint_id", "id"),
        # the cascade from a stored delivery; the prune of attempts that are their delivery
        Index(
            "ix_webhook_attempts_delivery_id",
            "delivery_id",
            sqlite_where=text("delivery_id IS NOT NULL"),
            postgresql_where=text("delivery_id IS NOT NULL"),
        ),
        Index(
            "ix_webhook_attempts_alone_at",
            "at",
            sqlite_where=text("delivery_id IS NULL"),
            postgresql_where=text("delivery_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(Integer)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=True
    )
    event_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
