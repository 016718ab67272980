"""Ascending time windows: how a newest-first or date-ranged feed becomes resumable.

Reading ``[start, end)`` in consecutive windows lets a stream checkpoint its bookmark at
each window's end: an interrupted sync then resumes at the last finished window instead
of starting over (or, worse, skipping what a newest-first feed had not yet reached).

A window of a newest-first feed is buffered so that it can be emitted oldest first, and its
last page is usually partial. :class:`WindowSizer` sizes windows from the density the feed
shows, so each holds about as many events as the buffer is meant for: few windows (few
partial pages) and a memory bound that does not grow with the data.
"""

from __future__ import annotations

import typing as t


class WindowSizer:
    """How many milliseconds a window should span to hold about ``aim`` events.

    Times are integers (e.g. Unix ms) and windows are inclusive ``[low, high]`` ranges.
    ``width`` starts as given and is then learned from what the feed shows: a full page of
    the newest events of a range, and every window read whole.
    """

    #: Most a window may widen at once: a sparse sample says little about what comes next.
    MAX_GROWTH = 4

    def __init__(self, aim: int, limit: int, page_size: int, width: int) -> None:
        self.aim = aim  # events a window should hold
        self.limit = limit  # events a window may hold: the buffer's bound
        self.page_size = page_size
        self.width = max(1, width)

    def learn_page(self, times: t.Sequence[int]) -> None:
        """The newest events of a range, a full page or more: the density at that end of it
        (n events are n - 1 gaps apart)."""
        if len(times) > 1:
            gap = (max(times) - min(times)) / (len(times) - 1)
            self.width = max(1, round(gap * self.aim))

    def learn_window(self, count: int, low: int, high: int) -> None:
        """A window read whole. A page or more of events measures the density; fewer is a
        noisy sample (an empty stretch of history, the edge of the data) that may only widen
        windows. Either widens them at most ``MAX_GROWTH`` times at once."""
        measured = (high - low + 1) * self.aim / max(count, 1)
        if count < self.page_size:
            measured = max(measured, self.width)
        self.width = max(1, round(min(measured, self.MAX_GROWTH * self.width)))

    def fits(self, times: t.Sequence[int], low: int, high: int) -> bool:
        """Whether ``[low, high]``, as dense as the page of its newest events at ``times``
        shows, holds at most 3/4 of ``limit`` events (one page is a rough sample: the rest
        is margin). No times: nothing to estimate from, so yes."""
        if not times:
            return True
        end = min(high, max(times))  # the range may reach past its newest event
        covered = end - min(times) + 1
        return len(times) * (end - low + 1) / covered <= self.limit * 3 / 4

    def window_end(self, low: int, high: int) -> int:
        """The end of the next window of ``[low, high]``: ``width`` on, or ``high`` when less
        than half a window would be left over (a sliver would cost a request of its own)."""
        end = low + self.width - 1
        return high if high - end < self.width // 2 else end
