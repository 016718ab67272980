"""Fetch child partitions ahead, on worker threads, while the sync itself stays sequential.

singer-sdk syncs a child stream after each parent record, one partition at a time, so with
many parents a sync waits for one round trip after another. The SDK's state and message
writing are not thread-safe, so instead of syncing partitions in parallel only the HTTP
reads move to workers:

1. The parent reads its records a few ahead of what it hands to the SDK; for each record it
   reads ahead, it derives the child context and submits the child partition to a pool.
2. A worker reads the partition (every page, retries, paging guards) through the child's
   ``read_records``, which keeps nothing about a read on the stream (see
   :mod:`outreach_kit.reading`), with an HTTP session of its own (:func:`thread_session`),
   and hands the records, as the API returned them, to a small bounded queue, waiting
   while it is full. Writing state or messages there raises (:func:`check_main_thread`).
3. When the SDK reaches that parent record and syncs the child, the child's ``get_records``
   takes the records from that queue (:func:`take`: the prefetcher owns what it read
   ahead, nothing is stored on the stream) (waiting if they are not there yet; a worker's
   exception is raised here, on the main thread) and the SDK post-processes, writes and
   checkpoints them exactly as in a sequential run.

So output and state are the same as with ``concurrency: 1``; the requests overlap. Requests
stay within the rate limit because every worker waits on the tap's shared pacer. Memory is
bounded by the partitions in flight (``lookahead`` of them, each holding at most
``BUFFERED_CHUNKS`` chunks plus the page being read; the one the main thread is taking
from, ``TAKING_CHUNKS``), not by the data.

A partition the prefetcher did not read (a top-level stream's, e.g. an activity feed or
an account's messages) is read the same way on a thread of its own (:func:`read_ahead`):
the next page is requested and decoded while the main thread writes this one, so the
vendor's time to answer overlaps the tap's time per record instead of adding to it. A read
that must checkpoint part-way yields :data:`CHECKPOINT` where the records before it are
complete; the stream's ``get_records`` writes the STATE there, on the main thread, once the
SDK has processed those records. Such a read may hold ``READ_AHEAD_CHUNKS`` chunks: a
feed hands over a whole window at once, and a smaller queue would stop its thread there.

This module knows streams only through :class:`ReadAheadStream`; it does not import
:mod:`outreach_kit.client` (which imports it).
"""

from __future__ import annotations

import collections
import contextlib
import copy
import json
import queue
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

import requests

from outreach_kit.rejects import Rejected, diverted

#: Parent records read ahead per worker: enough to keep every worker busy.
LOOKAHEAD_PER_WORKER = 2
#: Records per hand-over from a worker, and hand-overs a partition read ahead may hold in
#: memory while the main thread has not reached it.
CHUNK_RECORDS = 100
BUFFERED_CHUNKS = 4
#: Hand-overs the partition the main thread is taking from may hold: more than a page of the
#: largest the APIs serve (Sales.Rocks, 1,000 rows), so that its worker asks for the next
#: page while the main thread still has this one's records to write (with room for 400 it
#: asked only once most of the page was taken, and the main thread then waited out the
#: round trip on every page). Only that one partition grows: memory stays about as bounded.
TAKING_CHUNKS = 12
#: Hand-overs a partition read on its own thread may hold: more than a window of an activity
#: feed (which buffers up to ~3,000 events and then hands them over at once), so the thread
#: is already fetching the next window while the main thread writes this one.
READ_AHEAD_CHUNKS = 40


class _Checkpoint:
    """The type of :data:`CHECKPOINT`."""

    def __repr__(self) -> str:
        return "CHECKPOINT"


#: Yielded among a read's records where a STATE should be written (see the module docstring).
CHECKPOINT = _Checkpoint()


class _WorkerLocal(threading.local):
    """Per thread: whether it is reading a partition, and (set on a worker) its session per
    stream. ``reading`` defaults here, not through ``getattr``'s default: on the main
    thread, where it is never set, that default is reached by a caught AttributeError, for
    every record written (``check_main_thread``)."""

    reading: bool = False


#: Per prefetch worker thread: whether it is reading, and its session per stream.
_worker = _WorkerLocal()
#: The prefetchers open on the main thread, innermost last (a child may prefetch too).
_open: list[ChildPrefetcher] = []


class ReadAheadStream(t.Protocol):
    """What the prefetcher needs of a child stream; only ``read_records`` (and the
    session it sends with) runs on a worker."""

    name: str

    @property
    def requests_session(self) -> requests.Session: ...

    def preprocess_context(self, context: dict) -> dict: ...

    def prepare_partition(self, context: dict | None) -> None: ...

    def read_records(self, context: dict | None) -> t.Iterable[dict]: ...


class OffMainThreadError(RuntimeError):
    """State or messages were about to be written by a prefetch worker."""


def check_main_thread(what: str, stream: str | None = None) -> None:
    """Raise unless this is the sync's own thread: the SDK's state and message writing are
    not thread-safe, and a worker's write would land out of order. ``what`` happened (in
    ``stream``): the message is built only when it is raised (this runs for every record)."""
    if on_worker():
        what = f"stream '{stream}' {what}" if stream else what
        raise OffMainThreadError(
            f"{what} on prefetch worker thread {threading.current_thread().name}: "
            "read_records may run on a worker and must not write state or messages (do it "
            "in prepare_partition, post_process or get_records, on the main thread)."
        )


def thread_session(stream: object) -> requests.Session | None:
    """The session a prefetch worker sends ``stream``'s requests with; None elsewhere."""
    sessions: dict[int, requests.Session] = getattr(_worker, "sessions", {})
    return sessions.get(id(stream))


def partition_key(stream_name: str, context: t.Mapping[str, t.Any] | None) -> str:
    """A stable key for one partition of one stream."""
    return f"{stream_name}:{json.dumps(dict(context or {}), sort_keys=True, default=str)}"


class ChildPrefetcher:
    """A worker pool that reads child partitions announced by one parent partition; it
    holds what it reads ahead until the child's ``get_records`` takes it (:func:`take`)."""

    def __init__(self, children: t.Sequence[ReadAheadStream], workers: int) -> None:
        self.children = list(children)
        self.lookahead = workers * LOOKAHEAD_PER_WORKER
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="prefetch")
        #: Reads submitted and not yet taken, by child and partition key.
        self._reads: dict[tuple[int, str], PartitionRead] = {}

    def ahead_of(
        self, records: t.Iterable[dict], child_context: t.Callable[[dict], dict | None]
    ) -> t.Iterator[dict]:
        """Yield ``records`` in order, each only after its children were submitted and
        ``lookahead`` more records were read (or the records ran out)."""
        window: collections.deque[dict] = collections.deque()
        for record in records:
            context = None if record is CHECKPOINT else child_context(record)
            if context is not None:
                for child in self.children:
                    self.submit(child, context)
            window.append(record)
            if len(window) > self.lookahead:
                yield window.popleft()
        while window:
            yield window.popleft()

    def submit(self, child: ReadAheadStream, context: dict) -> None:
        """Start reading one child partition; the child picks it up in ``get_records``."""
        context = child.preprocess_context(dict(context))
        child.prepare_partition(context)  # on this (main) thread: may read state
        reading = PartitionRead()
        self._pool.submit(reading.run, lambda: _on_worker(child, context))
        self._reads[(id(child), partition_key(child.name, context))] = reading

    def take(
        self, stream: ReadAheadStream, context: t.Mapping[str, t.Any] | None
    ) -> PartitionRead | None:
        """The read submitted for this partition of ``stream``, handed over once."""
        return self._reads.pop((id(stream), partition_key(stream.name, context)), None)

    def close(self) -> None:
        """Drop what the sync did not take (it failed or a map filtered a parent), wait for
        running reads to end, and stop the workers."""
        for reading in self._reads.values():
            reading.cancel()
        self._reads.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ChildPrefetcher:
        _open.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _open.remove(self)
        self.close()


def read_ahead(stream: ReadAheadStream, context: dict | None) -> PartitionRead:
    """Start reading one partition of ``stream`` on a thread of its own (see the module
    docstring); the caller takes the records from the returned read and cancels it if it
    stops early."""
    reading = PartitionRead(READ_AHEAD_CHUNKS)
    thread = threading.Thread(
        target=reading.run,
        args=(lambda: _on_worker(stream, context),),
        name=f"read-ahead-{stream.name}",
        daemon=True,  # a sync that fails leaves at most one request in flight behind it
    )
    thread.start()
    return reading


def on_worker() -> bool:
    """Whether this thread is a worker reading a partition."""
    return _worker.reading


def _on_worker(child: ReadAheadStream, context: dict | None) -> t.Iterator[dict]:
    """Read one partition on a worker, with this thread's own session for ``child``."""
    sessions: dict[int, requests.Session] = _worker.__dict__.setdefault("sessions", {})
    if id(child) not in sessions:  # one per thread and stream: connections are not shared
        sessions[id(child)] = session_like(child.requests_session)
    yield from child.read_records(context)


class PartitionRead:
    """One partition read by a worker; its records reach the main thread through a bounded
    queue, so a large partition read ahead holds a few chunks in memory, not all of it (the
    worker waits while the queue is full)."""

    def __init__(self, chunks: int = BUFFERED_CHUNKS, taking: int = TAKING_CHUNKS) -> None:
        self._queue: queue.Queue[tuple[str, t.Any]] = queue.Queue(maxsize=chunks)
        self._cancelled = threading.Event()
        #: Hand-overs held once the main thread takes records (see TAKING_CHUNKS).
        self._taking = max(chunks, taking)

    def run(self, read: t.Callable[[], t.Iterable[dict]]) -> None:
        """On a worker: pass the records on in chunks, then the end or the error. Records
        rejected during the read travel in their place among them (see outreach_kit.rejects)."""
        chunk: list[t.Any] = []
        _worker.reading = True
        try:
            with diverted(lambda rejected: chunk.append(rejected)):
                for record in read():
                    chunk.append(record)
                    if len(chunk) >= CHUNK_RECORDS:
                        self._put(("records", chunk))
                        chunk = []
            self._put(("records", chunk))
            self._put(("end", None))
        except _Cancelled:
            return
        except BaseException as exc:  # raised on the main thread after the records before it
            with contextlib.suppress(_Cancelled):
                self._put(("records", chunk))
                self._put(("error", exc))
        finally:
            _worker.reading = False

    def records(self) -> t.Iterator[dict]:
        """On the main thread: the partition's records, as the worker reads them. From the
        first, the worker may hold more of them (``TAKING_CHUNKS``)."""
        with self._queue.mutex:
            self._queue.maxsize = self._taking
            self._queue.not_full.notify_all()
        while True:
            kind, value = self._queue.get()
            if kind == "records":
                for record in value:
                    if type(record) is Rejected:
                        record.ledger.deliver(record)  # written here, on the main thread
                    else:
                        yield record
            elif kind == "error":
                raise value
            else:
                return

    def cancel(self) -> None:
        """The sync will not take these records: let the worker stop."""
        self._cancelled.set()

    def _put(self, item: tuple[str, t.Any]) -> None:
        main = threading.main_thread()
        while not self._cancelled.is_set() and main.is_alive():  # never outlive the sync
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Cancelled


class _Cancelled(Exception):
    """The read was dropped while the worker waited to hand on records."""


def take(stream: ReadAheadStream, context: t.Mapping[str, t.Any] | None) -> PartitionRead | None:
    """The read an open prefetcher submitted for this partition of ``stream``, if any."""
    for prefetcher in reversed(_open):
        reading = prefetcher.take(stream, context)
        if reading is not None:
            return reading
    return None


def session_like(session: requests.Session) -> requests.Session:
    """A new session (one per thread: connections are not shared) with the same settings
    and, for a guarded session, the same policy (see :mod:`outreach_kit.transport`)."""
    spawn = getattr(session, "spawn", None)
    if callable(spawn):
        return spawn()  # type: ignore[no-any-return]
    copy_ = requests.Session()
    for name in ("headers", "params", "stream", "verify", "cert", "trust_env"):
        setattr(copy_, name, copy.copy(getattr(session, name)))
    return copy_
