"""Every file of examples/ that shows an answer equals what the server answers, up to ids and times: the
same keys at every level, the same values (numbers as values: 16.2 == 16.20)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from tests.support.api import EXAMPLES, ApiClient, assert_error, example

PLACEHOLDERS = {"id", "created_at", "updated_at", "time", "timestamp", "unix"}


def differences(got: Any, shown: Any, path: str = "") -> list[str]:
    """Where a real answer and an example differ (keys missing on either side, other values)."""
    if isinstance(shown, dict) and isinstance(got, dict):
        found = [f"{path}.{key}: not in the example" for key in sorted(set(got) - set(shown))]
        found += [f"{path}.{key}: not in the answer" for key in sorted(set(shown) - set(got))]
        for key in sorted(set(got) & set(shown) - PLACEHOLDERS):
            found += differences(got[key], shown[key], f"{path}.{key}")
        return found
    if isinstance(shown, list) and isinstance(got, list):
        if len(got) != len(shown):
            return [f"{path}: {len(got)} items, the example shows {len(shown)}"]
        return [
            d
            for i, (g, s) in enumerate(zip(got, shown, strict=True))
            for d in differences(g, s, f"{path}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(got, numbers) and isinstance(shown, numbers) and not isinstance(got, bool | str):
        same = not isinstance(shown, bool) and Decimal(str(got)) == Decimal(str(shown))
    else:
        same = got == shown
    return [] if same else [f"{path}: {got!r}, the example shows {shown!r}"]


def test_every_answer_example_is_checked() -> None:
    shown = sorted(path.name for path in EXAMPLES.glob("*.response.json"))
    assert shown == ["create-order.v1.response.json", "create-order.validation-error.response.json"]


async def test_the_created_order(api: ApiClient) -> None:
    answer = await api.post("/orders", json=example("create-order.v1.request.json"))
    assert answer.status_code == 201, answer.text
    assert differences(answer.json(), example("create-order.v1.response.json")) == []


async def test_the_validation_error(api: ApiClient) -> None:
    body = example("create-order.v1.request.json")
    line = body["payload"]["products"][0]
    line["product_modificators"] = [{"modificator_id": 501, "count": 1}]
    line["meta"]["order_product"]["product_modificators"] = copy.deepcopy(line["product_modificators"])
    body["payload"]["products"].append({"product_id": 54, "count": 1})
    got = assert_error(await api.post("/orders", json=body), 400, "validation_failed")
    assert differences(got, example("create-order.validation-error.response.json")) == []
