"""Scopes, roles and modules as operators change them with the CLI: ``integrators scopes`` and ``users
set-role`` (the same database the server reads), the 403 naming what is missing, and the endpoints that
existed before the back office answering as before whatever the scopes; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from fastapi import FastAPI

from clopos_server.auth.access import SCOPES
from tests.inventory.conftest import services_of
from tests.support.api import TEST_INTEGRATOR, ApiClient, assert_error
from tests.support.cli import run_cli

Cli = Callable[..., Awaitable[str]]


@pytest.fixture
def invoke(db_url: str) -> Cli:
    """``clopos-server ARGS`` on the test's database: what it printed, once its exit status is ``code``."""

    async def run(*args: str, code: int = 0) -> str:
        done = await run_cli(db_url, *args)
        assert done.returncode == code, done.output
        return done.output

    return run


async def test_removing_stock_read_with_the_cli_turns_stock_into_a_403(
    invoke: Cli, app: FastAPI, v2: ApiClient
) -> None:
    assert (await v2.get("/stock")).status_code == 200
    shown = await invoke("integrators", "scopes", TEST_INTEGRATOR, "--remove", "stock:read")
    assert "stock:read" not in shown and "stock-operations:read" in shown
    await services_of(app).directory.refresh(services_of(app).db)  # a running server: within 2 s
    body = assert_error(await v2.get("/stock"), 403, "forbidden")
    assert body["message"] == "Integrator lacks scope stock:read"
    assert (await v2.get("/stock-operations")).status_code == 200
    await invoke("integrators", "scopes", TEST_INTEGRATOR, "--add", "stock:read")
    await services_of(app).directory.refresh(services_of(app).db)
    assert (await v2.get("/stock")).status_code == 200


async def test_the_endpoints_that_existed_before_ignore_scopes(
    invoke: Cli, app: FastAPI, v2: ApiClient
) -> None:
    removing = [arg for scope in SCOPES for arg in ("--remove", scope)]
    assert "(no scopes)" in await invoke("integrators", "scopes", TEST_INTEGRATOR, *removing)
    await services_of(app).directory.refresh(services_of(app).db)
    for path in ("/products", "/orders", "/receipts", "/customers", "/venues"):
        assert (await v2.get(path)).status_code == 200, path


async def test_scope_and_role_mistakes_are_refused(invoke: Cli) -> None:
    unknown = await invoke("integrators", "scopes", TEST_INTEGRATOR, "--add", "stock:write", code=1)
    assert "unknown scope(s) stock:write" in unknown
    assert "no integrator 'nobody'" in await invoke("integrators", "scopes", "nobody", code=1)
    role = ["users", "set-role", "--brand", "openapitest", "--username", "owner", "--role", "chef"]
    assert "has no role 'chef'" in await invoke(*role, code=1)
    nobody = ["users", "set-role", "--brand", "openapitest", "--username", "nobody", "--role", "manager"]
    assert "no staff user 'nobody'" in await invoke(*nobody, code=1)


async def test_set_role_takes_abilities_away_at_once(invoke: Cli, v2: ApiClient) -> None:
    role = ["users", "set-role", "--brand", "openapitest", "--username", "owner", "--role", "cashier"]
    assert "owner is cashier: CASH_SHIFT_VIEW RECEIPT_VIEW" in await invoke(*role)
    body = assert_error(await v2.get("/suppliers"), 403, "forbidden")
    assert body["message"] == "User lacks ability STOCK_SUPPLIER_VIEW"
    role[-1] = "stock_keeper"
    await invoke(*role)
    assert (await v2.get("/suppliers")).status_code == 200


async def test_stock_commands_print_the_document_or_the_refusal(invoke: Cli, v2: ApiClient) -> None:
    shown = await invoke("stock", "receive", "--brand", "openapitest", "--venue", "1", "--supplier", "1",
        "--item", "301:10:0.75", "--item", "302:5:0.35",
    )  # fmt: skip
    document = json.loads(shown)
    assert document["type_name"] == "IN" and document["status"] == 1 and len(document["items"]) == 2
    assert (await v2.get(f"/operations/{document['id']}")).json()["data"]["total_cost"] == 9.25
    args = ["--brand", "openapitest", "--venue", "1"]
    draft = json.loads(await invoke("stock", "waste", *args, "--item", "54:1", "--draft"))
    assert draft["status"] == 2
    published = json.loads(await invoke("stock", "publish", "--brand", "openapitest", str(draft["id"])))
    assert published["status"] == 1 and published["items"][0]["after_quantity"] == 99
    again = await invoke("stock", "publish", "--brand", "openapitest", str(draft["id"]), code=1)
    assert "already published" in again
    same = await invoke("stock", "transfer", *args, "--to", "1", "--item", "54:1", code=1)
    assert "target_storage_id" in same
    negative = await invoke("stock", "count", *args, "--item", "54:-3", code=1)
    assert "items[0].quantity" in negative
    assert "produce" in await invoke("stock", "--help")
    made = json.loads(await invoke("stock", "produce", *args, "--item", "1:1"))
    assert made["type_name"] == "MAKE"
