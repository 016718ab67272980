"""End-to-end fixtures: the sandbox and PostgreSQL as real servers, Meltano as the runner.

The module gets its own sandbox process and Meltano system database (so stored state never
leaks into the developer's `.meltano/meltano.db`); PostgreSQL (`postgres_url`, in
tests/conftest.py) is started once per session and shared with tests/analytics.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from parallel import meltano_sys_dir
from pipeline import MELTANO, ROOT, SANDBOX_CREDENTIALS, SandboxProcess, meltano_env
from support import run_tap


class MeltanoProject:
    """Runs `meltano --environment=dev ...` with an isolated state database and warehouses."""

    def __init__(self, sandbox_url: str, workdir: Path, postgres_url: str):
        self.workdir = workdir
        self.duckdb_path = workdir / "warehouse.duckdb"
        self.postgres_url = postgres_url
        port = postgres_url.rsplit(":", 1)[1].split("/")[0]
        self.env = {
            **os.environ,
            **meltano_env(sandbox_url),
            **meltano_sys_dir(ROOT, workdir),
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "TARGET_DUCKDB_FILEPATH": str(self.duckdb_path),
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": port,
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(MELTANO), "--environment=dev", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, f"meltano {' '.join(args)} failed:\n{result.stderr[-6000:]}"
        return result


@pytest.fixture(scope="module")
def sandbox(meltano_installed):
    with SandboxProcess(seed=11, scale=1.0, time_scale=60.0, rate_limits=True) as process:
        yield process


@pytest.fixture(scope="module")
def project(sandbox, postgres_url, tmp_path_factory):
    return MeltanoProject(sandbox.url, tmp_path_factory.mktemp("meltano"), postgres_url)


@pytest.fixture(scope="session")
def catalogs() -> dict[tuple[str, str], dict]:
    """(vendor, stream) -> {"keys": key properties, "timestamps": date-time properties},
    from each tap's own catalog (--discover)."""
    configs = {
        "salesblink": {"api_key": SANDBOX_CREDENTIALS["TAP_SALESBLINK_API_KEY"]},
        "salesflow": {"accounts": json.loads(SANDBOX_CREDENTIALS["TAP_SALESFLOW_ACCOUNTS"])},
        "salesrocks": {
            "username": SANDBOX_CREDENTIALS["TAP_SALESROCKS_USERNAME"],
            "password": SANDBOX_CREDENTIALS["TAP_SALESROCKS_PASSWORD"],
            "campaign_ids": [101],
        },
    }
    found: dict[tuple[str, str], dict] = {}
    for vendor, config in configs.items():
        # run_tap: forked from a preloaded server in the tests (scripts/tap_forkserver.py).
        out = run_tap(f"tap-{vendor}", config, args=("--discover",))
        assert out.returncode == 0, out.stderr[-3000:]
        for entry in json.loads(out.stdout)["streams"]:
            properties = entry["schema"]["properties"]
            found[(vendor, entry["tap_stream_id"])] = {
                "keys": list(entry.get("key_properties") or []),
                "timestamps": [
                    name for name, prop in properties.items() if prop.get("format") == "date-time"
                ],
            }
    return found
