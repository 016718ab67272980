"""The largest page a server answers, learned during a run.

A server that quietly answers fewer rows than asked (a cap below the page size asked)
makes every page look like the last one, and a read that takes a short page for the end
loses the rest with exit 0. Each paged stream keeps one :class:`PageCap`, shared by its
worker copies (they copy the reference, not the object): the largest page seen so far, and
the cap once one is shown. How a cap is shown depends on the vendor's paging (see the
taps' paging modules); a cap learned wrongly costs requests, never rows.
"""

from __future__ import annotations

import threading
import typing as t

if t.TYPE_CHECKING:
    import logging


class PageCap:
    """The largest page seen and the cap learned, for one stream."""

    def __init__(self) -> None:
        #: The cap: at most this many rows a page (None: none seen).
        self.size: int | None = None
        #: The most rows one page held so far.
        self.largest = 0
        self._lock = threading.Lock()

    def bound(self, asked: int) -> int:
        """What to ask for (and what makes a full page): ``asked``, or the cap once one is
        known and smaller."""
        return min(asked, self.size or asked)

    def seen(self, rows: int) -> int:
        """Note a page of ``rows``; the largest page before it."""
        with self._lock:
            before = self.largest
            self.largest = max(before, rows)
            return before

    def learn(
        self,
        size: int,
        asked: int,
        logger: logging.Logger,
        stream: str,
        then: str = "",
        unit: str = "rows per page",
    ) -> None:
        """Record a cap of ``size`` rows (logged once; only a smaller one replaces it);
        ``then`` says what the stream does about it, ``unit`` what is counted."""
        with self._lock:
            if self.size is not None and self.size <= size:
                return
            self.size = size
        logger.info(
            "%s: the server answers at most %d %s (asked %d); %s",
            stream,
            size,
            unit,
            asked,
            then or f"a page of {size} rows counts as full from now on",
        )
