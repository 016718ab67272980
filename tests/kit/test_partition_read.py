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


def test_once_records_are_taken_the_worker_asks_for_the_next_page_of_1000():
    """Sales.Rocks pages hold up to 1,000 rows: a worker that could not queue a whole page
    would ask for the next only once the main thread had taken most of this one, and the
    main thread would then wait out that round trip on every page. A partition not taken
    from yet still holds no more than the bound."""
    next_page = threading.Event()

    def source():
        yield from ({"i": i} for i in range(1000))  # page 1
        next_page.set()  # the request for page 2 would go out here
        yield from ({"i": i} for i in range(1000, 2000))

    read = PartitionRead()
    worker = start(read, source)
    assert not next_page.wait(timeout=0.5), "a partition not taken from ran past the bound"
    taken = read.records()
    assert next(taken) == {"i": 0}
    assert next_page.wait(timeout=10), "the worker waited with page 1 before asking for 2"
    assert 1 + sum(1 for _ in taken) == 2000
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
