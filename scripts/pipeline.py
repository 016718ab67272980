"""Shared by `make demo` and the end-to-end tests: sandbox process, Meltano env, checks."""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import project_streams

from outreach_sandbox import (
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
)

ROOT = project_streams.ROOT
#: Re-exported for demo.py, bench.py and the tests: the taps and their selected streams.
TAPS = project_streams.TAPS
DEFAULT_STREAMS = project_streams.DEFAULT_STREAMS
VENV_BIN = ROOT / ".venv" / "bin"
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
#: The sandbox's default credentials (docs/sandbox-contract.md), as Meltano env settings.
SANDBOX_CREDENTIALS = {
    "TAP_SALESBLINK_API_KEY": DEFAULT_SALESBLINK_KEYS[0],
    "TAP_SALESFLOW_ACCOUNTS": json.dumps(
        [{"account_id": a, "token": token} for a, token in DEFAULT_SALESFLOW_ACCOUNTS.items()]
    ),
    "TAP_SALESROCKS_USERNAME": next(iter(DEFAULT_SALESROCKS_USERS)),
    "TAP_SALESROCKS_PASSWORD": next(iter(DEFAULT_SALESROCKS_USERS.values())),
}


def meltano_env(sandbox_url: str) -> dict[str, str]:
    """Environment for `meltano --environment=dev` against a running sandbox."""
    return {
        **SANDBOX_CREDENTIALS,
        "SANDBOX_URL": sandbox_url,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DISABLE_TRACKING": "true",
    }


class SandboxProcess:
    """The sandbox as a child process on an ephemeral loopback port, stopped on exit."""

    def __init__(
        self,
        *,
        seed: int = 7,
        scale: float = 1.0,
        time_scale: float = 60.0,
        rate_limits: bool = True,
        latency_ms: float = 0.0,
    ) -> None:
        self.args = [
            "--seed",
            str(seed),
            "--scale",
            str(scale),
            "--time-scale",
            str(time_scale),
            "--latency-ms",
            str(latency_ms),
            "--rate-limits" if rate_limits else "--no-rate-limits",
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> SandboxProcess:
        port_file = Path(tempfile.mkdtemp(prefix="sandbox-")) / "port"
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "outreach-sandbox"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--port-file",
                str(port_file),
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180  # large scales take a while to generate
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "the sandbox did not start; run `outreach-sandbox serve` to see why"
                )
            time.sleep(0.05)
        time.sleep(0.05)
        self.url = f"http://127.0.0.1:{int(port_file.read_text().strip())}"
        return self

    @property
    def client(self):
        from outreach_sandbox import SandboxClient

        return SandboxClient(self.url)

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class TableCheck:
    vendor: str
    stream: str
    landed: int  # live rows
    distinct: int
    served: int
    expected: int
    retired: int = 0  # rows a loader retired (`_sdc_deleted_at` set): the source deleted them

    @property
    def ok(self) -> bool:
        return self.landed == self.distinct == self.served == self.expected


def compare_warehouse(path: Path, client, primary_keys: dict | None = None) -> list[TableCheck]:
    """Live and retired rows per table in DuckDB against what the sandbox served and expects.

    A row is retired when a loader honouring ACTIVATE_VERSION set its `_sdc_deleted_at`; a
    table without that column (a loader that ignores deletes) has every row live.
    """
    import duckdb

    served = client.served()
    checks = []
    with duckdb.connect(str(path), read_only=True) as con:
        for vendor, streams in DEFAULT_STREAMS.items():
            schema = f"tap_{vendor}"
            for stream in streams:
                landed = distinct = retired = 0
                try:
                    table = f'"{schema}"."{stream}"'
                    live = "true"
                    if _has_column(con, schema, stream, "_sdc_deleted_at"):
                        live = '"_sdc_deleted_at" is null'
                        retired = con.execute(
                            f"select count(*) from {table} where not ({live})"
                        ).fetchone()[0]
                    landed = con.execute(f"select count(*) from {table} where {live}").fetchone()[0]
                    keys = (primary_keys or {}).get((vendor, stream))
                    if keys:
                        cols = ", ".join(f'"{k}"' for k in keys)
                        distinct = con.execute(
                            f"select count(*) from (select distinct {cols} from {table} "
                            f"where {live})"
                        ).fetchone()[0]
                    else:
                        distinct = landed
                except duckdb.CatalogException:
                    pass
                expected = client.expected(vendor, stream)["count"]
                served_count = served.get(vendor, {}).get(stream, 0)
                checks.append(
                    TableCheck(vendor, stream, landed, distinct, served_count, expected, retired)
                )
    return checks


def _has_column(con, schema: str, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = ? and table_name = ? and column_name = ?",
            [schema, table, column],
        ).fetchone()[0]
    )


def print_summary(checks: list[TableCheck], title: str) -> bool:
    """Print one line per table; return True when every table matches."""
    print(f"\n{title}")
    header = f"{'table':<34} {'live':>8} {'retired':>8} {'served':>8} {'expected':>9}  status"
    print(header)
    print("-" * len(header))
    for c in checks:
        status = "ok" if c.ok else "MISMATCH"
        name = f"tap_{c.vendor}.{c.stream}"
        print(f"{name:<34} {c.landed:>8} {c.retired:>8} {c.served:>8} {c.expected:>9}  {status}")
    total = sum(c.landed for c in checks)
    bad = [c for c in checks if not c.ok]
    print("-" * len(header))
    retired = sum(c.retired for c in checks)
    print(
        f"{len(checks)} tables, {total} rows live, {retired} retired (deleted at the source), "
        f"{len(bad)} mismatched",
        flush=True,
    )
    return not bad
