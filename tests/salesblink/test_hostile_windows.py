"""The activity feeds when the vendor breaks the feed's assumptions, in process.

Pages out of order, events outside the range asked for, an exclusive `to`: every event is
still emitted exactly once, and a WARNING names the range that was read the slow way.
Checkpoints come at least once per window's worth of events, kept pages included.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import random

import pytest
from test_activity_windows import DAY, NOW, SHAPES, FakeFeed, minimum, read

from tap_salesblink.streams import ActivityStream

AIM = ActivityStream.target_pages_per_window * 100 - 10


class ExclusiveToFeed(FakeFeed):
    """`to` is exclusive: events at exactly `to` are not returned."""

    def fetch(self, context, low, high, page, size):
        if high is None:
            return super().fetch(context, low, None, page, size)
        return super().fetch(context, low, high - 1, page, size) if high > low else []


class BentFeed(FakeFeed):
    """One event's time is replaced on the pages that carry it: on the first such response
    only (a proxy bending one reply), or on every response (`persistent`)."""

    def __init__(self, times, *, victim: int, bent: int, persistent: bool = False) -> None:
        super().__init__(times)
        self.victim, self.bent, self.persistent, self.bends = str(victim), bent, persistent, 0

    def fetch(self, context, low, high, page, size):
        events = super().fetch(context, low, high, page, size)
        for event in events:
            if event["id"] == self.victim and (self.persistent or not self.bends):
                event["time"] = self.bent
                self.bends += 1
        return events


def _ids(out: dict) -> list[int]:
    return sorted(int(e["id"]) for e in out["events"])


@pytest.mark.parametrize("shape", [s for s in SHAPES if s not in ("none", "one")])
def test_an_exclusive_to_loses_no_event_at_a_window_edge(shape):
    feed = ExclusiveToFeed(SHAPES[shape])
    out = read(feed)
    assert _ids(out) == list(range(len(feed.times)))
    made, n = len(feed.requests), len(feed.times)
    assert made <= minimum(n) * 1.15 + 5, f"{made} requests for a minimum of {minimum(n)}"


def _even(n: int) -> list[int]:
    return [NOW - 30 * DAY + i * (30 * DAY // n) for i in range(n)]


@pytest.mark.parametrize("persistent", [False, True], ids=["once", "always"])
@pytest.mark.parametrize(
    ("position", "bent"),
    [(50, 0), (50, -20 * DAY), (0, 0), (99, -20 * DAY), (99, 0), (30, NOW - 10 * DAY)],
    ids=[
        "mid-page time 0",
        "mid-page 20 days older",
        "first time 0",
        "last 20 days older",
        "last time 0",
        "mid-page from another window",
    ],
)
def test_an_out_of_order_event_on_the_newest_page_loses_nothing(position, bent, persistent, caplog):
    times = _even(3_066)
    victim = len(times) - 1 - position  # the newest page holds the highest indexes
    if bent < 0:
        bent = times[victim] + bent
    feed = BentFeed(times, victim=victim, bent=bent, persistent=persistent)
    with caplog.at_level(logging.WARNING):
        out = read(feed)
    assert _ids(out) == list(range(len(times))), "every event exactly once"
    emitted = next(e for e in out["events"] if e["id"] == str(victim))
    if persistent:
        assert emitted["time"] == bent, "emitted with the time the API gave"
    warned = [r for r in caplog.records if "not trusting the feed's order" in r.getMessage()]
    if position != 99:  # the last event alone, older: order cannot show it (nor need to)
        assert warned, "a WARNING names the range read the slow way"
    assert len(feed.requests) <= minimum(len(times)) + 40  # slower only where it failed


def test_an_unordered_range_too_large_to_buffer_is_split_and_read_whole(caplog):
    r = random.Random(5)
    times = sorted(NOW - r.randrange(60 * DAY) for _ in range(20_000))
    feed = BentFeed(times, victim=len(times) - 10, bent=0, persistent=True)
    with caplog.at_level(logging.WARNING):
        out = read(feed)
    assert _ids(out) == list(range(len(times)))
    assert out["buffer"] <= 60 * 100 + 100
    # Split at the median time read, not the middle of 1970..now: ~2.5x the minimum.
    assert len(feed.requests) <= 3 * minimum(len(times)), len(feed.requests)


def _biggest_gap(out: dict) -> int:
    marks = [0, *out["checkpoints"]]
    return max(b - a for a, b in itertools.pairwise(marks))


@pytest.mark.parametrize(
    "shape", ["random, 50,000 over 90 days", "6,000 in one second", "a send of 500 each morning"]
)
def test_a_checkpoint_after_every_window_kept_pages_included(shape):
    out = read(FakeFeed(SHAPES[shape]))
    assert _biggest_gap(out) <= AIM, "never more than a window's worth without a STATE"


def test_a_feed_of_10000_killed_at_60_percent_rereads_at_most_the_rest_and_a_window():
    times = _even(10_000)
    checkpoints = read(FakeFeed(times))["checkpoints"]
    k = bisect.bisect_right(checkpoints, 6_000)  # the last STATE before event 6,000
    first = read(FakeFeed(times), stop_after=k) if k else {"events": []}
    bookmark = first["events"][-1]["time"] if first["events"] else None
    resumed = read(FakeFeed(times), bookmark=bookmark)
    assert len(resumed["events"]) <= 4_000 + AIM
    union = {e["id"] for e in first["events"]} | {e["id"] for e in resumed["events"]}
    assert len(union) == 10_000
