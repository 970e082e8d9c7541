"""A private PostgreSQL server for the fault tests: started from the installed binaries on a free port, as
the ``postgres`` user, in a temporary directory; stopped, frozen or held in recovery at will.

The shared server on 5432 is never touched: these tests stop and freeze theirs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.servers import free_port


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def unavailable_reason() -> str | None:
    """Why a private server cannot be started here, or None."""
    if _binaries() is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "starting a private PostgreSQL needs root and runuser (it runs as the postgres user)"
    return None


class PrivatePostgres:
    def __init__(self, max_connections: int = 60) -> None:
        self.bin = _binaries()
        assert self.bin is not None
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="clopos-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.max_connections = max_connections
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def plain_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, tool: str, *args: str) -> None:
        assert self.bin is not None
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )

    def start(self, *, wait: bool = True) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c max_connections={self.max_connections} -c superuser_reserved_connections=1"
        )
        self._as_postgres(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.log),
            "-w" if wait else "-W",
            "start",
        )

    def stop(self) -> None:
        self.thaw()
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def hold_in_recovery(self) -> None:
        """Restart as a standby with hot standby off: every connection is refused with "the database
        system is not accepting connections" (57P03), as while a server starts up after a crash."""
        self.stop()
        (self.data / "standby.signal").touch()
        shutil.chown(self.data / "standby.signal", "postgres", "postgres")
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.write("hot_standby = off\n")
        self.start(wait=False)
        time.sleep(0.5)

    def leave_recovery(self) -> None:
        self.stop()
        (self.data / "standby.signal").unlink()
        conf = self.data / "postgresql.auto.conf"
        conf.write_text(conf.read_text().replace("hot_standby = off\n", ""))
        self.start()

    def _pids(self) -> list[int]:
        """The postmaster and every process it started."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        pids = [postmaster]
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(stat.split("/")[2]))
        return pids

    def freeze(self) -> None:
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._signal(signal.SIGCONT)

    def _signal(self, signum: int) -> None:
        """``signum`` to the postmaster and its children; a child that exited since it was listed needs
        none (a stop's thaw once failed on one with ProcessLookupError and left the server in recovery
        for the next tests)."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def destroy(self) -> None:
        try:
            self.stop()
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
