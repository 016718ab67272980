"""Counts of tolerated anomalies, reported as one WARNING per stream and kind at run end.

A value nulled because it is no usable timestamp, or a record dated after the sync start, is
kept and the run goes on; a WARNING per record would drown the log, none would hide it. The
first occurrence is logged where it happens (with an example), the count once at the end.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter


class WarningTally:
    """Occurrences per ``(stream, what)``; ``what`` reads as the rest of a sentence."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, stream: str, what: str) -> bool:
        """Count one occurrence; True for the first of its kind (log it then)."""
        with self._lock:
            self._counts[stream, what] += 1
            return self._counts[stream, what] == 1

    def count(self, stream: str, what: str) -> int:
        return self._counts[stream, what]

    def report(self, logger: logging.Logger | logging.LoggerAdapter) -> None:
        """One WARNING per stream and kind, in the order first seen."""
        with self._lock:
            for (stream, what), n in self._counts.items():
                logger.warning("%s: %d %s", stream, n, what)
