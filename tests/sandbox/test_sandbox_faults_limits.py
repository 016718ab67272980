"""Rate limits, every fault kind, robustness (resets, concurrency, keep-alive), request log."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse

import pytest
from sandbox_calls import PUBLIC, SB_KEY, SR_PASS, call, sb, sb_legacy, sf, sr, sr_token

from outreach_sandbox import (
    DEFAULT_SALESFLOW_ACCOUNTS,
    SandboxClient,
    SandboxError,
    SandboxServer,
)

CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, urllib.error.URLError)


@pytest.fixture
def server():
    with SandboxServer(seed=3, scale=0.3) as s:
        yield s


def _fresh_window(window_s: float, needed_s: float) -> None:
    """Make sure ``needed_s`` are left in the current fixed rate-limit window (the limiter
    uses this process's monotonic clock), so a burst cannot straddle two windows."""
    left = window_s - (time.monotonic() % window_s)
    if left < needed_s:
        time.sleep(left + 0.005)


def test_salesblink_rate_limit_429_with_retry_after():
    with SandboxServer(seed=3, scale=0.01, rate_limits=True, time_scale=30) as s:  # 2 s windows
        _fresh_window(2.0, 0.8)
        statuses = [sb(s.url, "/users") for _ in range(31)]
        assert [st for st, _, _ in statuses[:30]] == [200] * 30
        status, headers, body = statuses[30]
        wait = headers["Retry-After"]
        assert status == 429 and wait in ("1", "2")  # real seconds to the reset, ceil, min 1
        assert body == {
            "success": False,
            "message": f"Too many requests, retry after {wait} seconds",
        }
        stats = s.control.stats()
        assert stats["rate_limited"] == {"salesblink": 1}
        assert stats["by_status"]["429"] == 1
        # Per key: another key has its own window.
        s.control.configure(salesblink_keys=[SB_KEY, "second"])
        assert sb(s.url, "/users", key="second")[0] == 200


def test_rate_limit_window_resets():
    with SandboxServer(seed=3, scale=0.01, rate_limits=True, time_scale=600) as s:  # 0.1 s
        s.control.configure(salesblink_per_min=1)
        _fresh_window(0.1, 0.1)
        assert [sb(s.url, "/users")[0] for _ in range(2)] == [200, 429]
        _fresh_window(0.1, 0.1)
        assert sb(s.url, "/users")[0] == 200


def test_rate_limit_retry_after_in_real_seconds():
    with SandboxServer(seed=3, scale=0.01, rate_limits=True, time_scale=1) as s:
        s.control.configure(salesblink_per_min=2)
        codes = [sb(s.url, "/users") for _ in range(3)]
        assert [c[0] for c in codes] == [200, 200, 429]
        assert 1 <= int(codes[2][1]["Retry-After"]) <= 60


def test_salesflow_and_salesrocks_limits_only_when_configured():
    with SandboxServer(seed=3, scale=0.01, rate_limits=True, time_scale=1) as s:
        assert all(sf(s.url, "/webhooks/list")[0] == 200 for _ in range(40))
        s.control.configure(salesflow_per_min=2, salesrocks_per_min=1)
        assert [sf(s.url, "/webhooks/list")[0] for _ in range(3)] == [200, 200, 429]
        token = sr_token(s.url)  # limits count per credential: the bearer token here
        assert sr(s.url, "/editable-lists/getLists", {"page": 1}, token)[0] == 200
        status, headers, body = sr(s.url, "/editable-lists/getLists", {"page": 1}, token)
        assert status == 429 and "Retry-After" in headers and body["error"]["status_code"] == 429


@pytest.mark.parametrize("kind", ["500", "502", "503", "401", "429", "429_no_retry_after"])
def test_status_faults_in_vendor_shape(server, kind):
    server.control.add_faults(
        [{"vendor": "salesflow", "path": "webhooks", "kind": kind, "retry_after": 7}]
    )
    status, headers, body = sf(server.url, "/webhooks/list")
    assert status == int(kind[:3])
    assert headers.get("Retry-After") == ("7" if kind == "429" else None)
    assert "Message" in body  # Salesflow's error envelope
    assert sf(server.url, "/webhooks/list")[0] == 200  # one fault, then normal service
    assert server.control.requests()[0]["fault"] == kind


def test_after_times_vendor_and_path_select_requests(server):
    server.control.add_faults(
        [
            {
                "vendor": "salesblink",
                "path": "^/public/v1.0.0/users$",
                "kind": "503",
                "after": 1,
                "times": 2,
            }
        ]
    )
    assert sf(server.url, "/webhooks/list")[0] == 200  # other vendor
    assert sb(server.url, "/lists")[0] == 200  # other path
    assert [sb(server.url, "/users")[0] for _ in range(4)] == [200, 503, 503, 200]
    (fault,) = server.control.faults()
    assert fault["remaining"] == 0
    server.control.add_faults([{"kind": "500"}])
    server.control.clear_faults()
    assert server.control.faults() == []
    status, _, body = call(
        server.url, "/_sandbox/faults", method="POST", body={"faults": [{"kind": "meteor"}]}
    )
    assert status == 400 and "unknown fault kind" in body["error"]


def test_body_faults(server):
    server.control.add_faults(
        [
            {"vendor": "salesblink", "path": "/users", "kind": "html_200"},
            {"vendor": "salesblink", "path": "/users", "kind": "success_false"},
            {"vendor": "salesblink", "path": "/users", "kind": "truncated"},
        ]
    )
    headers = {"Authorization": SB_KEY}
    status, got, body = call(server.url, PUBLIC + "/users", headers=headers, raw=True)
    assert status == 200 and got["Content-Type"].startswith("text/html")
    assert body.startswith(b"<!DOCTYPE html>")
    status, _, body = sb(server.url, "/users")
    assert status == 200 and body["success"] is False
    status, got, body = call(server.url, PUBLIC + "/users", headers=headers, raw=True)
    assert status == 200 and int(got["Content-Length"]) == len(body)
    with pytest.raises(ValueError):
        json.loads(body)
    assert sb(server.url, "/users")[0] == 200


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        ("salesblink", {"success": False}),
        ("salesrocks", {"status": "error"}),
        ("salesflow", {"Message": "An error has occurred."}),
    ],
)
def test_success_false_uses_each_vendors_envelope(server, vendor, expected):
    server.control.add_faults([{"vendor": vendor, "kind": "success_false"}])
    if vendor == "salesblink":
        status, _, body = sb(server.url, "/users")
    elif vendor == "salesflow":
        status, _, body = sf(server.url, "/webhooks/list")
    else:
        status, _, body = call(
            server.url,
            "/salesrocks/auth/accessToken",
            method="POST",
            body={"username": "x", "password": "y"},
        )
    assert status == 200 and expected.items() <= body.items()


def test_connection_faults_do_not_kill_the_server(server):
    server.control.add_faults(
        [
            {"vendor": "salesblink", "path": "/users", "kind": "reset"},
            {"vendor": "salesblink", "path": "/users", "kind": "reset_mid_body"},
            {"vendor": "salesblink", "path": "/users", "kind": "timeout", "seconds": 0.4},
        ]
    )
    for _ in range(2):
        with pytest.raises(CONNECTION_ERRORS):
            sb(server.url, "/users")
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        call(server.url, PUBLIC + "/users", headers={"Authorization": SB_KEY}, timeout=0.15)
    assert sb(server.url, "/users")[0] == 200
    deadline = time.monotonic() + 2
    while len(server.control.requests()) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)  # the timed-out request is logged once its sleep is over
    faults = sorted(str(r["fault"]) for r in server.control.requests())
    assert faults == ["None", "reset", "reset_mid_body", "timeout"]


def test_reset_mid_body_sends_headers_then_half(server):
    server.control.add_faults(
        [{"vendor": "salesblink", "path": "/users", "kind": "reset_mid_body"}]
    )
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", PUBLIC + "/users", headers={"Authorization": SB_KEY})
    response = conn.getresponse()
    assert response.status == 200 and int(response.headers["Content-Length"]) > 0
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        response.read()
    conn.close()


def test_paging_faults_salesblink(server):
    _, _, page2 = sb(server.url, "/sent?per_page=100&page=2")
    _, _, page1 = sb(server.url, "/sent?per_page=100&page=1")
    server.control.add_faults(
        [
            {"vendor": "salesblink", "path": "/sent", "kind": "empty_page"},
            {"vendor": "salesblink", "path": "/sent", "kind": "duplicate_boundary"},
            {"vendor": "salesblink", "path": "/lists$", "kind": "empty_page"},
        ]
    )
    assert sb(server.url, "/sent?per_page=100&page=2")[2] == []
    duplicated = sb(server.url, "/sent?per_page=100&page=2")[2]
    assert duplicated[0] == page1[-1] and duplicated[1:] == page2
    assert sb(server.url, "/lists")[2] == {"success": True, "data": [], "message": ""}


def test_paging_faults_other_vendors(server):
    server.control.add_faults([{"vendor": "salesflow", "path": "members", "kind": "empty_page"}])
    assert sf(server.url, "/members/list-contacts-by-accountid")[2] == []
    token = sr_token(server.url)
    uuid = server.control.expected("salesrocks", "lists")["keys"][0]

    def rows(page, size=3):
        body = {"list_id": uuid, "page": page, "size": size}
        return sr(server.url, "/editable-lists/getListData", body, token)[2]["data"]

    first, second = rows(1), rows(2)
    server.control.add_faults(
        [
            {"vendor": "salesrocks", "path": "getListData", "kind": "duplicate_boundary"},
            {"vendor": "salesrocks", "path": "getListData", "kind": "empty_page"},
        ]
    )
    assert rows(2) == [first[-1], *second]
    assert rows(2) == []


def test_salesrocks_shift_and_expire_token_faults(server):
    token = sr_token(server.url)
    uuid = server.control.expected("salesrocks", "lists")["keys"][0]

    def rows(size=5):
        body = {"list_id": uuid, "page": 1, "size": size}
        return sr(server.url, "/editable-lists/getListData", body, token)

    before = rows()[2]["data"]
    server.control.add_faults(
        [
            {"vendor": "salesrocks", "path": "getListData", "kind": "shift_insert", "count": 2},
            {"vendor": "salesrocks", "path": "getListData", "kind": "shift_delete", "count": 3},
            {"vendor": "salesrocks", "path": "getListData", "kind": "expire_token"},
        ]
    )
    inserted = rows()[2]["data"]
    assert inserted[2:] == before[:3]
    assert len(server.control.expected("salesrocks", "list_data")["keys"]) > 0
    deleted = rows()[2]["data"]
    assert deleted[0] == inserted[3]
    status, _, body = rows()
    assert status == 401 and body["error"]["message"] == "Token expired"
    assert sr(server.url, "/editable-lists/getLists", {"page": 1}, token)[0] == 401  # revoked
    fresh_token = sr_token(server.url)
    assert sr(server.url, "/editable-lists/getLists", {"page": 1}, fresh_token)[0] == 200


def test_salesblink_shift_faults_move_lists_leads_and_sequences(server):
    expected = server.control.expected
    lists = sb(server.url, "/lists?limit=100")[2]["data"]
    list_id = lists[0]["id"]

    def leads():
        return sb(server.url, f"/lists/{list_id}/leads?limit=100")[2]["data"]["contacts"]

    before = leads()
    fault = {"vendor": "salesblink", "path": "/leads"}
    server.control.add_faults(
        [
            {**fault, "kind": "shift_insert", "count": 2, "position": 1},
            {**fault, "kind": "shift_delete", "count": 3, "position": 1},
        ]
    )
    inserted = leads()
    assert inserted[0] == before[0] and inserted[3:] == before[1:]
    assert {x["id"] for x in inserted[1:3]} <= set(expected("salesblink", "list_leads")["keys"])
    assert leads() == [before[0], *before[2:]]
    server.control.add_faults(
        [
            {"vendor": "salesblink", "path": "/lists$", "kind": "shift_delete", "position": 1},
            {"vendor": "salesblink", "path": "/sequences$", "kind": "shift_delete"},
        ]
    )
    ids = [x["id"] for x in sb(server.url, "/lists?limit=100")[2]["data"]]
    assert ids == [lists[0]["id"], *(x["id"] for x in lists[2:])]
    assert sb(server.url, f"/lists/{lists[1]['id']}/leads")[0] == 404  # with its leads
    assert lists[1]["id"] not in expected("salesblink", "lists")["keys"]
    sequences = expected("salesblink", "sequences")["keys"]
    listed = [x["id"] for x in sb(server.url, "/sequences?limit=100&sendAll=true")[2]["data"]]
    assert listed == sequences[1:] == expected("salesblink", "sequences")["keys"]


def test_delete_parent_and_404_faults(server):
    expected = server.control.expected
    list_id = expected("salesblink", "lists")["keys"][0]
    assert sb(server.url, f"/lists/{list_id}")[2]["data"]["id"] == list_id
    leads = f"/lists/{list_id}/leads"
    server.control.add_faults(
        [
            {"vendor": "salesblink", "path": leads, "kind": "404"},
            {"vendor": "salesblink", "path": leads, "kind": "delete_parent"},
        ]
    )
    assert sb(server.url, leads)[0] == 404  # injected: the list is still there
    assert sb(server.url, f"/lists/{list_id}")[0] == 200
    assert sb(server.url, leads)[0] == 404  # deleted, with its leads
    assert sb(server.url, f"/lists/{list_id}")[0] == 404
    assert list_id not in expected("salesblink", "lists")["keys"]
    sequence = expected("salesblink", "sequences")["keys"][0]
    fault = {"vendor": "salesblink", "path": "/stats", "kind": "delete_parent"}
    server.control.add_faults([fault])
    assert sb(server.url, f"/sequences/{sequence}/stats")[0] == 404
    assert sb(server.url, f"/sequences/{sequence}")[0] == 404
    campaign = expected("salesblink", "campaigns")["keys"][0]
    assert sb_legacy(server.url, f"/campaign/{campaign}")[2]["data"]["campaignID"] == campaign
    fault = {"vendor": "salesblink", "path": f"/prospects/{campaign}", "kind": "delete_parent"}
    server.control.add_faults([fault])
    assert sb_legacy(server.url, f"/prospects/{campaign}")[0] == 404
    assert sb_legacy(server.url, f"/campaign/{campaign}")[0] == 404
    assert campaign not in expected("salesblink", "campaigns")["keys"]
    token = sr_token(server.url)
    uuid = expected("salesrocks", "lists")["keys"][0]
    server.control.add_faults(
        [{"vendor": "salesrocks", "path": "getListData", "kind": "delete_parent"}]
    )
    body = {"list_id": uuid, "page": 1, "size": 5}
    assert sr(server.url, "/editable-lists/getListData", body, token)[0] == 404
    assert uuid not in expected("salesrocks", "lists")["keys"]


def test_concurrent_requests_and_keep_alive(server):
    errors: list[BaseException] = []

    def worker():
        try:
            for _ in range(5):
                assert sb(server.url, "/sent?per_page=50")[0] == 200
                assert sf(server.url, "/webhooks/list")[0] == 200
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    for _ in range(3):  # one connection, three requests
        conn.request("GET", PUBLIC + "/users", headers={"Authorization": SB_KEY})
        response = conn.getresponse()
        assert response.status == 200 and response.headers["Content-Length"]
        response.read()
    assert server.control.stats()["requests"]["salesblink"] == 16 * 5 + 3
    conn.close()


def test_stop_ends_keep_alive_connections():
    server = SandboxServer(seed=3, scale=0.01).start()
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/_sandbox/health")
    assert conn.getresponse().read()
    server.stop()

    def ask() -> bytes:
        conn.request("GET", "/_sandbox/health")
        return conn.getresponse().read()

    with pytest.raises((ConnectionError, http.client.HTTPException, socket.timeout, OSError)):
        ask()
    conn.close()


def test_request_log_masks_secrets_and_counts(server):
    token = DEFAULT_SALESFLOW_ACCOUNTS["41001"]
    sf(server.url, "/webhooks/list")
    call(server.url, f"/salesflow/api/accounts/list-accounts?token={token}")
    call(server.url, f"/salesflow/api/members/{token}?accountId=41001&token={token}")  # misuse
    sf(server.url, "/members/123")
    sr_bearer = sr_token(server.url)
    sr(server.url, "/editable-lists/getLists", {"page": 1, "size": 1}, sr_bearer)
    sb(server.url, "/users")
    log = server.control.requests()
    text = json.dumps(log)
    for secret in (token, SR_PASS, sr_bearer, SB_KEY):
        assert secret not in text
    assert log[0]["query"]["token"] == "***" and log[0]["query"]["accountId"] == "41001"
    assert set(log[0]) >= {"t", "vendor", "method", "path", "query", "body", "status", "fault"}
    stats = server.control.stats()
    assert stats["requests"] == {"salesflow": 4, "salesrocks": 2, "salesblink": 1}
    assert stats["by_endpoint"]["salesflow GET /members/{id}"] == 1
    server.control.clear_requests()
    assert server.control.requests() == []


def test_control_client_against_a_stopped_url_fails_fast():
    with SandboxServer(seed=3, scale=0.01) as s:
        url = s.url
    with pytest.raises(OSError):
        SandboxClient(url, timeout=1).health()


def test_control_api_refuses_bad_input():
    with SandboxServer(seed=3, scale=0.01) as s:
        with pytest.raises(SandboxError, match="unknown settings"):
            s.control.configure(nonsense=1)
        with pytest.raises(SandboxError, match="unknown counts"):
            s.control.reset(counts={"salesblink.nope": 1})
        with pytest.raises(SandboxError) as caught:
            s.control.expected("salesflow", "nope")
        assert caught.value.status == 404
        s.control.configure(latency_ms=5, counts={"salesblink.lists": 2})
        config = s.control.config()
        assert config["latency_ms"] == 5 and config["counts"] == {"salesblink.lists": 2}
        assert s.control.expected("salesblink", "lists")["count"] == 2
        assert call(s.url, "/_sandbox/nope")[0] == 404
        assert call(s.url, "/elsewhere/api")[0] == 404


def test_cli_serves_until_sigterm(tmp_path):
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "outreach_sandbox.cli",
            "serve",
            "--port",
            "0",
            "--scale",
            "0.01",
            "--port-file",
            str(port_file),
            "--no-rate-limits",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("outreach-sandbox listening on http://127.0.0.1:")
        port = int(port_file.read_text())
        assert line.strip().endswith(f":{port}")
        assert call(f"http://127.0.0.1:{port}", "/_sandbox/health")[2]["ok"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
