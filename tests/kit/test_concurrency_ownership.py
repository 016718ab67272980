"""Concurrency rules that the code enforces: the prefetcher owns what it reads ahead,
workers send with sessions of their own, writing state or messages on a worker raises,
and `outreach_kit.concurrency` does not depend on the stream class."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from outreach_kit.concurrency import (
    ChildPrefetcher,
    OffMainThreadError,
    PartitionRead,
    take,
    thread_session,
)
from tap_salesblink.tap import TapSalesBlink

CONFIG = {"api_key": "k-0123456789", "api_url": "https://sandbox.invalid/api"}


class FakeChild:
    """A child stream as the prefetcher sees it (see ReadAheadStream); no HTTP."""

    name = "child"

    def __init__(self) -> None:
        self.requests_session = __import__("requests").Session()
        self.prepared: list[tuple[dict, str]] = []
        self.sessions: list[object] = []

    def preprocess_context(self, context: dict) -> dict:
        return context

    def prepare_partition(self, context: dict | None) -> None:
        self.prepared.append((dict(context or {}), threading.current_thread().name))

    def read_records(self, context: dict | None):
        self.sessions.append(thread_session(self))
        yield {"parent": (context or {})["id"], "thread": threading.current_thread().name}


def test_the_prefetcher_owns_its_reads_and_hands_each_over_once():
    child = FakeChild()
    with ChildPrefetcher([child], workers=2) as prefetcher:
        parents = list(prefetcher.ahead_of([{"id": 1}, {"id": 2}], lambda r: {"id": r["id"]}))
        assert parents == [{"id": 1}, {"id": 2}]
        assert not hasattr(child, "fetched_ahead")  # nothing is stored on the stream
        reading = take(child, {"id": 2})
        assert isinstance(reading, PartitionRead)
        assert take(child, {"id": 2}) is None  # handed over once
        [record] = list(reading.records())
        assert record["parent"] == 2 and record["thread"].startswith("prefetch")
    assert take(child, {"id": 1}) is None  # closed: what was not taken is dropped
    # Partitions are prepared on the main thread, read with a worker's own session.
    assert {thread for _, thread in child.prepared} == {threading.current_thread().name}
    assert child.sessions and all(s is not None for s in child.sessions)
    assert all(s is not child.requests_session for s in child.sessions)


def test_a_worker_sends_a_kit_stream_with_a_guarded_session_of_its_own():
    stream = TapSalesBlink(config=CONFIG).streams["list_leads"]
    main = stream.requests_session
    seen = []

    def read_records(context):
        seen.append(stream.requests_session)  # what the SDK's request path sends with
        yield {"id": 1}

    stream.read_records = read_records
    with ChildPrefetcher([stream], workers=1) as prefetcher:
        prefetcher.submit(stream, {"list_id": 1})
        assert list(take(stream, {"list_id": 1}).records()) == [{"id": 1}]
    [session] = seen
    assert session is not main and type(session) is type(main)
    assert stream.requests_session is main  # the main thread keeps the stream's own


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s._write_state_message(),
        lambda s: s.get_context_state(None),
        lambda s: s.stream_state,
        lambda s: s._write_record_message({"id": 1}),
        lambda s: s._write_schema_message(),
    ],
    ids=["write STATE", "read context state", "read stream state", "RECORD", "SCHEMA"],
)
def test_writing_state_or_messages_on_a_worker_raises(write):
    stream = TapSalesBlink(config=CONFIG).streams["lists"]

    def read_that_writes():
        write(stream)
        yield {"id": 1}

    reading = PartitionRead()
    worker = threading.Thread(target=reading.run, args=(read_that_writes,), daemon=True)
    worker.start()
    with pytest.raises(OffMainThreadError, match="prefetch worker thread"):
        list(reading.records())  # the worker's error, raised on the main thread
    worker.join(timeout=5)


def test_the_same_calls_work_on_the_main_thread():
    stream = TapSalesBlink(config=CONFIG).streams["lists"]
    assert isinstance(stream.get_context_state(None), dict)
    stream._write_state_message()  # no error: this is the sync's thread


def test_concurrency_imports_without_the_stream_class():
    code = (
        "import sys, outreach_kit.concurrency\n"
        "assert 'outreach_kit.client' not in sys.modules, 'concurrency imported client'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
