"""Deletes reach the warehouse: real `meltano run` pipelines, both warehouses (issue 15).

Per warehouse, against its own sandbox (the `deletions` setting makes clock advances
delete lists, leads, sequences, campaigns, webhooks, Sales.Rocks lists and rows):
1. a full sync lands every key live;
2. the source deletes, a normal run follows: every deleted key is retired
   (`_sdc_deleted_at` set), every live key live, counts exact;
3. the source deletes again and a run is killed mid-stream: nothing more is retired;
4. the source restores everything, a run follows: every key is live again.
Only the full-table streams are selected (the incremental ones show no deletes).

The DuckDB case needs the loader of issue 15 part A (`target-duckdb` honouring
ACTIVATE_VERSION like target-postgres); with target-duckdb 0.8.0 it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import psycopg
import pytest
from parallel import meltano_sys_dir
from pipeline import MELTANO, ROOT, SandboxProcess, meltano_env
from saved_catalogs import catalog_variable, keep_catalogs

#: `long`: how long each warehouse's tests run on `make test`'s busy workers.
pytestmark = [pytest.mark.e2e, pytest.mark.long(seconds=80)]

#: Full-table streams and their key properties, by tap (Sales.Rocks campaign_statistics is
#: read for the chosen `campaign_ids` only, so it never retires: not selected here).
STREAMS: dict[str, dict[str, tuple[str, ...]]] = {
    "salesblink": {
        "lists": ("id",),
        "list_leads": ("id",),
        "sequences": ("id",),
        "sequence_stats": ("sequence_id",),
        "users": ("id",),
    },
    "salesflow": {
        "accounts": ("account_id", "Id"),
        "campaigns": ("account_id", "Id"),
        "webhooks": ("account_id", "Id"),
        "campaign_statistics": ("account_id", "CampaignId"),
    },
    "salesrocks": {"lists": ("uuid",), "list_data": ("id",)},
}
PLAN = {
    "salesblink.lists": 1,
    "salesblink.leads_per_list": 2,
    "salesblink.sequences": 1,
    "salesflow.campaigns": 1,
    "salesflow.webhooks": 1,
    "salesrocks.lists": 1,
    "salesrocks.rows_per_list": 3,
}
#: Streams the plan deletes from (the others must simply stay live).
DELETED_FROM = (
    {("salesblink", s) for s in ("lists", "list_leads", "sequences", "sequence_stats")}
    | {("salesflow", s) for s in ("campaigns", "webhooks", "campaign_statistics")}
    | {("salesrocks", s) for s in ("lists", "list_data")}
)
WAREHOUSES = ["postgres", "duckdb"]


def _key(parts) -> tuple[str, ...]:
    """One text form per key, whichever side it came from."""
    parts = parts if isinstance(parts, (list, tuple)) else [parts]
    return tuple(str(p) for p in parts)


class Pipeline:
    """One warehouse's Meltano runs, state database and sandbox."""

    def __init__(self, warehouse: str, sandbox: SandboxProcess, workdir: Path, pg_url: str):
        self.warehouse = warehouse
        self.sandbox = sandbox
        self.duckdb_path = workdir / "warehouse.duckdb"
        port = pg_url.rsplit(":", 1)[1].split("/")[0]
        self.pg_url = pg_url.rsplit("/", 1)[0] + "/deletes"
        selects = {
            f"TAP_{vendor.upper()}__SELECT": json.dumps([f"{s}.*" for s in streams])
            for vendor, streams in STREAMS.items()
        }
        self.env = {
            **os.environ,
            **meltano_env(sandbox.url),
            **selects,
            **meltano_sys_dir(ROOT, workdir),
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
            "TARGET_DUCKDB_FILEPATH": str(self.duckdb_path),
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": port,
            "TARGET_POSTGRES_DATABASE": "deletes",
        }

    @property
    def target(self) -> str:
        return f"target-{self.warehouse}"

    def command(self, *taps: str) -> list[str]:
        tasks = [part for tap in taps for part in (f"tap-{tap}", self.target)]
        return [str(MELTANO), "--environment=dev", "run", *tasks]

    def run(self, *taps: str) -> None:
        result = subprocess.run(
            self.command(*taps),
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, f"meltano run failed:\n{result.stderr[-6000:]}"

    def rows(self, vendor: str, stream: str) -> tuple[list[tuple], list[tuple]]:
        """(live keys, retired keys) of a table; retired: `_sdc_deleted_at` set."""
        keys = ", ".join(f'"{k}"' for k in STREAMS[vendor][stream])
        table = f'"tap_{vendor}"."{stream}"'
        if self.warehouse == "duckdb":
            con = duckdb.connect(str(self.duckdb_path), read_only=True)
        else:
            con = psycopg.connect(self.pg_url)
        with con:
            rows = con.execute(f'select {keys}, "_sdc_deleted_at" from {table}').fetchall()
        live = [_key(r[:-1]) for r in rows if r[-1] is None]
        retired = [_key(r[:-1]) for r in rows if r[-1] is not None]
        return live, retired

    def truth(self, action: str) -> dict[tuple[str, str], set]:
        client = self.sandbox.client
        call = client.expected if action == "expected" else client.deleted
        return {
            (v, s): {_key(k) for k in call(v, s)["keys"]}
            for v, streams in STREAMS.items()
            for s in streams
        }

    def check(self, retired_expected: dict[tuple[str, str], set]) -> dict[tuple[str, str], int]:
        """Every live key live, exactly the given keys retired, one row per key."""
        problems, counts = [], {}
        expected = self.truth("expected")
        for (vendor, stream), keys in expected.items():
            live, retired = self.rows(vendor, stream)
            counts[(vendor, stream)] = len(live)
            everything = live + retired
            if len(everything) != len(set(everything)):
                problems.append(f"{vendor}.{stream}: duplicate keys")
            want_retired = retired_expected.get((vendor, stream), set())
            if set(live) != keys or len(live) != len(keys):
                problems.append(
                    f"{vendor}.{stream}: {len(live)} live rows, {len(keys)} expected; "
                    f"missing {sorted(keys - set(live))[:3]}, extra {sorted(set(live) - keys)[:3]}"
                )
            if set(retired) != want_retired:
                problems.append(
                    f"{vendor}.{stream}: {len(retired)} retired rows, {len(want_retired)} "
                    f"expected; wrongly retired {sorted(set(retired) - want_retired)[:3]}, "
                    f"not retired {sorted(want_retired - set(retired))[:3]}"
                )
        assert not problems, "\n".join(problems)
        return counts


def _descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            with contextlib.suppress(OSError):
                cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
                found.append((child, cmdline.replace(b"\0", b" ").decode(errors="replace")))
            todo.append(child)
    return found


@pytest.fixture(scope="module", params=WAREHOUSES)
def pipeline(request, meltano_installed, postgres_url, tmp_path_factory):
    """One warehouse's pipeline. Nothing is shared between the two (the PostgreSQL database
    is made for the postgres one), so `make test` may run them on two workers at once."""
    warehouse = request.param
    if warehouse == "postgres":
        with psycopg.connect(postgres_url, autocommit=True) as con:
            con.execute("drop database if exists deletes")
            con.execute("create database deletes")
    # Scale 0.5: three SalesBlink lists, so one is left after two deleting advances.
    with SandboxProcess(seed=17, scale=0.5, time_scale=60.0, rate_limits=False) as sandbox:
        workdir = tmp_path_factory.mktemp(f"deletes-{warehouse}")
        yield Pipeline(warehouse, sandbox, workdir, postgres_url)


@pytest.fixture(scope="module")
def first_sync(pipeline):
    pipeline.run("salesblink", "salesflow", "salesrocks")
    # The later runs select and read the same streams: no discovery again.
    keep_catalogs(pipeline.env, [f"tap-{vendor}" for vendor in STREAMS])
    return pipeline.check({})


@pytest.fixture(scope="module")
def after_deletes(pipeline, first_sync):
    client = pipeline.sandbox.client
    client.configure(deletions=PLAN)
    client.advance(86_400)
    deleted = pipeline.truth("deleted")
    pipeline.run("salesblink", "salesflow", "salesrocks")
    return deleted, pipeline.check(deleted)


def test_a_full_sync_lands_every_key_live(first_sync):
    assert all(count > 0 for count in first_sync.values()), first_sync


def test_deleted_keys_are_retired_and_live_keys_stay_live(after_deletes, first_sync):
    deleted, counts = after_deletes
    for stream in DELETED_FROM:
        assert deleted[stream], f"the sandbox deleted nothing from {stream}"
    assert counts[("salesblink", "lists")] == first_sync[("salesblink", "lists")] - 1
    assert counts[("salesrocks", "lists")] == first_sync[("salesrocks", "lists")] - 1
    assert counts[("salesblink", "sequences")] == first_sync[("salesblink", "sequences")] - 1


def test_a_run_killed_mid_stream_retires_nothing(pipeline, after_deletes):
    """More deletes, then the tap is killed while reading leads: the rows it did not reach
    are not retired (no ACTIVATE_VERSION), what was retired before stays retired."""
    deleted_before, _ = after_deletes
    client = pipeline.sandbox.client
    client.advance(86_400)  # deletes again (the plan is still on)
    newly = {k: v - deleted_before.get(k, set()) for k, v in pipeline.truth("deleted").items()}
    assert newly[("salesblink", "lists")], "the second advance deleted a list"
    assert pipeline.truth("expected")[("salesblink", "lists")], "a list is left to read"
    # The first request for leads stalls (the sandbox answers it after 120 s), so once the
    # lists were read the tap is mid-stream (lists written, leads not) until it is killed.
    client.add_faults(
        [{"vendor": "salesblink", "path": "/leads", "kind": "timeout", "seconds": 120, "times": 1}]
    )
    client.clear_requests()
    process = subprocess.Popen(
        pipeline.command("salesblink"),
        cwd=ROOT,
        env=pipeline.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not any(r["path"].endswith("/lists") for r in client.requests()):
            assert process.poll() is None, "the run ended before it read the lists"
            assert time.monotonic() < deadline, "no request for lists came"
            time.sleep(0.2)
        time.sleep(3)  # the request for leads comes next, and stalls
        assert process.poll() is None, "the run ended although a request stalls"
        taps = [pid for pid, cmd in _descendants(process.pid) if "bin/tap-salesblink" in cmd]
        assert taps, "no tap process to kill"
        for pid in taps:
            os.kill(pid, signal.SIGKILL)
        assert process.wait(timeout=300) != 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        client.clear_faults()
    # Nothing of SalesBlink was retired beyond the first deletes: the newly deleted keys
    # are still live (the run read only some of them again, if any).
    for stream in STREAMS["salesblink"]:
        live, retired = pipeline.rows("salesblink", stream)
        assert set(retired) == deleted_before[("salesblink", stream)], stream
        assert newly[("salesblink", stream)] <= set(live), stream


def test_restored_keys_are_live_again(pipeline, after_deletes):
    client = pipeline.sandbox.client
    client.configure(deletions={})
    client.advance(3_600, restore=True)
    assert not any(pipeline.truth("deleted").values())
    deleted_before, _ = after_deletes
    pipeline.run("salesblink", "salesflow", "salesrocks")
    pipeline.check({})
    for stream, keys in deleted_before.items():
        live, _ = pipeline.rows(*stream)
        assert keys <= set(live), stream


def test_a_full_refresh_sweep_retires_deleted_members(pipeline, after_deletes):
    """`members` is incremental (`updatedFromDate` shows no deletes): a normal run keeps a
    deleted member live; a `--full-refresh` run reads every member and retires it."""
    # Another selection: discovered and selected by Meltano again, not the saved catalog.
    env = {k: v for k, v in pipeline.env.items() if k != catalog_variable("tap-salesflow")}
    env["TAP_SALESFLOW__SELECT"] = json.dumps(["members.*"])
    client = pipeline.sandbox.client

    def run(*extra: str) -> None:
        command = pipeline.command("salesflow")
        command[3:3] = list(extra)  # after `run`
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, f"meltano run failed:\n{result.stderr[-6000:]}"

    def members() -> tuple[set, set]:
        keys = ", ".join(f'"{k}"' for k in ("account_id", "MemberId"))
        table = '"tap_salesflow"."members"'
        if pipeline.warehouse == "duckdb":
            con = duckdb.connect(str(pipeline.duckdb_path), read_only=True)
        else:
            con = psycopg.connect(pipeline.pg_url)
        with con:
            rows = con.execute(f'select {keys}, "_sdc_deleted_at" from {table}').fetchall()
        return (
            {_key(r[:2]) for r in rows if r[2] is None},
            {_key(r[:2]) for r in rows if r[2] is not None},
        )

    run()  # the first members sync: no bookmark, every member
    keep_catalogs(env, ["tap-salesflow"], "-members")
    client.configure(deletions={"salesflow.members": 3})
    client.advance(3_600)
    client.configure(deletions={})
    gone = {_key(k) for k in client.deleted("salesflow", "members")["keys"]}
    expected = {_key(k) for k in client.expected("salesflow", "members")["keys"]}
    assert len(gone) == 6  # three per account
    run()  # incremental: changes only
    live, retired = members()
    assert gone <= live and not retired, "an incremental run cannot see deletes"
    run("--full-refresh")
    live, retired = members()
    assert live == expected
    assert retired == gone
