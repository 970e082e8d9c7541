"""``jsonio``'s Decimals: an exact JSON number in plain digits, whatever the value's exponent."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clopos_server import jsonio

_ANY = st.decimals(allow_nan=False, allow_infinity=False)  # exponents of any size
_MONEY = st.decimals(places=4, allow_nan=False, allow_infinity=False)


@settings(max_examples=500)
@given(_ANY | _MONEY)
def test_a_decimal_is_written_in_plain_digits_exactly(value: Decimal) -> None:
    written = jsonio.dumps({"v": value})
    assert written == b'{"v":' + format(value, "f").encode() + b"}"
    assert Decimal(jsonio.loads_exact(written)["v"]) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [("1E+2", "100"), ("1E-7", "0.0000001"), ("-0", "-0"), ("16.2000", "16.2000"), ("-1.5E+3", "-1500")],
)
def test_an_exponent_is_written_out(value: str, text: str) -> None:
    assert jsonio.dumps(Decimal(value)) == text.encode()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_a_value_that_is_not_a_number_is_refused(value: str) -> None:
    with pytest.raises(orjson.JSONEncodeError):
        jsonio.dumps(Decimal(value))
