"""What keeps the sandbox fast without changing a byte: prompt keep-alive replies, data
generated on first use, long bodies encoded in pieces, messages filtered by instant."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from urllib.parse import quote

from sandbox_calls import PUBLIC, SB_KEY, call, sb, sf, sr, sr_token

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer


def _pages(host: str, port: int, *, keep_alive: bool) -> float:
    """Seconds to read 25 pages on one kept-alive connection, or on a new one per page."""
    conn = http.client.HTTPConnection(host, port, timeout=5)
    start = time.perf_counter()
    for page in range(1, 26):
        conn.request("GET", f"{PUBLIC}/sent?per_page=100&page={page}",
                     headers={"Authorization": SB_KEY})  # fmt: skip
        response = conn.getresponse()
        assert response.status == 200 and len(json.loads(response.read())) == 100
        if not keep_alive:
            conn.close()  # the next request opens a new connection (no delayed ACK at start)
    conn.close()
    return time.perf_counter() - start


def test_keep_alive_pages_are_not_held_back():
    """Headers and body written apart waited ~40 ms each for the client's delayed ACK, so a
    kept-alive connection was several times slower than a new connection per page. Compared as
    a ratio (best of three each), so a busy machine slows both sides alike."""
    with SandboxServer(seed=3, scale=1.0) as s:
        host, port = urllib.parse.urlsplit(s.url).netloc.split(":")
        sb(s.url, "/users")  # generate the data first
        kept = min(_pages(host, int(port), keep_alive=True) for _ in range(3))
        fresh = min(_pages(host, int(port), keep_alive=False) for _ in range(3))
        assert kept < 1.5 * fresh, (kept, fresh)


def test_data_does_not_depend_on_when_it_is_generated():
    """Each vendor's data is generated on first use, here only after the clock moved."""
    token = DEFAULT_SALESFLOW_ACCOUNTS["41001"]
    paths = ("/members/list-contacts-by-accountid", "/campaigns/list-campaigns",
             f"/accounts/list-accounts?token={token}")  # fmt: skip
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
