"""SalesBlink streams: small declarative classes; the activity feeds read in time windows."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from outreach_kit.concurrency import CHECKPOINT, partition_key
from outreach_kit.gone import DeletedParents
from outreach_kit.pagecap import PageCap
from outreach_kit.reading import OnePage, PageGuard
from outreach_kit.timestamps import datetime_to_ms, to_utc_iso
from outreach_kit.windows import WindowSizer
from tap_salesblink.client import (
    MAX_PAGE_SIZE,
    LegacyStream,
    PagedPublicStream,
    PublicStream,
)
from tap_salesblink.paging import ROWS_SAID, rows_said

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

DAY_MS = 86_400_000


class ListsStream(PagedPublicStream):
    """Lead lists (`GET /lists`), latest first."""

    name = "lists"
    path = "/lists"
    primary_keys = ("id",)
    records_jsonpath = "$.data[*]"
    timestamp_fields = ("last_modified",)

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        """The list, and how many leads it says it holds (their read checks a short page
        against it: see :mod:`tap_salesblink.paging`)."""
        return {"list_id": record["id"], ROWS_SAID: rows_said(record.get(ROWS_SAID))}


class ListLeadsStream(DeletedParents, PagedPublicStream):
    """Every lead of every list; the list's own columns land in `custom_fields`. A list
    deleted before its leads are read is skipped (see :mod:`outreach_kit.gone`)."""

    name = "list_leads"
    path = "/lists/{list_id}/leads"
    primary_keys = ("id",)
    records_jsonpath = "$.data.contacts[*]"
    parent_stream_type = ListsStream
    parent_path = "/lists/{list_id}"
    state_partitioning_keys: t.ClassVar[list[str]] = []  # full table: no state per list
    extra_property = "custom_fields"

    def read_subject(self, context: Context | None) -> str:
        return f"list {(context or {}).get('list_id')}"

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row.setdefault("list_id", (context or {}).get("list_id"))
        return super().post_process(row, context)


class SequencesStream(PagedPublicStream):
    """Email sequences (`GET /sequences?sendAll=true`), archived ones included: the spec's
    `sendAll` is "Include both archived and active sequences"."""

    name = "sequences"
    path = "/sequences"
    primary_keys = ("id",)
    records_jsonpath = "$.data[*]"

    def get_url_params(self, context: dict | None, next_page_token: int | None) -> dict:
        return {**super().get_url_params(context, next_page_token), "sendAll": "true"}

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"sequence_id": record["id"]}


class SequenceStatsStream(DeletedParents, PublicStream):
    """Lifetime totals of each sequence (`GET /sequences/{id}/stats`), replaced every sync;
    a sequence deleted before they are read is skipped (see :mod:`outreach_kit.gone`)."""

    name = "sequence_stats"
    path = "/sequences/{sequence_id}/stats"
    primary_keys = ("sequence_id",)
    record_keys = ()  # the id comes from the parent sequence
    records_jsonpath = "$.data"
    parent_stream_type = SequencesStream
    parent_path = "/sequences/{sequence_id}"
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

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        """The users; none at all is what the API answers a key whose role may not list
        them (spec: "other roles receive an empty result"), so that is said."""
        count = 0
        for record in super().read_records(context):
            count += 1
            yield record
        if count == 0:
            self.logger.warning(
                "users: SalesBlink listed no users. It answers an empty list to API keys "
                "whose role is not owner, admin or client: if the workspace has users, use a "
                "key of such a user in 'api_key' (the other streams are not affected)."
            )


class ActivityStream(PublicStream):
    """A newest-first activity feed, made resumable by reading ascending time windows.

    The API sorts newest first and has no total, so paging a whole feed and crashing half-way
    would leave no safe bookmark. Instead the range from the bookmark (inclusive: events
    sharing its millisecond are re-read, never skipped) to now is read in windows with
    `from`/`to`. A window is paged newest first, buffered, and emitted oldest first; with
    `is_sorted` the bookmark follows every record and a STATE message closes each window, so
    a kill loses at most the window in flight.

    Every request costs 2 s under the rate limit (30 GET a minute), so no page is read twice:
    - the first request asks for the newest page since the bookmark: when that is all of it
      (a routine incremental run), it is the only request;
    - pages read newest first hold every event newer than their oldest millisecond, so a
      range too large to buffer keeps the pages it read, reads what lies below them, and
      then emits them;
    - below the first page, history is found by descending in doubling spans (a request per
      doubling, each page kept), not by empty windows doubling from 1970 up to the data;
    - windows are sized from the density seen so far to hold a little under
      `target_pages_per_window` pages: few windows, and their last page nearly full.
    Memory is bounded by a constant, not by the data: a window's buffer (at most
    `max_pages_per_window` pages) and the kept pages (at most two windows' worth).

    None of this trusts the vendor blindly (see the README): every page is checked to be
    newest first and within the range asked for, else that range is read whole and sorted
    (`_read_unordered`); `to` is asked one ms higher, right whether it is inclusive or not;
    kept pages are emitted with a STATE after every window's worth.
    """

    primary_keys = ("id",)
    replication_key = "time"
    is_sorted = True
    timestamp_fields = ("time",)  # the kit nulls impossible times, keeping them in `extra`
    #: Pages a window should hold. Each window is buffered and usually ends with a partial
    #: page: wider windows cost memory and save requests.
    target_pages_per_window = 30
    #: Pages a window may buffer; reading stops there and what was read is kept.
    max_pages_per_window = 60

    @property
    def partitions(self) -> list[dict] | None:
        ids = self.config.get("sequence_ids")
        return [{"sequence_id": sequence_id} for sequence_id in ids] if ids else None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: Where each partition's read starts (ms), from its state: `prepare_partition`
        #: reads it on the main thread, `read_records` may run on a thread of its own.
        self._starts: dict[str, int] = {}
        self.page_cap = PageCap()

    @property
    def page_size(self) -> int:  # type: ignore[override]
        """Events asked per page: `per_page` 100, or fewer once the server showed a cap."""
        return self.page_cap.bound(MAX_PAGE_SIZE)

    def prepare_partition(self, context: Context | None) -> None:
        start = self.get_starting_timestamp(context)
        self._starts[partition_key(self.name, context)] = datetime_to_ms(start) if start else 0

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        """One partition's events, oldest first, with a checkpoint after each window (a
        STATE message written by `get_records` on the main thread)."""
        key = partition_key(self.name, context)
        if key not in self._starts:
            self.prepare_partition(context)  # called directly, not through get_records
        low = self._starts.pop(key)
        size = self.page_size
        sizer = WindowSizer(
            aim=self.target_pages_per_window * size - size // 10,
            limit=self.max_pages_per_window * size,
            page_size=size,
            # Until the first full page shows the feed's density.
            width=int(self.config.get("activity_window_days") or 7) * DAY_MS,
        )
        yield from self._read_range(_FeedRead(context, sizer), low, None, span=0)

    def _read_range(
        self,
        read: _FeedRead,
        low: int,
        high: int | None,
        span: int,
        *,
        sized: bool = False,
    ) -> t.Iterator[dict]:
        """The events of [low, high] (`high` None: up to the newest), oldest first.

        A range read whole is emitted. Otherwise the events read (the newest) are kept: all
        events newer than their oldest millisecond are among them, so [low, that ms] is
        what remains. It is read first (see `_read_below`), then the kept events emitted.
        """
        try:
            events, complete = self._read_pages(read, low, high, sized=sized)
        except _Unordered as exc:
            yield from self._read_unordered(read, low, high, str(exc))
            return
        if complete:
            if high is not None and high > low:  # one millisecond says nothing of density
                read.sizer.learn_window(len(events), low, high)
            yield from self._emit(read, events)
            return
        if read.held + len(events) > 2 * read.sizer.limit:  # memory: keep one page only
            events = events[: self.page_size]  # the first page is complete above its floor too
        times = _times(events)
        read.sizer.learn_page(times)
        span = max(span, read.sizer.width)
        # The second-to-last time, not the last: an ordered page proves every event newer
        # than it is on the page even if its last event alone carries a wrong, older time
        # (order cannot show that one); its own millisecond is read again below.
        floor = times[-2] if len(times) > 1 else times[-1]
        if floor == high:  # a page or more share the last millisecond, which cannot be split
            yield from self._read_below(read, low, high - 1, span)
            yield from self._read_range(read, high, high, span=0)
            return
        kept = [event for event in events if _newer(event, floor)]
        read.held += len(kept)
        yield from self._read_below(read, low, floor, span)
        read.held -= len(kept)
        yield from self._emit(read, kept)

    def _read_below(self, read: _FeedRead, low: int, high: int, span: int) -> t.Iterator[dict]:
        """The events of [low, high], which lies just below kept events, oldest first.

        Its top `span` ms are read in ascending windows, after what lies below them, which is
        read the same way with twice the span. Descending in doubling spans finds where the
        history starts (1970 without a start_date) in a few requests whose pages are kept,
        where windows growing from the bottom would spend one per doubling.
        """
        split = high - span
        if split >= low:
            yield from self._read_range(read, low, split, 2 * span)
            low = split + 1
        while low <= high:
            end = read.sizer.window_end(low, high)
            # A window of the size the density calls for is read on, not judged by its
            # first page, unless a window's worth is already kept (see `_read_pages`).
            sized = read.held <= read.sizer.limit
            yield from self._read_range(read, low, end, span=0, sized=sized)
            low = end + 1

    def _read_pages(
        self, read: _FeedRead, low: int, high: int | None, *, sized: bool
    ) -> tuple[list[dict], bool]:
        """Pages of [low, high], newest first, and whether that is all of the range.

        Reading stops after `max_pages_per_window` pages (the buffer's bound), and after the
        first page of a range that is open (`high` None: newer events would shift its pages)
        or, unless `sized`, that this page shows to be too dense to buffer. `sized` windows
        are read on because events come in bursts: one page of a burst would make a window
        look far denser than it is. A single millisecond cannot be split, nor events without
        a time: such a range is read whole.
        """
        guard = PageGuard()  # these pages are one read: an empty one after a full one is re-asked
        events: list[dict] = []
        seen: set[str] = set()
        splittable = high is None or high > low
        page = 0
        previous: int | None = None  # the last time of the previous page
        while True:
            page += 1
            asked = FeedPage(low, _to(high), page, self.page_size)
            batch = self._fetch(read.context, asked, guard)
            self.page_cap.seen(len(batch))
            previous = _check_page_order(batch, low, high, previous, page)
            inside = _within(batch, high)
            for event in inside:
                if event.get("id") not in seen:  # a record repeated across a page boundary
                    seen.add(event.get("id"))
                    events.append(event)
            if len(batch) < asked.size:
                if self._capped(read, asked, batch):  # read again at the server's size
                    return self._read_pages(read, low, high, sized=sized)
                return events, True
            if page == 1:
                times = _times(inside)
                splittable = splittable and bool(times)  # no times: nothing to split by
                too_dense = high is None or not (sized or read.sizer.fits(times, low, high))
            if splittable and (too_dense or page >= self.max_pages_per_window):
                return events, False

    def _read_unordered(
        self, read: _FeedRead, low: int, high: int | None, why: str
    ) -> t.Iterator[dict]:
        """[low, high] read without trusting the feed's order (a page was not newest first,
        or held an event outside the range asked for), oldest first by the times given.

        Every page of the range is read; a range with more events than a window may buffer
        is split in two at the median time read, each part read the same way, so memory
        stays bounded. Costs requests only where the check failed (about 2.5 times the
        minimum for a feed whose every read is disordered, nothing where none is).
        """
        self.logger.warning(
            "%s: reading %s..%s, %s; not trusting the feed's order there: reading that range "
            "whole and sorting it (slower, nothing lost)",
            self.name,
            _iso_ms(low),
            "now" if high is None else _iso_ms(high),
            why,
        )
        yield from self._read_whole(read, low, high)

    def _read_whole(self, read: _FeedRead, low: int, high: int | None) -> t.Iterator[dict]:
        top = self._now_ms() if high is None else high
        guard = PageGuard()
        events: list[dict] = []
        seen: set[str] = set()
        page = 0
        while True:
            page += 1
            asked = FeedPage(low, _to(high), page, self.page_size)
            batch = self._fetch(read.context, asked, guard)
            self.page_cap.seen(len(batch))
            for event in _within(batch, high):
                if event.get("id") not in seen:
                    seen.add(event.get("id"))
                    events.append(event)
            if len(batch) < asked.size:
                if self._capped(read, asked, batch):  # read again at the server's size
                    yield from self._read_whole(read, low, high)
                    return
                break
            if len(events) > read.sizer.limit and top > low:  # too many to buffer: split
                middle = _split_point(events, low, top)
                yield from self._read_whole(read, low, middle)
                yield from self._read_whole(read, middle + 1, high)
                return
        # Oldest first by the time the API gave; events without one where they came.
        events.reverse()
        events.sort(key=lambda event: _time(event) or 0)
        yield from self._emit(read, events, ascending=True)

    def _capped(self, read: _FeedRead, asked: FeedPage, batch: list[dict]) -> bool:
        """Whether a short page was a server's silent cap rather than the end of the range.

        Only a first page can tell (a short page after full ones is shorter than those), and
        only one of at least 2 events, some newer than the range's floor (a run with nothing
        new re-reads the bookmark's millisecond only), no shorter than any page the feed
        answered in this run (a longer one rules its length out). It is checked with one
        request: `per_page` one less than the page held, page 2, up to the page's newest
        event (later events would shift it). The end of the range holds one event there, the
        page's last; a cap holds more (whether it steps its pages by the size asked or
        served). A routine incremental run with new events costs one request more a feed.
        """
        rows = len(batch)
        if asked.number != 1 or rows < 2 or rows < self.page_cap.largest:
            return False
        times = _times(batch)
        if times and max(times) <= asked.low:  # only the floor's millisecond, read again
            return False  # (a run with nothing new): nothing newer to hide
        high = asked.high if asked.high is not None or not times else _to(max(times))
        check = FeedPage(asked.low, high, 2, rows - 1)
        if len(self._fetch(read.context, check, PageGuard())) <= 1:
            return False
        self.page_cap.learn(
            rows,
            asked.size,
            self.logger,
            self.name,
            f"asking for {rows} a page from now on, and reading that range again",
        )
        return True

    def _now_ms(self) -> int:
        return datetime_to_ms(self.sync_started_at())

    def _emit(
        self, read: _FeedRead, events: list[dict], *, ascending: bool = False
    ) -> t.Iterator[dict]:
        """Emit oldest first (the wire is newest first), a checkpoint after every window's
        worth: kept pages can hold two windows, and a kill should cost at most one."""
        ordered = events if ascending else events[::-1]
        step = max(1, read.sizer.aim)
        for start in range(0, len(ordered), step):
            yield from ordered[start : start + step]
            yield CHECKPOINT  # everything up to here is complete
        if not ordered:
            yield CHECKPOINT

    def _fetch(self, context: Context | None, page: FeedPage, guard: PageGuard) -> list[dict]:
        """One page of the feed; ``guard`` continues the paging guards of its read."""
        return list(self.request_records(context, OnePage(page), guard))

    def get_url_params(self, context: Context | None, next_page_token: FeedPage) -> dict:
        page = next_page_token
        params: dict[str, t.Any] = {
            "per_page": page.size,
            "page": page.number,
            "from": page.low,
        }
        if page.high is not None:
            params["to"] = page.high
        if context and context.get("sequence_id"):
            params["sequence_id"] = context["sequence_id"]
        return params

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row["time_ms"] = _time(row)
        return super().post_process(row, context)


@dataclass(frozen=True)
class FeedPage:
    """One request of an activity feed: a page of the events in [low, high]."""

    low: int
    #: The `to` sent (None: up to the newest).
    high: int | None
    number: int
    #: The `per_page` sent.
    size: int = MAX_PAGE_SIZE


@dataclass
class _FeedRead:
    """What one partition's read of a feed carries from range to range."""

    context: Context | None
    #: Window widths learned from the density seen so far.
    sizer: WindowSizer
    #: Kept events, waiting for what lies below them to be emitted.
    held: int = 0


def _time(event: dict) -> int | None:
    """An event's `time` in ms (an int, or a numeric string), else None."""
    raw = event.get("time")
    if type(raw) is int:  # what the API sends: no round trip through text (not a bool)
        return raw
    text = str(raw)
    return int(text) if text.lstrip("-").isdigit() else None


def _times(events: list[dict]) -> list[int]:
    return [ms for ms in map(_time, events) if ms is not None]


class _Unordered(Exception):
    """A page broke the newest-first order or the range asked for (the message says how)."""


def _check_page_order(
    batch: list[dict], low: int, high: int | None, previous: int | None, page: int
) -> int | None:
    """Raise `_Unordered` unless the page is newest first, continues the previous page and
    holds only times within [low, high + 1] (`to` is asked one ms higher); return its last
    time. Events without a time are not judged (nothing to judge them by)."""
    times = _times(batch)
    top = None if high is None else high + 1
    for ms in times:
        if ms < low or (top is not None and ms > top):
            raise _Unordered(f"page {page} held an event at {_iso_ms(ms)}, outside that range")
        if previous is not None and ms > previous:
            raise _Unordered(
                f"page {page} was not newest first ({_iso_ms(ms)} after {_iso_ms(previous)})"
            )
        previous = ms
    return previous


def _split_point(events: list[dict], low: int, top: int) -> int:
    """Where to split [low, top] that holds more than a buffer: at the median time of the
    events read (which, order untrusted, still show where the data is: a split in the
    middle of the time span would halve empty decades first); in [low, top - 1]."""
    times = sorted(ms for ms in _times(events) if low <= ms <= top)
    middle = times[len(times) // 2] if times else low + (top - low) // 2
    return min(max(middle, low), top - 1)


def _to(high: int | None) -> int | None:
    """The `to` asked for a range ending at `high`: whether `to` is inclusive is not
    documented, so one ms more is asked and what lies there dropped (`_within`): right
    under either reading, where a window ending at `high` would lose `high` if exclusive."""
    return None if high is None else high + 1


def _within(batch: list[dict], high: int | None) -> list[dict]:
    """The page without events at `high` + 1: asked for because `to` may be exclusive, they
    belong to the range above, which reads them itself. Any other time is kept as given."""
    if high is None:
        return batch
    return [event for event in batch if _time(event) != high + 1]


def _iso_ms(ms: int) -> str:
    try:
        return to_utc_iso(ms) or str(ms)
    except ValueError:
        return f"{ms} (epoch ms)"


def _newer(event: dict, floor: int) -> bool:
    """Whether an event is newer than `floor`. One without a time counts as newer: no time
    range would find it again, so it stays with the page it came on."""
    ms = _time(event)
    return ms is None or ms > floor


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


class ProspectsStream(DeletedParents, LegacyStream):
    """Legacy prospects of each campaign; free-form keys (with spaces) in `custom_fields`.
    A campaign deleted before its prospects are read is skipped (see
    :mod:`outreach_kit.gone`; "Get a Specific Campaign" tells whether it still exists)."""

    name = "prospects"
    path = "/prospects/{campaign_id}"
    parent_path = "/campaign/{campaign_id}"
    primary_keys = ("prospectID",)
    parent_stream_type = CampaignsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    timestamp_fields = ("added_at",)
    extra_property = "custom_fields"
    #: The legacy API's human-readable keys and the column each lands in.
    renamed = {
        "Email": "email",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Company": "company",
    }

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
    ListsStream,
    ListLeadsStream,
    SequencesStream,
    SequenceStatsStream,
    UsersStream,
    SentStream,
    OpensStream,
    ClicksStream,
    RepliesStream,
    CampaignsStream,
    ProspectsStream,
    TeamMembersStream,
]
