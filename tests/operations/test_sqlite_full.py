"""SQLite on a full disk: the 503 says the disk is full (not "database unavailable")."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.support.api import ApiClient, example


async def test_a_full_disk_is_a_503_that_says_so(app: FastAPI, api: ApiClient) -> None:
    db = app.state.services.db
    if not db.is_sqlite:
        pytest.skip("SQLite's own full-disk error; PostgreSQL's (53100) is mapped the same way")
    before = (await api.get("/orders")).json()["total"]

    @event.listens_for(db.engine.sync_engine, "connect")
    def _no_room(dbapi_connection: Any, _record: Any) -> None:  # the file may not grow any more
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    await db.engine.dispose()  # new connections, with the limit
    for _ in range(5):  # a few orders to be sure the file must grow
        answer = await api.post("/orders", json=example("create-order.v1.request.json"))
        if answer.status_code == 503:
            break
    assert answer.status_code == 503, answer.text
    assert "disk is full" in answer.json()["message"]
    assert int(answer.headers["retry-after"]) >= 1
    event.remove(db.engine.sync_engine, "connect", _no_room)
    await db.engine.dispose()
    assert (await api.get("/orders")).json()["total"] <= before + 4
