"""Bookmarks never run ahead of the sync: a future-dated record or state cannot stall a stream.

A vendor record dated in the future (a typo'd year, a clock gone wrong) would, taken as the
bookmark, make every later run ask for changes after that date and get nothing, forever,
with exit 0. So for every incremental stream:

- a record newer than the sync's start is emitted as it came and counted, and does not move
  the bookmark: it stays at the newest record dated before the sync start, so it never
  passes the sync start. (Capping it *at* the sync start would skip records when the
  vendor's clock runs behind ours: those it creates next are dated before our start.) The
  record comes again on the next runs, while its date is ahead of theirs: one row, upserted;
- a saved bookmark in the future (written by an older version, or by hand) is capped at the
  sync start, with a WARNING naming the stream, before anything reads it;
- a record older than the bookmark does not move it back, and is not an error: the feeds
  emit events with the times the API gave, which need not be ordered (see the SalesBlink
  activity feeds).

The hooks are singer-sdk's state methods, ``_write_starting_replication_value`` (per
partition, on the main thread, before its records are read) and ``_increment_stream_state``
(per record); there is no public hook for either.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from outreach_kit.timestamps import to_utc_iso

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from outreach_kit.tally import WarningTally

FUTURE_RECORDS = "record(s) dated after the sync start: emitted, the bookmark not moved by them"
_STATE_KEYS = ("replication_key_value", "starting_replication_value")


def instant(value: t.Any) -> datetime | None:
    """A replication value as an aware UTC datetime; None when it is not a time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        try:
            iso = to_utc_iso(value)
        except ValueError:
            return None
        if iso is None:
            return None
        parsed = datetime.fromisoformat(iso)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def later(a: str, b: str) -> bool:
    """Whether normalised time ``a`` is after ``b``: compares the seconds as text (the cost
    of a per-record check), and parses only within one second."""
    if a[:19] != b[:19]:
        return a[:19] > b[:19]
    left, right = instant(a), instant(b)
    return left is not None and right is not None and left > right


class BookmarkGuard:
    """Mixin for incremental streams; see the module docstring. Needs ``self._tap.tally``."""

    def sync_started_at(self) -> datetime:
        """The run's start, shared by all streams of the tap (set on first use)."""
        tap = self._tap  # type: ignore[attr-defined]
        if getattr(tap, "_sync_started_at", None) is None:
            tap._sync_started_at = datetime.now(timezone.utc)
        return tap._sync_started_at  # type: ignore[no-any-return]

    def bookmark_cap(self) -> str:
        """The latest bookmark this run may save, as the taps write times (made once: it is
        compared with every record)."""
        tap = self._tap  # type: ignore[attr-defined]
        if getattr(tap, "_bookmark_cap", None) is None:
            tap._bookmark_cap = _iso(self.sync_started_at())
        return tap._bookmark_cap  # type: ignore[no-any-return]

    def capped_saved_bookmark(self, value: t.Any, context: Context | None = None) -> t.Any:
        """A saved bookmark, or the sync start when it lies beyond it (WARNING once)."""
        moment = instant(value) if value is not None else None
        if moment is None or moment <= self.sync_started_at():
            return value
        cap = self.bookmark_cap()
        where = f" (partition {dict(context)})" if context else ""
        key = (self.name, str(where))  # type: ignore[attr-defined]
        warned: set = self.__dict__.setdefault("_future_state_warned", set())
        if key not in warned:
            warned.add(key)
            self.logger.warning(  # type: ignore[attr-defined]
                "%s%s: the saved bookmark %s is in the future; reading from %s (now) instead. "
                "A bookmark past now would skip every record until that date.",
                self.name,  # type: ignore[attr-defined]
                where,
                value,
                cap,
            )
        return cap

    def _write_starting_replication_value(self, context: Context | None) -> None:
        super()._write_starting_replication_value(context)  # type: ignore[misc]
        if not self.replication_key:  # type: ignore[attr-defined]
            return
        state = self.get_context_state(context)  # type: ignore[attr-defined]
        partition = self.state_manager.get_state_partition_context(context)  # type: ignore[attr-defined]
        for key in _STATE_KEYS:
            if state.get(key) is not None:
                state[key] = self.capped_saved_bookmark(state[key], partition)

    def _increment_stream_state(
        self, latest_record: dict, *, context: Context | None = None
    ) -> None:
        state, key, guarded, unsorted_state, sdk_acts = self._guard(context)
        if not guarded:  # not incremental (e.g. forced full table by the catalog)
            if sdk_acts:  # incremental without a key (the SDK raises); full table: a no-op
                super()._increment_stream_state(latest_record, context=context)  # type: ignore[misc]
            return
        value = latest_record.get(key)
        if value is None:  # nothing to move the bookmark with (the value was reported)
            return
        text = str(value)
        cap = self.bookmark_cap()
        if later(text, cap):
            tally: WarningTally = self._tap.tally  # type: ignore[attr-defined]
            if tally.add(self.name, FUTURE_RECORDS):  # type: ignore[attr-defined]
                self.logger.warning(  # type: ignore[attr-defined]
                    "%s: a record is dated %s, after this sync started (%s); it is emitted, "
                    "and the bookmark does not move to it, so that later records are not "
                    "skipped.",
                    self.name,  # type: ignore[attr-defined]
                    text,
                    cap,
                )
            return
        if state is not None:  # sorted: the bookmark is the value itself
            current = state.get("replication_key_value")
            if current is not None and later(str(current), text):
                return  # an older record never moves the bookmark back
            if type(value) is str:  # what the SDK would write, without its lookups
                state["replication_key"] = key
                state["replication_key_value"] = value
                return
        elif unsorted_state is not None and type(value) is str:
            # The SDK's progress marker moves only to a value that compares >= as text:
            # where it would not move, skip its per-record lookups (~10 us a record), and
            # where it would, move it as the SDK would.
            progress = unsorted_state.get("progress_markers")
            if progress is not None and progress.get("replication_key") == key:
                marker = progress.get("replication_key_value")
                if type(marker) is str:
                    if value > marker:
                        progress["replication_key_value"] = value
                    return
        super()._increment_stream_state(latest_record, context=context)  # type: ignore[misc]

    def _guard(self, context: Context | None) -> tuple[dict | None, str, bool, dict | None, bool]:
        """(the partition's state if the stream is sorted, the replication key, whether the
        stream is incremental, the partition's state if it is unsorted and the SDK checks
        its order, whether the SDK's own ``_increment_stream_state`` acts on a record: only
        for the replication method INCREMENTAL), worked out once per partition read: the
        SDK passes the same context object for each of its records, and these lookups cost
        ~20 us a record."""
        cached = self.__dict__.get("_guard_cache")
        if cached is None or cached[0] is not context:
            key = self.replication_key  # type: ignore[attr-defined]
            incremental = self.replication_method == "INCREMENTAL"  # type: ignore[attr-defined]
            guarded = bool(key) and incremental
            state = self.get_context_state(context) if guarded else None  # type: ignore[attr-defined]
            # Sorted as the SDK's state manager treats it: not with state partitioning keys.
            treat_as_sorted = self.is_sorted and self.state_partitioning_keys is None  # type: ignore[attr-defined]
            sorted_state = state if treat_as_sorted else None
            checked = not self.is_sorted and self.check_sorted  # type: ignore[attr-defined]
            unsorted_state = state if checked else None
            cached = (context, (sorted_state, key or "", guarded, unsorted_state, incremental))
            self.__dict__["_guard_cache"] = cached
        return cached[1]  # type: ignore[no-any-return]


def _iso(moment: datetime) -> str:
    return f"{moment.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}Z"
