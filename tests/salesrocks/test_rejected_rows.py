"""Rows without `_id` or sharing one, on every page of a multi-page list, are rejected once
each and the read completes (they used to read as "the list kept changing")."""

from __future__ import annotations

import json

import pytest
from support import run_tap, salesrocks_settings

from outreach_sandbox import SandboxServer

PAGE = 20
ROWS = 45  # three pages: 20, 20, 5


def config(url: str) -> dict:
    return salesrocks_settings(url, page_size=PAGE)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing_key", "missing primary key _id"),
        ("duplicate_key", "primary key repeated in one read with different content"),
    ],
)
def test_every_page_bent_the_same_way(kind, reason):
    counts = {"salesrocks.lists": 1, "salesrocks.rows_per_list": ROWS}
    with SandboxServer(seed=81, scale=0.05, counts=counts) as server:
        clean = run_tap("tap-salesrocks", config(server.url))
        assert clean.returncode == 0, clean.stderr[-1500:]
        rows = clean.records("list_data")
        assert len(rows) == ROWS
        # Every request for rows, the one-row checks of page ends included.
        server.control.add_faults(
            [
                {
                    "vendor": "salesrocks",
                    "path": "getListData",
                    "kind": kind,
                    "index": 0 if kind == "duplicate_key" else 1,
                    "field": "_id",
                    "times": 100,
                }
            ]
        )
        run = run_tap("tap-salesrocks", config(server.url))
    assert run.returncode == 0, run.stderr[-1500:]
    bent = [rows[page + 1] for page in range(0, ROWS, PAGE)]  # the second row of each page
    landed = run.records("list_data")
    assert [r["id"] for r in landed] == [r["id"] for r in rows if r not in bent]
    assert landed == [r for r in rows if r not in bent]
    rejected = run.records("rejected_records")
    assert [(r["stream"], r["reason"]) for r in rejected] == [("list_data", reason)] * 3
    raws = [json.loads(r["raw_json"]) for r in rejected]
    assert [raw["email"] for raw in raws] == [row["email"] for row in bent]
    if kind == "duplicate_key":  # each takes the id of the first row of its page
        firsts = [rows[page]["id"] for page in range(0, ROWS, PAGE)]
        assert [json.loads(r["primary_key"])["_id"] for r in rejected] == firsts
    assert "kept changing" not in run.stderr
    assert f"list_data: 3 record(s) rejected ({reason})" in run.stderr
