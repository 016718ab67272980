"""The activity feeds' window reading, in process against a fake newest-first feed.

Fast and deterministic: every shape of history (uniform, bursts, empty years, clumps of one
millisecond, events arriving mid-sync) is checked for the guarantees, not only the sandbox's
even spread: every event once, oldest first, resumable from every checkpoint, a bounded
buffer, and requests close to the API's minimum (ceil(n / 100), +1 when n is a multiple,
+1 to check a short first page for a server's silent cap).
"""

from __future__ import annotations

import bisect
import math
import random

import pytest

from outreach_kit.timestamps import ms_to_datetime
from outreach_kit.windows import WindowSizer
from tap_salesblink.tap import TapSalesBlink

NOW = 1_793_491_200_000  # the sandbox's clock: 2026-11-01
DAY = 86_400_000
HOUR = 3_600_000


class FakeFeed:
    """Answers `_fetch` like the API: `time` within [from, to], newest first (ties by index
    descending), `per_page` as asked; `arrivals` new events appear with every request."""

    def __init__(self, times: list[int], arrivals: int = 0) -> None:
        self.times = sorted(times)
        self.now = max(self.times, default=NOW)
        self.arrivals = arrivals
        self.requests: list[tuple[int, int | None, int]] = []

    def fetch(self, context, low: int, high: int | None, page: int, size: int) -> list[dict]:
        self.requests.append((low, high, page))
        top = bisect.bisect_right(self.times, self.now if high is None else min(high, self.now))
        bottom = bisect.bisect_left(self.times, low)
        indexes = range(top - 1, bottom - 1, -1)[(page - 1) * size : page * size]
        page_events = [{"id": str(i), "time": self.times[i]} for i in indexes]
        for _ in range(self.arrivals):  # after answering: the next request sees them
            self.now += 1_000
            self.times.append(self.now)
        return page_events


def read(feed: FakeFeed, bookmark: int | None = None, stop_after: int | None = None) -> dict:
    """Run one sync of the `sent` stream against `feed`; what it emitted, checkpoints, peaks."""
    tap = TapSalesBlink(config={"api_key": "k", "api_url": "https://sandbox.invalid/api"})
    stream = tap.streams["sent"]
    out: dict = {"events": [], "checkpoints": [], "buffer": 0, "held": 0}

    def fetch(context, page, guard):
        return feed.fetch(context, page.low, page.high, page.number, page.size)

    read_pages = stream._read_pages

    def measured_read_pages(read, *args, **kwargs):
        out["held"] = max(out["held"], read.held)  # kept events do not change while paging
        events, complete = read_pages(read, *args, **kwargs)
        out["buffer"] = max(out["buffer"], len(events))
        return events, complete

    def checkpoint():
        out["checkpoints"].append(len(out["events"]))
        if stop_after is not None and len(out["checkpoints"]) == stop_after:
            raise KeyboardInterrupt  # a kill right after this STATE message

    stream._fetch = fetch
    stream._read_pages = measured_read_pages
    stream._write_state_message = checkpoint
    if bookmark is not None:
        stream.get_starting_timestamp = lambda context: ms_to_datetime(bookmark)
    try:
        for event in stream.get_records(None):
            out["events"].append(event)
    except KeyboardInterrupt:
        pass
    return out


def minimum(n: int) -> int:
    return math.ceil(n / 100) + (n % 100 == 0)


def _shapes() -> dict[str, list[int]]:
    r = random.Random(7)
    even = [NOW - 90 * DAY + i * (90 * DAY // 20_100) for i in range(20_100)]
    return {
        "even spread (the sandbox)": even,
        "random, 50,000 over 90 days": [NOW - r.randrange(90 * DAY) for _ in range(50_000)],
        "5 quiet years, then 40,000 in 30 days": [
            NOW - r.randrange(5 * 365 * DAY) for _ in range(2_000)
        ]
        + [NOW - r.randrange(30 * DAY) for _ in range(40_000)],
        "a send of 500 each morning": [
            NOW - d * DAY + r.randrange(HOUR // 2) for d in range(1, 91) for _ in range(500)
        ],
        "bursts of 150 within a second": [
            b + r.randrange(1_000)
            for b in (NOW - r.randrange(200 * DAY) for _ in range(300))
            for _ in range(150)
        ],
        "a year away, two months of data": [
            NOW - 400 * DAY - r.randrange(30 * DAY) for _ in range(20_000)
        ]
        + [NOW - r.randrange(30 * DAY) for _ in range(20_000)],
        "events from 1970": [r.randrange(10**6) for _ in range(300)]
        + [NOW - r.randrange(30 * DAY) for _ in range(3_000)],
        "350 in one millisecond": [NOW - DAY] * 350
        + [NOW - r.randrange(10 * DAY) for _ in range(500)],
        "250 in the newest millisecond": [NOW - r.randrange(10 * DAY) for _ in range(500)]
        + [NOW - 5] * 250,
        "6,000 in one second": [NOW - 5 * DAY + r.randrange(1_000) for _ in range(6_000)],
        "exactly 100": [NOW - r.randrange(30 * DAY) for _ in range(100)],
        "exactly 3,000": [NOW - r.randrange(30 * DAY) for _ in range(3_000)],
        "one": [NOW - DAY],
        "none": [],
    }


SHAPES = _shapes()


def assert_exact_and_ascending(out: dict, expected: list[int]) -> None:
    ids = [int(e["id"]) for e in out["events"]]
    assert sorted(ids) == expected, "every event exactly once"
    times = [e["time"] for e in out["events"]]
    assert times == sorted(times), "oldest first"


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_event_once_oldest_first_with_few_requests(shape):
    feed = FakeFeed(SHAPES[shape])
    out = read(feed)
    n = len(feed.times)
    assert_exact_and_ascending(out, list(range(n)))
    made = len(feed.requests)
    assert made <= minimum(n) * 1.15 + 5, f"{made} requests for a minimum of {minimum(n)}"
    if shape.startswith("even"):
        assert made <= minimum(n) + 3
    assert out["buffer"] <= 60 * 100  # max_pages_per_window
    assert out["held"] <= 2 * 60 * 100 + 30 * 100  # two windows, and a page per level


def test_even_feed_at_ten_times_the_size_costs_few_more_requests():
    """The sandbox's 10x `sent` feed: 201,000 events evenly over 90 days."""
    feed = FakeFeed([NOW - 90 * DAY + i * (90 * DAY // 201_000) for i in range(201_000)])
    out = read(feed)
    assert len(out["events"]) == 201_000
    assert len(feed.requests) <= minimum(201_000) + 20  # 2,011; windows end a page short
    assert out["buffer"] <= 60 * 100


@pytest.mark.parametrize(
    "shape", ["random, 50,000 over 90 days", "bursts of 150 within a second", "exactly 3,000"]
)
def test_a_kill_after_any_checkpoint_resumes_without_loss(shape):
    """Killed right after checkpoint k, resumed from the bookmark it carried (the newest time
    emitted, inclusive): the union is complete and only that millisecond is read twice.

    What a run killed at checkpoint k emitted is the whole run's output up to that checkpoint
    (the read is deterministic): shown by real stopped reads at the first, middle and last
    checkpoint, then taken as that prefix for every k."""
    times = sorted(SHAPES[shape])
    whole = read(FakeFeed(times))
    checkpoints = whole["checkpoints"]
    assert len(checkpoints) > 2, "too few checkpoints to kill at"
    for k in sorted({1, len(checkpoints) // 2, len(checkpoints) - 1}):
        stopped = read(FakeFeed(times), stop_after=k)
        assert stopped["events"] == whole["events"][: checkpoints[k - 1]], k
    for k in range(1, len(checkpoints)):
        first = {"events": whole["events"][: checkpoints[k - 1]]}
        if not first["events"]:
            continue
        bookmark = first["events"][-1]["time"]
        resumed = read(FakeFeed(times), bookmark=bookmark)
        union = {e["id"] for e in first["events"]} | {e["id"] for e in resumed["events"]}
        assert union == {str(i) for i in range(len(times))}, f"loss after checkpoint {k}"
        again = {e["id"] for e in first["events"]} & {e["id"] for e in resumed["events"]}
        assert all(times[int(i)] == bookmark for i in again), "re-read beyond the bookmark ms"


def test_events_arriving_during_the_sync_are_not_lost():
    """New events land at the top of the feed between requests, shifting every page."""
    r = random.Random(3)
    feed = FakeFeed([NOW - r.randrange(60 * DAY) for _ in range(12_000)], arrivals=3)
    start = len(feed.times)
    out = read(feed)
    ids = [int(e["id"]) for e in out["events"]]
    assert len(ids) == len(set(ids))
    assert set(range(start)) <= set(ids), "every event that existed at the start"
    newest = out["events"][-1]["time"]
    assert {i for i, ms in enumerate(feed.times) if ms <= newest} == set(ids)


@pytest.mark.parametrize(
    ("new", "requests"), [(0, 1), (1, 2), (98, 2), (99, 2), (250, 3), (3_000, 31)]
)
def test_incremental_reads_take_the_minimum(new, requests):
    """From a bookmark: the events since, plus the bookmark's own millisecond (re-read); n
    events need ceil(n / 100) requests, one more when the last page is full, and one more
    when a first page of 2 to 99 events is all (it is checked for a server's silent cap:
    see test_overlapping_pages)."""
    old = [NOW - 30 * DAY + i * 1_000 for i in range(2_000)]
    bookmark = old[-1]
    feed = FakeFeed(old + [bookmark + 1 + i * 60_000 for i in range(new)])
    out = read(feed, bookmark=bookmark)
    assert [int(e["id"]) for e in out["events"]] == list(range(1_999, 2_000 + new))
    assert len(feed.requests) == requests


def test_sizer_learns_width_from_a_page_and_from_windows():
    sizer = WindowSizer(aim=2_990, limit=6_000, page_size=100, width=7 * DAY)
    sizer.learn_page([1_000 + 10 * i for i in range(100)])  # one event every 10 ms
    assert sizer.width == 29_900
    sizer.learn_window(5_980, 0, 59_799)  # twice as dense as that
    assert sizer.width == 29_900
    sizer.learn_window(0, 0, 29_899)  # empty: widen, at most 4x at once
    assert sizer.width == 4 * 29_900
    sizer.learn_window(90, 0, 999)  # under a page: a sparse sample may widen, not narrow
    assert sizer.width == 4 * 29_900
    sizer.learn_window(10, 0, 99_999)
    assert sizer.width == 4 * 4 * 29_900


def test_sizer_fits_and_window_end():
    sizer = WindowSizer(aim=2_990, limit=6_000, page_size=100, width=1_000)
    page = [10_000 - i for i in range(100)]  # 100 events in the newest 100 ms
    assert sizer.fits(page, 10_000 - 4_000, 10_000)  # about 4,000: within 3/4 of the limit
    assert not sizer.fits(page, 10_000 - 5_000, 10_000)
    assert sizer.fits([], 0, 10**12)
    assert sizer.window_end(0, 10_000) == 999
    assert sizer.window_end(0, 1_400) == 1_400  # no sliver of 400 ms left behind
    assert sizer.window_end(0, 1_600) == 999
