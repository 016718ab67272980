"""`python -m bench` (from scripts/; `make bench`): every measurement, one docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import typing as t
from functools import partial
from pathlib import Path

from pipeline import MELTANO, ROOT, SandboxProcess
from plugin_bytecode import install_plugins

from . import SEED, loader, ratelimit, throughput, warehouses
from .pipelines import Project
from .report import Row, Section, machine, say, write
from .runs import TapBench, discover
from .taps import ABOUT, measure
from .vendors import VENDORS, config, salesflow, tap

REPORT = ROOT / "docs" / "benchmarks.md"
PARTS = ("taps", "loader", "pipelines", "no-change")


def loader_section(records: int) -> Section:
    say("\nThe DuckDB loader (outreach-target-duckdb)")
    with (
        tempfile.TemporaryDirectory(prefix="bench-loader-") as tmp,
        SandboxProcess(seed=SEED, rate_limits=False) as sandbox,
    ):
        settings = config(salesflow, sandbox.url, sandbox.client)
        bench = TapBench(
            sandbox.client, sandbox.url, salesflow.KEY, discover(tap(salesflow), settings), settings
        )
        rows = loader.measure(bench, Path(tmp), records)
    about = (
        f"Salesflow `{loader.STREAM}` from the sandbox over two accounts. The tap runs alone once "
        "with its output saved to a file; the loader (default settings: record metadata, upsert "
        f"on `account_id`, `Id`, {loader.loader_defaults()}) reads that file into a fresh DuckDB "
        f"file, {loader.ALONE_RUNS} times (the median run is reported, as identical runs vary "
        "by 15-20% of CPU on this VM); `tap | loader` runs both processes with a pipe between, timed until both exit, "
        f"{loader.PIPE_PAIRS} times, each after a tap-alone run, its ratio taken against that run (the median pair is reported). "
        "The 10x input is the saved output ten times over under other account ids, so every row "
        "is a new key. Every table is checked: as many rows and distinct keys as records sent."
    )
    return Section("The DuckDB loader (`outreach-target-duckdb`)", about, rows)


class Postgres:
    """PostgreSQL from scripts/postgres.sh (as tests/conftest.py starts it), stopped on exit."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.dir, self.port = workdir / "pg", port
        workdir.chmod(0o755)  # the server runs as the `postgres` user when run as root
        self.script = ROOT / "scripts" / "postgres.sh"

    def __enter__(self) -> Postgres:
        subprocess.run(
            [str(self.script), "start", str(self.dir), str(self.port)],
            check=True,
            capture_output=True,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run([str(self.script), "stop", str(self.dir)], check=False, capture_output=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pipeline_section(chosen, records: int) -> Section:
    say("\nPipelines: meltano run tap target")
    with (
        tempfile.TemporaryDirectory(prefix="bench-meltano-") as tmp,
        SandboxProcess(seed=SEED, rate_limits=False) as sandbox,
        Postgres(Path(tmp), free_port()) as pg,
    ):
        project = Project(Path(tmp) / "pipelines", sandbox.url, pg.port)
        project.workdir.mkdir()
        rows = [
            row
            for vendor in chosen
            for row in warehouses.pipeline_rows(sandbox.client, project, vendor, records)
        ]
    about = (
        "Each tap's bulk stream selected alone (`TAP_X__SELECT`), pacing off, a fresh "
        "Meltano system database; the tap alone is `meltano invoke` into a file, each "
        "pipeline `meltano run --full-refresh tap target`; the tap alone and the DuckDB "
        f"pipeline run {warehouses.RUNS} times each, alternating: each pipeline run's ratio is "
        "taken against the tap-alone run just before it and the pair with the median ratio is "
        "reported, with every pair's ratio (wall times include Meltano's "
        "and every plugin's start-up and Meltano's catalog discovery). Where time goes: each "
        "process of the tree is sampled in /proc every 0.05 s and counted by the plugin venv it "
        "runs from; Meltano's CPU is the tree's (`os.wait4`) less the plugins'; wait is wall "
        "minus the busier of tap and loader CPU (start-up, catalog discovery, pipe waits, "
        "I/O, and time queued for a CPU on a busy machine, shown per process from "
        "/proc/<pid>/schedstat). PostgreSQL is a throwaway server from scripts/postgres.sh; "
        "every table is counted against the records the tap sent."
    )
    return Section("Pipelines: `meltano run tap target`", about, rows)


def no_change_section() -> Section:
    say(f"\nNo-change run of the {warehouses.JOB} job")
    with (
        tempfile.TemporaryDirectory(prefix="bench-job-") as tmp,
        SandboxProcess(seed=SEED, rate_limits=False) as sandbox,
    ):
        rows = warehouses.no_change_rows(Project(Path(tmp), sandbox.url))
    about = (
        f"The sandbox at scale 1 (seed {SEED}), the job run once (first sync, dbt included), "
        "then again with nothing changed; pacing off as in the pipelines. Start-up is each executable's `--version` "
        "(interpreter, imports, exit); in the run, each plugin's processes are sampled "
        "in /proc (each from its first to its last sample, summed). The issue sets no number: measured."
    )
    return Section(f"No-change run: `{warehouses.JOB}`", about, rows)


def guarded(title: str, part: t.Callable[[], list[Section]]) -> tuple[list[Section], bool]:
    """A part's sections, or one saying it failed and why: a failure never costs the rest."""
    try:
        return part(), True
    except Exception as exc:  # the report says what failed; make bench exits non-zero
        say(f"  FAILED: {exc}")
        row = Row("not measured", "failed", str(exc).splitlines()[0][:300], "-", "**failed**")
        return [
            Section(title, "This part failed; the run's console output says why.", [row])
        ], False


def tap_part(vendor, args: argparse.Namespace) -> list[Section]:
    with SandboxProcess(seed=SEED, time_scale=ratelimit.TIME_SCALE, rate_limits=False) as sandbox:
        return [
            measure(
                vendor,
                sandbox,
                records=args.records,
                memory_large=args.memory_records,
                events=args.events,
            )
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    names = [v.KEY for v in VENDORS]
    parser.add_argument("--taps", default=",".join(names), help="vendors (default: all three)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"parts: {', '.join(PARTS)}")
    parser.add_argument("--report", type=Path, default=REPORT, help="Markdown file to write")
    parser.add_argument("--records", type=int, default=throughput.RECORDS, help="per bulk stream")
    parser.add_argument("--memory-records", type=int, default=throughput.MEMORY_LARGE)
    parser.add_argument("--events", type=int, default=ratelimit.EVENTS, help="rate-limited sync")
    parser.add_argument("--loader-records", type=int, default=loader.RECORDS)
    parser.add_argument("--pipeline-records", type=int, default=100_000)
    args = parser.parse_args(argv)
    wanted, parts = args.taps.split(","), set(args.only.split(","))
    chosen = [v for v in VENDORS if v.KEY in wanted]
    if len(chosen) != len(wanted) or not parts <= set(PARTS):
        parser.error(f"--taps: choose from {', '.join(names)}; --only from {', '.join(PARTS)}")
    started, load = time.perf_counter(), os.getloadavg()[0]
    jobs: list[tuple[str, t.Callable[[], list[Section]]]] = []
    if "taps" in parts:
        for vendor in chosen:
            jobs.append((f"{vendor.TITLE} (`{tap(vendor)}`)", partial(tap_part, vendor, args)))
    if "loader" in parts:
        jobs.append(("The DuckDB loader", lambda: [loader_section(args.loader_records)]))
    if parts & {"pipelines", "no-change"}:
        install_plugins(ROOT, MELTANO, quiet=True)  # compiled, as `make demo` leaves them
    if "pipelines" in parts:
        jobs.append(("Pipelines", lambda: [pipeline_section(chosen, args.pipeline_records)]))
    if "no-change" in parts:
        jobs.append(("No-change run", lambda: [no_change_section()]))
    sections: list[Section] = []
    failed = 0
    for title, part in jobs:
        done, ok = guarded(title, part)
        sections += done
        failed += not ok
    sizes = (
        f"Sizes of this run: {args.records:,} records per bulk stream, memory at "
        f"{args.memory_records // 10:,} and {args.memory_records:,}, {args.events:,} events "
        f"rate-limited, the loader on {args.loader_records:,} rows, pipelines on "
        f"{args.pipeline_records:,} rows."
    )
    opening = f"{machine(started, load)} {sizes} {ABOUT.format(seed=SEED, pairs=throughput.PAIRS)}"
    title = "Benchmarks: " + ", ".join(tap(v) for v in chosen) + ", the loader, the pipelines"
    write(args.report, title, opening, sections)
    say(f"\nwrote {args.report} in {(time.perf_counter() - started) / 60:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
