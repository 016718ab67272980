"""singer-sdk's per-record steps are skipped only where they would change nothing
(outreach_kit.record_path, outreach_kit.bookmarks): where they would act, the SDK's own
method still runs."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.streams.core import Stream

from tap_salesflow.tap import TapSalesflow

TOKEN = "tok-secret-0123456789"


def salesflow_stream(name: str):
    config = {"accounts": [{"account_id": "a1", "token": TOKEN}]}
    return TapSalesflow(config=config).streams[name]


def sdk_calls(monkeypatch: pytest.MonkeyPatch, method: str) -> list[tuple]:
    """Calls of the SDK's own ``Stream.<method>``, which still runs."""
    calls: list[tuple] = []
    sdk = getattr(Stream, method)

    def spy(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        calls.append((self.name, args, kwargs))
        return sdk(self, *args, **kwargs)

    monkeypatch.setattr(Stream, method, spy)
    return calls


def test_no_partition_key_and_no_child_stream_skips_the_sdk_step(monkeypatch):
    stream = salesflow_stream("webhooks")
    calls = sdk_calls(monkeypatch, "_process_record")
    record = {"Id": 1}
    for partition in (None, {}):
        stream._process_record(record, child_context=None, partition_context=partition)
    assert calls == []
    assert record == {"Id": 1}


def test_partition_keys_are_still_added_to_the_record(monkeypatch):
    stream = salesflow_stream("webhooks")
    calls = sdk_calls(monkeypatch, "_process_record")
    record = {"Id": 1, "account_id": "kept"}
    stream._process_record(record, partition_context={"account_id": "a1", "region": "eu"})
    assert len(calls) == 1
    assert record == {"Id": 1, "account_id": "kept", "region": "eu"}  # the SDK's rule


def test_a_parent_still_syncs_its_children(monkeypatch):
    stream = salesflow_stream("campaigns")
    assert stream.child_streams
    synced: list[dict | None] = []
    monkeypatch.setattr(stream, "_sync_children", synced.append)
    stream._process_record({"Id": 7}, child_context={"account_id": "a1"}, partition_context={})
    assert len(synced) == 1
    assert synced[0] is not None and synced[0]["campaign_id"] == 7


def test_a_full_table_stream_skips_the_sdk_bookmark_step(monkeypatch):
    stream = salesflow_stream("webhooks")
    assert stream.replication_method == "FULL_TABLE"
    calls = sdk_calls(monkeypatch, "_increment_stream_state")
    before = repr(stream.tap_state)
    stream._increment_stream_state({"Id": 1}, context={"account_id": "a1"})
    assert calls == []
    assert repr(stream.tap_state) == before


def test_incremental_without_a_replication_key_still_fails_as_in_the_sdk(monkeypatch):
    stream = salesflow_stream("webhooks")
    stream.forced_replication_method = "INCREMENTAL"
    calls = sdk_calls(monkeypatch, "_increment_stream_state")
    with pytest.raises(ValueError, match="Could not detect replication key"):
        stream._increment_stream_state({"Id": 1}, context={"account_id": "a1"})
    assert len(calls) == 1
