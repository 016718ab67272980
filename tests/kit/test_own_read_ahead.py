"""A stream's own partition is read on a thread of its own (the next page arrives while
this one is written), STATE checkpoints yielded by the read are written on the main thread
after the records before them, and the plain RECORD path writes the SDK's bytes."""

from __future__ import annotations

import io
import json
import threading
import typing as t
from datetime import datetime, timezone

import pytest
from singer_sdk.singerlib import RecordMessage

from outreach_kit import client as kit_client
from outreach_kit import tap as kit_tap
from outreach_kit.concurrency import CHECKPOINT, OffMainThreadError
from tap_salesflow.tap import TapSalesflow

TOKEN = "tok-secret-0123456789"
MOMENT = datetime(2026, 11, 27, 12, 30, 45, 123456, tzinfo=timezone.utc)


def webhooks(**settings: t.Any):
    """A stream without children (a parent would start reading its children too)."""
    config = {"accounts": [{"account_id": "a1", "token": TOKEN}], **settings}
    return TapSalesflow(config=config).streams["webhooks"]


class Reads:
    """What ``read_records`` saw: the thread it ran on, and the records it hands out."""

    def __init__(self, items: list[t.Any]) -> None:
        self.items = items
        self.threads: list[str] = []

    def __call__(self, context: dict | None) -> t.Iterator[t.Any]:
        self.threads.append(threading.current_thread().name)
        yield from self.items


def test_with_concurrency_a_partition_is_read_off_the_main_thread(monkeypatch):
    stream = webhooks(concurrency=2)
    reads = Reads([{"Id": i} for i in range(250)])
    monkeypatch.setattr(stream, "read_records", reads)
    assert [r["Id"] for r in stream.get_records({"account_id": "a1"})] == list(range(250))
    assert reads.threads == ["read-ahead-webhooks"]


def test_with_concurrency_one_the_partition_is_read_on_the_main_thread(monkeypatch):
    stream = webhooks(concurrency=1)
    reads = Reads([{"Id": 1}])
    monkeypatch.setattr(stream, "read_records", reads)
    assert list(stream.get_records({"account_id": "a1"})) == [{"Id": 1}]
    assert reads.threads == [threading.main_thread().name]


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_checkpoint_writes_state_after_the_records_before_it(monkeypatch, concurrency):
    stream = webhooks(concurrency=concurrency)
    reads = Reads([{"Id": 1}, {"Id": 2}, CHECKPOINT, {"Id": 3}])
    monkeypatch.setattr(stream, "read_records", reads)
    events: list[t.Any] = []
    monkeypatch.setattr(stream, "_write_state_message", lambda: events.append("STATE"))
    for record in stream.get_records({"account_id": "a1"}):
        events.append(record["Id"])  # the SDK processes each record before asking again
    # Salesflow checkpoints the accounts before this one first (SalesflowStream.get_records)
    assert events == ["STATE", 1, 2, "STATE", 3]


def test_writing_state_from_the_read_ahead_thread_raises(monkeypatch):
    stream = webhooks(concurrency=2)

    def read_records(context):
        yield {"Id": 1}
        stream._write_state_message()  # the mistake the checkpoint marker replaces

    monkeypatch.setattr(stream, "read_records", read_records)
    with pytest.raises(OffMainThreadError, match="read_records may run on a worker"):
        list(stream.get_records({"account_id": "a1"}))


def test_stopping_early_lets_the_read_ahead_thread_go(monkeypatch):
    stream = webhooks(concurrency=2)
    reads = Reads([{"Id": i} for i in range(100_000)])
    monkeypatch.setattr(stream, "read_records", reads)
    records = stream.get_records({"account_id": "a1"})
    assert next(iter(records))["Id"] == 0
    records.close()  # e.g. the SDK's record limit, or an error in post_process
    reader = next(t for t in threading.enumerate() if t.name == "read-ahead-webhooks")
    reader.join(timeout=5)
    assert not reader.is_alive()


class _Fixed(datetime):
    @classmethod
    def now(cls, tz=None):
        return MOMENT


def test_the_plain_record_path_writes_the_sdk_bytes(monkeypatch):
    """The line ``write_record`` builds equals ``write_message(RecordMessage(...))``'s,
    with and without a table version, nested values and non-ASCII text included."""
    monkeypatch.setattr(kit_tap, "datetime", _Fixed)
    writer = kit_tap.CheckpointFlushingWriter()
    record = {"Id": 7, "name": "Zoë 💬", "nested": {"a": [1, 2.5, None]}, "ok": True}
    for version in (None, 1764246645123):
        plain = io.BytesIO()
        sdk = io.BytesIO()
        monkeypatch.setattr(writer, "flush", lambda: None)
        writer._pending = bytearray()
        writer.write_record("campaigns", dict(record), version)
        plain.write(writer._pending)
        writer._pending = bytearray()
        message = RecordMessage(
            stream="campaigns", record=dict(record), version=version, time_extracted=MOMENT
        )
        writer.write_message(message)
        sdk.write(writer._pending)
        assert plain.getvalue() == sdk.getvalue()
        assert json.loads(plain.getvalue())["time_extracted"].startswith("2026-11-27T12:30:45")


def test_a_stream_with_a_map_takes_the_sdk_path(monkeypatch):
    """Stream maps (here an alias) are the SDK's business: the plain path stands aside."""
    config = {
        "accounts": [{"account_id": "a1", "token": TOKEN}],
        "stream_maps": {"campaigns": {"__alias__": "salesflow_campaigns"}},
    }
    stream = TapSalesflow(config=config).streams["campaigns"]
    assert stream._plain_writer_or_false() is False
    written: list[t.Any] = []
    monkeypatch.setattr(stream._tap, "write_message", written.append)
    monkeypatch.setattr(kit_client, "datetime", _Fixed)
    stream._write_record_message({"Id": 1, "account_id": "a1"})
    assert [m.stream for m in written] == ["salesflow_campaigns"]
    assert webhooks()._plain_writer_or_false() is not False
