"""Rendered catalogue answers, kept until the brand's catalogue version moves (decision 0004).

A page of 100 products with their modifier groups is ~0.4 MB of JSON that changes only when the catalogue
does, and integrators ask for it all day. Its ``data`` is rendered once, as bytes, and put in every later
answer's envelope as they are (``orjson.Fragment``); only the envelope's own fields (the time taken,
``total``) are written per request.

A page is found by (brand, catalogue version, resource, query). The query is looked up twice: first as
the raw query string (a repeat of the same request skips parsing it), then as the parsed query in one
canonical form (``query_key``), so that ``?limit=2&page=1`` and ``?page=1&limit=2`` share one rendering.
The calling venue is not part of the key: no catalogue answer depends on it.

The cache is bounded in bytes (least recently used first out); a brand's pages go when its snapshot is
replaced by a newer version.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import orjson

from clopos_server import jsonio
from clopos_server.kit.query import ListQuery

__all__ = ["MAX_BYTES", "Answer", "PageCache", "PageKey", "query_key", "rendered"]

# What one worker may hold in rendered pages: ~60 pages of 100 products with their modifier groups (the
# bench brand's), well inside the 200 MB a worker may use in all.
MAX_BYTES = 24 * 1024 * 1024
_ENTRY_OVERHEAD = 256  # the key, the entry and the Answer, roughly

PageKey = tuple[int, int, str, Hashable]  # brand id, catalogue version, resource, query


@dataclass(frozen=True, slots=True)
class Answer:
    """A rendered answer: ``data`` as JSON bytes for the envelope, and ``total`` for lists (else None)."""

    data: orjson.Fragment
    total: int | None
    size: int


def rendered(data: Any, total: int | None) -> Answer:
    body = jsonio.dumps(data)
    return Answer(orjson.Fragment(body), total, len(body) + _ENTRY_OVERHEAD)


def query_key(query: ListQuery) -> Hashable:
    """The parsed query in one canonical form: every field that can change an answer, the mappings in
    name order (an answer never depends on the order its filters or relations were sent in)."""
    return (
        query.page,
        query.limit,
        query.sort,
        query.descending,
        tuple(sorted(query.filters.items())),
        tuple(sorted(query.ranges.items())),
        tuple(sorted(query.includes.items(), key=lambda item: item[0])),
        query.selects,
        query.date_from,
        query.date_to,
        tuple(sorted(query.params.items())),
    )


class PageCache:
    """Answers by ``PageKey``, least recently used dropped first once they hold more than ``max_bytes``."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[PageKey, Answer] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def held_bytes(self) -> int:
        return self._bytes

    def get(self, key: PageKey) -> Answer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: PageKey, answer: Answer) -> None:
        if answer.size > self.max_bytes:
            return  # larger than the whole budget: answered, never kept
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._bytes -= previous.size
        self._answers[key] = answer
        self._bytes += answer.size
        while self._bytes > self.max_bytes:
            _, dropped = self._answers.popitem(last=False)
            self._bytes -= dropped.size

    def forget(self, brand_id: int) -> None:
        """Drop every answer of the brand (its catalogue moved on)."""
        for key in [key for key in self._answers if key[0] == brand_id]:
            self._bytes -= self._answers.pop(key).size
