"""What a run counted instead of logging each time, reported as one WARNING per line at the end.

A value nulled because it is no usable timestamp, a record dated after the sync start, a
record rejected (:mod:`outreach_kit.rejects`), a value conformance had to null, a lone
surrogate replaced: each is kept or landed where users can query it and the run goes on. A
WARNING per occurrence would drown the log, none would hide it; the first occurrence may be
logged where it happens (with an example), the count once at the end. Worker threads count
too (a child partition read ahead), so counting takes a lock.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter


class WarningTally:
    """Occurrences per ``(stream, what)``, one per tap run; ``what`` reads as the rest of a
    sentence after the count (``"lists: 2 value(s) of ..."``)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, stream: str, what: str, count: int = 1) -> bool:
        """Count ``count`` occurrences; True for the first of its kind (log it then)."""
        with self._lock:
            first = (stream, what) not in self._counts
            self._counts[stream, what] += count
            return first

    def count(self, stream: str, what: str) -> int:
        return self._counts[stream, what]

    def counts(self) -> dict[tuple[str, str], int]:
        """Every count so far, in the order first seen."""
        with self._lock:
            return dict(self._counts)

    def report(self, logger: logging.Logger | logging.LoggerAdapter) -> None:
        """One WARNING per stream and kind, in the order first seen."""
        for (stream, what), n in self.counts().items():
            logger.warning("%s: %d %s", stream, n, what)
