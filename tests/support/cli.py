"""``clopos-server`` commands run in this process, on a thread: a new interpreter per command costs
seconds of CPU (it imports the whole app), and the suite runs dozens of them. The commands themselves
call ``asyncio.run``, hence the thread: the test's own event loop keeps running meanwhile.
``tests/operations/test_cli.py`` runs the installed command in a real process, once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from typer.testing import CliRunner

from clopos_server.cli import app as cli_app
from clopos_server.settings import get_settings


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Both streams, stdout first: what the tests search for a message, wherever it was printed."""
        return self.stdout + self.stderr


def _invoke(db_url: str, args: tuple[str, ...], given: str | None) -> CliResult:
    get_settings.cache_clear()  # the command reads CLOPOS_DATABASE_URL afresh, as a new process would
    try:
        result = CliRunner().invoke(cli_app, list(args), env={"CLOPOS_DATABASE_URL": db_url}, input=given)
    finally:
        get_settings.cache_clear()
    return CliResult(result.exit_code, result.stdout, result.stderr)


async def run_cli(db_url: str, *args: str, given: str | None = None) -> CliResult:
    """``clopos-server ARGS`` against ``db_url``, with ``given`` typed at its prompts."""
    return await asyncio.to_thread(_invoke, db_url, args, given)
