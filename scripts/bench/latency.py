"""Child streams with latency on every request: one request at a time, then the tap's default
`concurrency`."""

from __future__ import annotations

import re

from . import SEED
from .report import Row, say, verdict
from .runs import Run, TapBench, sandbox_settings

LATENCY_MS = 100


def child_span(run: Run, vendor) -> tuple[float, int]:
    """Seconds from the first child request's arrival to the last one's answer, and how many:
    the log stamps a request after its latency, so the first one arrived a latency earlier."""
    times = [
        e["t"]
        for e in run.log
        if e["vendor"] == vendor.KEY and re.search(vendor.LATENCY.child_paths, e["path"])
    ]
    return max(times) - min(times) + LATENCY_MS / 1000, len(times)


def latency_bound(bench: TapBench, vendor, default_concurrency: int) -> list[Row]:
    facts = vendor.LATENCY
    bench.client.reset(seed=SEED, scale=1.0, counts=facts.counts)
    variants = [
        ("concurrency 1", {"concurrency": 1}),
        (f"default concurrency {default_concurrency}", {}),
    ]
    results = []
    with sandbox_settings(bench.client, latency_ms=LATENCY_MS):
        for label, extra in variants:
            run = bench.run(facts.parents + facts.children, log=True, **facts.settings, **extra)
            span, n = child_span(run, vendor)
            say(f"  {label}: child streams {span:.1f}s ({n} requests), {run.requests} in all")
            results.append((label, run, span, n))
    parents = sum(results[0][1].records.get(stream, 0) for stream in facts.parents)
    children = ", ".join(f"`{stream}`" for stream in facts.children)
    what = f"child streams {children} of {parents} parents, {LATENCY_MS} ms per request"
    rows = [
        Row(
            f"{what}: {label}",
            f"{span:.1f} s for {n} child requests",
            f"process {run.usage.seconds:.1f} s, {run.requests} requests in all",
        )
        for label, run, span, n in results
    ]
    (_, one, span_one, _), (_, many, span_many, _) = results
    speedup = span_one / span_many
    return [
        *rows,
        Row(
            "speed-up of the child streams",
            f"{speedup:.2f}x",
            f"{span_one:.1f} s -> {span_many:.1f} s",
            ">= 3x",
            verdict(speedup >= 3),
        ),
        Row(
            "requests, concurrency 1 vs default",
            f"{one.requests} vs {many.requests}",
            "-",
            "equal",
            verdict(one.requests == many.requests),
        ),
    ]
