"""The stop list through HTTP (both filter readings), and the operators' CLI that sets and clears limits."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from clopos_server.db.engine import Database
from clopos_server.db.models import Brand
from tests.support.api import V1Client, assert_error
from tests.support.cli import run_cli

DEMO_STOP_LIST = [
    {"id": 54, "limit": 0, "timestamp": 1761202010781},
    {"id": 57, "limit": 3, "timestamp": 1761202001368},
]


async def test_the_demo_stop_list(v1: V1Client) -> None:
    answer = await v1.get("/products/stop-list")
    body = answer.json()
    assert answer.status_code == 200 and body["data"] == DEMO_STOP_LIST and body["total"] == 2
    assert all(type(entry["timestamp"]) is int and type(entry["limit"]) is int for entry in body["data"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filters[0][0]": "id", "filters[0][1][0]": "1", "filters[0][1][1]": "57"}, [57]),
        ({"filters[0][0]": "id", "filters[0][1]": "54"}, [54]),
        ({"filters[0][0]": "limit", "filters[0][1][0]": "1", "filters[0][1][1]": "5"}, [57]),
        ({"filters[0][0]": "limit", "filters[0][1][0]": "0", "filters[0][1][1]": "0"}, [54]),
        ({"filters[0][0]": "timestamp", "filters[0][1][0]": "1761202005000", "filters[0][1][1]": ""}, [54]),
        ({"filters[0][0]": "timestamp", "filters[0][1][0]": "", "filters[0][1][1]": "1761202005000"}, [57]),
        ({"filters": '[["limit", [0, 10]], ["id", [54, 57]]]'}, [54, 57]),
        ({"sort[0]": "timestamp", "sort[1]": "1"}, [57, 54]),
        ({"limit": "1", "page": "2"}, [57]),
    ],
    ids=[
        "id-any-of",
        "id-one",
        "limit-range",
        "limit-zero",
        "timestamp-from",
        "timestamp-to",
        "json",
        "sort",
        "page",
    ],
)
async def test_filters_and_sorts(v1: V1Client, params: dict[str, str], expected: list[int]) -> None:
    answer = await v1.get("/products/stop-list", params=params)
    assert [entry["id"] for entry in answer.json()["data"]] == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"filters[0][0]": "limit", "filters[0][1][0]": "few", "filters[0][1][1]": "5"}, "query.filters"),
        ({"filters[0][0]": "id", "filters[0][1]": "fifty"}, "query.filters"),
        ({"limit": "0"}, "query.limit"),
        ({"sort[0]": "name"}, "query.sort"),
    ],
    ids=["bad-range", "bad-id", "limit-0", "unknown-sort"],
)
async def test_bad_parameters(v1: V1Client, params: dict[str, str], field: str) -> None:
    body = assert_error(await v1.get("/products/stop-list", params=params), 400, "invalid_parameter")
    assert [entry["field"] for entry in body["error"]] == [field]


async def test_another_brand_has_its_own_stop_list(other_v1: V1Client) -> None:
    answer = await other_v1.get("/products/stop-list", params={"filters[0][0]": "id", "filters[0][1]": "54"})
    assert answer.json()["data"] == [] and answer.json()["total"] == 0


async def _catalog_version(database: Database) -> int:
    async with database.read() as conn:
        version: int = (
            await conn.execute(select(Brand.catalog_version).where(Brand.slug == "openapitest"))
        ).scalar_one()
    return version


async def test_cli_sets_and_clears_limits(v1: V1Client, db_url: str, database: Database) -> None:
    before = await _catalog_version(database)
    started_ms = int(time.time() * 1000)
    done = await run_cli(
        db_url, "stoplist", "set", "--brand", "openapitest", "--product", "101", "--limit", "5"
    )
    assert done.returncode == 0, done.stderr
    entries = {entry["id"]: entry for entry in (await v1.get("/products/stop-list")).json()["data"]}
    assert entries[101]["limit"] == 5 and entries[101]["timestamp"] >= started_ms - 1000
    assert await _catalog_version(database) == before + 1

    done = await run_cli(
        db_url, "stoplist", "set", "--brand", "openapitest", "--product", "54", "--limit", "7"
    )
    assert done.returncode == 0, done.stderr
    ayran = (
        await v1.get("/products/stop-list", params={"filters[0][0]": "id", "filters[0][1]": "54"})
    ).json()
    assert ayran["data"][0]["limit"] == 7 and ayran["data"][0]["timestamp"] > 1761202010781

    done = await run_cli(db_url, "stoplist", "clear", "--brand", "openapitest", "--product", "101")
    assert done.returncode == 0, done.stderr
    assert [e["id"] for e in (await v1.get("/products/stop-list")).json()["data"]] == [54, 57]
    assert await _catalog_version(database) == before + 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "--brand", "openapitest", "--product", "10000", "--limit", "1"), "not in brand"),
        (("set", "--brand", "nope", "--product", "1", "--limit", "1"), "no brand"),
        (("clear", "--brand", "openapitest", "--product", "999999"), "not in brand"),
    ],
    ids=["foreign-product", "unknown-brand", "unknown-product"],
)
async def test_cli_refuses_what_is_not_the_brands(db_url: str, args: tuple[str, ...], message: str) -> None:
    done = await run_cli(db_url, "stoplist", *args)
    assert done.returncode == 1 and message in done.stderr


async def test_cli_refuses_a_negative_limit(db_url: str) -> None:
    done = await run_cli(
        db_url, "stoplist", "set", "--brand", "openapitest", "--product", "1", "--limit", "-1"
    )
    assert done.returncode != 0
