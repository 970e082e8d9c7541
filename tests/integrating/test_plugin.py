"""The pytest plugin as an integrator gets it: the wheel is built and installed in a fresh virtual
environment in a temporary directory, and a 3-test file outside the repository uses ``clopos_server``.

The fresh environment sees this environment's installed dependencies (a ``.pth`` line, as
``--system-site-packages`` would), so that nothing but the wheel is installed; the test checks that
``clopos_server`` is imported from the wheel, not from this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

INTEGRATION_TESTS = """
import uuid
from pathlib import Path

import clopos_server


def test_the_package_is_the_installed_wheel():
    assert Path(clopos_server.__file__).resolve().is_relative_to(Path(__import__("sys").prefix).resolve())


def test_create_an_order_and_accept_it(clopos_server):
    created = clopos_server.request("POST", "/orders", json=clopos_server.example())
    assert created.status == 201, created.body
    assert created.data["status"] == "PENDING"
    accepted = clopos_server.accept(created.data["id"])
    assert accepted["status"] == "RECEIVED" and accepted["receipt_id"]
    receipt = clopos_server.close_receipt(accepted["receipt_id"])
    assert receipt["status"] == 2


def test_survive_a_lost_answer_with_a_key(clopos_server):
    before = clopos_server.request("GET", "/orders?limit=100").body["total"]
    clopos_server.arm_fault("POST", "/orders", "lose_answer")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    lost = clopos_server.request("POST", "/orders", json=clopos_server.example(), headers=key)
    assert lost.status == 502
    retried = clopos_server.request("POST", "/orders", json=clopos_server.example(), headers=key)
    assert retried.status == 201
    assert clopos_server.request("GET", "/orders?limit=100").body["total"] == before + 1
    assert clopos_server.faults() == []
"""


def _build_wheel(workdir: Path) -> Path:
    """The wheel of this working tree, built from a copy (nothing written into the checkout)."""
    source = workdir / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    wheels = workdir / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(source)],
        check=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("clopos_server-*.whl")
    return wheel


@pytest.mark.slow(seconds=13)
def test_the_fixture_in_a_fresh_environment(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder().create(env_dir)  # no pip of its own (ensurepip: 2.6 s of CPU): this one installs
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    install = ["install", "--quiet", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *install],
        check=True,
        timeout=300,
    )
    project = tmp_path / "integration"
    project.mkdir()
    (project / "test_integration.py").write_text(INTEGRATION_TESTS, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CLOPOS_", "PYTEST_", "PYTHON"))}
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_integration.py"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout, done.stdout
