"""The reader's fast path hands RECORD lines over in runs: order, boundaries and fallbacks.

A run must end before any other line is processed (STATE, SCHEMA, ACTIVATE_VERSION, another
stream's RECORD), must never exceed the room the target gives (so a batch ends exactly at
`batch_size_rows`), and a stream the target declines must go through singer-sdk's parser.
"""

from __future__ import annotations

import io
import json

import pytest
from loader_support import SCHEMA, activate, record, schema

from outreach_target_duckdb.reader import FastRecordReader


def _line(message: dict) -> str:
    return json.dumps(message, separators=(",", ":")) + "\n"


class _Raw:
    """A target double: takes `fast` streams with a fixed room; logs every call in order."""

    def __init__(self, fast: dict[str, int]) -> None:
        self.fast = fast
        self.log: list[tuple] = []

    def room(self, stream: str) -> int:
        return self.fast.get(stream, 0)

    def stage(self, stream: str, lines: list[str]) -> None:
        self.log.append(("run", stream, [json.loads(x)["record"]["id"] for x in lines]))


def _read(lines: list[str], raw: _Raw) -> dict:
    reader = FastRecordReader()
    reader.raw = raw
    callbacks = {
        kind: (lambda m: raw.log.append((m["type"], m.get("stream"), m.get("record"))))
        for kind in ("RECORD", "SCHEMA", "STATE", "ACTIVATE_VERSION")
    }
    return dict(reader.process_lines(io.StringIO("".join(lines)), callbacks))


def test_runs_end_at_every_other_line_and_keep_the_order():
    lines = [
        _line(schema("a", {"id": {"type": "integer"}}, ["id"])),
        *[_line(record("a", {"id": i})) for i in range(3)],
        _line({"type": "STATE", "value": {"n": 3}}),
        _line(record("a", {"id": 3})),
        _line(record("b", {"id": 100})),  # declined: parsed by singer-sdk's path
        _line(record("a", {"id": 4})),
        _line(activate("a", 7)),
        _line(record("a", {"id": 5})).rstrip("\n"),  # the last line may lack its newline
    ]
    raw = _Raw({"a": 1000})
    stats = _read(lines, raw)
    assert raw.log == [
        ("SCHEMA", "a", None),
        ("run", "a", [0, 1, 2]),
        ("STATE", None, None),
        ("run", "a", [3]),
        ("RECORD", "b", {"id": 100}),
        ("run", "a", [4]),
        ("ACTIVATE_VERSION", "a", None),
        ("run", "a", [5]),
    ]
    assert stats == {"SCHEMA": 1, "RECORD": 7, "STATE": 1, "ACTIVATE_VERSION": 1}


@pytest.mark.parametrize("room", [1, 2, 3, 7])
def test_a_run_never_exceeds_the_room_given(room):
    raw = _Raw({"a": room})
    _read([_line(record("a", {"id": i})) for i in range(10)], raw)
    runs = [ids for _, _, ids in raw.log]
    assert [i for ids in runs for i in ids] == list(range(10))
    assert all(len(ids) == room for ids in runs[:-1])
    assert 0 < len(runs[-1]) <= room


def test_a_line_that_only_looks_like_a_fast_record_is_parsed():
    """A stream whose name extends a fast stream's name is not that stream."""
    raw = _Raw({"a": 10})
    _read([_line(record("a", {"id": 1})), _line(record("ab", {"id": 2}))], raw)
    assert raw.log == [("run", "a", [1]), ("RECORD", "ab", {"id": 2})]


@pytest.mark.parametrize("batch", [999, 1024, 1025])
def test_batches_end_exactly_at_batch_size_rows(warehouse, batch):
    """Runs of up to 1,024 lines must not overshoot a batch: each load logs its count."""
    n = 2100
    messages = [schema("events", {"id": {"type": "integer"}}, ["id"])]
    messages += [record("events", {"id": i}) for i in range(n)]
    warehouse.load(messages, batch_size_rows=batch)
    assert warehouse.query(f"SELECT count(*), count(DISTINCT id) FROM {SCHEMA}.events") == [(n, n)]
    sizes = warehouse.query(
        f"SELECT count(*) FROM {SCHEMA}.events GROUP BY _sdc_batched_at ORDER BY min(id)"
    )
    assert [s for (s,) in sizes] == [min(batch, n - i) for i in range(0, n, batch)]
