"""What keeps the sandbox fast without changing a byte: prompt keep-alive replies, data
generated on first use, long bodies encoded in pieces, messages filtered by instant."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from urllib.parse import quote

from sandbox_calls import PUBLIC, SB_KEY, call, sb, sf, sr, sr_token

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer


def test_keep_alive_pages_are_not_held_back(monkeypatch):
    """Headers and body written apart waited ~40 ms each for the client's delayed ACK (write,
    write, read). Counted, not timed: each reply goes to the socket whole, in one send."""
    replies: list[bytes] = []
    real_send, real_sendall = socket.socket.send, socket.socket.sendall

    def note(data) -> None:
        if bytes(data[:5]) == b"HTTP/" or (replies and not replies[-1].endswith(b"]")):
            replies.append(bytes(data))  # a reply's start, or a piece of an unfinished one

    def send(self, data, *args):
        note(data)
        return real_send(self, data, *args)

    def sendall(self, data, *args):
        note(data)
        return real_sendall(self, data, *args)

    with SandboxServer(seed=3, scale=1.0) as s:
        host, port = urllib.parse.urlsplit(s.url).netloc.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        sb(s.url, "/users")  # generate the data first
        monkeypatch.setattr(socket.socket, "send", send)
        monkeypatch.setattr(socket.socket, "sendall", sendall)
        for page in range(1, 26):
            conn.request(
                "GET", f"{PUBLIC}/sent?per_page=100&page={page}", headers={"Authorization": SB_KEY}
            )
            response = conn.getresponse()
            assert response.status == 200 and len(json.loads(response.read())) == 100
        monkeypatch.undo()
        conn.close()
    assert len(replies) == 25, [r[:40] for r in replies]  # one send per page
    assert all(r.startswith(b"HTTP/") and r.endswith(b"]") for r in replies)


def test_data_does_not_depend_on_when_it_is_generated():
    """Each vendor's data is generated on first use, here only after the clock moved."""
    token = DEFAULT_SALESFLOW_ACCOUNTS["41001"]
    paths = (
        "/members/list-contacts-by-accountid",
        "/campaigns/list-campaigns",
        f"/accounts/list-accounts?token={token}",
    )
    with SandboxServer(seed=5, scale=0.4) as early, SandboxServer(seed=5, scale=0.4) as late:
        uuid = early.control.expected("salesrocks", "lists")["keys"][0]
        for vendor, stream in (("salesblink", "list_leads"), ("salesflow", "members")):
            early.control.expected(vendor, stream)
        for s in (early, late):
            s.control.advance(86_400)
        for path in paths:
            assert sf(early.url, path) == sf(late.url, path)
        assert sb(early.url, "/lists") == sb(late.url, "/lists")
        body = {"list_id": uuid, "page": 1, "size": 1000}
        assert (
            sr(early.url, "/editable-lists/getListData", body, sr_token(early.url))[2]
            == sr(late.url, "/editable-lists/getListData", body, sr_token(late.url))[2]
        )


def test_long_unpaged_body_is_one_compact_json_array():
    with SandboxServer(seed=3, scale=0.2, counts={"salesflow.messages": 2_345}) as s:
        path = "/salesflow/api/messaging/incoming-messages-by-accountid"
        query = f"?accountId=41001&token={DEFAULT_SALESFLOW_ACCOUNTS['41001']}"
        status, _, raw = call(s.url, path + query, raw=True)
        messages = json.loads(raw)
        assert status == 200 and len(messages) == 2_345
        assert raw == json.dumps(messages, ensure_ascii=False, separators=(",", ":")).encode()
        assert s.control.served()["salesflow"]["incoming_messages"] == 2_345


def test_messages_from_an_exact_instant_keep_that_message():
    with SandboxServer(seed=3, scale=0.5) as s:
        messages = sf(s.url, "/messaging/incoming-messages-by-accountid")[2]
        for k in (1, len(messages) // 2, len(messages) - 1):
            since = quote(messages[k]["ReceivedAt"])
            later = sf(s.url, f"/messaging/incoming-messages-by-accountid?from={since}")[2]
            assert later == messages[k:]
