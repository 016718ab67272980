"""Response bends change genuine replies exactly as documented (outreach_sandbox.bends)."""

from __future__ import annotations

import json

import pytest

from outreach_sandbox.bends import LIST_VALUE, bend
from outreach_sandbox.http import Reply, to_json

LEADS = {"success": True, "data": {"contacts": [{"id": "a", "ok": True}, {"id": "b", "ok": False}]}}
LISTS = {"success": True, "data": [{"id": "a", "n": 1}, {"id": "b", "n": 2}]}
BARE = [{"MemberId": 1, "HasReply": False}, {"MemberId": 2, "HasReply": True}]
STATS = {"CampaignId": 1, "Replies": 3}


def body(reply: Reply):
    return json.loads(reply.raw if reply.raw is not None else to_json(reply.body))


@pytest.mark.parametrize(
    ("original", "spec", "expected"),
    [
        (
            LEADS,
            {"kind": "envelope_changed"},
            {"success": True, "data": [{"id": "a", "ok": True}, {"id": "b", "ok": False}]},
        ),
        (BARE, {"kind": "envelope_changed"}, {"data": BARE}),
        (LISTS, {"kind": "envelope_changed"}, {"success": True, "data": {"items": LISTS["data"]}}),
        (LISTS, {"kind": "object_for_array"}, {"success": True, "data": {"id": "a", "n": 1}}),
        (BARE, {"kind": "object_for_array"}, BARE[0]),
        (
            LISTS,
            {"kind": "null_element"},
            {"success": True, "data": [LISTS["data"][0], None, LISTS["data"][1]]},
        ),
        (BARE, {"kind": "string_element", "index": 0}, ["oops", *BARE]),
        (
            LEADS,
            {"kind": "missing_key", "index": 0},
            {"success": True, "data": {"contacts": [{"ok": True}, {"id": "b", "ok": False}]}},
        ),
        (
            BARE,
            {"kind": "null_key", "field": "MemberId"},
            [BARE[0], {"MemberId": None, "HasReply": True}],
        ),
        (
            LISTS,
            {"kind": "duplicate_key", "index": 0},
            {"success": True, "data": [{"id": "a", "n": 1}, {"id": "a", "n": 2}]},
        ),
        (
            BARE,
            {"kind": "string_booleans", "style": "yesno"},
            [{"MemberId": 1, "HasReply": "no"}, {"MemberId": 2, "HasReply": "yes"}],
        ),
        (
            STATS,
            {"kind": "wrong_type", "field": "Replies", "value": "lots"},
            {"CampaignId": 1, "Replies": "lots"},
        ),
        (
            LISTS,
            {"kind": "list_in_string", "field": "n", "index": 0},
            {"success": True, "data": [{"id": "a", "n": LIST_VALUE}, {"id": "b", "n": 2}]},
        ),
    ],
)
def test_bends(original, spec, expected):
    reply = Reply(200, json.loads(json.dumps(original)))
    assert body(bend(reply, spec)) == expected
    assert reply.body == original, "the handler's reply is not changed in place"


def test_empty_body_and_lone_surrogate_are_raw_bytes():
    assert bend(Reply(200, LISTS), {"kind": "empty_body"}).raw == b""
    bent = bend(Reply(200, BARE), {"kind": "lone_surrogate", "index": 0, "field": "Name"})
    assert b'"Name":"\\ud800"' in bent.raw.replace(b" ", b"")


def test_error_replies_pass_unchanged():
    error = Reply(500, {"message": "x"})
    assert bend(error, {"kind": "empty_body"}) is error
