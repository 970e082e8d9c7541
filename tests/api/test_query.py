"""The list-query parser: every accepted spelling, every rejection, and property tests for both."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clopos_server.api.query import parse_list_query, parse_query_string
from clopos_server.errors import ApiError
from clopos_server.kit.query import (
    BOOL,
    CATEGORY_TYPES,
    INT,
    ORDER_STATUSES,
    RANGE,
    STR,
    ListQuery,
    ResourceQuerySpec,
    enum,
)

SPEC = ResourceQuerySpec(
    default_limit=50,
    max_limit=100,
    sorts=("id", "created_at", "updated_at", "name", "total"),
    default_sort=("created_at", True),
    filters={
        "id": INT,
        "name": STR,
        "status": enum(*ORDER_STATUSES),
        "limit": RANGE,
        "is_active": BOOL,
    },
    includes=frozenset({"customer", "receipt", "products"}),
    selects=frozenset({"id", "name", "price"}),
    params={
        "status": enum(*ORDER_STATUSES),
        "type": enum(*CATEGORY_TYPES),
        "parent_id": INT,
        "include_children": BOOL,
        "can_print": BOOL,
    },
    dates=True,
)


def parse(raw: str, spec: ResourceQuerySpec = SPEC) -> ListQuery:
    return parse_list_query(raw, spec)


def rejects(raw: str, name: str, message: str | None = None, spec: ResourceQuerySpec = SPEC) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_list_query(raw, spec)
    error = caught.value
    assert error.code == "invalid_parameter"
    assert error.http_status == 400
    assert error.problems[0].field == f"query.{name}"
    if message is not None:
        assert error.message == message
    return error


# ------------------------------------------------------------------------------------------------ structure


def test_bracket_lists_indexed_and_appended_are_the_same() -> None:
    assert parse_query_string("a[]=x&a[]=y") == parse_query_string("a[0]=x&a[1]=y") == {"a": ["x", "y"]}
    assert parse_query_string("a[1]=y&a[0]=x") == {"a": ["x", "y"]}
    assert parse_query_string("a%5B%5D=x&a%5B%5D=y") == {"a": ["x", "y"]}


def test_nested_structure_and_sparse_indices_stay_objects() -> None:
    tree = parse_query_string("filters[0][0]=id&filters[0][1][0]=1&filters[0][1][1]=2&b[2]=z&c=1")
    assert tree == {"filters": [["id", ["1", "2"]]], "b": {"2": "z"}, "c": "1"}


def test_later_value_wins_and_leading_question_mark_is_allowed() -> None:
    assert parse_query_string("?page=1&page=3") == {"page": "3"}


def test_json_key_members_become_parameters() -> None:
    tree = parse_query_string(quote('{"page":2,"limit":5,"filters":[["status","PENDING"]],"x":null}') + "=")
    assert tree == {"page": "2", "limit": "5", "filters": [["status", "PENDING"]], "x": ""}


# ------------------------------------------------------------------------------------------------ page/limit


def test_defaults() -> None:
    query = parse("")
    assert (query.page, query.limit, query.offset) == (1, 50, 0)
    assert (query.sort, query.descending) == ("created_at", True)
    assert query.filters == {} and query.ranges == {} and query.includes == {} and query.params == {}
    assert query.selects is None and query.date_from is None and query.date_to is None


def test_page_and_limit() -> None:
    query = parse("page=3&limit=20")
    assert (query.page, query.limit, query.offset) == (3, 20, 40)
    assert parse("page=&limit=").limit == 50


def test_json_object_key_gives_page_and_limit() -> None:
    query = parse("%7B%22page%22%3A1%2C%22limit%22%3A2%7D=")
    assert (query.page, query.limit) == (1, 2)
    assert parse('{"page":2,"limit":7}=').limit == 7


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "99999999999999999999999"])
def test_bad_page(value: str) -> None:
    rejects(f"page={value}", "page", "page must be a positive integer")


@pytest.mark.parametrize("value", ["0", "101", "-5", "x", "1e2"])
def test_bad_limit(value: str) -> None:
    rejects(f"limit={value}", "limit", "limit must be between 1 and 100")


def test_limit_bounds_are_per_resource() -> None:
    spec = ResourceQuerySpec(default_limit=10, max_limit=20)
    assert parse("", spec).limit == 10
    assert parse("limit=20", spec).limit == 20
    rejects("limit=21", "limit", "limit must be between 1 and 20", spec=spec)


def test_page_as_a_list_is_rejected() -> None:
    rejects("page[]=1", "page", "page must be a positive integer")


# ------------------------------------------------------------------------------------------------ sort


def test_sort_bracket_form() -> None:
    assert (parse("sort[0]=name&sort[1]=1").sort, parse("sort[0]=name&sort[1]=1").descending) == (
        "name",
        False,
    )
    query = parse("sort%5B%5D=total&sort%5B%5D=-1")
    assert (query.sort, query.descending) == ("total", True)


@pytest.mark.parametrize(
    ("order", "descending"),
    [("1", False), ("-1", True), ("asc", False), ("desc", True), ("ASC", False), ("Desc", True)],
)
def test_sort_by_and_sort_order(order: str, descending: bool) -> None:
    query = parse(f"sort_by=id&sort_order={order}")
    assert (query.sort, query.descending) == ("id", descending)


def test_sort_without_direction() -> None:
    assert parse("sort_by=name").descending is False
    assert parse("sort_by=created_at").descending is True  # the default field keeps its default direction


def test_sort_json_forms() -> None:
    assert parse(quote('{"sort":["name",-1]}') + "=").descending is True
    assert parse(quote('{"sort":{"name":1}}') + "=").sort == "name"


def test_sort_unknown_field() -> None:
    rejects(
        "sort[0]=password&sort[1]=1", "sort", "sort must be one of id, created_at, updated_at, name, total"
    )
    rejects("sort_by=password", "sort_by")


def test_sort_bad_direction() -> None:
    rejects("sort[0]=id&sort[1]=2", "sort")
    rejects("sort_by=id&sort_order=up", "sort_order", "sort_order must be 1, -1, asc or desc")
    rejects("sort[0]=id&sort[1]=1&sort[2]=x", "sort")


# ------------------------------------------------------------------------------------------------ filters


def test_filter_indexed_form() -> None:
    query = parse("filters[0][0]=name&filters[0][1]=Latte&filters[1][0]=status&filters[1][1]=PENDING")
    assert query.filters == {"name": ("Latte",), "status": ("PENDING",)}


def test_filter_any_of_list() -> None:
    query = parse("filters[0][0]=id&filters[0][1][0]=1&filters[0][1][1]=332")
    assert query.filters == {"id": (1, 332)}
    assert parse("filters[0][0]=id&filters[0][1][]=1&filters[0][1][]=332").filters == {"id": (1, 332)}


def test_filter_range() -> None:
    query = parse("filters[0][0]=limit&filters[0][1][0]=0&filters[0][1][1]=5")
    assert query.ranges == {"limit": (0, 5)}
    assert query.filters == {}
    assert parse("filters[0][0]=limit&filters[0][1][0]=&filters[0][1][1]=5").ranges == {"limit": (None, 5)}
    assert parse("filters[0][0]=limit&filters[0][1]=3").ranges == {"limit": (3, 3)}
    rejects("filters[0][0]=limit&filters[0][1][0]=a&filters[0][1][1]=5", "filters")
    rejects("filters[0][0]=limit&filters[0][1][]=1&filters[0][1][]=2&filters[0][1][]=3", "filters")


def test_filter_percent_encoded_brackets() -> None:
    raw = "filters%5B0%5D%5B0%5D=name&filters%5B0%5D%5B1%5D=Tea"
    assert parse(raw).filters == {"name": ("Tea",)}


def test_filter_misspelled_as_filter() -> None:
    assert parse("filter[0][0]=name&filter[0][1]=x").filters == {"name": ("x",)}
    assert parse("filter[0][1]=x&filter[0][0]=name").filters == {"name": ("x",)}


def test_filter_pair_with_one_half_misspelt() -> None:
    assert parse("filters[0][0]=name&filter[0][1]=x").filters == {"name": ("x",)}
    assert parse("filter[0][0]=name&filters[0][1]=x").filters == {"name": ("x",)}
    assert parse("filters[0][0]=id&filter[0][1][]=4&filters[0][1][]=5").filters == {"id": (4, 5)}
    rejects("filter[0][0][0][0][0][0]=x", "filter")  # an error still names what was sent


def test_filter_keyed_form() -> None:
    assert parse("filters[name][0]=name&filters[name][1]=x").filters == {"name": ("x",)}
    assert parse("filters[status]=PENDING").filters == {"status": ("PENDING",)}
    assert parse("filters[id][]=4&filters[id][]=5").filters == {"id": (4, 5)}


def test_filter_json_forms() -> None:
    assert parse("filters=" + quote('{"name":"x"}')).filters == {"name": ("x",)}
    assert parse("filters=" + quote('{"name":["a","b"]}')).filters == {"name": ("a", "b")}
    assert parse("filters=" + quote('[["id",7],["status",["PENDING","RECEIVED"]]]')).filters == {
        "id": (7,),
        "status": ("PENDING", "RECEIVED"),
    }
    assert parse(quote('{"filters":[["status","PENDING"]]}') + "=").filters == {"status": ("PENDING",)}
    rejects("filters=" + quote("not json"), "filters")
    assert parse("filters=").filters == {}


def test_filter_on_unknown_field_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG", logger="clopos_server.api.query"):
        query = parse("filters[0][0]=secret&filters[0][1]=1&filters[1][0]=name&filters[1][1]=a")
    assert query.filters == {"name": ("a",)}
    assert "secret" in caplog.text


def test_filter_bad_values() -> None:
    rejects("filters[0][0]=id&filters[0][1]=abc", "filters", "id must be an integer")
    rejects(
        "filters[0][0]=status&filters[0][1]=LOST",
        "filters",
        "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED",
    )
    rejects("filters[0][0]=is_active&filters[0][1]=maybe", "filters")
    rejects("filters[0]=name", "filters")


def test_filter_bool_and_blank_values() -> None:
    assert parse("filters[0][0]=is_active&filters[0][1]=TRUE").filters == {"is_active": (True,)}
    assert parse("filters[0][0]=is_active&filters[0][1]=0").filters == {"is_active": (False,)}
    assert parse("filters[0][0]=id&filters[0][1]=").filters == {}


@pytest.mark.parametrize(
    "value", ["x' OR '1'='1", "'; DROP TABLE products; --", "%_\\", 'a"b', "Robert'); --", "* /* */"]
)
def test_sql_metacharacters_in_a_name_filter_stay_plain_text(value: str) -> None:
    query = parse("filters[0][0]=name&filters[0][1]=" + quote(value, safe=""))
    assert query.filters == {"name": (value,)}


# ------------------------------------------------------------------------------------------------ includes


def test_with_forms() -> None:
    assert parse("with[]=customer").includes == {"customer": None}
    assert parse("with[0]=receipt:id,status").includes == {"receipt": ("id", "status")}
    assert parse("with_[]=customer&with_[]=products").includes == {"customer": None, "products": None}
    assert parse("with=customer").includes == {"customer": None}
    assert parse("with=customer,receipt").includes == {"customer": None, "receipt": None}
    assert parse("with=receipt:id,status,customer").includes == {
        "receipt": ("id", "status"),
        "customer": None,
    }
    assert parse("with[receipt]=id,status").includes == {"receipt": ("id", "status")}
    assert parse("with%5B0%5D=receipt%3Aid").includes == {"receipt": ("id",)}
    assert parse("with[]=receipt:*").includes == {"receipt": None}


def test_with_unknown_names_and_bad_columns_are_dropped() -> None:
    assert parse("with[]=password&with[]=customer").includes == {"customer": None}
    assert parse("with=nope").includes == {}
    assert parse("with[0]=receipt:id,drop table x,status").includes == {"receipt": ("id", "status")}
    assert parse("with[0][0]=customer").includes == {}


def test_with_merges_repeated_relations() -> None:
    assert parse("with[]=receipt:id&with_[]=receipt:status").includes == {"receipt": ("id", "status")}
    assert parse("with[]=receipt:id&with_[]=receipt").includes == {"receipt": None}


# ------------------------------------------------------------------------------------------------ selects


def test_selects() -> None:
    assert parse("selects=id,name,price").selects == ("id", "name", "price")
    assert parse("selects[]=id&selects[]=name").selects == ("id", "name")
    assert parse("selects=id,password").selects == ("id",)
    assert parse("selects=password").selects is None
    assert parse("").selects is None


# ------------------------------------------------------------------------------------------------ dates


def test_date_range() -> None:
    query = parse("date[0]=2024-01-01&date[1]=2024-01-31")
    assert (query.date_from, query.date_to) == (datetime.date(2024, 1, 1), datetime.date(2024, 1, 31))
    query = parse("date_from=2024-02-01&date_to=2024-02-03")
    assert (query.date_from, query.date_to) == (datetime.date(2024, 2, 1), datetime.date(2024, 2, 3))
    assert parse("date[]=2024-03-01").date_to is None


def test_bad_dates() -> None:
    rejects("date[0]=2024-13-01&date[1]=2024-01-31", "date")
    rejects("date_from=yesterday", "date_from", "date_from must be a date in YYYY-MM-DD format")
    rejects("date_to=2024-02-30", "date_to")
    rejects("date[0]=2024-02-02&date[1]=2024-02-01", "date")


def test_dates_ignored_where_the_resource_has_none() -> None:
    assert parse("date[0]=garbage", ResourceQuerySpec()).date_from is None


# ------------------------------------------------------------------------------------------------ params


def test_enum_bool_and_int_params() -> None:
    query = parse("status=PENDING&type=PRODUCT&parent_id=4&include_children=True&can_print=0")
    assert query.params == {
        "status": "PENDING",
        "type": "PRODUCT",
        "parent_id": 4,
        "include_children": True,
        "can_print": False,
    }


def test_bad_params() -> None:
    rejects("status=LOST", "status", "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED")
    rejects("type=DRINK", "type", "type must be one of PRODUCT, INGREDIENT, ACCOUNTING")
    rejects("include_children=yes", "include_children", "include_children must be true or false")
    rejects("parent_id=x", "parent_id", "parent_id must be an integer")
    rejects("status[]=PENDING", "status")


def test_unknown_parameters_are_ignored() -> None:
    query = parse("foo=bar&baz[0][1]=2&page=2&_=123&=x&[x]=1&a[b=1")
    assert query.page == 2


# ------------------------------------------------------------------------------------------------ bounds


def test_ten_thousand_filters_are_rejected_quickly() -> None:
    raw = "&".join(f"filters[{i}][0]=id&filters[{i}][1]={i}" for i in range(10_000))
    started = time.perf_counter()
    rejects(raw, "query")
    assert time.perf_counter() - started < 0.5


def test_query_too_long_or_too_many_pairs() -> None:
    rejects("name=" + "x" * (16 * 1024), "query", "query string must be at most 16384 characters")
    rejects("&".join(["a=1"] * 501), "query", "query string must have at most 500 parameters")
    assert parse("&".join(["a=1"] * 500)).page == 1


def test_deep_nesting_and_large_indices() -> None:
    rejects("filters[0][1][0][0][0][0]=x", "filters")
    rejects("filters[1001][0]=id", "filters")
    rejects("filters[99999999999999999999][0]=id", "filters")
    assert parse("filters[1000][0]=id&filters[1000][1]=3").filters == {"id": (3,)}


def test_deep_or_huge_json_never_fails_badly() -> None:
    deep = "[" * 5000 + "]" * 5000
    rejects("filters=" + deep, "filters")
    assert parse('{"a":' + deep + "}=").page == 1  # too deep to decode: ignored
    rejects('{"a":' + "[" * 50 + "]" * 50 + "}=", "a")  # decodable but nested deeper than 5
    rejects(quote('{"filters":[[[[[[["x"]]]]]]]}') + "=", "filters")
    rejects("filters=" + json.dumps([["id", 1]] * 1200, separators=(",", ":")), "filters")  # > 1001 entries


# ------------------------------------------------------------------------------------------------ properties

_TOKENS = [
    *'[]=&%5BD0123456789{}":,-_ +',
    *["filters", "filter", "with", "with_", "sort", "sort_by", "sort_order", "page", "limit", "selects"],
    *["date", "date_from", "status", "id", "name", "receipt:", "%7B", "%22", "%5B", "%5D", "true"],
]
_QUERYISH = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), _QUERYISH))
def test_any_text_gives_a_query_or_an_invalid_parameter(raw: str) -> None:
    try:
        result = parse_list_query(raw, SPEC)
    except ApiError as error:
        assert error.code == "invalid_parameter"
        assert error.problems and error.problems[0].field is not None
        assert error.problems[0].field.startswith("query.")
    else:
        assert isinstance(result, ListQuery)
        assert result.page >= 1 and 1 <= result.limit <= SPEC.max_limit


_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(lambda text: bool(text.strip()))
_COLUMNS = st.lists(
    st.sampled_from(["id", "status", "total", "created_at", "name_1"]), unique=True, max_size=3
)


@st.composite
def _queries(draw: st.DrawFn) -> dict[str, Any]:
    filters: dict[str, list[Any]] = {}
    if draw(st.booleans()):
        filters["name"] = draw(st.lists(_TEXT, min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        filters["id"] = draw(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        filters["status"] = draw(
            st.lists(st.sampled_from(ORDER_STATUSES), min_size=1, max_size=4, unique=True)
        )
    names = draw(st.lists(st.sampled_from(sorted(SPEC.includes)), unique=True, max_size=3))
    includes = {name: (tuple(cols) or None) for name in names for cols in [draw(_COLUMNS)]}
    return {
        "page": draw(st.integers(1, 10**6)),
        "limit": draw(st.integers(1, SPEC.max_limit)),
        "sort": draw(st.sampled_from(SPEC.sorts)),
        "descending": draw(st.booleans()),
        "filters": draw(st.permutations(list(filters.items()))),
        "includes": includes,
    }


def _encode(values: dict[str, Any], data: st.DataObject) -> str:
    draw = data.draw
    encode_brackets = draw(st.booleans())
    appended = draw(st.booleans())

    def key(name: str, *segments: object) -> str:
        text = name + "".join(f"[{segment}]" for segment in segments)
        return text.replace("[", "%5B").replace("]", "%5D") if encode_brackets else text

    def index(position: int) -> str:
        return "" if appended else str(position)

    def value(item: object) -> str:
        return quote(str(item), safe="")

    pairs: list[str] = []
    if draw(st.booleans()):
        pairs.append(value(json.dumps({"page": values["page"], "limit": values["limit"]})) + "=")
    else:
        pairs += [f"page={values['page']}", f"limit={values['limit']}"]

    direction = "-1" if values["descending"] else "1"
    if draw(st.booleans()):
        pairs += [f"{key('sort', index(0))}={values['sort']}", f"{key('sort', index(1))}={direction}"]
    else:
        order = draw(st.sampled_from(["desc", "DESC", "-1"] if values["descending"] else ["asc", "Asc", "1"]))
        pairs += [f"sort_by={values['sort']}", f"sort_order={order}"]

    filter_form = draw(st.sampled_from(["indexed", "keyed", "json", "misspelled"]))
    if filter_form == "json":
        if values["filters"]:
            pairs.append("filters=" + value(json.dumps([[name, items] for name, items in values["filters"]])))
    else:
        parameter = "filter" if filter_form == "misspelled" else "filters"
        for position, (name, items) in enumerate(values["filters"]):
            slot: object = name if filter_form == "keyed" else position
            pairs.append(f"{key(parameter, slot, 0)}={name}")
            if len(items) == 1 and draw(st.booleans()):
                pairs.append(f"{key(parameter, slot, 1)}={value(items[0])}")
            else:
                pairs += [
                    f"{key(parameter, slot, 1, index(i))}={value(item)}" for i, item in enumerate(items)
                ]

    specs = [name + (":" + ",".join(cols) if cols else "") for name, cols in values["includes"].items()]
    with_form = draw(st.sampled_from(["list", "list_", "comma"]))
    if with_form == "comma":
        if specs:
            pairs.append("with=" + value(",".join(specs)))
    else:
        parameter = "with" if with_form == "list" else "with_"
        pairs += [f"{key(parameter, index(i))}={value(spec)}" for i, spec in enumerate(specs)]

    if not appended:  # with [] the order of the pairs is the order of the list
        pairs = draw(st.permutations(pairs))
    return "&".join(pairs)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_round_trip_through_every_spelling(data: st.DataObject) -> None:
    values = data.draw(_queries())
    raw = _encode(values, data)
    query = parse_list_query(raw, SPEC)
    assert (query.page, query.limit) == (values["page"], values["limit"])
    assert (query.sort, query.descending) == (values["sort"], values["descending"])
    assert query.filters == {name: tuple(items) for name, items in values["filters"]}
    assert query.ranges == {}
    assert query.includes == values["includes"]
