"""A first full sync at SalesBlink's documented rate limit, at a sandbox time scale, against
the bound requests / rate (issue 19 item 3)."""

from __future__ import annotations

import math

from . import SEED
from .report import Row, say, verdict
from .runs import TapBench, sandbox_settings
from .vendors.facts import pages

#: A sandbox minute lasts 60 / TIME_SCALE real seconds, and the tap is told so.
TIME_SCALE = 20.0
#: Events across all feeds of the first sync.
EVENTS = 100_000


def rate_limited_sync(bench: TapBench, vendor, events: int = EVENTS) -> list[Row]:
    """Every feed of `events` in all, rate limits on, the tap pacing to the documented limit."""
    feeds, limit = vendor.FEEDS, vendor.RATE_LIMIT
    window = 60.0 / TIME_SCALE
    counts = {f"{vendor.KEY}.{feed}": events // len(feeds) for feed in feeds}
    bench.client.reset(seed=SEED, scale=1.0, counts=counts)
    expected = sum(bench.client.expected(vendor.KEY, feed)["count"] for feed in feeds)
    with sandbox_settings(bench.client, rate_limits=True, time_scale=TIME_SCALE):
        run = bench.run(
            feeds, log=True, rate_limit_requests=limit, rate_limit_window_seconds=window
        )
    got = sum(run.records.get(feed, 0) for feed in feeds)
    if got != expected:
        raise RuntimeError(f"{bench.tap} landed {got} of {expected} events under the rate limit")
    times = [entry["t"] for entry in run.log if entry["vendor"] == vendor.KEY]
    span = max(times) - min(times)
    bound = run.requests / limit * window
    least = sum(pages(bench.client.expected(vendor.KEY, f)["count"], vendor.PAGE) for f in feeds)
    # What fixed windows really allow: a full burst at the start of each window.
    burst = (math.ceil(run.requests / limit) - 1) * window
    seconds = run.usage.seconds
    say(
        f"  {got:,} events, {run.requests} requests in {seconds:.1f}s (first to last "
        f"{span:.1f}s), {run.rate_limited} x 429; bound {bound:.1f}s"
    )
    what = (
        f"first full sync of {got:,} events ({', '.join(f'`{f}`' for f in feeds)}) at {limit} "
        f"GET/min, time scale {TIME_SCALE:g} (a minute lasts {window:g} s)"
    )
    return [
        Row(
            f"{what}: tap process wall time",
            f"{seconds:.1f} s for {run.requests:,} requests (minimum {least:,})",
            f"{run.requests:,} / {limit} per min = {bound:.1f} s (one burst per window: "
            f"{burst:.1f} s)",
            "<= 1.1x",
            verdict(seconds <= 1.1 * bound, f"{seconds / bound:.2f}x"),
        ),
        Row(
            "same run, first to last request (sandbox request log)",
            f"{span:.1f} s",
            f"{bound:.1f} s",
            "<= 1.1x",
            verdict(span <= 1.1 * bound, f"{span / bound:.2f}x"),
        ),
        Row(
            "same run, 429 responses",
            str(run.rate_limited),
            "0",
            "0",
            verdict(run.rate_limited == 0),
        ),
    ]
