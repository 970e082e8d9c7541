"""Endpoints and attempts as the API and the CLI answer them (never a stored secret: only the one just
made, on create and on rotation)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from clopos_server.timeutil import ts_iso


def render_endpoint(row: Row[Any], *, secret: str | None = None) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": row.id,
        "url": row.url,
        "description": row.description,
        "events": list(row.events),
        "venue_ids": list(row.venue_ids) if row.venue_ids else None,
        "enabled": bool(row.enabled),
        "disabled_reason": row.disabled_reason,
        "api_client_id": row.api_client_id,
        "previous_secret_expires_at": ts_iso(row.old_secret_until) if row.old_secret_until else None,
        "created_at": ts_iso(row.created_at),
        "updated_at": ts_iso(row.updated_at),
    }
    if secret is not None:
        rendered["secret"] = secret
    return rendered


def render_attempt(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "webhook_id": row.message_id,
        "attempt": row.number,
        "at": ts_iso(row.at),
        "duration_ms": row.duration_ms,
        "response_status": row.response_status,
        "response_body": row.response_body,
        "error": row.error,
    }
