"""Six tenants of three tools through Dagster into one PostgreSQL, state shared there too.

PostgreSQL (scripts/postgres.sh) holds the warehouse and Meltano's system database; the
sandbox gives each tenant its own credential and so its own workspace. Each tenant is a
partition of its tool's Dagster job: `dagster job backfill` submits one run per tenant to
the instance's run queue (QueuedRunCoordinator, 3 runs at a time, 1 per tenant tag), and
`dagster-daemon` launches each run in a process of its own (through the one code server
both read the definitions from, as under `dagster dev`). The checks: exact rows per
tenant against the sandbox's per-workspace ground truth, one state id per tenant, an
incremental re-run per tenant, one tenant's failure (a revoked password, retried once)
leaving the others complete, two runs of one tenant submitted at the same instant run one
after the other (the queue, not Meltano, holds the second), and a run started outside
Dagster while one runs refused by Meltano's guard in the shared system database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
import yaml
from pipeline import DEFAULT_STREAMS, MELTANO, ROOT, SandboxProcess, meltano_env
from tenant_sandbox import sandbox_tenants

from outreach_orchestration import instance, runner, tenants

DAGSTER = ROOT / ".venv-dagster" / "bin" / "dagster"
DAEMON = ROOT / ".venv-dagster" / "bin" / "dagster-daemon"
MODULE = "outreach_orchestration.definitions"
DONE = {"SUCCESS", "FAILURE", "CANCELED"}
TENANTS = [
    ("blink-a", "salesblink"),
    ("blink-b", "salesblink"),
    ("blink-c", "salesblink"),
    ("flow-a", "salesflow"),
    ("rocks-a", "salesrocks"),
    ("rocks-revoked", "salesrocks"),
]
FAILING = "rocks-revoked"
COUNTS = {
    "salesblink.lists": 3,
    "salesblink.leads_per_list": 5,
    "salesblink.sequences": 2,
    "salesblink.users": 2,
    "salesblink.sent": 90,
    "salesblink.opens": 20,
    "salesblink.clicks": 8,
    "salesblink.replies": 6,
    "salesflow.campaigns": 2,
    "salesflow.members": 6,
    "salesflow.webhooks": 2,
    "salesflow.messages": 12,
    "salesrocks.lists": 2,
    "salesrocks.rows_per_list": 6,
}
#: One stream per tool whose keys are compared exactly (not only counted), and its key.
KEYED = {
    "salesblink": ("lists", "id"),
    "salesflow": ("campaigns", 'account_id, "Id"'),
    "salesrocks": ("lists", "uuid"),
}
#: 2026-10-01T00:00:00Z in ms: every incremental feed request starts after it.
BOOKMARKED_AFTER_MS = 1_790_812_800_000
#: Its wall time hardly depends on load (the queue's polling, runs one after the other): it
#: starts first on `make test`'s workers (tests/parallel.py), so the rest runs beside it.
pytestmark = [pytest.mark.timeout(900), pytest.mark.long(seconds=230)]


def _tenants_yml(path: Path) -> Path:
    entries = []
    for name, tool in TENANTS:
        required = tenants.TOOLS[tool][1]
        slug = name.upper().replace("-", "_")
        entries.append(
            {
                "name": name,
                "tool": tool,
                "credentials": {s: f"{slug}_{s.upper()}" for s in required},
            }
        )
    defaults = {
        "loader": "target-postgres",
        "environment": "dev",
        "max_concurrent": 3,
        "timeout_seconds": 420,  # generous: a busy 2-core machine runs a tenant in 40-95 s
        "retries": 1,
        "retry_delay_seconds": 0,
    }
    path.write_text(yaml.safe_dump({"defaults": defaults, "tenants": entries}))
    return path


class Deployment:
    """The sandbox, the system database and the environment every Dagster worker gets."""

    def __init__(self, sandbox: SandboxProcess, postgres_url: str, workdir: Path) -> None:
        self.sandbox = sandbox
        self.client = sandbox.client
        self.registry = tenants.load(_tenants_yml(workdir / "tenants.yml"))
        creds = sandbox_tenants(self.registry, wrong=frozenset({FAILING}))
        self.client.reset(counts=COUNTS)
        self.client.configure(**creds.settings)
        self.workspace = creds.workspace
        self.secrets = [v for k, v in creds.env.items() if not k.endswith("ACCOUNT_ID")]
        port = postgres_url.rsplit(":", 1)[1].split("/")[0]
        # Databases of their own: other suites load single-tenant tables into the default one.
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute("create database meltano_system")
            con.execute("create database tenants_warehouse")
        self.system_url = postgres_url.rsplit("/", 1)[0] + "/meltano_system"
        self.warehouse_url = postgres_url.rsplit("/", 1)[0] + "/tenants_warehouse"
        self.home = workdir / "dagster"
        self.code_server: subprocess.Popen[bytes] | None = None
        self.daemon: subprocess.Popen[bytes] | None = None
        instance.write(self.home, self.registry.policy, dequeue_interval_seconds=1)
        self.env = {
            **os.environ,
            **meltano_env(sandbox.url),
            **creds.env,
            "MELTANO_DATABASE_URI": "postgresql+psycopg://" + self.system_url.split("://", 1)[1],
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": port,
            "TARGET_POSTGRES_DATABASE": "tenants_warehouse",
            "TENANTS_FILE": str(self.registry.path),
            "DAGSTER_HOME": str(self.home),
        }
        upgrade = subprocess.run(
            [str(MELTANO), "upgrade", "database"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert upgrade.returncode == 0, upgrade.stderr[-3000:]

    def backfill(self, tool: str, partitions: str = "--all") -> subprocess.Popen[str]:
        """Submit one run per tenant (partition) of the tool's job to the run queue."""
        chosen = ["--all", "TRUE"] if partitions == "--all" else ["--partitions", partitions]
        command = [str(DAGSTER), "job", "backfill", "-w", str(self.workspace_file)]
        command += ["-j", f"{tool}_tenants"]
        return subprocess.Popen(
            [*command, "--noprompt", *chosen],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def submit(self, *backfills: subprocess.Popen[str]) -> None:
        for process in backfills:
            output, _ = process.communicate(timeout=180)
            assert process.returncode == 0, output[-3000:]

    def dagster_runs(self, job: str | None = None) -> list[dict]:
        """Dagster's runs (its SQLite run storage under DAGSTER_HOME), oldest first."""
        with contextlib.closing(sqlite3.connect(self.home / "history" / "runs.db")) as con:
            rows = con.execute(
                "select run_id, pipeline_name, status, partition, create_timestamp, start_time,"
                " end_time from runs order by create_timestamp, run_id"
            ).fetchall()
        keys = ("run_id", "job", "status", "tenant", "created", "started", "ended")
        runs = [dict(zip(keys, row, strict=True)) for row in rows]
        for run in runs:  # create_timestamp is naive UTC text; start/end are epoch seconds
            created = dt.datetime.fromisoformat(run["created"]).replace(tzinfo=dt.timezone.utc)
            run["created"] = created.timestamp()
        return [r for r in runs if job is None or r["job"] == job]

    def wait(self, count: int, timeout: float = 840) -> list[dict]:
        """Wait until `count` runs exist and all have finished; return them."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.dagster_runs()
            if len(runs) >= count and all(r["status"] in DONE for r in runs):
                break
            assert time.monotonic() < deadline, runs
            assert self.daemon.poll() is None, self.daemon_log.read_text()[-3000:]
            assert self.code_server.poll() is None, self.code_server_log.read_text()[-3000:]
            time.sleep(1)
        self.check_no_secret_written()
        return runs

    def check_no_secret_written(self) -> None:
        """No tenant credential in any file Dagster wrote (event logs, compute logs,
        run storage) nor in the daemon's or the code server's output."""
        files = [p for p in self.home.rglob("*") if p.is_file()]
        files += [self.daemon_log, self.code_server_log]
        for path in files:
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # SQLite's -wal and -journal files come and go
                continue
            for secret in self.secrets:
                assert secret.encode() not in data, f"a tenant credential reached {path.name}"

    def start_daemon(self, workdir: Path) -> None:
        """The code server, then the daemon and every `dagster` command reading the code
        from it (a workspace file, as `dagster dev` does): a daemon given the module
        itself starts a code server of its own and replaces it every minute, and each
        backfill command another (~4 CPU-s each)."""
        # The instance's SQLite storage is created before anything else opens it: the daemon
        # and a backfill command creating it at the same instant collide ("table
        # bulk_actions already exists").
        migrate = subprocess.run(
            [str(DAGSTER), "instance", "migrate"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
        socket_path = workdir / "code.sock"
        self.code_server_log = workdir / "code-server.log"
        serve = [str(DAGSTER), "api", "grpc", "-m", MODULE, "--location-name", MODULE]
        with self.code_server_log.open("w") as log:
            self.code_server = subprocess.Popen(
                [*serve, "--socket", str(socket_path), "--log-level", "warning"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for_socket(socket_path, self.code_server, self.code_server_log)
        self.workspace_file = workdir / "workspace.yaml"
        location = {"socket": str(socket_path), "location_name": MODULE}
        self.workspace_file.write_text(yaml.safe_dump({"load_from": [{"grpc_server": location}]}))
        self.daemon_log = workdir / "daemon.log"
        with self.daemon_log.open("w") as log:
            self.daemon = subprocess.Popen(
                [str(DAEMON), "run", "-w", str(self.workspace_file)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop_daemon(self) -> None:
        """The daemon (SIGINT, then SIGKILL), then the code server and any run still going
        (its children) at once: it ignores SIGINT and SIGTERM for 20 s and more, and every
        run the tests started has ended by now (they wait for them)."""
        if self.daemon is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.daemon.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.daemon.wait(timeout=30)
        for process in (self.daemon, self.code_server):
            if process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def system(self, sql: str, *args: object) -> list[tuple]:
        with psycopg.connect(self.system_url) as con:
            return con.execute(sql, args).fetchall()

    def runs(self, name: str) -> list[tuple]:
        tool = dict(TENANTS)[name]
        state_id = runner.state_id(self.registry.get(name), self.registry.policy)
        assert state_id == f"dev:tap-{tool}-to-target-postgres:{name}"
        return self.system(
            "select state, started_at, ended_at from runs where job_name = %s order by id",
            state_id,
        )

    def check_rows(self, name: str) -> None:
        """Every stream of the tenant holds exactly the rows of its sandbox workspace."""
        tool = dict(TENANTS)[name]
        with psycopg.connect(self.warehouse_url) as con:
            for stream in DEFAULT_STREAMS[tool]:
                expected = self.client.expected(tool, stream, self.workspace[name])
                table = f"tap_{tool}.{stream}"
                landed = con.execute(
                    f"select count(*) from {table} where tenant = %s", (name,)
                ).fetchone()[0]
                assert landed == expected["count"], (name, stream, landed, expected["count"])
            stream, key = KEYED[tool]
            keys = con.execute(
                f"select {key} from tap_{tool}.{stream} where tenant = %s", (name,)
            ).fetchall()
        truth = self.client.expected(tool, stream, self.workspace[name])["keys"]
        as_rows = sorted(tuple(k) if isinstance(k, list) else (k,) for k in truth)
        assert sorted(tuple(str(v) for v in row) for row in keys) == [
            tuple(str(v) for v in row) for row in as_rows
        ]


@pytest.fixture(scope="module")
def deployment(meltano_installed, postgres_url, tmp_path_factory):
    if not DAEMON.exists():
        pytest.fail("Dagster is not installed: run `make install` (it creates .venv-dagster).")
    workdir = tmp_path_factory.mktemp("tenants")
    with SandboxProcess(seed=23, scale=1.0, time_scale=60.0, rate_limits=False) as sandbox:
        deployment = Deployment(sandbox, postgres_url, workdir)
        try:
            deployment.start_daemon(workdir)
            yield deployment
        finally:
            deployment.stop_daemon()


@pytest.fixture(scope="module")
def first_sync(deployment):
    """Every tenant once: Salesblink's three alone (3 runs at a time), then the others."""
    deployment.submit(deployment.backfill("salesblink"))
    deployment.wait(3)
    deployment.submit(deployment.backfill("salesflow"), deployment.backfill("salesrocks"))
    return {r["tenant"]: r for r in deployment.wait(len(TENANTS))}


def test_every_tenant_lands_exactly_its_rows(deployment, first_sync):
    assert sorted(first_sync) == sorted(name for name, _tool in TENANTS)
    for name, _tool in TENANTS:
        if name != FAILING:
            assert first_sync[name]["status"] == "SUCCESS", (name, first_sync[name])
            deployment.check_rows(name)
    # Tenants share tables; nothing landed without a tenant or from the failing one.
    with psycopg.connect(deployment.warehouse_url) as con:
        for tool, streams in DEFAULT_STREAMS.items():
            for stream in streams:
                rows = con.execute(
                    f"select tenant, count(*) from tap_{tool}.{stream} group by tenant"
                ).fetchall()
                names = {n for n, t in TENANTS if t == tool and n != FAILING}
                assert {r[0] for r in rows} == names, (tool, stream, rows)


def test_one_state_id_per_tenant(deployment, first_sync):
    state_ids = {row[0] for row in deployment.system("select state_id from state")}
    good = {
        runner.state_id(x, deployment.registry.policy)
        for x in deployment.registry.tenants
        if x.name != FAILING
    }
    assert good <= state_ids
    assert state_ids - good <= {
        runner.state_id(deployment.registry.get(FAILING), deployment.registry.policy)
    }
    for name, _tool in TENANTS:
        if name != FAILING:
            assert [r[0] for r in deployment.runs(name)] == ["SUCCESS"], name


def test_tenants_ran_three_at_a_time(deployment, first_sync):
    """The engine ran the three SalesBlink tenants at once: their Dagster runs (each a
    process of its own, from start to end) overlap. Meltano's own spans inside them are
    too short on a busy machine to be sure to overlap, so they are not what is compared."""
    blink = ("blink-a", "blink-b", "blink-c")
    spans = [(first_sync[n]["started"], first_sync[n]["ended"]) for n in blink]
    assert all(start is not None and end is not None for start, end in spans), spans
    most = max(sum(1 for s, e in spans if s <= moment < e) for moment, _ in spans)
    assert most == 3, spans
    assert all(len(deployment.runs(n)) == 1 for n in blink)  # one Meltano run each


def test_failing_tenant_is_retried_and_leaves_the_others_complete(deployment, first_sync):
    assert first_sync[FAILING]["status"] == "FAILURE"  # its own run fails...
    assert [r[0] for r in deployment.runs(FAILING)] == ["FAIL", "FAIL"]  # retried once
    assert first_sync["rocks-a"]["status"] == "SUCCESS"  # ...the other tenant's run does not
    deployment.check_rows("rocks-a")


def test_incremental_rerun_per_tenant(deployment, first_sync):
    client = deployment.client
    before = {
        n: client.expected("salesblink", "sent", deployment.workspace[n])["count"]
        for n in ("blink-a", "blink-b", "blink-c")
    }
    bookmarks = {n: _state(deployment, n) for n in before}
    client.advance(seconds=5 * 86_400)  # a day per sent event: 5 new ones
    client.clear_requests()
    already = len(deployment.dagster_runs())
    deployment.submit(deployment.backfill("salesblink"))
    again = deployment.wait(already + 3)[already:]
    assert [r["status"] for r in again] == ["SUCCESS"] * 3, again
    for name, count in before.items():
        assert client.expected("salesblink", "sent", deployment.workspace[name])["count"] > count
        deployment.check_rows(name)
        assert [r[0] for r in deployment.runs(name)] == ["SUCCESS", "SUCCESS"]
        assert _state(deployment, name) != bookmarks[name]
    # Each tenant's feeds were read from its bookmark (the sandbox's history ends on
    # 2026-11-01), not from start_date (2026-08-01) again.
    starts = [e["query"].get("from") for e in client.requests() if e["path"].endswith("/sent")]
    assert len(starts) >= 3 and None not in starts
    assert min(int(s) for s in starts) >= BOOKMARKED_AFTER_MS, starts


def test_two_runs_of_a_tenant_at_once_run_one_after_the_other(deployment, first_sync):
    """The race Meltano's guard cannot close (both runs checking before either is recorded)
    never starts: the run queue launches one run per tenant tag, the other waits."""
    name = "flow-a"
    meltano_before = len(deployment.runs(name))
    already = len(deployment.dagster_runs())
    both = [deployment.backfill("salesflow", name), deployment.backfill("salesflow", name)]
    deployment.submit(*both)
    first, second = deployment.wait(already + 2)[already:]
    assert first["tenant"] == second["tenant"] == name
    assert first["status"] == second["status"] == "SUCCESS", (first, second)
    # Both were waiting together (the second was submitted before the first ended)...
    assert second["created"] < first["ended"], (first, second)
    # ...yet the second started only after the first had ended: never two at once.
    assert second["started"] >= first["ended"], (first, second)
    spans = deployment.runs(name)[meltano_before:]
    assert [r[0] for r in spans] == ["SUCCESS", "SUCCESS"]
    assert spans[1][1] >= spans[0][2], spans  # the tap ran once at a time
    deployment.check_rows(name)


def test_second_concurrent_run_of_a_tenant_is_refused(deployment, first_sync):
    client = deployment.client
    tenant = deployment.registry.get("flow-a")
    environ = {k: v for k, v in deployment.env.items() if k != "DAGSTER_HOME"}
    meltano_before = len(deployment.runs("flow-a"))
    client.configure(latency_ms=150)  # the first run stays in flight long enough
    first: list[runner.RunResult] = []
    thread = threading.Thread(
        target=lambda: first.append(
            runner.run_tenant(tenant, deployment.registry, environ=environ, root=ROOT)
        )
    )
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not [r for r in deployment.runs("flow-a") if r[0] == "RUNNING"]:
            assert time.monotonic() < deadline and thread.is_alive(), "first run never started"
            time.sleep(0.2)
        second = runner.run_tenant(tenant, deployment.registry, environ=environ, root=ROOT)
    finally:
        thread.join(timeout=300)
        client.configure(latency_ms=0)
    assert second.returncode not in (0, None)
    assert second.refused_as_running, second.output[-3000:]
    assert "refused" in second.summary()
    assert first and first[0].ok, first[0].output[-3000:] if first else "no result"
    assert [r[0] for r in deployment.runs("flow-a")[meltano_before:]] == ["SUCCESS"]
    deployment.check_rows("flow-a")


def _wait_for_socket(path: Path, server: subprocess.Popen, log: Path) -> None:
    """Until the code server accepts connections on `path` (it loads the code first)."""
    deadline = time.monotonic() + 120
    while True:
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as client:
            client.connect(str(path))
            return
        assert server.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the code server never listened"
        time.sleep(0.2)


def _state(deployment: Deployment, name: str) -> str:
    state_id = runner.state_id(deployment.registry.get(name), deployment.registry.policy)
    rows = deployment.system(
        "select completed_state::text from state where state_id = %s", state_id
    )
    assert len(rows) == 1
    return rows[0][0]
