"""Pace requests to a vendor's documented rate limit instead of bouncing off 429s.

A sliding window over the last ``period`` seconds admits at most ``limit`` requests. It is
shared by every stream of a tap (the limit is per API key, not per endpoint) and is safe
to call from worker threads. The clock and sleep are injectable so tests never wait.
"""

from __future__ import annotations

import collections
import threading
import time
import typing as t

#: The least a window is widened by (see ``RequestPacer``).
MIN_HEADROOM_SECONDS = 0.1


class RequestPacer:
    """Block just long enough that no window of ``period`` seconds sees over ``limit`` calls."""

    def __init__(
        self,
        limit: int | None,
        period: float = 60.0,
        *,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] | None = None,
    ) -> None:
        self.limit = limit if limit and limit > 0 else None
        # Headroom: requests are stamped when sent but counted by the server on arrival, and
        # the delay between (network, a busy machine) does not shrink with the window: 2%
        # of it, and at least 0.1 s (a time-scaled test window of 1 s saw a 429 at 20 ms).
        self.period = period + max(period * 0.02, MIN_HEADROOM_SECONDS)
        self._clock = clock
        self._sleep = sleep
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._paused_until = 0.0

    def wait(self) -> None:
        """Return when one more request may be sent, and count it as sent."""
        while True:
            with self._lock:
                now = self._clock()
                delay = max(0.0, self._paused_until - now)
                if not delay and self.limit is not None:
                    while self._sent and self._sent[0] <= now - self.period:
                        self._sent.popleft()
                    if len(self._sent) >= self.limit:
                        delay = self._sent[0] + self.period - now
                if delay <= 0:
                    if self.limit is not None:
                        self._sent.append(now)
                    return
            (self._sleep or time.sleep)(delay)  # looked up late: tests may patch it

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the server said Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
