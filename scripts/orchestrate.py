"""`make orchestrate`: Dagster's UI and daemon on 127.0.0.1 running tenants.yml against the sandbox.

Each tool's job has one partition per tenant: launch a partition, or a backfill of them all,
from the UI; the daemon's run queue runs `max_concurrent` tenants at once, one run per tenant.

Starts the sandbox (each tenant gets a sandbox credential of its own, in the environment
variables tenants.yml names), a throwaway PostgreSQL (scripts/postgres.sh) for the warehouse
and Meltano's system database, then `dagster dev` until Ctrl-C; everything it started is
stopped on exit. The tenants run in Meltano's `dev` environment.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import yaml
from pipeline import MELTANO, ROOT, SandboxProcess, meltano_env
from tenant_sandbox import sandbox_tenants

from outreach_orchestration import instance, tenants

DAGSTER = ROOT / ".venv-dagster" / "bin" / "dagster"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_group(process: subprocess.Popen) -> None:
    """Stop `dagster dev` and everything it started (webserver, daemon, code server): SIGINT,
    then SIGKILL if it has not exited within 20 s (its shutdown can wait on a child)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
    process.wait(timeout=10)


def main() -> int:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM too
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="UI port on 127.0.0.1")
    parser.add_argument("--tenants", type=Path, default=ROOT / "tenants.yml")
    args = parser.parse_args()
    registry = tenants.load(args.tenants)
    home = ROOT / ".dagster"
    home.mkdir(exist_ok=True)
    dev = yaml.safe_load(args.tenants.read_text())
    dev["defaults"] = {
        **(dev.get("defaults") or {}),
        "environment": "dev",
        "retry_delay_seconds": 5,
        "timeout_seconds": 600,
    }
    dev_file = home / "tenants.dev.yml"
    dev_file.write_text(yaml.safe_dump(dev, sort_keys=False))
    # The run queue: max_concurrent tenant runs at once, one per tenant (instance.py).
    instance.write(home, tenants.load(dev_file).policy)
    workdir = Path(tempfile.mkdtemp(prefix="orchestrate-pg-"))
    workdir.chmod(0o755)  # PostgreSQL runs as `postgres` when this runs as root
    script = ROOT / "scripts" / "postgres.sh"
    port = _free_port()
    started = subprocess.run(
        [str(script), "start", str(workdir / "pg"), str(port)], capture_output=True, text=True
    )
    if started.returncode != 0:
        print(f"orchestrate: PostgreSQL did not start: {started.stderr.strip()}", file=sys.stderr)
        return 1
    warehouse = started.stdout.strip().splitlines()[-1]
    try:
        with psycopg.connect(warehouse, autocommit=True) as con:
            con.execute("create database meltano_system")
        system = warehouse.rsplit("/", 1)[0].split("://", 1)[1] + "/meltano_system"
        with SandboxProcess(seed=7, scale=0.3, time_scale=60.0, rate_limits=True) as sandbox:
            creds = sandbox_tenants(tenants.load(dev_file))
            sandbox.client.configure(**creds.settings)
            env = {
                **os.environ,
                **meltano_env(sandbox.url),
                **creds.env,
                "MELTANO_DATABASE_URI": f"postgresql+psycopg://{system}",
                "TARGET_POSTGRES_HOST": "127.0.0.1",
                "TARGET_POSTGRES_PORT": str(port),
                "TENANTS_FILE": str(dev_file),
                "DAGSTER_HOME": str(home),
            }
            subprocess.run(
                [str(MELTANO), "upgrade", "database"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            print(
                f"sandbox {sandbox.url}; warehouse and Meltano system database on 127.0.0.1:"
                f"{port}; {len(registry.tenants)} tenants from {args.tenants}"
            )
            print(f"Dagster UI: http://127.0.0.1:{args.port} (Ctrl-C stops everything)")
            command = [str(DAGSTER), "dev", "-m", "outreach_orchestration.definitions"]
            command += ["-h", "127.0.0.1", "-p", str(args.port)]
            dagster = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
            try:
                dagster.wait()
            except KeyboardInterrupt:
                _stop_group(dagster)
    finally:
        subprocess.run([str(script), "stop", str(workdir / "pg")], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
