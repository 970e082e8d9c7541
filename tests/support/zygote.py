"""Server processes forked from one that has imported the server already, instead of new interpreters.

A test's server process (``clopos-server serve``, tests/support/servers.py) spent most of its CPU importing
the app: about 1.2 s per start on the machine of 2026-12-06, three quarters of it in imports (a py-spy
profile of tests/board, whose every browser test starts one), and a run of the suite starts 86 (four workers).
Each worker therefore keeps one *zygote*: a process started once (``python -m tests.support.zygote``) that
imports the server's modules, creates no thread, loop or connection, and then forks each server on request.
The fork runs ``clopos_server.cli`` as ``python -m clopos_server.cli serve ...`` would (``runpy``, so
``__main__`` is the CLI), with the environment and stderr file it was given: a separate process, with its
own pid, sockets and database pool, that a test can SIGTERM or SIGKILL.

The server must be the worker's own child, so that the worker can wait for it and read its exit status
as with ``subprocess.Popen`` (and so that its CPU lands in the worker's ``os.times``, as the CPU log
expects). The zygote forks twice: the middle process exits at once, and its child, orphaned, is adopted
by the nearest ancestor marked as a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``): the worker,
which sets the mark only for the moment of the request.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

PR_SET_CHILD_SUBREAPER = 36


class ForkedProcess:
    """What the server tests use of ``subprocess.Popen`` (``pid``, ``returncode``, ``poll``, ``wait``,
    ``send_signal``, ``kill``), for a child the worker adopted."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            time.sleep(0.01)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _set_subreaper(on: bool) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


class Zygote:
    """The worker's side: starts the zygote on first use and asks it for servers, one at a time. The
    zygote ends with the worker (its loop ends when its input does)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            root = Path(__file__).resolve().parents[2]  # where ``tests`` is importable from
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.zygote"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=root,
            )
        return self._process

    def spawn(self, args: list[str], env: dict[str, str], stderr_path: Path) -> ForkedProcess:
        """A server process running ``clopos_server.cli`` with ``args``, ``env`` as its whole environment
        and its stderr appended to ``stderr_path``; stdin and stdout are /dev/null."""
        request = {"args": args, "env": env, "stderr": str(stderr_path), "cwd": os.getcwd()}
        with self._lock:
            zygote = self._started()
            assert zygote.stdin is not None and zygote.stdout is not None
            _set_subreaper(True)
            try:
                zygote.stdin.write(json.dumps(request).encode() + b"\n")
                zygote.stdin.flush()
                answer = zygote.stdout.readline()
            finally:
                _set_subreaper(False)
        if not answer:
            raise RuntimeError(f"the server zygote exited ({zygote.poll()})")
        return ForkedProcess(int(json.loads(answer)["pid"]))


def _serve(request: dict[str, Any]) -> None:
    """In the forked server: become ``python -m clopos_server.cli <args>`` and exit as it would."""
    import atexit
    import logging
    import runpy

    null = os.open(os.devnull, os.O_RDWR)
    log = os.open(request["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["clopos_server.cli", *request["args"]]
    code: int | str | None = 0
    try:
        runpy.run_module("clopos_server.cli", run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:  # said on stderr, as the interpreter would, then exit 1
        import traceback

        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def _fork_server(request: dict[str, Any]) -> int:
    """Fork twice (module docstring); the server's pid."""
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        server = os.fork()
        if server == 0:
            os.close(write_end)
            _serve(request)
        os.write(write_end, str(server).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        pid = int(pipe.read())
    os.waitpid(middle, 0)  # the server is orphaned now, and adopted by the worker
    return pid


def main() -> None:
    """Import what ``serve`` imports, then fork a server for each request line, until stdin ends."""
    import clopos_server
    import clopos_server.app
    import clopos_server.cli
    import clopos_server.serving

    # What ``python -m`` finds: the CLI's imports done, the CLI itself not yet a module (runpy warns on
    # stderr otherwise, and a test reads every line there as JSON).
    del sys.modules["clopos_server.cli"]
    delattr(clopos_server, "cli")
    assert threading.active_count() == 1, "the zygote must fork without other threads"
    for line in sys.stdin.buffer:
        pid = _fork_server(json.loads(line))
        sys.stdout.buffer.write(json.dumps({"pid": pid}).encode() + b"\n")
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
