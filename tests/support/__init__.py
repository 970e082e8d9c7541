"""Helpers shared by the tests (fixtures are in tests/conftest.py); docs/testing.md says which is which.

Each module here is registered for pytest's assertion rewriting before it is imported, so that an
``assert`` in a helper (``assert_error``, ``create_order``, ...) explains its failure as one in a test does.
"""

from pathlib import Path

import pytest

pytest.register_assert_rewrite(
    *(
        f"{__name__}.{module.stem}"
        for module in Path(__file__).parent.glob("*.py")
        if module.stem != "__init__"
    )
)
