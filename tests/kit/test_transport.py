"""The session policy: redirects stay on their origin, no proxy from the environment, TLS on.

Real HTTP over loopback: the "vendor" on 127.0.0.1 and a recording second host on 127.0.0.2.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest
import requests
import urllib3
from recorder import Recorder

from outreach_kit.concurrency import session_like
from outreach_kit.errors import ConfigurationError, RedirectRefusedError
from outreach_kit.transport import (
    GuardedSession,
    check_url,
    check_url_settings,
    is_certificate_error,
    is_loopback,
    origin,
    show_origin,
)

SECRET = "s3cr/et+tok&en"
STATUSES = [301, 302, 303, 307, 308]


def _redirecting(location: str, status: int = 302, times: int = 1):
    """A reply function: ``times`` redirects to ``location`` (with the query), then 200."""
    left = {"n": times}

    def reply(method: str, path: str):
        if left["n"] > 0:
            left["n"] -= 1
            query = path.partition("?")[2]
            return status, {"Location": location + (f"?{query}" if query else "")}, b"{}"
        return 200, {}, json.dumps({"method": method, "path": path}).encode()

    return reply


def test_origin_and_its_display_drop_user_info_path_and_query():
    assert origin("HTTPS://Api.Example.com/x?token=1") == ("https", "api.example.com", 443)
    assert origin("https://api.example.com:443/") == origin("https://api.example.com")
    assert origin("http://127.0.0.1:8080") != origin("http://127.0.0.1:8081")
    assert show_origin(f"https://user:{quote(SECRET, safe='')}@h.example:8443/p?t={SECRET}") == (
        "https://h.example:8443"
    )
    assert show_origin("http://[::1]:80/x") == "http://[::1]"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.9.8.7", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("api.example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_plain_http_only_to_loopback():
    check_url("api_url", "http://127.0.0.1:9999/salesblink/api")
    check_url("api_url", "http://localhost/x")
    check_url("api_url", "https://api.example.com")
    with pytest.raises(ConfigurationError, match="clear text") as refused:
        check_url("api_url", f"http://u:{quote(SECRET, safe='')}@api.example.com/x?t={SECRET}")
    assert "'api_url'" in str(refused.value) and SECRET not in str(refused.value)
    with pytest.raises(ConfigurationError, match="http\\(s\\) URL"):
        check_url("api_url", "ftp://api.example.com")
    with pytest.raises(ConfigurationError, match="statistics_api_url"):
        check_url_settings({"api_url": "https://a.example", "statistics_api_url": "http://b.io"})
    with pytest.raises(ConfigurationError, match="proxy_url"):
        check_url_settings({"api_url": "https://a.example", "proxy_url": "socks4://p:1"})


@pytest.mark.parametrize("status", STATUSES)
def test_a_redirect_to_another_host_is_refused_before_anything_reaches_it(status):
    with (
        Recorder() as elsewhere,
        Recorder("127.0.0.1", reply=_redirecting(f"{elsewhere.url}/steal", status)) as vendor,
    ):
        session = GuardedSession.for_config({"api_url": vendor.url})
        with pytest.raises(RedirectRefusedError) as refused:
            session.post(
                f"{vendor.url}/auth?token={SECRET}",
                json={"password": SECRET},
                headers={"Authorization": SECRET},
                timeout=5,
            )
        message = str(refused.value)
        assert vendor.url in message and elsewhere.url in message and f"HTTP {status}" in message
        assert "'api_url'" in message and SECRET not in message and "steal" not in message
        assert elsewhere.received == []
        assert len(vendor.received) == 1


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:{other_port}/x", "//127.0.0.2:{port}/x", "https://127.0.0.1:{port}/x"],
    ids=["other port", "scheme-relative other host", "other scheme"],
)
def test_scheme_host_and_port_each_make_another_origin(target):
    with Recorder("127.0.0.1") as other, Recorder("127.0.0.1") as vendor:
        location = target.format(other_port=other.url.rsplit(":", 1)[1], port=vendor.url[-5:])
        vendor._server.reply = _redirecting(location)
        both = {"api_url": vendor.url + "/api", "statistics_api_url": vendor.url}
        session = GuardedSession.for_config(both)
        with pytest.raises(RedirectRefusedError, match="'api_url' or 'statistics_api_url'"):
            session.get(f"{vendor.url}/a", timeout=5)
        assert other.received == []


@pytest.mark.parametrize("status", STATUSES)
def test_same_origin_redirects_are_followed_and_logged_at_info(status, caplog):
    with Recorder("127.0.0.1") as vendor:
        vendor._server.reply = _redirecting(f"{vendor.url}/moved", status)
        session = GuardedSession(logger=logging.getLogger("tap-test"))
        with caplog.at_level(logging.INFO, logger="tap-test"):
            response = session.post(
                f"{vendor.url}/start?token={SECRET}", json={"a": "BODY-42"}, timeout=5
            )
        assert response.status_code == 200
        followed = json.loads(response.content)
        # 307/308 keep the method and body; 301/302/303 turn a POST into a GET (RFC 9110).
        assert followed["method"] == ("POST" if status in (307, 308) else "GET")
        assert followed["path"].startswith("/moved")
        assert (b"BODY-42" in vendor.received[1]) == (status in (307, 308))
        lines = [r.getMessage() for r in caplog.records if "redirect" in r.getMessage()]
        assert lines == [f"Followed a same-origin redirect (HTTP {status}) from /start to /moved"]


def test_proxy_variables_from_the_environment_are_ignored(monkeypatch):
    with Recorder() as proxy, Recorder("127.0.0.1") as vendor:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # A plain session would hand the request, key and all, to the proxy...
        requests.Session().get(f"{vendor.url}/x", headers={"Authorization": SECRET}, timeout=5)
        assert proxy.credentials([SECRET]) == 1
        # ...the guarded one goes straight to the vendor.
        GuardedSession().get(f"{vendor.url}/y", headers={"Authorization": SECRET}, timeout=5)
        assert len(proxy.received) == 1 and len(vendor.received) == 1


def test_proxy_url_setting_is_used():
    with Recorder() as proxy:
        session = GuardedSession.for_config({"proxy_url": proxy.url})
        session.get("http://127.0.0.1:9/never", timeout=5)
        assert proxy.received[0].startswith(b"GET http://127.0.0.1:9/never HTTP/1.1")


def test_tls_verification_cannot_be_turned_off(monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with Recorder("127.0.0.1", tls=True) as vendor:
        with pytest.warns(urllib3.exceptions.InsecureRequestWarning):  # the control
            assert requests.get(vendor.url, verify=False, timeout=5).ok  # noqa: S501 (deliberate)
        session = GuardedSession()
        session.verify = False
        with pytest.raises(requests.exceptions.SSLError) as failed:
            session.get(vendor.url, verify=False, headers={"Authorization": SECRET}, timeout=5)
        assert is_certificate_error(failed.value)
        assert vendor.credentials([SECRET]) == 0


def test_a_ca_bundle_from_the_environment_is_trusted(monkeypatch, tmp_path):
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with Recorder("127.0.0.1", tls=True) as vendor:
        cert = vendor._tmp.name + "/cert.pem"
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
        assert GuardedSession().get(vendor.url, timeout=5).status_code == 200
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
        assert GuardedSession().verify is True  # a missing file never means "do not verify"


def test_worker_sessions_keep_the_policy():
    session = GuardedSession.for_config({"api_url": "https://a.example", "proxy_url": "http://p:1"})
    session.stream = True
    twin = session_like(session)
    assert isinstance(twin, GuardedSession) and twin is not session
    assert (twin.trust_env, twin.stream, twin.proxies) == (False, True, session.proxies)
    assert twin.url_setting_names == {("https", "a.example", 443): ("api_url",)}
