"""Incremental lower bounds in the shapes Salesflow documents, with no record lost.

The doc's only `updatedFromDate` is `"2022-07-29 06:45:15"` (whole seconds) and incoming
messages take `from` as a date, while bookmarks carry .NET's seven fractional digits. So the
bound sent is rounded down (a second earlier than the bookmark's second, a day earlier than
its UTC date, whatever the server's time zone or comparison precision), and what comes back
at or before the bookmark, already landed, is dropped by comparing exact instants.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from outreach_kit.timestamps import to_utc_iso

_UTC_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def instant(value: object) -> tuple[datetime, int] | None:
    """A timestamp as (UTC second, nanoseconds), comparable without rounding; None when
    it is not a timestamp (such a record is never dropped)."""
    try:
        text = to_utc_iso(value)
    except ValueError:
        return None
    match = _UTC_ISO.match(text or "")
    if not match:
        return None
    second = datetime.fromisoformat(match[1]).replace(tzinfo=timezone.utc)
    return second, int((match[2] or "0")[:9].ljust(9, "0"))


def updated_from_date(bookmark: tuple[datetime, int]) -> str:
    """`updatedFromDate` a whole second before the bookmark's second: `yyyy-MM-dd HH:mm:ss`."""
    return (bookmark[0] - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


def from_date(bound: tuple[datetime, int]) -> str:
    """`from` as a date, the day before the bound's UTC day: `yyyy-MM-dd`."""
    return (bound[0] - timedelta(days=1)).strftime("%Y-%m-%d")
