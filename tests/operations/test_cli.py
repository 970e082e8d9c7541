"""The CLI as an operator meets it: each mistake of issue 14 answers one or two lines naming the database
and the fix, a non-zero exit, no traceback; nothing creates a database but migrate, serve and demo."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from clopos_server import __version__, demo
from clopos_server.cli import main
from clopos_server.settings import get_settings
from tests.conftest import fresh_database
from tests.operations.pg import PrivatePostgres

pytestmark = pytest.mark.slow
DEMO_OTHER = Path(demo.__file__).parent / "demo-other.json"


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Done:
    """``clopos-server ARGS`` in ``cwd`` with only the CLOPOS_ variables given: in this process (a new
    interpreter per call costs seconds); ``test_the_installed_command`` runs the real one."""
    saved_env, saved_dir, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    out, err = io.StringIO(), io.StringIO()
    try:
        for name in [k for k in os.environ if k.startswith("CLOPOS_")]:
            del os.environ[name]
        os.environ.update(env or {})
        os.chdir(cwd)
        get_settings.cache_clear()
        sys.argv = ["clopos-server", *args]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_dir)
        sys.argv = saved_argv
        get_settings.cache_clear()
    return Done(code, out.getvalue(), err.getvalue())


def assert_short_failure(done: Done | subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0, done.stdout
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("{")]  # not logs
    assert 1 <= len(lines) <= 2, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


@pytest.fixture
async def sqlite_env(tmp_root: Path) -> AsyncIterator[dict[str, str]]:
    """A migrated SQLite copy with the demo brands (the CLI's words are the same on PostgreSQL: its own
    cases are in ``test_postgresql_mistakes``)."""
    async with fresh_database("sqlite", tmp_root) as url:
        yield {"CLOPOS_DATABASE_URL": url}


def test_the_installed_command(tmp_path: Path) -> None:
    """The real entry point, in a new process: --version, and a mistake without a traceback."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "clopos_server.cli", *args]
        return subprocess.run(command, cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120)

    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"clopos-server {__version__}"
    assert_short_failure(run("export", "openapitest"), "migrate")
    assert not (tmp_path / "var").exists()


def test_a_command_from_another_directory_creates_nothing(tmp_path: Path) -> None:
    for args in (["brands", "list"], ["export", "openapitest"], ["users", "list", "--brand", "openapitest"]):
        assert_short_failure(cli(*args, cwd=tmp_path), str(tmp_path / "var" / "clopos.sqlite3"), "migrate")
    assert not (tmp_path / "var").exists()


def test_an_unmigrated_file_says_migrate(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite3").touch()
    env = {"CLOPOS_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    assert_short_failure(
        cli("brands", "list", cwd=tmp_path, env=env), "empty.sqlite3", "clopos-server migrate"
    )


def test_operator_mistakes_on_a_database(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    assert_short_failure(
        cli("export", "nosuchbrand", cwd=tmp_path, env=sqlite_env), "nosuchbrand", "brands list"
    )
    assert_short_failure(
        cli("users", "list", "--brand", "nope", cwd=tmp_path, env=sqlite_env), "nope", "openapitest"
    )
    no_user = cli(
        "clients", "create", "--brand", "openapitest", "--user", "nobody", cwd=tmp_path, env=sqlite_env
    )
    assert_short_failure(no_user, "nobody", "users list")
    bad_level = {**sqlite_env, "CLOPOS_LOG_LEVEL": "LOUD"}
    assert_short_failure(cli("brands", "list", cwd=tmp_path, env=bad_level), "CLOPOS_LOG_LEVEL")
    upper = cli("brands", "list", cwd=tmp_path, env={**sqlite_env, "CLOPOS_LOG_LEVEL": "INFO"})
    assert upper.returncode == 0 and "openapitest" in upper.stdout and upper.stderr == ""


def test_accounts_and_brands(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    brands = cli("brands", "list", cwd=tmp_path, env=sqlite_env)
    assert brands.returncode == 0 and "openapitest" in brands.stdout and "demo-other" in brands.stdout
    made = cli(
        "users", "create", "--brand", "openapitest", "--username", "night-shift", cwd=tmp_path, env=sqlite_env
    )
    assert made.returncode == 0 and "night-shift" in made.stdout, made.stderr
    again = cli(
        "users", "create", "--brand", "openapitest", "--username", "night-shift", cwd=tmp_path, env=sqlite_env
    )
    assert_short_failure(again, "already")
    by_name = cli(
        "clients", "create", "--brand", "openapitest", "--user", "night-shift", cwd=tmp_path, env=sqlite_env
    )
    assert by_name.returncode == 0 and "client_secret" in by_name.stdout, by_name.stderr
    by_id = cli("clients", "create", "--brand", "openapitest", "--user", "1", cwd=tmp_path, env=sqlite_env)
    assert by_id.returncode == 0, by_id.stderr
    clients = cli("clients", "list", "--brand", "openapitest", cwd=tmp_path, env=sqlite_env)
    assert clients.stdout.count("night-shift") == 1 and "secret" not in clients.stdout.lower()
    off = cli(
        "users", "disable", "--brand", "openapitest", "--user", "night-shift", cwd=tmp_path, env=sqlite_env
    )
    assert off.returncode == 0, off.stderr
    users = cli("users", "list", "--brand", "openapitest", cwd=tmp_path, env=sqlite_env)
    assert [line.split()[2] for line in users.stdout.splitlines() if "night-shift" in line] == ["no"]


def test_import_prints_a_summary_and_backup_copies(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    done = cli("import", str(DEMO_OTHER), cwd=tmp_path, env=sqlite_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("brand demo-other updated: created") and "ImportReport" not in done.stdout
    copy = tmp_path / "backup.sqlite3"
    assert cli("backup", str(copy), cwd=tmp_path, env=sqlite_env).returncode == 0
    env = {"CLOPOS_DATABASE_URL": f"sqlite:///{copy}"}
    assert "demo-other" in cli("brands", "list", cwd=tmp_path, env=env).stdout
    assert_short_failure(cli("backup", str(copy), cwd=tmp_path, env=sqlite_env), "exists")


def test_postgresql_mistakes(private_pg: PrivatePostgres, tmp_path: Path) -> None:
    missing = {"CLOPOS_DATABASE_URL": private_pg.plain_url("no_such_db")}
    assert_short_failure(cli("migrate", cwd=tmp_path, env=missing), "no_such_db", "createdb")
    unreachable = make_url(private_pg.plain_url()).set(port=1).render_as_string(hide_password=False)
    gone = cli("brands", "list", cwd=tmp_path, env={"CLOPOS_DATABASE_URL": unreachable})
    assert_short_failure(gone, "127.0.0.1:1", "running")
    assert_short_failure(cli("backup", str(tmp_path / "x"), cwd=tmp_path, env=missing), "pg_dump")
