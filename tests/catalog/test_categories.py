"""The category tree through HTTP: nested-set fields at every level, filters, paging, one node."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import V1Client, assert_error

ISO = "2025-01-01T00:00:00.000000Z"


def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from walk(node["children"])


def shape(nodes: list[dict[str, Any]]) -> list[tuple[int, int, int, int, list[Any]]]:
    """(id, _lft, _rgt, depth, children) of each node, recursively."""
    return [(n["id"], n["_lft"], n["_rgt"], n["depth"], shape(n["children"])) for n in nodes]


async def test_the_tree(v1: V1Client) -> None:
    answer = await v1.get("/categories")
    body = answer.json()
    assert answer.status_code == 200 and body["total"] == 5
    # bounds are those of the whole forest (inactive 5 included), siblings by position then id
    assert shape(body["data"]) == [
        (1, 1, 2, 0, []),
        (2, 3, 4, 0, []),
        (3, 5, 8, 0, [(6, 6, 7, 1, [])]),
        (4, 9, 10, 0, []),
        (7, 13, 14, 0, []),
    ]
    for node in walk(body["data"]):
        assert {"_lft", "_rgt", "depth", "media", "children"} <= node.keys()
        assert isinstance(node["media"], list) and isinstance(node["_lft"], int)
    drinks = body["data"][2]
    assert {key: value for key, value in drinks.items() if key != "children"} == {
        "id": 3,
        "name": "Drinks",
        "status": 1,
        "hidden": False,
        "type": "PRODUCT",
        "position": 3,
        "parent_id": None,
        "color": "00bcd4",
        "media": [],
        "created_at": ISO,
        "updated_at": ISO,
        "depth": 0,
        "_lft": 5,
        "_rgt": 8,
    }
    assert drinks["children"][0]["parent_id"] == 3 and drinks["children"][0]["name"] == "Soft drinks"


@pytest.mark.parametrize(
    ("params", "expected", "total"),
    [
        ({"include_inactive": "true"}, [1, 2, 3, 4, 5, 7], 6),
        ({"type": "INGREDIENT"}, [4], 1),
        ({"filters[0][0]": "type", "filters[0][1]": "INGREDIENT"}, [4], 1),
        ({"type": "ACCOUNTING"}, [], 0),
        ({"parent_id": "3"}, [6], 1),
        ({"limit": "2", "page": "2"}, [3, 4], 5),
        ({"limit": "999"}, [1, 2, 3, 4, 7], 5),
        ({"sort[0]": "name", "sort[1]": "-1"}, [2, 4, 7, 1, 3], 5),
        ({"filters[0][0]": "colour", "filters[0][1]": "red"}, [1, 2, 3, 4, 7], 5),
    ],
    ids=[
        "inactive",
        "type",
        "type-filter",
        "accounting",
        "parent",
        "page",
        "limit-999",
        "sort-name",
        "unknown",
    ],
)
async def test_query(v1: V1Client, params: dict[str, str], expected: list[int], total: int) -> None:
    body = (await v1.get("/categories", params=params)).json()
    assert [node["id"] for node in body["data"]] == expected and body["total"] == total


async def test_children_of_a_parent_keep_their_depth(v1: V1Client) -> None:
    body = (await v1.get("/categories", params={"parent_id": "3"})).json()
    assert shape(body["data"]) == [(6, 6, 7, 1, [])]


async def test_inactive_roots_show_only_when_asked(v1: V1Client) -> None:
    body = (await v1.get("/categories", params={"include_inactive": "1"})).json()
    hidden = next(node for node in body["data"] if node["id"] == 5)
    assert hidden["status"] == 0 and hidden["hidden"] is True and (hidden["_lft"], hidden["_rgt"]) == (11, 12)


async def test_without_children(v1: V1Client) -> None:
    body = (await v1.get("/categories", params={"include_children": "false"})).json()
    assert all(node["children"] == [] for node in body["data"]) and body["total"] == 5
    assert body["data"][2]["_rgt"] == 8  # the bounds still say it has a child


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"type": "FOO"}, "query.type", "type must be one of PRODUCT, INGREDIENT, ACCOUNTING"),
        ({"include_children": "maybe"}, "query.include_children", "include_children must be true or false"),
        ({"include_inactive": "2"}, "query.include_inactive", "include_inactive must be true or false"),
        ({"parent_id": "x"}, "query.parent_id", "parent_id must be an integer"),
        ({"limit": "0"}, "query.limit", "limit must be between 1 and 999"),
        ({"limit": "1000"}, "query.limit", "limit must be between 1 and 999"),
        ({"page": "-1"}, "query.page", "page must be a positive integer"),
        (
            {"sort[0]": "color"},
            "query.sort",
            "sort must be one of id, name, position, created_at, updated_at",
        ),
    ],
    ids=["type-FOO", "children", "inactive", "parent", "limit-0", "limit-1000", "page", "sort"],
)
async def test_bad_parameters(v1: V1Client, params: dict[str, str], field: str, message: str) -> None:
    body = assert_error(await v1.get("/categories", params=params), 400, "invalid_parameter")
    assert body["message"] == message and [entry["field"] for entry in body["error"]] == [field]


async def test_one_category(v1: V1Client) -> None:
    drinks = (await v1.get("/categories/3")).json()["data"]
    assert shape([drinks]) == [(3, 5, 8, 0, [(6, 6, 7, 1, [])])]
    soft = (await v1.get("/categories/6")).json()["data"]
    assert (soft["depth"], soft["_lft"], soft["parent_id"]) == (1, 6, 3)
    hidden = (await v1.get("/categories/5")).json()["data"]
    assert hidden["status"] == 0 and hidden["children"] == []
    bare = (await v1.get("/categories/3", params={"include_children": "false"})).json()["data"]
    assert bare["children"] == []


async def test_one_category_errors(v1: V1Client, other_v1: V1Client) -> None:
    missing = assert_error(await v1.get("/categories/999"), 404, "resource_not_found")
    assert missing["message"] == "Category not found"
    assert_error(await v1.get("/categories/10000"), 404, "resource_not_found")
    assert_error(await other_v1.get("/categories/3"), 404, "resource_not_found")
    assert_error(await v1.get("/categories/abc"), 400, "invalid_parameter")
    assert_error(await v1.get("/categories/3", params={"include_children": "x"}), 400, "invalid_parameter")


async def test_another_brand_has_its_own_tree(other_v1: V1Client) -> None:
    body = (await other_v1.get("/categories")).json()
    assert shape(body["data"]) == [(10000, 1, 2, 0, []), (10001, 3, 4, 0, [])]


@pytest.mark.parametrize("path", ["/categories", "/categories/3"])
async def test_no_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(f"/open-api{path}"), 401, "unauthorized")
