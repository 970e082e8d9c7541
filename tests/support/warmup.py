"""What every worker of a fresh clone would compute for itself, computed once by the controller.

Hypothesis keeps a table of the characters a codec can encode under ``.hypothesis/unicode_data``; where it
is missing (a fresh clone: CI's case), the first strategy that draws text of a codec builds it by trying
every code point, about 3 s of CPU. The fuzz run draws UTF-8 text (tests/api/test_fuzz.py), and its shards
are the first tests each worker runs (tests/support/schedule.py), so on a fresh clone four workers built
the same table at once. The controller builds it on a thread while the workers start and collect (which
takes longer); Hypothesis writes the file atomically, so a worker that needs it sooner builds its own, as
before, and nothing waits.
"""

from __future__ import annotations

import threading

import pytest

WARM_CODEC = "utf-8"  # tests/api/test_fuzz.py's generation codec


def _build_codec_table() -> None:
    try:
        from hypothesis.internal.charmap import intervals_from_codec

        intervals_from_codec(WARM_CODEC)
    except Exception:  # an internal of Hypothesis's: without it, each worker builds its own, as before
        return


def start(config: pytest.Config) -> None:
    """In the pytest-xdist controller (a run with workers), build the table on a daemon thread."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    threading.Thread(target=_build_codec_table, name="clopos-warmup", daemon=True).start()
