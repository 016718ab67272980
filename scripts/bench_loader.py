"""`make bench`, pipeline part: the DuckDB loader against the tap, into docs/benchmarks-pipeline.md.

Measured in one run, on Salesflow `incoming_messages` (100,000 records from the sandbox):
1. the tap alone, its output saved to a file;
2. the loader alone (outreach-target-duckdb) reading that file into a fresh DuckDB file;
3. `tap | loader` as Meltano runs them (two processes, a pipe between);
4. the loader's peak RSS at 1x and 10x the rows (10x: the saved output ten times over, each
   copy under other account ids, so every row is a new key).

Targets (issue 15): loader >= 50,000 rows/s; `tap | loader` >= 0.8x the tap alone; loader
peak RSS at 10x <= 1.2x of 1x. A benchmark that prints numbers, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import LAUNCHER, discover, select
from pipeline import ROOT, SANDBOX_CREDENTIALS, VENV_BIN, SandboxProcess

REPORT = ROOT / "docs" / "benchmarks-pipeline.md"
SEED = 7
RECORDS = 100_000
ACCOUNTS = json.loads(SANDBOX_CREDENTIALS["TAP_SALESFLOW_ACCOUNTS"])
STREAM = "incoming_messages"
SCHEMA = "tap_salesflow"


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    rss_mib: float


def say(text: str) -> None:
    print(text, flush=True)


def launch(args: list[str], stdin: Path | None, stdout: Path, workdir: Path) -> Run:
    """Run one process to completion through LAUNCHER: wall, CPU, peak RSS (os.wait4)."""
    report, err = workdir / "launcher.txt", workdir / "err.log"
    with (
        stdin.open("rb") if stdin else open(os.devnull, "rb") as src,
        stdout.open("wb") as out,
        err.open("wb") as log,
    ):
        subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, str(report), *args],
            stdin=src,
            stdout=out,
            stderr=log,
            check=False,
        )
    code, rss_kib, seconds, cpu = report.read_text().split()
    if code != "0":
        tail = err.read_text(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{Path(args[0]).name} exited {code}:\n" + "\n".join(tail))
    return Run(float(seconds), float(cpu), int(rss_kib) / 1024)


def loader_args(workdir: Path, db: Path) -> list[str]:
    config = workdir / "loader.json"
    config.write_text(json.dumps({"filepath": str(db), "default_target_schema": SCHEMA}))
    return [str(VENV_BIN / "outreach-target-duckdb"), "--config", str(config)]


def landed(db: Path) -> tuple[int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"SELECT count(*), count(DISTINCT (account_id, id)) FROM {SCHEMA}.{STREAM}"
        ).fetchone()


def fresh(db: Path) -> Path:
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    return db


def pipe(tap_args: list[str], load_args: list[str], workdir: Path) -> float:
    """Wall seconds of `tap | loader`, both processes started together, until both exit."""
    with (
        (workdir / "pipe-tap.log").open("wb") as tap_log,
        (workdir / "pipe-loader.log").open("wb") as load_log,
        (workdir / "pipe-state.json").open("wb") as state,
    ):
        start = time.perf_counter()
        tap = subprocess.Popen(tap_args, stdout=subprocess.PIPE, stderr=tap_log)
        loader = subprocess.Popen(load_args, stdin=tap.stdout, stdout=state, stderr=load_log)
        tap.stdout.close()  # the loader holds the pipe's read end
        codes = (tap.wait(), loader.wait())
        seconds = time.perf_counter() - start
    if codes != (0, 0):
        raise RuntimeError(f"tap | loader exited {codes}; see {workdir}")
    return seconds


def tenfold(source: Path, target: Path) -> int:
    """The tap's output ten times: SCHEMA once, RECORDs under account ids `<id>-<copy>`."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    records = 0
    with target.open("w", encoding="utf-8") as out:
        out.writelines(line for line in lines if not line.startswith('{"type":"RECORD"'))
        for copy in range(10):
            for line in lines:
                if line.startswith('{"type":"RECORD"'):
                    for account in ACCOUNTS:
                        aid = account["account_id"]
                        line = line.replace(f'"account_id":"{aid}"', f'"account_id":"{aid}-{copy}"')
                    out.write(line)
                    records += 1
    return records


def measure(url: str, client, workdir: Path) -> list[tuple[str, str, str, str, str]]:
    client.reset(seed=SEED, scale=1.0, counts={"salesflow.messages": RECORDS // len(ACCOUNTS)})
    expected = client.expected("salesflow", STREAM)["count"]
    config = {
        "accounts": ACCOUNTS,
        "api_url": f"{url}/salesflow/api",
        "statistics_api_url": f"{url}/salesflow/api",
    }
    (workdir / "tap.json").write_text(json.dumps(config))
    catalog = select(discover("tap-salesflow", config), [STREAM])
    (workdir / "catalog.json").write_text(json.dumps(catalog))
    tap_args = [
        str(VENV_BIN / "tap-salesflow"),
        "--config",
        str(workdir / "tap.json"),
        "--catalog",
        str(workdir / "catalog.json"),
    ]
    saved = workdir / "tap-output.jsonl"

    tap = launch(tap_args, None, saved, workdir)
    say(f"  tap alone: {expected:,} records in {tap.seconds:.1f}s (CPU {tap.cpu_seconds:.1f}s)")
    db = fresh(workdir / "bench.duckdb")
    alone = launch(loader_args(workdir, db), saved, workdir / "state.json", workdir)
    rows = landed(db)
    say(
        f"  loader alone: {rows[0]:,} rows in {alone.seconds:.1f}s (CPU {alone.cpu_seconds:.1f}s)"
        f", peak RSS {alone.rss_mib:.0f} MiB"
    )
    if rows != (expected, expected):
        raise RuntimeError(f"the loader landed {rows} rows (total, distinct), expected {expected}")

    piped = pipe(tap_args, loader_args(workdir, fresh(db)), workdir)
    rows = landed(db)
    say(f"  tap | loader: {rows[0]:,} rows in {piped:.1f}s")
    if rows != (expected, expected):
        raise RuntimeError(
            f"tap | loader landed {rows} rows (total, distinct), expected {expected}"
        )

    big = workdir / "tenfold.jsonl"
    big_records = tenfold(saved, big)
    large = launch(loader_args(workdir, fresh(db)), big, workdir / "state.json", workdir)
    rows = landed(db)
    say(
        f"  loader at 10x: {rows[0]:,} rows in {large.seconds:.1f}s, "
        f"peak RSS {large.rss_mib:.0f} MiB"
    )
    if rows != (big_records, big_records):
        raise RuntimeError(f"the loader landed {rows} rows at 10x, expected {big_records}")

    rate = expected / alone.seconds
    ratio = tap.seconds / piped
    growth = large.rss_mib / alone.rss_mib
    verdict = lambda ok, text: f"**met** ({text})" if ok else f"**not met** ({text})"  # noqa: E731
    return [
        (
            f"loader alone, `{STREAM}`, {expected:,} rows from the tap's saved output",
            f"{rate:,.0f} rows/s ({alone.seconds:.1f} s, CPU {alone.cpu_seconds:.1f} s: "
            f"{expected / alone.cpu_seconds:,.0f} rows per CPU second)",
            f"tap alone {tap.seconds:.1f} s (CPU {tap.cpu_seconds:.1f} s)",
            ">= 50,000 rows/s",
            verdict(rate >= 50_000, f"{rate:,.0f} rows/s"),
        ),
        (
            f"tap-salesflow \\| outreach-target-duckdb, {expected:,} rows",
            f"{piped:.1f} s ({expected / piped:,.0f} rows/s)",
            f"tap alone {tap.seconds:.1f} s",
            ">= 0.8x the tap alone",
            verdict(ratio >= 0.8, f"{ratio:.2f}x"),
        ),
        (
            f"loader peak RSS at 10x ({big_records:,} rows, {large.seconds:.1f} s)",
            f"{large.rss_mib:.0f} MiB",
            f"1x ({expected:,} rows): {alone.rss_mib:.0f} MiB",
            "<= 1.2x of 1x",
            verdict(growth <= 1.2, f"{growth:.2f}x"),
        ),
    ]


def loader_defaults() -> str:
    """The loader's batch size, DuckDB threads and memory cap, from its own settings."""
    from outreach_target_duckdb import TargetDuckDB

    props = TargetDuckDB.config_jsonschema["properties"]
    return (
        f"batches of {props['batch_size_rows']['default']:,} records, "
        f"{props['threads']['default']} DuckDB thread(s), DuckDB's default memory cap"
    )


def revision() -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unknown"


def write_report(path: Path, rows: list[tuple[str, ...]], seconds: float, loads: tuple) -> None:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Benchmarks: the pipeline into DuckDB (tap-salesflow | outreach-target-duckdb)",
        "",
        "## How measured",
        "",
        f"Written by `make bench` (scripts/bench_loader.py) on {when}, revision `{revision()}`, "
        f"{os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, "
        f"load average {loads[0]:.1f} at the start and {loads[1]:.1f} at the end; the run took "
        f"{seconds / 60:.1f} min and every number comes from it. The sandbox (seed {SEED}, its own "
        f"process on loopback) holds {RECORDS:,} Salesflow incoming messages over two accounts. "
        "The tap runs alone once with its output saved to a file; the loader (default settings: "
        f"record metadata, upsert on `account_id`, `Id`, {loader_defaults()}) then reads that file "
        "into a fresh DuckDB file; `tap | loader` runs both processes at once with a pipe "
        "between, as `meltano run` does, timed until both exit. Wall times include each "
        "process's start-up; CPU is user + system; peak RSS is `ru_maxrss` from `os.wait4` "
        "(spawned through a bare launcher). The 10x input is the saved output ten times over, "
        "each copy under other account ids, so every row is a new key. Every run's table is "
        "checked: as many rows and distinct keys as records sent.",
        "",
        "| measure | measured | reference | target | result |",
        "|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    start, load_start = time.perf_counter(), os.getloadavg()[0]
    say("Pipeline: tap-salesflow | outreach-target-duckdb")
    with (
        tempfile.TemporaryDirectory(prefix="bench-loader-") as tmp,
        SandboxProcess(seed=SEED, rate_limits=False) as sandbox,
    ):
        rows = measure(sandbox.url, sandbox.client, Path(tmp))
    write_report(args.report, rows, time.perf_counter() - start, (load_start, os.getloadavg()[0]))
    say(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
