"""Requests of a full sync, an incremental one after a small change and one with no change,
against the minimum the API permits (from the sandbox's ground truth)."""

from __future__ import annotations

from . import SEED
from .report import Row, say, verdict
from .runs import Run, TapBench

#: Clock advance of the "small change" incremental sync.
SMALL_CHANGE_S = 3600


def by_stream(run: Run, endpoints: dict[str, str]) -> dict[str, int]:
    """Requests per stream (or "auth"), from the sandbox's counts per endpoint."""
    out: dict[str, int] = {}
    for endpoint, n in run.by_endpoint.items():
        stream = endpoints.get(endpoint, f"other: {endpoint}")
        out[stream] = out.get(stream, 0) + n
    return out


def request_economy(bench: TapBench, vendor, streams, incremental) -> list[Row]:
    """Full sync, incremental after `advance`, incremental with no change."""
    client = bench.client
    client.reset(seed=SEED, scale=1.0, counts=vendor.ECONOMY_COUNTS)
    rows: list[Row] = []
    state, before = None, None
    phases = (
        "full sync",
        f"incremental after {SMALL_CHANGE_S // 60} min of changes",
        "incremental, no change",
    )
    for phase in phases:
        if phase.startswith("incremental after"):
            client.advance(SMALL_CHANGE_S)
        run = bench.run(streams, state)
        now = {s: client.expected(vendor.KEY, s)["count"] for s in streams}
        if before is None:
            short = {
                s: (run.records.get(s, 0), n) for s, n in now.items() if run.records.get(s, 0) < n
            }
            if short:
                raise RuntimeError(f"{bench.tap} full sync landed fewer records: {short}")
        made, least = by_stream(run, vendor.ENDPOINTS), vendor.minimum(now, before)
        say(f"  {phase}: {run.requests} requests (minimum {sum(least.values())})")
        rows += _rows(incremental, phase, made, least)
        state, before = run.state, now
    return rows


def _rows(incremental: frozenset[str], phase: str, made: dict, least: dict) -> list[Row]:
    """One row per group: incremental streams (the target), full-table streams, login."""
    no_change, first = phase.endswith("no change"), phase == "full sync"
    groups = [
        ("incremental streams", sorted(incremental)),
        ("full-table streams", sorted(set(least) - incremental - {"auth"})),
    ]
    if "auth" in least:
        groups.append(("login", ["auth"]))
    if set(made) - set(least):
        groups.append(("other endpoints", sorted(set(made) - set(least))))
    rows = []
    for group, streams in groups:
        if not streams and not no_change:
            continue
        count = sum(made.get(s, 0) for s in streams)
        minimum = sum(least.get(s, 0) for s in streams)
        detail = (
            ", ".join(
                f"`{s}` {made.get(s, 0)} vs {least.get(s, 0)}"
                for s in streams
                if made.get(s, 0) != least.get(s, 0)
            )
            or "at the minimum"
        )
        if group == "login":
            target, result = "1 per run", verdict(count == 1, detail)
        elif group == "incremental streams" and no_change:
            target = f"<= {minimum} (1 per partition)"
            result = verdict(count <= minimum, detail)
        else:
            target, result = "-", f"n/a: {detail}"
        names = (
            ": " + (", ".join(f"`{s}`" for s in streams) or "none") if first or not streams else ""
        )
        rows.append(
            Row(
                f"requests, {phase}, {group}{names}",
                str(count),
                f"minimum {minimum}",
                target,
                result,
            )
        )
    return rows
