"""`make bench`: tap-salesblink against the sandbox, measured, written to docs/benchmarks.md.

A benchmark that prints numbers, not a timed test. It measures, in one run:
1. throughput of the `sent` feed (about 200,000 events) against a raw baseline: a plain loop
   that fetches the same pages with `requests` and writes each record as a JSON line;
2. peak RSS of the tap process at 1x and 10x data;
3. requests for a full sync, an incremental sync after a small change, and one with no change,
   against the minimum the API permits;
4. wall time under the documented rate limit (30 GET/min, time-scaled) against requests / rate;
5. wall time of a child stream with 100 ms latency per request and many parents.
Only SalesBlink so far: the other taps and the concurrency work are the next steps.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import ROOT, VENV_BIN, SandboxProcess

KEY = "sbk_sandbox_3f9a1c7e5d2b"
REPORT = ROOT / "docs" / "benchmarks.md"


def tap_run(url: str, streams: tuple[str, ...], state: dict | None = None, **config) -> dict:
    """Run tap-salesblink on `streams`; wall time, records, peak RSS (KiB), last state."""
    cfg = {"api_key": KEY, "api_url": f"{url}/salesblink/api", "rate_limit_requests": None,
           "retry_base_seconds": 0.05, **config}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config.json").write_text(json.dumps(cfg))
        discover = subprocess.run([str(VENV_BIN / "tap-salesblink"), "--config",
                                   f"{tmp}/config.json", "--discover"], capture_output=True,
                                  text=True, check=True)  # fmt: skip
        catalog = json.loads(discover.stdout)
        for entry in catalog["streams"]:
            for meta in entry["metadata"]:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in streams
        (Path(tmp) / "catalog.json").write_text(json.dumps(catalog))
        args = [str(VENV_BIN / "tap-salesblink"), "--config", f"{tmp}/config.json",
                "--catalog", f"{tmp}/catalog.json"]  # fmt: skip
        if state is not None:
            (Path(tmp) / "state.json").write_text(json.dumps(state))
            args += ["--state", f"{tmp}/state.json"]
        out_path = Path(tmp) / "out.jsonl"
        start = time.perf_counter()
        with out_path.open("w") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        records, last_state = 0, None
        with out_path.open() as lines:
            for line in lines:
                if line.startswith('{"type":"RECORD"'):
                    records += 1
                elif line.startswith('{"type":"STATE"'):
                    last_state = json.loads(line)["value"]
    assert os.waitstatus_to_exitcode(status) == 0, "the tap failed"
    return {"seconds": seconds, "records": records, "rss_kib": usage.ru_maxrss, "state": last_state}


def baseline(url: str) -> dict:
    """The raw loop: same pages, requests, one JSON line per record."""
    session = requests.Session()
    session.headers["Authorization"] = KEY
    start = time.perf_counter()
    records = page = 0
    with open(os.devnull, "w") as sink:
        while True:
            page += 1
            response = session.get(f"{url}/salesblink/api/public/v1.0.0/sent",
                                   params={"per_page": 100, "page": page}, timeout=60)  # fmt: skip
            response.raise_for_status()
            batch = response.json()
            for record in batch:
                sink.write(json.dumps(record) + "\n")
            records += len(batch)
            if len(batch) < 100:
                break
    return {"seconds": time.perf_counter() - start, "records": records, "requests": page}


def requests_made(sandbox: SandboxProcess, path_suffix: str = "") -> int:
    stats = sandbox.client.stats().get("by_endpoint", {})
    return sum(n for endpoint, n in stats.items() if endpoint.endswith(path_suffix))


def main() -> int:
    rows: list[str] = []
    print("1-2. throughput and memory (sent feed)", flush=True)
    results = {}
    for label, scale in (("1x", 6.7), ("10x", 67.0)):
        with SandboxProcess(seed=7, scale=scale, rate_limits=False) as sandbox:
            run = tap_run(sandbox.url, ("sent",))
            taps_requests = requests_made(sandbox, "/sent")
            raw = baseline(sandbox.url)
            results[label] = (run, raw, taps_requests)
            print(f"  {label}: tap {run['records']} records in {run['seconds']:.1f}s "
                  f"({run['records'] / run['seconds']:.0f}/s, {taps_requests} requests, peak RSS "
                  f"{run['rss_kib'] / 1024:.0f} MiB); raw {raw['records']} in {raw['seconds']:.1f}s "
                  f"({raw['records'] / raw['seconds']:.0f}/s, {raw['requests']} requests)", flush=True)  # fmt: skip
    run, raw, taps_requests = results["10x"]
    ratio = (run["records"] / run["seconds"]) / (raw["records"] / raw["seconds"])
    rss_ratio = results["10x"][0]["rss_kib"] / results["1x"][0]["rss_kib"]
    rows += [
        f"| throughput, `sent`, {run['records']:,} events | tap {run['records'] / run['seconds']:,.0f} rec/s; raw loop {raw['records'] / raw['seconds']:,.0f} rec/s | ratio {ratio:.2f} (target >= 0.5) |",
        f"| peak RSS 1x / 10x | {results['1x'][0]['rss_kib'] / 1024:.0f} MiB / {results['10x'][0]['rss_kib'] / 1024:.0f} MiB | {rss_ratio:.2f}x (target <= 1.2x) |",
        f"| requests, full sync of `sent` at 10x | {taps_requests} | minimum {math.ceil(raw['records'] / 100)} |",
    ]  # fmt: skip

    print("3. request economy (scale 1, default streams)", flush=True)
    streams = ("lists", "list_leads", "sequences", "sequence_stats", "users", "sent", "opens",
               "clicks", "replies")  # fmt: skip
    with SandboxProcess(seed=7, scale=1.0, rate_limits=False) as sandbox:
        full = tap_run(sandbox.url, streams)
        full_requests = requests_made(sandbox)
        sandbox.client.advance(3600)
        before = requests_made(sandbox)
        small = tap_run(sandbox.url, streams, state=full["state"])
        small_requests = requests_made(sandbox) - before
        before = requests_made(sandbox)
        tap_run(sandbox.url, streams, state=small["state"])
        none_requests = requests_made(sandbox) - before
    rows += [
        f"| requests, full sync (9 streams, scale 1) | {full_requests} | |",
        f"| requests, incremental after 1 hour of new events | {small_requests} | 4 feeds + 1 per full-table endpoint and parent |",
        f"| requests, incremental with no change | {none_requests} | feeds: 1 each (tested) |",
    ]  # fmt: skip
    print(
        f"  full {full_requests}, small change {small_requests}, none {none_requests}", flush=True
    )

    print("4. rate-limit bound (30 GET per minute, time scale 60)", flush=True)
    with SandboxProcess(seed=7, scale=1.0, time_scale=60.0, rate_limits=True) as sandbox:
        paced = tap_run(sandbox.url, streams, rate_limit_requests=30, rate_limit_window_seconds=1.0)
        made = requests_made(sandbox)
        throttled = sandbox.client.stats().get("rate_limited", {}).get("salesblink", 0)
    minimum = made / 30.0
    rows.append(f"| rate-limited full sync | {paced['seconds']:.1f}s for {made} requests, {throttled} x 429 | minimum {minimum:.1f}s: {paced['seconds'] / minimum:.2f}x (target <= 1.1x, 0 x 429) |")  # fmt: skip
    print(
        f"  {paced['seconds']:.1f}s for {made} requests ({throttled} x 429); bound {minimum:.1f}s",
        flush=True,
    )

    print("5. latency bound (100 ms per request, 30 lists)", flush=True)
    with SandboxProcess(seed=7, scale=0.05, rate_limits=False, latency_ms=100) as sandbox:
        sandbox.client.reset(seed=7, scale=0.05, counts={"salesblink.lists": 30,
                                                        "salesblink.leads_per_list": 20})  # fmt: skip
        children = tap_run(sandbox.url, ("lists", "list_leads"))
        made = requests_made(sandbox)
    rows.append(f"| child stream `list_leads`, 30 parents, 100 ms latency | {children['seconds']:.1f}s for {made} requests (sequential) | one-at-a-time bound {made * 0.1:.1f}s; concurrency not built yet (target 3x faster) |")  # fmt: skip
    print(f"  {children['seconds']:.1f}s for {made} requests", flush=True)

    REPORT.write_text("\n".join([
        "# Benchmarks (tap-salesblink)", "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores. The sandbox runs as a separate process on loopback.", "",
        "| measure | result | reference |", "|---|---|---|", *rows, "",
    ]), encoding="utf-8")  # fmt: skip
    print(f"\nwrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
