"""The log formats carry the same fields: JSON for machines, text for a person (CLOPOS_LOG_FORMAT)."""

from __future__ import annotations

import json
import logging
import sys

from clopos_server.logs import JsonFormatter, TextFormatter, request_id_var


def _record() -> logging.LogRecord:
    record = logging.LogRecord("clopos_server.access", logging.INFO, __file__, 1, "request", (), None)
    for key, value in {
        "method": "GET",
        "path": "/open-api/orders",
        "status": 503,
        "ms": 2.5,
        "brand": "b",
    }.items():
        setattr(record, key, value)
    return record


def test_json_and_text_carry_the_same_fields() -> None:
    token = request_id_var.set("req-42")
    try:
        as_json = json.loads(JsonFormatter().format(_record()))
        as_text = TextFormatter().format(_record())
    finally:
        request_id_var.reset(token)
    assert {
        "ts",
        "level",
        "logger",
        "msg",
        "pid",
        "request_id",
        "method",
        "path",
        "status",
        "ms",
        "brand",
    } <= set(as_json)
    assert as_json["request_id"] == "req-42" and as_json["status"] == 503
    for piece in (
        "info",
        "clopos_server.access:",
        "[req-42]",
        "request",
        "method=GET",
        "status=503",
        "brand=b",
    ):
        assert piece in as_text, as_text
    assert "\n" not in as_text


def test_a_traceback_stays_inside_its_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exc"]
