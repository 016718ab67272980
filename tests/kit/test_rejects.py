"""Rejected records: counted in the tap's tally, written on the main thread in their place,
or fatal."""

from __future__ import annotations

import logging
import threading

import pytest

from outreach_kit.concurrency import PartitionRead
from outreach_kit.rejects import FAIL, KEEP, Ledger, RejectedRecordError, raw_json, reject
from outreach_kit.tally import WarningTally


class FakeStream:
    selected = True

    def __init__(self) -> None:
        self.schemas = 0
        self.rows: list[dict] = []

    def _write_schema_message(self) -> None:
        self.schemas += 1

    def _write_record_message(self, row: dict) -> None:
        self.rows.append(row)


class FakeTap:
    def __init__(self) -> None:
        self.streams = {"rejected_records": FakeStream()}


def test_kept_rows_are_written_after_one_schema_and_counted():
    tap = FakeTap()
    ledger = Ledger(tap, KEEP)  # type: ignore[arg-type]
    reject(ledger, "Vendor", "leads", None, "not a JSON object (null)")
    reject(ledger, "Vendor", "leads", {"id": None, "n": "Zoë"}, "null primary key id")
    reject(ledger, "Vendor", "leads", {"id": 1}, "dup", {"id": 1})
    out = tap.streams["rejected_records"]
    assert out.schemas == 1
    assert [(r["stream"], r["reason"], r["primary_key"], r["raw_json"]) for r in out.rows] == [
        ("leads", "not a JSON object (null)", None, "null"),
        ("leads", "null primary key id", None, '{"id":null,"n":"Zoë"}'),
        ("leads", "dup", '{"id":1}', '{"id":1}'),
    ]
    assert all(r["extracted_at"].endswith("+00:00") for r in out.rows)
    kept = "kept in 'rejected_records'"
    assert ledger.tally.counts() == {
        ("leads", f"record(s) rejected (not a JSON object (null)), {kept}"): 1,
        ("leads", f"record(s) rejected (null primary key id), {kept}"): 1,
        ("leads", f"record(s) rejected (dup), {kept}"): 1,
    }


def test_fail_mode_raises_one_paragraph_and_writes_nothing():
    tap = FakeTap()
    ledger = Ledger(tap, FAIL)  # type: ignore[arg-type]
    with pytest.raises(RejectedRecordError) as raised:
        reject(ledger, "Sales.Rocks", "list_data", {"name": "x"}, "missing primary key _id")
    assert str(raised.value).startswith(
        "Sales.Rocks sent a 'list_data' record that cannot be used (missing primary key _id): "
        '{"name":"x"}.'
    )
    assert "'on_rejected_record' is 'fail'" in str(raised.value)
    assert tap.streams["rejected_records"].rows == []
    assert ledger.tally.counts() == {
        ("list_data", "record(s) rejected (missing primary key _id), stopped the sync"): 1
    }


def test_on_a_worker_rejections_travel_in_order_and_are_written_on_the_main_thread():
    tap = FakeTap()
    writers: list[str] = []
    stream = tap.streams["rejected_records"]
    stream._write_record_message = lambda row: writers.append(  # type: ignore[method-assign]
        f"{threading.current_thread().name}:{row['raw_json']}"
    )
    ledger = Ledger(tap, KEEP)  # type: ignore[arg-type]

    def read():
        for i in range(250):
            if i % 100 == 7:
                reject(ledger, "V", "s", i, "not a JSON object (number)")
                continue
            yield {"i": i}

    partition = PartitionRead()
    worker = threading.Thread(target=partition.run, args=(read,), name="prefetch_0")
    worker.start()
    seen = []
    for record in partition.records():
        seen.append(record["i"])
        if record["i"] in (6, 106, 206):
            assert len(writers) == [6, 106, 206].index(record["i"]), "written in its place"
    worker.join(timeout=5)
    assert seen == [i for i in range(250) if i % 100 != 7]
    assert writers == ["MainThread:7", "MainThread:107", "MainThread:207"]


def test_the_summary_names_stream_reason_and_count_with_the_taps_other_warnings(caplog):
    tally = WarningTally()
    assert tally.add("sent", "'time' value(s) that are impossible times")  # first: log it
    ledger = Ledger(FakeTap(), KEEP, tally)  # type: ignore[arg-type]
    reject(ledger, "V", "users", {"x": 1}, "missing primary key id")
    ledger.count_nulled("lists", ["contacts_count", "contacts_count"])
    ledger.count_surrogates("leads", 3)
    ledger.count_surrogates("leads", 2)
    assert not tally.add("sent", "'time' value(s) that are impossible times")
    with caplog.at_level(logging.WARNING):
        tally.report(logging.getLogger("t"))
    assert [r.getMessage() for r in caplog.records] == [
        "sent: 2 'time' value(s) that are impossible times",
        "users: 1 record(s) rejected (missing primary key id), kept in 'rejected_records'",
        "lists: 2 value(s) of 'contacts_count' did not fit the declared type: null in the "
        "column, raw value kept in the record's extra object",
        "leads: 5 lone UTF-16 surrogate(s) in the API's text replaced by U+FFFD",
    ]


def test_raw_json_is_compact_text():
    assert raw_json({"a": [1, 2.5, None, "é"]}) == '{"a":[1,2.5,null,"é"]}'


def test_a_deselected_rejected_records_stream_is_not_written_and_the_summary_says_so(caplog):
    tap = FakeTap()
    tap.streams["rejected_records"].selected = False
    ledger = Ledger(tap, KEEP)  # type: ignore[arg-type]
    reject(ledger, "V", "users", {"x": 1}, "missing primary key id")
    assert tap.streams["rejected_records"].rows == []
    with caplog.at_level(logging.WARNING):
        ledger.tally.report(logging.getLogger("t"))
    assert caplog.records[0].getMessage() == (
        "users: 1 record(s) rejected (missing primary key id), not written: the catalog "
        "deselects 'rejected_records'"
    )
