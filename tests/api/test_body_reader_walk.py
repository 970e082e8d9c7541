"""``kit.body.parse_json`` skips its walk of the parsed body when the walk cannot find anything: the answer
(the value, or the 400 and its message) is the same as with the walk, for bodies built to break each
guarantee (lone surrogates in values and keys, escaped or in UTF-16, numbers out of range, deep nesting)
and for ordinary ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clopos_server.errors import ApiError
from clopos_server.kit import body


def outcome(raw: bytes) -> tuple[str, Any]:
    try:
        return "value", body.parse_json(raw)
    except ApiError as exc:
        return "error", str(exc)


def both(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """The answer as served, and the answer with the walk always run."""
    served = outcome(raw)
    with monkeypatch.context() as patched:
        patched.setattr(body, "_may_have_flaw", lambda raw, numbers: True)
        walked = outcome(raw)
    return served, walked


NUMBERS = ["1", "-0", "2.50", "1e99", "1E+100", "-1e200", "1e-100", "1e-101", "1" + "0" * 100, "9" * 99]
STRINGS = ["plain", "caf\\u00e9", "\\ud800", "\\udfff x", "\\ud83d\\ude00", "tab\\tand \\\\u not an escape"]


def _leaf() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBERS), st.sampled_from(STRINGS).map(lambda s: f'"{s}"'), st.just("null")
    )


def _json(depth: int = 0) -> st.SearchStrategy[str]:
    if depth > 3:
        return _leaf()
    items = st.lists(st.deferred(lambda: _json(depth + 1)), max_size=4)
    keys = st.sampled_from(STRINGS)
    return st.one_of(
        _leaf(),
        items.map(lambda values: "[" + ", ".join(values) + "]"),
        st.lists(st.tuples(keys, st.deferred(lambda: _json(depth + 1))), max_size=4).map(
            lambda pairs: "{" + ", ".join(f'"{k}": {v}' for k, v in pairs) + "}"
        ),
    )


@settings(max_examples=300, deadline=None)
@given(text=_json(), encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_skipping_the_walk_never_changes_the_answer(text: str, encoding: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        served, walked = both(text.encode(encoding), monkeypatch)
    assert served == walked, text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "\\ud800"}',
        '{"a": "\\ud800"}'.encode("utf-16"),
        b'{"\\udc00": 1}',
        b'{"a": 1e200}',
        b'{"a": [' + b", ".join([b"1"] * 10) + b", 1" + b"0" * 101 + b"]}",
        b"[" * 65 + b"]" * 65,
        b'{"a": [' + b", ".join([b"[]"] * 70) + b"]}",  # more than 64 brackets, shallow: walked, fine
        json.dumps({"payload": {"products": [{"id": i, "count": 1} for i in range(5)]}}).encode(),
    ],
)
def test_the_cases_each_guarantee_is_about(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    served, walked = both(raw, monkeypatch)
    assert served == walked
