"""SalesBlink streams: small declarative classes; the activity feeds read in time windows."""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from outreach_kit.timestamps import datetime_to_ms, to_utc_iso
from tap_salesblink.client import (
    MAX_PAGE_SIZE,
    LegacyStream,
    PagedPublicStream,
    PublicStream,
)

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

DAY_MS = 86_400_000
MIN_WINDOW_MS = 60_000


class _WindowTooLargeError(Exception):
    """A window would buffer too many events; read a narrower one instead."""

    def __init__(self, window: int) -> None:
        super().__init__(window)
        self.window = window


class ListsStream(PagedPublicStream):
    """Lead lists (`GET /lists`), latest first."""

    name = "lists"
    path = "/lists"
    primary_keys = ("id",)
    records_jsonpath = "$.data[*]"
    timestamp_fields = ("last_modified",)

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"list_id": record["id"]}


class ListLeadsStream(PagedPublicStream):
    """Every lead of every list; the list's own columns land in `custom_fields`."""

    name = "list_leads"
    path = "/lists/{list_id}/leads"
    primary_keys = ("id",)
    records_jsonpath = "$.data.contacts[*]"
    parent_stream_type = ListsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # full table: no state per list
    extra_property = "custom_fields"

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row.setdefault("list_id", (context or {}).get("list_id"))
        return super().post_process(row, context)


class SequencesStream(PagedPublicStream):
    """Email sequences (`GET /sequences`)."""

    name = "sequences"
    path = "/sequences"
    primary_keys = ("id",)
    records_jsonpath = "$.data[*]"

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"sequence_id": record["id"]}


class SequenceStatsStream(PublicStream):
    """Lifetime totals of each sequence (`GET /sequences/{id}/stats`), replaced every sync."""

    name = "sequence_stats"
    path = "/sequences/{sequence_id}/stats"
    primary_keys = ("sequence_id",)
    records_jsonpath = "$.data"
    parent_stream_type = SequencesStream
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row["sequence_id"] = (context or {})["sequence_id"]
        return super().post_process(row, context)


class UsersStream(PublicStream):
    """Workspace users (`GET /users`: no paging, every user at once)."""

    name = "users"
    path = "/users"
    primary_keys = ("id",)
    records_jsonpath = "$.data[*]"


class ActivityStream(PublicStream):
    """A newest-first activity feed, made resumable by reading ascending time windows.

    The API sorts newest first and has no total, so paging a whole feed and crashing half-way
    would leave no safe bookmark. Instead the range from the bookmark (inclusive: events
    sharing its millisecond are re-read, never skipped) to now is read in windows with
    `from`/`to`. A window is paged newest first, buffered, and emitted oldest first; with
    `is_sorted` the bookmark follows every record and a STATE message closes each window, so
    a kill loses at most the window in flight. The first request asks for everything since
    the bookmark: when that fits in one page (a routine incremental run) it is the only one.
    Window sizes adapt to the feed's density so that each holds a few pages.
    """

    primary_keys = ("id",)
    replication_key = "time"
    is_sorted = True
    page_size = MAX_PAGE_SIZE
    timestamp_fields = ()
    #: Pages a window should hold; denser feeds get narrower windows, sparse ones wider.
    target_pages_per_window = 10

    @property
    def partitions(self) -> list[dict] | None:
        ids = self.config.get("sequence_ids")
        return [{"sequence_id": sequence_id} for sequence_id in ids] if ids else None

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        start = self.get_starting_timestamp(context)
        low = datetime_to_ms(start) if start else 0
        now = datetime_to_ms(datetime.now(timezone.utc))
        first = self._read_window(context, low, None)
        if first is not None:  # everything since the bookmark fitted in one page
            yield from self._emit(first, context)
            return
        window = int(self.config.get("activity_window_days") or 7) * DAY_MS
        while low <= now:
            high = low + window - 1
            try:
                events = self._read_window(context, low, high, paged=True)
            except _WindowTooLargeError as too_large:
                window = too_large.window  # narrower, from the density of its first page
                continue
            yield from self._emit(events or [], context)
            pages = max(1, -(-len(events or []) // MAX_PAGE_SIZE))
            if pages > 2 * self.target_pages_per_window:
                window = max(MIN_WINDOW_MS, window // 2)
            elif pages * 2 < self.target_pages_per_window:
                window *= 2
            low = high + 1

    def _emit(self, events: list[dict], context: Context | None) -> t.Iterator[dict]:
        yield from reversed(events)  # newest first on the wire; oldest first out
        self._write_state_message()  # checkpoint: this window is complete

    def _read_window(
        self, context: Context | None, low: int, high: int | None, *, paged: bool = False
    ) -> list[dict] | None:
        """Events with low <= time <= high, newest first; None if unpaged and not complete."""
        events: list[dict] = []
        seen: set[str] = set()
        page = 1
        self.reset_page_guard()
        while True:
            params: dict[str, t.Any] = {"per_page": MAX_PAGE_SIZE, "page": page, "from": low}
            if high is not None:
                params["to"] = high
            if context and context.get("sequence_id"):
                params["sequence_id"] = context["sequence_id"]
            batch = self._fetch(context, params)
            for event in batch:
                if event.get("id") not in seen:  # a record repeated across a page boundary
                    seen.add(event.get("id"))
                    events.append(event)
            if len(batch) < MAX_PAGE_SIZE:
                return events
            if not paged:
                return None
            if page == 1 and high is not None:
                self._check_density(batch, low, high)
            page += 1

    def _check_density(self, page: list[dict], low: int, high: int) -> None:
        """Refuse a window whose first page shows it would hold far more than the target.

        The window is buffered to be emitted oldest first, so its size bounds memory: after
        empty years (no `start_date`) windows grow wide, and the first one to reach the data
        could otherwise swallow all of it.
        """
        times = [int(str(e.get("time"))) for e in page if str(e.get("time")).lstrip("-").isdigit()]
        if not times or high - low <= MIN_WINDOW_MS:
            return
        end = min(high, max(times))  # the window may reach past the newest event (now)
        covered = max(1, end - min(times) + 1)  # what the newest page spans
        estimate = MAX_PAGE_SIZE * (end - low + 1) / covered
        target = self.target_pages_per_window * MAX_PAGE_SIZE
        if estimate > 2 * target:
            narrower = max(MIN_WINDOW_MS, int((end - low + 1) * target / estimate))
            raise _WindowTooLargeError(narrower)

    def _fetch(self, context: Context | None, params: dict) -> list[dict]:
        self._page_params = params
        return list(self.request_records(context))

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        return dict(self._page_params)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        raw = row.get("time")
        row["time_ms"] = int(raw) if raw is not None and str(raw).lstrip("-").isdigit() else None
        row["time"] = to_utc_iso(raw)
        return super().post_process(row, context)


class SentStream(ActivityStream):
    """Emails sent (`GET /sent`)."""

    name = "sent"
    path = "/sent"


class OpensStream(ActivityStream):
    """Email opens (`GET /opens`)."""

    name = "opens"
    path = "/opens"


class ClicksStream(ActivityStream):
    """Link clicks (`GET /clicks`; the text doc wrongly shows `/replies`)."""

    name = "clicks"
    path = "/clicks"


class RepliesStream(ActivityStream):
    """Replies (`GET /replies`; the text doc wrongly shows `/clicks`)."""

    name = "replies"
    path = "/replies"


class CampaignsStream(LegacyStream):
    """Legacy campaigns (`GET /api/campaigns`)."""

    name = "campaigns"
    path = "/campaigns"
    primary_keys = ("campaignID",)
    timestamp_fields = ("created_at",)

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"campaign_id": record["campaignID"]}


class ProspectsStream(LegacyStream):
    """Legacy prospects of each campaign; free-form keys (with spaces) in `custom_fields`."""

    name = "prospects"
    path = "/prospects/{campaign_id}"
    primary_keys = ("prospectID",)
    parent_stream_type = CampaignsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    timestamp_fields = ("added_at",)
    extra_property = "custom_fields"
    #: The legacy API's human-readable keys and the column each lands in.
    renamed = {"Email": "email", "First Name": "first_name", "Last Name": "last_name",
               "Company": "company"}  # fmt: skip

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        for source, target in self.renamed.items():
            if source in row:
                row[target] = row.pop(source)
        row.setdefault("campaignID", (context or {}).get("campaign_id"))
        return super().post_process(row, context)


class TeamMembersStream(LegacyStream):
    """Members of the current team (`GET /api/my-team`)."""

    name = "team_members"
    path = "/my-team"
    primary_keys = ("email",)


STREAM_TYPES = [
    ListsStream, ListLeadsStream, SequencesStream, SequenceStatsStream, UsersStream,
    SentStream, OpensStream, ClicksStream, RepliesStream,
    CampaignsStream, ProspectsStream, TeamMembersStream,
]  # fmt: skip
