"""One batch load in flight: DuckDB loads a batch on a worker thread while the next is read.

DuckDB releases the GIL while it runs a statement, so reading and staging the next batch
(Python) overlaps loading this one (DuckDB); in `tap | loader` the loader keeps draining the
pipe instead of stalling the tap. Order stays exact: a new load, and every other use of the
database (DDL, ACTIVATE_VERSION, STATE output, close), first waits for the load in flight
(`settle`), which re-raises its error there. So at most one batch is loading, one is being
staged on disk, and nothing is confirmed before the batches before it are committed.
"""

from __future__ import annotations

import threading
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor

#: Set on the load thread while it runs a load: the load itself may use the connector.
_inside = threading.local()


def _run(load: t.Callable[[], None]) -> None:
    _inside.loading = True
    try:
        load()
    finally:
        _inside.loading = False


class OneLoadInFlight:
    """A single-slot queue of batch loads, run in submission order on one worker thread."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def submit(self, load: t.Callable[[], None]) -> None:
        """Start `load` once the load before it has finished (and raise that one's error)."""
        self.settle()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duckdb-load")
        self._pending = self._pool.submit(_run, load)

    def settle(self) -> None:
        """Wait for the load in flight; its error is raised here, in the caller's thread.
        On the load thread itself (the load using the connector): nothing to wait for."""
        if getattr(_inside, "loading", False):
            return
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def shutdown(self) -> None:
        """Settle, then stop the worker thread."""
        try:
            self.settle()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
