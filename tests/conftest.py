"""Project-wide fixtures; helpers live in `support.py` (importable from every test)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
#: Grouping and worker-safe fixtures for `make test`'s two workers (pytest-xdist).
pytest_plugins = ["parallel"]
pytest.register_assert_rewrite("parallel")
from parallel import PACKAGES_LOCK, locked  # noqa: E402
from pipeline import MELTANO  # noqa: E402
from plugin_bytecode import install_plugins  # noqa: E402

#: Our taps start forked from a server that imported them once (scripts/tap_forkserver.py):
#: about 1 s of CPU less per tap process, several hundred of them per run. Set it to 0 to
#: exec every tap as the bench and production do.
os.environ.setdefault("OUTREACH_TAPS_PRELOADED", "1")


@pytest.fixture(scope="session")
def meltano_installed() -> Path:
    """Every Meltano plugin installed, its packages compiled (scripts/plugin_bytecode.py:
    otherwise each plugin process compiles its imports again); return the root. `make
    install` has done it already unless an input changed since (then it is done here)."""
    if not MELTANO.exists():
        pytest.fail("Meltano is not installed: run `make test`, which installs it first.")
    # One `meltano install` at a time: pytest-xdist workers share the project's .meltano.
    with locked(ROOT / ".meltano" / "install.lock"):
        try:
            install_plugins(ROOT, MELTANO, quiet=True)
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"meltano install failed:\n{(exc.stderr or '')[-3000:]}")
    return ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server installed and started by the project's own script (one per session,
    or per xdist worker, shared by tests/e2e, tests/analytics and tests/tenants, each in its own
    database or schemas)."""
    workdir = Path(tempfile.mkdtemp(prefix="outreach-pg-"))
    workdir.chmod(0o755)  # the server runs as the `postgres` user when tests run as root
    port = _free_port()
    script = ROOT / "scripts" / "postgres.sh"
    with locked(PACKAGES_LOCK):  # the script may apt-get install PostgreSQL
        result = subprocess.run(
            [str(script), "start", str(workdir / "pg"), str(port)], capture_output=True, text=True
        )
    assert result.returncode == 0, result.stderr
    yield result.stdout.strip().splitlines()[-1]
    subprocess.run([str(script), "stop", str(workdir / "pg")], check=False)
    shutil.rmtree(workdir, ignore_errors=True)
