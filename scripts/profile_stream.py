"""Dev tool: one stream of one tap against the raw `requests` loop, back to back.

`make bench` measures each tap on its biggest stream once; this measures any volume stream,
on the same sandbox process and the same records, as often as asked, and can show where
the tap's time goes:

    .venv/bin/python scripts/profile_stream.py salesflow members
    .venv/bin/python scripts/profile_stream.py salesblink list_leads --records 60000 --runs 3
    .venv/bin/python scripts/profile_stream.py salesrocks list_data --profile --top 30
    .venv/bin/python scripts/profile_stream.py salesrocks list_data --profile --set concurrency=1
    git archive REV outreach-kit tap-salesflow | tar -x -C /tmp/rev
    .venv/bin/python scripts/profile_stream.py salesflow members --runs 3 --before /tmp/rev

Each run prints records per second of the raw loop and of the tap process (start-up
included, as in `make bench`), their ratio and CPU microseconds per record (user + system
of each process: the raw loop runs as a process too, as in `make bench`). `--profile` runs
the tap process once more under cProfile (`python -m cProfile` on the tap's console script:
the profile is of the tap's own process, main thread only: `--set concurrency=1` keeps
every read on it) and prints the functions with the most own time, in microseconds per
record. `--set` overrides a tap setting in every run. `--before DIR` runs another
revision's tap (its `outreach-kit` and tap directories, e.g. from `git archive`) right
after this one's in every run: before/after on the same records and server, back to back.
The sandbox runs in a process of its own (seed 7), rate limits off, no latency.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import vendors as bench_vendors
from bench.throughput import timed_raw
from bench.vendors.facts import Bulk
from pipeline import VENV_BIN, SandboxProcess

SEED = 7
#: The bench's vendor records (scripts/bench/vendors): each volume stream's sandbox sizes and
#: raw loop, and the tap settings `make bench` uses. One source, so both measure the same.
VENDORS = {vendor.KEY: vendor for vendor in bench_vendors.VENDORS}
CASES: dict[str, dict[str, Bulk]] = {
    key: {bulk.stream: bulk for bulk in vendor.BULK} for key, vendor in VENDORS.items()
}


def tap_config(vendor: str, url: str, client: t.Any) -> dict:
    """Credentials and sandbox URLs, as `make bench` passes them; no pacing."""
    return bench_vendors.config(VENDORS[vendor], url, client)


def selected(catalog: dict, stream: str) -> dict:
    """The catalog with exactly `stream` selected (its parents are still read)."""
    entries = []
    for entry in catalog["streams"]:
        metadata = [
            {**m, "metadata": {**m["metadata"], "selected": entry["tap_stream_id"] == stream}}
            for m in entry["metadata"]
        ]
        entries.append({**entry, "metadata": metadata})
    return {**catalog, "streams": entries}


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Timing:
    records: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / max(self.records, 1) * 1e6


def run_raw(vendor: str, case: Bulk, url: str) -> Timing:
    """The raw loop as `make bench` runs it: a process of its own (scripts/bench/rawloop.py)."""
    records, _, seconds, cpu_seconds = timed_raw(vendor, case, url)
    return Timing(records, seconds, cpu_seconds)


def tap_args(tap: str, tmp: Path) -> list[str]:
    return [
        str(VENV_BIN / tap),
        "--config",
        str(tmp / "config.json"),
        "--catalog",
        str(tmp / "catalog.json"),
    ]


def run_tap(
    command: list[str], stream: str, tmp: Path, env: dict[str, str] | None = None
) -> Timing:
    """The tap process, output to a file; CPU from its rusage."""
    out_path = tmp / "out.jsonl"
    with out_path.open("wb") as out, (tmp / "err.log").open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        tail = (tmp / "err.log").read_text(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{command[0]} exited {process.returncode}:\n" + "\n".join(tail))
    prefix = f'{{"type":"RECORD","stream":"{stream}"'.encode()
    with out_path.open("rb") as lines:
        records = sum(1 for line in lines if line.startswith(prefix))
    return Timing(records, seconds, usage.ru_utime + usage.ru_stime)


def profile_tap(command: list[str], stream: str, tmp: Path, top: int) -> None:
    """The tap's process under cProfile; the `top` functions by own time, us per record."""
    prof = tmp / "tap.prof"
    timing = run_tap([sys.executable, "-m", "cProfile", "-o", str(prof), *command], stream, tmp)
    stats = pstats.Stats(str(prof))
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    per = 1e6 / max(timing.records, 1)
    total = sum(row[1][2] for row in rows)
    print(
        f"\ncProfile of the tap ({timing.records:,} records; profiled total "
        f"{total * per:.1f} us/record; own time, us/record, then cumulative):"
    )
    for (path, line, name), (_, calls, own, cumulative, _) in rows[:top]:
        where = f"{Path(path).name}:{line}" if line else path
        print(f"  {own * per:7.2f} {cumulative * per:8.2f}  {calls:>9,}  {name} ({where})")


def code_from(checkout: Path, vendor: str) -> dict[str, str]:
    """Environment that runs the kit and tap of another checkout (e.g. `git archive` of the
    revision before a change) with this one's installed dependencies: PYTHONPATH comes
    before the editable installs."""
    paths = [checkout / "outreach-kit", checkout / f"tap-{vendor}"]
    missing = [str(p) for p in paths if not p.is_dir()]
    if missing:
        raise SystemExit(f"--before {checkout}: no {', '.join(missing)}")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}


def report(label: str, raw: Timing, tapped: Timing) -> float:
    ratio = tapped.rate / raw.rate
    print(
        f"  {label}: {tapped.rate:,.0f} rec/s ({tapped.seconds:.2f} s, {tapped.cpu_us:.1f} us "
        f"CPU/rec), ratio {ratio:.2f}x",
        flush=True,
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("vendor", choices=sorted(CASES))
    parser.add_argument("stream")
    parser.add_argument("--records", type=int, default=60_000, help="records of the stream")
    parser.add_argument("--runs", type=int, default=1, help="raw-then-tap pairs to measure")
    parser.add_argument("--profile", action="store_true", help="then one run under cProfile")
    parser.add_argument("--top", type=int, default=25, help="functions the profile lists")
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of another revision: its tap runs too, right after this one's",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SETTING=JSON",
        help="a tap setting over the bench's, e.g. --set concurrency=1 (a value in JSON)",
    )
    args = parser.parse_args(argv)
    try:
        overrides = {k: json.loads(v) for k, _, v in (item.partition("=") for item in args.set)}
    except ValueError as exc:
        parser.error(f"--set takes SETTING=JSON, e.g. concurrency=1: {exc}")
    case = CASES[args.vendor].get(args.stream)
    if case is None:
        parser.error(f"{args.vendor} volume streams: {', '.join(CASES[args.vendor])}")
    tap = f"tap-{args.vendor}"
    with (
        SandboxProcess(seed=SEED, rate_limits=False) as sandbox,
        tempfile.TemporaryDirectory(prefix="profile-stream-") as name,
    ):
        tmp = Path(name)
        client = sandbox.client
        client.reset(seed=SEED, scale=1.0, counts=case.counts(args.records))
        config = {**tap_config(args.vendor, sandbox.url, client), **overrides}
        (tmp / "config.json").write_text(json.dumps(config))
        discovered = subprocess.run(
            [str(VENV_BIN / tap), "--config", str(tmp / "config.json"), "--discover"],
            capture_output=True,
            check=True,
        )
        catalog = selected(json.loads(discovered.stdout), args.stream)
        (tmp / "catalog.json").write_text(json.dumps(catalog))
        command = tap_args(tap, tmp)
        # Warm the sandbox: it builds its data on first use.
        run_raw(args.vendor, case, sandbox.url)
        before = code_from(args.before, args.vendor) if args.before else None
        ratios: dict[str, list[float]] = {"tap": [], "before": []}
        for number in range(1, args.runs + 1):
            raw = run_raw(args.vendor, case, sandbox.url)
            print(
                f"run {number}: {args.stream}, {raw.records:,} records; raw loop "
                f"{raw.rate:,.0f} rec/s ({raw.seconds:.2f} s, {raw.cpu_us:.1f} us CPU/rec)"
            )
            for label, env in (("tap", None), ("before", before)):
                if label == "before" and env is None:
                    continue
                tapped = run_tap(command, args.stream, tmp, env)
                if tapped.records != raw.records:
                    raise RuntimeError(f"{tap} wrote {tapped.records} records, raw {raw.records}")
                ratios[label].append(report(label, raw, tapped))
        for label, values in ratios.items():
            if len(values) > 1:
                print(f"{label}: median ratio {statistics.median(values):.2f}x of {len(values)}")
        if args.profile:
            profile_tap(command, args.stream, tmp, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
