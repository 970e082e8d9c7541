"""The CLI's words for an operator's mistakes: one or two lines naming the database and the fix.

``explain`` turns what a command raised into those lines (None: a bug, shown with its type and a pointer
to ``--debug``). ``check_database`` runs before a command that must not create a database: a missing
SQLite file or an unmigrated schema is said at once, instead of an empty file left behind and a
"no such table" traceback.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from clopos_server.db.engine import Database
from clopos_server.db.migrate import MigrationLockTimeout
from clopos_server.db.unavailable import unavailable_reason


class OperatorError(Exception):
    """A mistake said in plain words; the CLI prints it and exits 1."""


def describe(url: str) -> str:
    """The database as an operator recognises it: the SQLite file's full path, or the PostgreSQL URL
    without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {Path(parsed.database or '').resolve()}"
    shown = parsed.set(drivername="postgresql", password=None)
    return f"PostgreSQL {shown.render_as_string(hide_password=True)}"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def check_file(url: str) -> None:
    """A SQLite file that is not there is not created by a command other than migrate/serve/demo."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise OperatorError(
            f"no database at {describe(url)}.\n"
            "Run `clopos-server migrate` to create it there, or set CLOPOS_DATABASE_URL to your database."
        )


async def check_schema(db: Database) -> None:
    """The schema exists (a command on an unmigrated database would fail with 'no such table')."""

    def has_tables(connection: Connection) -> bool:
        return bool(inspect(connection).has_table("alembic_version"))

    async with db.engine.connect() as conn:
        migrated = await conn.run_sync(has_tables)
    if not migrated:
        raise OperatorError(f"{describe(db.url)} has no tables yet.\nRun `clopos-server migrate` first.")


def _sqlstate(exc: BaseException) -> str | None:
    current: BaseException | None = exc
    for _ in range(6):
        if current is None:
            return None
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            return state
        wrapped = current.orig if isinstance(current, DBAPIError) else None
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
    return None


def _settings_problem(exc: ValidationError) -> str:
    problems = [f"CLOPOS_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
    return "a setting is not valid: " + "; ".join(problems) + ".\nFix the environment variable and retry."


def explain_database(exc: BaseException, url: str | None) -> str | None:
    """One or two lines when ``exc`` says the database or a setting is not as the command needs."""
    if isinstance(exc, OperatorError | MigrationLockTimeout):
        return str(exc)
    if isinstance(exc, ValidationError):
        return _settings_problem(exc)
    where = describe(url) if url else "the database"
    state = _sqlstate(exc)
    if state == "3D000":
        name = make_url(url).database if url else "?"
        return (
            f"{where}: the database {name!r} does not exist.\n"
            f"Create it (createdb {name}), then run `clopos-server migrate`."
        )
    if state in ("28P01", "28000"):
        return f"{where}: the server refused the login.\nCheck the user and password in CLOPOS_DATABASE_URL."
    if state == "42P01" or "no such table" in str(exc):
        return f"{where} is not migrated (a table is missing).\nRun `clopos-server migrate` first."
    if "unable to open database file" in str(exc):
        return f"{where} cannot be opened.\nCheck that its directory exists and is writable."
    found = unavailable_reason(exc)
    if found is not None:
        return f"{where}: {found.message}.\nCheck that the database is running and reachable, then retry."
    return None


def explain(exc: BaseException, url: str | None) -> str | None:
    """``explain_database``, or the message of one of the server's own errors (no such brand, a
    password too short, ...); None for what looks like a bug."""
    said = explain_database(exc, url)
    if said is not None:
        return said
    own = type(exc).__module__.startswith("clopos_server.")
    if (own or isinstance(exc, LookupError)) and str(exc):
        return str(exc)
    return None
