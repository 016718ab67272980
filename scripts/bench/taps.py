"""Every measurement of one tap, on one sandbox process (reset and reconfigured between)."""

from __future__ import annotations

import json
import subprocess

from taprun import BIN

from . import SEED
from .economy import request_economy
from .latency import latency_bound
from .ratelimit import rate_limited_sync
from .report import Row, Section, say
from .runs import TapBench, discover, stream_facts
from .throughput import memory, throughput
from .vendors import config, tap

ABOUT = (
    "Each tap runs as a process against the sandbox (seed {seed}, its own process on loopback, "
    "sizes set exactly with `counts`), through scripts/taprun.py (the tests' runner). Wall time "
    "is the tap process's, start-up (about 0.4 s) included; CPU its user + system time; peak RSS "
    "its `ru_maxrss` from `os.wait4`; requests, 429s and request times come from the sandbox's "
    "stats and request log, cleared before each run. Settings besides URLs and credentials are "
    "given per tap; pacing is off except in the rate-limit run. The raw loop fetches the same "
    "records with `requests` at the largest page and writes each as a JSON line to a file, as "
    "the tap does, right after the tap on the same data; it runs as a process of its own "
    "(scripts/bench/rawloop.py), as the tap does, so both pay an interpreter start (the raw "
    "loop's: `import requests`, about 0.15 s; the tap's: about 0.4 s); the bench's vendor module "
    "it loads for paths and credentials is timed inside it and left out. Each stream is "
    "measured as {pairs} such pairs and the pair with the median ratio is reported (with every "
    "ratio), as the raw loop alone varies by up to a third between runs on this VM. Minimum "
    "requests come from the "
    "sandbox's `expected` counts, the largest page and the partitions: with no total in a "
    "response, n records take floor(n / page) + 1 requests (Sales.Rocks, which documents no "
    "maximum page, ceil(n / page) + 1), and an incremental read at least one per partition. "
    "The rate-limit bound is requests / allowed rate at a time scale (the tap is told the "
    "scaled window); a fixed window admits a burst, so a run can beat it. Child streams are "
    "timed from the first child request's arrival to the last one's answer (request log)."
)


def default_concurrency(name: str) -> int:
    """The tap's own default `concurrency` (`--about`)."""
    out = subprocess.run(
        [str(BIN / name), "--about", "--format", "json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)["settings"]["properties"]["concurrency"]["default"]


def measure(vendor, sandbox, *, records: int, memory_large: int, events: int) -> Section:
    """Throughput of every bulk stream, memory, requests, rate limit (if documented), latency."""
    from .ratelimit import TIME_SCALE

    say(f"\n{vendor.TITLE} ({tap(vendor)})")
    client = sandbox.client
    client.reset(seed=SEED, scale=1.0)
    settings = config(vendor, sandbox.url, client)
    catalog = discover(tap(vendor), settings)
    bench = TapBench(client, sandbox.url, vendor.KEY, catalog, settings)
    streams, incremental = stream_facts(catalog)
    rows: list[Row] = [throughput(bench, bulk, records) for bulk in vendor.BULK]
    memory_bulk = next(b for b in vendor.BULK if b.stream == vendor.MEMORY_STREAM)
    rows.append(memory(bench, memory_bulk, memory_large))
    rows += request_economy(bench, vendor, streams, incremental)
    if vendor.RATE_LIMIT:
        rows += rate_limited_sync(bench, vendor, events)
    else:
        rows.append(Row("rate-limit bound", "not measured", "no documented rate limit", "-", "n/a"))
    rows += latency_bound(bench, vendor, default_concurrency(tap(vendor)))
    shown = ", ".join(f"`{k}` {v}" for k, v in vendor.SETTINGS.items()) or "defaults"
    about = f"{tap(vendor)} settings: {shown}." + (
        f" Rate-limit run at sandbox time scale {TIME_SCALE:g}." if vendor.RATE_LIMIT else ""
    )
    return Section(f"{vendor.TITLE} (`{tap(vendor)}`)", about, rows)
