"""The DuckDB loader (outreach-target-duckdb) alone, behind the tap through a pipe, and its
memory at 1x and 10x rows (issue 15), on Salesflow `incoming_messages`."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import duckdb
from taprun import BIN, launch

from . import SEED
from .report import Row, median_pair, middle, say, verdict
from .runs import TapBench, select
from .vendors import salesflow

RECORDS = 100_000
#: Runs of the loader alone, the median reported: identical runs vary by 15-20% of CPU on a
#: shared 2-core VM, more than a single run can tell apart from a change.
ALONE_RUNS = 3
#: Tap-alone and `tap | loader` runs, alternating: each pipe's ratio is taken against the
#: tap-alone run just before it and the median pair reported, as the pipelines' section does
#: (one of each once read 0.71x where the tap alone had run at 3.2 s, its fastest of the day).
PIPE_PAIRS = 5
STREAM = "incoming_messages"
SCHEMA = "tap_salesflow"
LOADER = "outreach-target-duckdb"


def loader_command(workdir: Path, db: Path) -> list[str]:
    config = workdir / "loader.json"
    config.write_text(json.dumps({"filepath": str(db), "default_target_schema": SCHEMA}))
    return [str(BIN / LOADER), "--config", str(config)]


def rows_in(db: Path) -> tuple[int, int]:
    """Rows and distinct keys of the loaded table."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"SELECT count(*), count(DISTINCT (account_id, id)) FROM {SCHEMA}.{STREAM}"
        ).fetchone()


def fresh(db: Path) -> Path:
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    return db


def check(db: Path, expected: int, what: str) -> None:
    got = rows_in(db)
    if got != (expected, expected):
        raise RuntimeError(f"{what} landed {got} rows (total, distinct), expected {expected}")


def pipe(tap: list[str], loader: list[str], workdir: Path) -> float:
    """Wall seconds of `tap | loader`, both processes started together, until both exit."""
    with (
        (workdir / "pipe-tap.log").open("wb") as tap_log,
        (workdir / "pipe-loader.log").open("wb") as load_log,
        (workdir / "pipe-state.json").open("wb") as state,
    ):
        start = time.perf_counter()
        producer = subprocess.Popen(tap, stdout=subprocess.PIPE, stderr=tap_log)
        consumer = subprocess.Popen(loader, stdin=producer.stdout, stdout=state, stderr=load_log)
        producer.stdout.close()  # the loader holds the pipe's read end
        codes = (producer.wait(), consumer.wait())
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
                    for account in salesflow.ACCOUNTS:
                        aid = account["account_id"]
                        line = line.replace(f'"account_id":"{aid}"', f'"account_id":"{aid}-{copy}"')
                    out.write(line)
                    records += 1
    return records


def load(workdir: Path, db: Path, source: Path):
    code, usage = launch(
        loader_command(workdir, fresh(db)),
        stdin=source,
        stdout=workdir / "state.json",
        stderr=workdir / "loader.log",
    )
    if code != 0:
        tail = (workdir / "loader.log").read_text(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{LOADER} exited {code}:\n" + "\n".join(tail))
    return usage


def measure(bench: TapBench, workdir: Path, records: int = RECORDS) -> list[Row]:
    bench.client.reset(seed=SEED, scale=1.0, counts={"salesflow.messages": records // 2})
    expected = bench.client.expected("salesflow", STREAM)["count"]
    saved, db = workdir / "tap-output.jsonl", workdir / "bench.duckdb"
    tap = bench.run([STREAM], output=saved).usage
    say(f"  tap alone: {expected:,} records in {tap.seconds:.1f}s (CPU {tap.cpu_seconds:.1f}s)")
    runs = []
    for _ in range(ALONE_RUNS):
        runs.append(load(workdir, db, saved))
        check(db, expected, "the loader")
        say(
            f"  loader alone: {runs[-1].seconds:.2f}s (CPU {runs[-1].cpu_seconds:.2f}s), "
            f"{runs[-1].rss_mib:.0f} MiB"
        )
    alone = middle(runs, key=lambda run: run.seconds)
    spread = ", ".join(f"{run.seconds:.2f}" for run in runs)

    (workdir / "tap.json").write_text(json.dumps(bench.config))
    (workdir / "catalog.json").write_text(json.dumps(select(bench.catalog, [STREAM])))
    tap_command = [
        str(BIN / bench.tap),
        *("--config", str(workdir / "tap.json")),
        *("--catalog", str(workdir / "catalog.json")),
    ]
    pairs = []
    for _ in range(PIPE_PAIRS):  # alternating: a drift of the machine touches both alike
        before = bench.run([STREAM], output=workdir / "tap-again.jsonl").usage.seconds
        piped = pipe(tap_command, loader_command(workdir, fresh(db)), workdir)
        check(db, expected, "tap | loader")
        say(f"  tap alone {before:.1f}s, tap | loader {piped:.1f}s: {before / piped:.2f}x")
        pairs.append((before / piped, before, piped))
    (ratio, before, piped), each = median_pair(pairs)

    big_records = tenfold(saved, workdir / "tenfold.jsonl")
    large = load(workdir, db, workdir / "tenfold.jsonl")
    check(db, big_records, "the loader at 10x")
    say(f"  loader at 10x: {large.seconds:.1f}s, {large.rss_mib:.0f} MiB")

    rate = expected / alone.seconds
    growth = large.rss_mib / alone.rss_mib
    return [
        Row(
            f"loader alone, `{STREAM}`, {expected:,} rows from the tap's saved output "
            f"(median of {ALONE_RUNS} runs: {spread} s)",
            f"{rate:,.0f} rows/s ({alone.seconds:.2f} s, CPU {alone.cpu_seconds:.2f} s: "
            f"{expected / alone.cpu_seconds:,.0f} rows per CPU second)",
            f"tap alone {tap.seconds:.1f} s (CPU {tap.cpu_seconds:.1f} s)",
            ">= 50,000 rows/s",
            verdict(rate >= 50_000, f"{rate:,.0f} rows/s"),
        ),
        Row(
            f"tap-salesflow \\| {LOADER} (a pipe, no Meltano), {expected:,} rows",
            f"{piped:.1f} s ({expected / piped:,.0f} rows/s)",
            f"tap alone {before:.1f} s (the run before it)",
            ">= 0.8x the tap alone",
            verdict(ratio >= 0.8, f"{ratio:.2f}x, median of {PIPE_PAIRS} pairs: {each}"),
        ),
        Row(
            f"loader peak RSS at 10x ({big_records:,} rows, {large.seconds:.1f} s)",
            f"{large.rss_mib:.0f} MiB",
            f"1x ({expected:,} rows): {alone.rss_mib:.0f} MiB",
            "<= 1.2x of 1x",
            verdict(growth <= 1.2, f"{growth:.2f}x"),
        ),
    ]


def loader_defaults() -> str:
    """The loader's batch size and DuckDB threads, from its own settings."""
    from outreach_target_duckdb import TargetDuckDB

    props = TargetDuckDB.config_jsonschema["properties"]
    return (
        f"batches of {props['batch_size_rows']['default']:,} records, "
        f"{props['threads']['default']} DuckDB thread(s)"
    )
