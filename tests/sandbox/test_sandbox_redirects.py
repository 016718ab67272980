"""The `redirect` fault: any redirect status, a templated Location, bad specs refused."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from sandbox_calls import PUBLIC, SB_KEY

from outreach_sandbox import SandboxError, SandboxServer


def _raw(url: str, target: str, method: str = "GET") -> http.client.HTTPResponse:
    """One request without following redirects (urllib would follow them)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, target, headers={"Authorization": SB_KEY})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_carries_path_and_query(status):
    with SandboxServer(seed=3, scale=0.05) as server:
        server.control.add_faults(
            [
                {
                    "vendor": "salesblink",
                    "path": "/lists",
                    "kind": "redirect",
                    "status": status,
                    "location": "http://127.0.0.2:9/x{path}?{query}",
                }
            ]
        )
        first = _raw(server.url, f"{PUBLIC}/lists?limit=5&skip=0")
        assert first.status == status
        assert first.getheader("Location") == f"http://127.0.0.2:9/x{PUBLIC}/lists?limit=5&skip=0"
        assert _raw(server.url, f"{PUBLIC}/lists?limit=5&skip=0").status == 200  # consumed
        log = server.control.requests()
        assert [(e["status"], e["fault"]) for e in log] == [(status, "redirect"), (200, None)]


def test_default_redirect_is_same_origin_to_the_same_resource():
    with SandboxServer(seed=3, scale=0.05) as server:
        server.control.add_faults([{"vendor": "salesblink", "kind": "redirect", "status": 307}])
        response = _raw(server.url, f"{PUBLIC}/users")
        assert (response.status, response.getheader("Location")) == (307, f"{PUBLIC}/users")


@pytest.mark.parametrize("spec", [{"status": 200}, {"status": 304}, {"location": 5}])
def test_bad_redirect_specs_are_refused(spec):
    with SandboxServer(seed=3, scale=0.05) as server, pytest.raises(SandboxError):
        server.control.add_faults([{"kind": "redirect", **spec}])
