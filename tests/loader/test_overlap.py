"""One batch load in flight: the next batch is read while DuckDB loads this one, yet loads
run one at a time in order, STATE is printed only after the loads before it committed, and a
load that fails stops the run at the next batch with nothing after it loaded or confirmed."""

from __future__ import annotations

import io
import json
import threading
from contextlib import redirect_stdout

import pytest
from loader_support import SCHEMA, Warehouse, activate, record, schema

from outreach_target_duckdb import TargetDuckDB
from outreach_target_duckdb.errors import LoaderError
from outreach_target_duckdb.sink import DuckDBSink

PROPS = {"id": {"type": "integer"}, "n": {"type": ["integer", "null"]}}


def _run(warehouse: Warehouse, messages: list[dict], **config) -> tuple[str, Exception | None]:
    """The loader's stdout and its error (if any), as `warehouse.load` runs it."""
    text = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages)
    target = TargetDuckDB(
        config={"filepath": str(warehouse.path), "default_target_schema": SCHEMA, **config}
    )
    out, error = io.StringIO(), None
    try:
        with redirect_stdout(out):
            target.listen(io.StringIO(text))
    except LoaderError as exc:
        error = exc
    finally:
        try:
            target.close()
        except LoaderError as exc:
            error = error or exc
    return out.getvalue(), error


def test_the_next_batch_is_read_while_a_batch_loads(warehouse, monkeypatch):
    """The first load waits until the reader has staged records of the second batch: with
    loads on the reading thread, that never happens and the wait times out."""
    second_batch_read = threading.Event()
    threads: list[str] = []
    submitted = [0]
    load, stage, batch = DuckDBSink._load, DuckDBSink.stage_messages, DuckDBSink.process_batch

    def slow_first_load(self, con, path, staging):
        threads.append(threading.current_thread().name)
        if len(threads) == 1:
            assert second_batch_read.wait(timeout=20), "the reader stopped while loading"
        return load(self, con, path, staging)

    def counted_batch(self, context):
        batch(self, context)
        submitted[0] += 1

    def watch_stage(self, lines):
        if submitted[0]:
            second_batch_read.set()
        return stage(self, lines)

    monkeypatch.setattr(DuckDBSink, "_load", slow_first_load)
    monkeypatch.setattr(DuckDBSink, "process_batch", counted_batch)
    monkeypatch.setattr(DuckDBSink, "stage_messages", watch_stage)
    messages = [schema("events", PROPS, ["id"])]
    messages += [record("events", {"id": i, "n": i}) for i in range(10)]
    warehouse.load(messages, batch_size_rows=4)
    assert len(threads) == 3
    assert all(name.startswith("duckdb-load") for name in threads)
    assert warehouse.rows("events", "id, n") == [(i, i) for i in range(10)]


def test_loads_are_serial_and_state_waits_for_them(warehouse, monkeypatch):
    events: list[tuple[str, int]] = []
    running = [0]
    load, write_state = DuckDBSink._load, TargetDuckDB._write_state_message

    def tracked_load(self, con, path, staging):
        running[0] += 1
        assert running[0] == 1, "two loads at once"
        try:
            return load(self, con, path, staging)
        finally:
            running[0] -= 1
            events.append(("loaded", staging.count))

    def tracked_state(self, state):
        assert running[0] == 0
        events.append(("state", state["n"]))
        return write_state(self, state)

    monkeypatch.setattr(DuckDBSink, "_load", tracked_load)
    monkeypatch.setattr(TargetDuckDB, "_write_state_message", tracked_state)
    wider = {**PROPS, "note": {"type": ["string", "null"]}}
    messages = [schema("events", PROPS, ["id"])]
    messages += [record("events", {"id": i, "n": 1}, version=2) for i in range(5)]
    messages.append({"type": "STATE", "value": {"n": 5}})
    messages.append(schema("events", wider, ["id"]))  # new column: loads what came before
    messages += [record("events", {"id": i, "n": 2, "note": "x"}, version=2) for i in range(3)]
    messages.append(activate("events", 2))
    out = warehouse.load(messages, batch_size_rows=2)
    loads = [("loaded", n) for n in (2, 2, 1, 2, 1)]
    assert events == [*loads, ("state", 5)]  # printed at the end, after every load
    assert out.strip().splitlines() == ['{"n": 5}']
    rows = warehouse.rows("events", "id, n, note, _sdc_deleted_at IS NULL")
    assert rows == [(0, 2, "x", True), (1, 2, "x", True), (2, 2, "x", True)] + [
        (i, 1, None, True) for i in (3, 4)
    ]


@pytest.mark.parametrize("batch", [2, 3])
def test_a_failed_load_in_flight_stops_the_run_before_anything_after_it(warehouse, batch):
    messages = [schema("events", PROPS, ["id"])]
    messages += [record("events", {"id": 1, "n": 1}), record("events", {"id": 2, "n": 2.5})]
    messages.append({"type": "STATE", "value": {"n": 2}})
    messages += [record("events", {"id": i, "n": i}) for i in range(3, 9)]
    messages.append({"type": "STATE", "value": {"n": 8}})
    out, error = _run(warehouse, messages, batch_size_rows=batch)
    assert isinstance(error, LoaderError)
    assert "fraction" in str(error)
    assert out == ""  # no STATE confirmed
    assert warehouse.rows("events", "id") == []
