"""Ascending time windows: how a newest-first or date-ranged feed becomes resumable.

Reading ``[start, end)`` in consecutive windows lets a stream checkpoint its bookmark at
each window's end: an interrupted sync then resumes at the last finished window instead
of starting over (or, worse, skipping what a newest-first feed had not yet reached).
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta


def iter_windows(
    start: datetime, end: datetime, step: timedelta
) -> t.Iterator[tuple[datetime, datetime]]:
    """Yield ``(window_start, window_end)`` pairs covering ``[start, end)`` in order."""
    if step <= timedelta(0):
        raise ValueError("window step must be positive")
    cursor = start
    while cursor < end:
        upper = min(cursor + step, end)
        yield cursor, upper
        cursor = upper
