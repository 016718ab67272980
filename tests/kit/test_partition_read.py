"""A partition read ahead holds a bounded number of records, passes errors on, and stops."""

from __future__ import annotations

import threading

import pytest

from outreach_kit.concurrency import BUFFERED_CHUNKS, CHUNK_RECORDS, PartitionRead

BOUND = (BUFFERED_CHUNKS + 1) * CHUNK_RECORDS  # queued chunks plus the one being filled


def start(read: PartitionRead, source) -> threading.Thread:
    worker = threading.Thread(target=read.run, args=(source,), daemon=True)
    worker.start()
    return worker


def test_records_arrive_in_order_and_complete():
    read = PartitionRead()
    worker = start(read, lambda: ({"i": i} for i in range(1234)))
    assert [r["i"] for r in read.records()] == list(range(1234))
    worker.join(timeout=5)
    assert not worker.is_alive()


def test_a_worker_reads_no_further_ahead_than_the_bound():
    produced = []
    ready = threading.Event()

    def source():
        for i in range(10 * BOUND):
            produced.append(i)
            if len(produced) > BOUND:
                ready.set()
            yield {"i": i}

    read = PartitionRead()
    worker = start(read, source)
    assert not ready.wait(timeout=0.5), "the worker ran past the bound with nobody reading"
    assert len(produced) <= BOUND + 1
    assert sum(1 for _ in read.records()) == 10 * BOUND
    worker.join(timeout=5)


def test_an_error_is_raised_where_the_records_are_taken():
    def source():
        yield {"i": 1}
        raise ValueError("vendor said no")

    read = PartitionRead()
    start(read, source)
    taken = read.records()
    assert next(taken) == {"i": 1}
    with pytest.raises(ValueError, match="vendor said no"):
        next(taken)


def test_cancel_releases_a_waiting_worker():
    read = PartitionRead()
    worker = start(read, lambda: ({"i": i} for i in range(100 * BOUND)))
    worker.join(timeout=0.3)
    assert worker.is_alive(), "blocked on the full queue"
    read.cancel()
    worker.join(timeout=5)
    assert not worker.is_alive()
