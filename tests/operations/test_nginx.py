"""deploy/nginx/clopos.conf as shipped, run by nginx (when installed) in front of a real server: TLS ends
at nginx, the board's cookie is Secure, the board's live stream is not buffered, and the server sees the
client's address from X-Forwarded-For (CLOPOS_TRUSTED_PROXIES=127.0.0.1)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import example
from tests.support.board import SseReader, create_order, sign_in
from tests.support.servers import ServerProcess, free_port, running_servers

pytestmark = pytest.mark.slow

SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "clopos.conf"


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "pos.pem", folder / "pos.key"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        ["openssl", *request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def _config(folder: Path, upstream_port: int, port: int) -> Path:
    """The shipped snippet with this test's ports and certificate, inside a minimal nginx.conf."""
    cert, key = _certificate(folder)
    snippet = (
        SHIPPED.read_text()
        .replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
        .replace("listen 443 ssl", f"listen 127.0.0.1:{port} ssl")
        .replace("/etc/ssl/certs/pos.example.com.pem", str(cert))
        .replace("/etc/ssl/private/pos.example.com.key", str(key))
    )
    config = folder / "nginx.conf"
    config.write_text(
        f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\naccess_log {folder / 'access.log'};\nclient_body_temp_path {folder};\n"
        f"proxy_temp_path {folder};\n{snippet}\n}}\n"
    )
    return config


@pytest.fixture
def behind_nginx(db_url: str, tmp_path: Path) -> Iterator[tuple[str, ServerProcess]]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None or shutil.which("openssl") is None:
        pytest.skip("nginx (and openssl) not installed: deploy/nginx/clopos.conf untested here")
    if not db_url.startswith("sqlite"):
        pytest.skip("what nginx does does not depend on the database")
    env = {"CLOPOS_TRUSTED_PROXIES": "127.0.0.1", "CLOPOS_LOG_LEVEL": "info"}
    with running_servers(db_url, extra_env=env) as [server]:
        port = free_port()
        config = _config(tmp_path, int(server.base_url.rsplit(":", 1)[1]), port)
        process = subprocess.Popen([nginx, "-c", str(config), "-e", str(tmp_path / "error.log")])
        try:
            base = f"https://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(f"{base}/healthz", verify=False, timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            yield base, server
        finally:
            process.terminate()
            process.wait(10)


async def test_the_shipped_nginx_snippet(behind_nginx: tuple[str, ServerProcess]) -> None:
    base, server = behind_nginx
    async with httpx.AsyncClient(base_url=base, verify=False, timeout=httpx.Timeout(10, read=30)) as http:
        login = await http.get("/board/login")
        assert login.status_code == 200
        assert all("secure" in c.lower().split("; ") for c in login.headers.get_list("set-cookie"))
        assert (await sign_in(http)).status_code == 303
        async with http.stream("GET", "/board/events?venue=1") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = SseReader(stream.aiter_lines())
            await asyncio.wait_for(reader.comment("connected"), 5)  # not held in nginx's buffer
            order = await create_order(http, base, example("create-order.v1.request.json"))
            while True:
                event = await asyncio.wait_for(reader.next(), 5)
                if event.event == "order" and event.json()["id"] == order["id"]:
                    break
        assert (await http.get("/metrics")).status_code == 200  # allowed from this machine only
        # nginx appends its peer (this machine, trusted here) to what the client sent
        await http.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    server.stop()  # every line written
    stderr = server.log()
    assert '"path":"/healthz","route":"/healthz","status":200,"ms"' in stderr
    assert '"client":"203.0.113.9"' in stderr
