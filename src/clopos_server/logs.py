"""Structured logs: one JSON object per line, carrying the request id of the request being served."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from clopos_server import jsonio

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Not copied into a line: the record's own attributes, and uvicorn's message with terminal colours.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """A line's fields, the same in either format: time, level, logger, message, process, the request id
    of the request being served, and the record's extras (method, path, status, ms, brand, ...)."""
    entry: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
        "pid": record.process,  # which worker, with CLOPOS_WORKERS > 1
    }
    request_id = request_id_var.get()
    if request_id:
        entry["request_id"] = request_id
    for key, value in record.__dict__.items():
        if key not in _STANDARD and not key.startswith("_"):
            entry[key] = value
    return entry


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = _fields(record)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return jsonio.dumps_str(entry)


class TextFormatter(logging.Formatter):
    """The same fields as text: ``ts level logger: [request id] message key=value ...``; a traceback
    follows on its own lines (text is for a person at a terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = _fields(record)
        head = f"{entry.pop('ts')} {entry.pop('level'):7} {entry.pop('logger')}:"
        request_id = entry.pop("request_id", None)
        message = entry.pop("msg")
        extras = " ".join(f"{key}={value}" for key, value in entry.items())
        line = f"{head} {f'[{request_id}] ' if request_id else ''}{message} {extras}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "sqlalchemy.engine", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
