"""Incremental lower bounds in the shapes Salesflow documents, with no record lost.

The doc's only `updatedFromDate` is `"2022-07-29 06:45:15"` (whole seconds) and incoming
messages take `from` as a date, while bookmarks carry .NET's seven fractional digits. So the
bound sent is rounded down (a second earlier than the bookmark's second, a day earlier than
its UTC date, whatever the server's time zone or comparison precision), and what comes back
at or before the bookmark, already landed, is dropped by comparing exact instants.
"""

from __future__ import annotations

import re
import typing as t
from datetime import datetime, timedelta, timezone

from outreach_kit.timestamps import to_utc_iso

if t.TYPE_CHECKING:
    import logging

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


class LowerBounds:
    """Per account, the bookmark below which re-read records were landed already (at it
    too, unless ``keep_equal``), with a count of those skipped, logged per account."""

    def __init__(self, stream: str, field: str, logger: logging.Logger, *, keep_equal: bool):
        self.stream, self.field, self.logger, self.keep_equal = stream, field, logger, keep_equal
        self._bounds: dict[str, tuple[datetime, int] | None] = {}
        self._skipped: dict[str, int] = {}

    def start(self, account_id: str, value: object) -> None:
        """The account's bound from its bookmark (or `start_date`); None reads everything."""
        self._bounds[account_id] = instant(value) if value else None
        self._skipped[account_id] = 0

    def get(self, account_id: str) -> tuple[datetime, int] | None:
        return self._bounds.get(account_id)

    def landed_already(self, account_id: str, row: dict) -> bool:
        """Whether ``row`` lies below the bound (counted); one without a readable time never
        does: it is kept, not dropped unseen."""
        bound = self._bounds.get(account_id)
        moment = instant(row.get(self.field)) if bound is not None else None
        if moment is None or moment > bound or (self.keep_equal and moment == bound):
            return False
        self._skipped[account_id] += 1
        return True

    def report(self, account_id: str) -> None:
        """Log how many records of the account came again below the bound and were skipped."""
        skipped = self._skipped.get(account_id, 0)
        if skipped:
            self.logger.info(
                "%s: %d record(s) of account %s with %s %s the bookmark came again (the date "
                "parameter is sent rounded down) and were skipped: they were landed before",
                self.stream,
                skipped,
                account_id,
                self.field,
                "before" if self.keep_equal else "at or before",
            )
