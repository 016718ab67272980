"""Hostile-vendor modes: replies bent the way real feeds misbehave, the records unchanged.

Each is a handler fault (``vendor``, ``path``, ``after``, ``times`` as for any fault); the
ids served stay the sandbox's own, so ``served`` and ``expected`` stay exact:

- ``out_of_order``: one event of a feed page gets an older time (``time``, or its own less
  ``older_ms``, 20 days by default) at ``position`` (default 50): the page is no longer
  newest first, or holds an event outside the range asked for;
- ``exclusive_to``: the feed's ``to`` excludes its own millisecond (the docs do not say);
- ``future_event``: one record (``position``, default 0) dated in the future (``time``,
  default 2100-01-01 for feeds, 2099-01-01 for Salesflow ``LastModifiedAt``);
- ``far_past_event``: one feed event (``position``, default 50) at ``time`` (default 1000:
  1970-01-01T00:00:01Z, before any real event).
"""

from __future__ import annotations

import typing as t

from outreach_sandbox.clock import MS_PER_DAY

HOSTILE_FAULTS = frozenset({"out_of_order", "exclusive_to", "future_event", "far_past_event"})
FUTURE_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
FUTURE_DOTNET = "2099-01-01T00:00:00.0000000+00:00"
FAR_PAST_MS = 1_000
_POSITION = {"out_of_order": 50, "future_event": 0, "far_past_event": 50}


def bend_feed_page(records: list[dict], flags: dict[str, dict]) -> list[dict]:
    """A feed page (newest first) with the time of one event replaced, per ``flags``."""
    for kind, position in _POSITION.items():
        spec = flags.get(kind)
        if spec is None:
            continue
        index = int(spec.get("position", position))
        if not 0 <= index < len(records):
            continue
        event = dict(records[index])
        if "time" in spec:
            event["time"] = spec["time"]
        elif kind == "out_of_order":
            event["time"] = int(event["time"]) - int(spec.get("older_ms", 20 * MS_PER_DAY))
        else:
            event["time"] = FUTURE_MS if kind == "future_event" else FAR_PAST_MS
        records[index] = event
    return records


def bend_listing(items: list[dict], flags: dict[str, dict], field: str) -> list[dict]:
    """An unpaged list with one record's ``field`` dated in the future (``future_event``)."""
    spec = flags.get("future_event")
    if spec is None or not items:
        return items
    index = min(int(spec.get("position", 0)), len(items) - 1)
    items = list(items)
    items[index] = {**items[index], field: spec.get("time", FUTURE_DOTNET)}
    return items


def feed_upper_count(series: t.Any, end: int, flags: dict[str, dict]) -> int:
    """Events the feed returns up to ``to``: inclusive, or exclusive under ``exclusive_to``."""
    return series.count_before(end) if "exclusive_to" in flags else series.count_until(end)
