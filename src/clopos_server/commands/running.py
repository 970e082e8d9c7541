"""How every command of ``clopos-server`` runs: ``run`` a job against the configured database (an operator's
mistake answered in one or two lines naming the database and the fix, exit status 1; the traceback only
with ``--debug``), ``fail`` with a message. Here, below ``cli.py``, so that the sub-commands of
``commands/`` use them without importing ``cli.py``, which imports them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from clopos_server.commands.errors import check_file, check_schema, explain, explain_database
from clopos_server.db.engine import Database, DbTimeouts
from clopos_server.settings import Settings, get_settings

T = TypeVar("T")

options = {"debug": False}  # set by the CLI's --debug


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except Exception as exc:
        explain_and_exit(exc, None)
        raise  # not reached


def explain_and_exit(exc: BaseException, url: str | None) -> None:
    """One or two lines and exit 1; with --debug the traceback instead."""
    if options["debug"]:
        raise exc
    message = explain(exc, url)
    if message is None:
        message = f"unexpected error: {type(exc).__name__}: {exc}\nRun again with --debug for the traceback."
    fail(message)


def cli_database(settings: Settings, pool_size: int = 2) -> Database:
    """A command's database: its lock and connect waits as configured, statements as long as an import
    or a migration takes."""
    timeouts = DbTimeouts(statement=600, lock=settings.db_lock_timeout, pool=settings.db_pool_timeout)
    return Database(settings.database_url, pool_size=pool_size, timeouts=timeouts)


def run(
    job: Callable[[Database], Awaitable[T]], settings: Settings | None = None, *, creates: bool = False
) -> T:
    """Run one async job against the configured database, and close it afterwards. Without ``creates``
    the database must exist and be migrated."""
    settings = settings or settings_or_exit()

    async def main() -> T:
        db = cli_database(settings)
        try:
            if not creates:
                await check_schema(db)
            return await job(db)
        finally:
            await db.dispose()

    try:
        if not creates:
            check_file(settings.database_url)
        return asyncio.run(main())
    except Exception as exc:  # the database's problems here; a command's own errors go to the command
        if options["debug"] or explain_database(exc, settings.database_url) is None:
            raise
        explain_and_exit(exc, settings.database_url)
        raise  # not reached


def fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
