"""Credentials never leave their host; every wait is bounded (issue 14), for every tap.

Each case runs the tap's console script at DEBUG level against the sandbox (127.0.0.1) with a
second host on 127.0.0.2 that records every byte reaching it (tests/recorder.py). The second
host must receive no credential in any form (raw, URL- or JSON-encoded; URL, headers or body),
the tap's own output must hold none, and a run that stops must stop with one paragraph and be
resumed from its last STATE with nothing lost. Rows go to the "Credentials and waits" table
of docs/reliability.md.
"""

from __future__ import annotations

import json

import pytest
from recorder import Recorder
from report_tables import CREDENTIALS
from support import TapRun, run_tap, secret_forms
from taps import TAPS, TapSpec

from outreach_sandbox import SandboxServer

DEBUG = {"LOGLEVEL": "DEBUG"}
#: Every redirect status, spread over the taps (the kit tests run all five on each session).
CROSS_ORIGIN_STATUSES = {
    "tap-salesblink": (301, 303),
    "tap-salesflow": (302, 307),
    "tap-salesrocks": (307, 308),
}
#: Same-origin redirects: GET APIs take any status; Sales.Rocks POSTs keep their body on 307.
SAME_ORIGIN_STATUS = {"tap-salesblink": 302, "tap-salesflow": 301, "tap-salesrocks": 307}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
NO_CA_BUNDLE = {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": ""}


class Case:
    """One tap run (and its resume, if it stopped) scored for credentials and loss."""

    def __init__(self, spec: TapSpec, server: SandboxServer, elsewhere: Recorder) -> None:
        self.spec, self.server, self.elsewhere = spec, server, elsewhere
        self.runs: list[TapRun] = []

    def run(
        self, config: dict | None = None, env: dict | None = None, state: dict | None = None
    ) -> TapRun:
        config = config if config is not None else self.spec.config(self.server.url)
        result = run_tap(self.spec.tap, config, state=state, env={**DEBUG, **(env or {})})
        self.runs.append(result)
        return result

    def error(self, run: TapRun) -> str:
        """The one paragraph of a failed run (asserted to be the last stderr line)."""
        assert run.returncode != 0, run.stderr[-2000:]
        errors = [
            line for line in run.stderr.splitlines() if line.startswith(f"{self.spec.tap}: error: ")
        ]
        assert len(errors) == 1, run.stderr[-2000:]
        assert run.stderr.strip().splitlines()[-1] == errors[0]
        return errors[0]

    def resume(self, failed: TapRun) -> TapRun:
        """Clear the faults and run again from the failed run's last STATE."""
        self.server.control.clear_faults()
        resumed = self.run(state=failed.last_state)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        return resumed

    def lost(self) -> int:
        """Sandbox records landed by none of the runs, over every default stream."""
        lost = 0
        for stream in self.spec.streams:
            landed = {self.spec.key(stream, r) for run in self.runs for r in run.records(stream)}
            lost += len(self.spec.expected(self.server, stream) - landed)
        return lost

    def sent_elsewhere(self) -> int:
        return self.elsewhere.credentials(self.spec.secrets(self.server))

    def leaks(self) -> int:
        text = "".join(r.stdout + r.stderr for r in self.runs)
        return sum(1 for s in self.spec.secrets(self.server) for f in secret_forms(s) if f in text)

    def report(self, report, name: str, outcome: str) -> None:
        """Add the row, then hold the case to zero credentials elsewhere and zero leaks."""
        sent, leaks = self.sent_elsewhere(), self.leaks()
        report.section(*CREDENTIALS).add(self.spec.tap, name, outcome, sent, leaks)
        assert (sent, leaks) == (0, 0), (name, sent, leaks)

    def assert_faults_fired(self) -> None:
        unfired = [f["kind"] for f in self.server.control.faults() if f["remaining"] > 0]
        assert not unfired, f"the run never met the fault(s) {unfired}"


@pytest.fixture
def case(request):
    spec: TapSpec = request.param
    scale = 0.3 if spec.vendor == "salesrocks" else 0.1  # several list-data pages
    with SandboxServer(seed=61, scale=scale) as server, Recorder("127.0.0.2") as elsewhere:
        yield Case(spec, server, elsewhere)


def _taps():
    return pytest.mark.parametrize("case", TAPS, ids=lambda s: s.tap, indirect=True)


def _origin(url: str) -> str:
    return "/".join(url.split("/")[:3])


@_taps()
def test_redirect_to_another_host_is_refused(case, reliability_report):
    spec = case.spec
    for status in CROSS_ORIGIN_STATUSES[spec.tap]:
        case.server.control.add_faults(
            [
                {
                    "vendor": spec.vendor,
                    "path": spec.data_path,
                    "kind": "redirect",
                    "status": status,
                    "after": 1,
                    "location": f"{case.elsewhere.url}{{path}}?{{query}}",
                }
            ]
        )
        failed = case.run()
        case.assert_faults_fired()
        message = case.error(failed)
        assert f"HTTP {status}" in message and "'api_url'" in message, message
        assert _origin(case.server.url) in message and case.elsewhere.url in message, message
        assert case.elsewhere.received == [], "the redirect was followed"
        case.resume(failed)
        assert case.lost() == 0
    statuses = "/".join(str(s) for s in CROSS_ORIGIN_STATUSES[spec.tap])
    case.report(
        reliability_report,
        f"redirect to another host (HTTP {statuses}) on data",
        "refused with one paragraph, resumed complete",
    )


@pytest.mark.parametrize(
    "case", [t for t in TAPS if t.vendor == "salesrocks"], ids=lambda s: s.tap, indirect=True
)
def test_login_redirect_to_another_host_never_carries_the_password(case, reliability_report):
    case.server.control.add_faults(
        [
            {
                "vendor": "salesrocks",
                "path": "/auth/accessToken",
                "kind": "redirect",
                "status": 307,
                "location": f"{case.elsewhere.url}{{path}}",
            }
        ]
    )
    failed = case.run()
    case.assert_faults_fired()
    message = case.error(failed)
    assert "HTTP 307" in message and case.elsewhere.url in message, message
    assert case.elsewhere.received == []
    assert not [m for m in failed.messages if m["type"] in ("RECORD", "STATE")]
    case.resume(failed)
    assert case.lost() == 0
    case.report(
        reliability_report,
        "login answered 307 to another host",
        "refused with one paragraph, resumed complete",
    )


@_taps()
def test_same_origin_redirect_is_followed_and_logged(case, reliability_report):
    status = SAME_ORIGIN_STATUS[case.spec.tap]
    case.server.control.add_faults(
        [
            {
                "vendor": case.spec.vendor,
                "path": case.spec.data_path,
                "kind": "redirect",
                "status": status,
                "after": 1,
            }
        ]
    )
    run = case.run()
    assert run.returncode == 0, run.stderr[-2000:]
    case.assert_faults_fired()
    assert f"Followed a same-origin redirect (HTTP {status})" in run.stderr
    assert case.lost() == 0 and case.elsewhere.received == []
    case.report(
        reliability_report,
        f"redirect on the same host (HTTP {status})",
        "followed, logged at INFO, complete",
    )


@_taps()
def test_long_retry_after_fails_at_once_and_resumes(case, reliability_report):
    case.server.control.add_faults(
        [
            {
                "vendor": case.spec.vendor,
                "path": case.spec.data_path,
                "kind": "429",
                "retry_after": 86_400,
                "after": 1,
            }
        ]
    )
    failed = case.run()
    case.assert_faults_fired()
    message = case.error(failed)
    assert "come back in 86,400 s" in message and "'max_retry_wait_seconds' (600 s)" in message
    assert " UTC" in message and "resumes" in message, message
    assert "in 86400" not in failed.stderr  # never announced a wait it would not take
    # Measured in requests, not seconds: the request answered 429 is never asked again.
    asked = [
        (json.dumps([r["path"], r["query"], r["body"]], sort_keys=True), r["status"])
        for r in case.server.control.requests()
    ]
    limited = next(i for i, (_, status) in enumerate(asked) if status == 429)
    assert asked[limited][0] not in [a for a, _ in asked[limited + 1 :]], "it waited and retried"
    case.resume(failed)
    assert case.lost() == 0
    case.report(
        reliability_report,
        "429 with Retry-After: 86400",
        "failed at once (no wait, no retry), resumed complete",
    )


@_taps()
def test_total_retry_waits_of_a_run_are_bounded(case, reliability_report):
    case.server.control.add_faults(
        [
            {
                "vendor": case.spec.vendor,
                "path": case.spec.data_path,
                "kind": "429",
                "retry_after": 0.3,
                "times": 3,
            }
        ]
    )
    bounds = {"max_retry_wait_seconds": 0.5, "max_total_retry_wait_seconds": 0.5}
    failed = case.run(config=case.spec.config(case.server.url, **bounds))
    message = case.error(failed)
    assert "'max_total_retry_wait_seconds' (0.5 s)" in message, message
    assert "already waited" in message and "resumes" in message, message
    case.resume(failed)
    assert case.lost() == 0
    case.report(
        reliability_report,
        "retry waits past max_total_retry_wait_seconds",
        "stopped with one paragraph, resumed complete",
    )


@_taps()
def test_plain_http_to_another_host_is_refused_at_start(case, reliability_report):
    config = case.spec.config(case.server.url)
    config["api_url"] = "http://api.vendor.example" + config["api_url"].split("/", 3)[3]
    # Were anything sent, the proxy variables would hand it to the recorder, not to DNS.
    proxies = dict.fromkeys(PROXY_VARIABLES, case.elsewhere.url) | {"NO_PROXY": ""}
    run = case.run(config=config, env=proxies)
    message = case.error(run)
    assert "'api_url'" in message and "clear text" in message, message
    assert not [m for m in run.messages if m["type"] in ("RECORD", "STATE")]
    assert case.elsewhere.received == [] and case.server.control.requests() == []
    case.report(
        reliability_report,
        "api_url over plain HTTP to a non-loopback host",
        "refused at start-up, nothing sent",
    )


@_taps()
def test_proxy_variables_from_the_environment_are_ignored(case, reliability_report):
    proxies = dict.fromkeys(PROXY_VARIABLES, case.elsewhere.url) | {"NO_PROXY": "", "no_proxy": ""}
    run = case.run(env=proxies)
    assert run.returncode == 0, run.stderr[-2000:]
    assert case.elsewhere.received == [] and case.lost() == 0
    case.report(
        reliability_report,
        "HTTP(S)_PROXY / ALL_PROXY pointing at the second host",
        "ignored (direct connection), complete",
    )


@_taps()
def test_unverifiable_tls_certificate_stops_before_any_credential(case, reliability_report):
    with Recorder("127.0.0.2", tls=True) as impostor:
        config = case.spec.config(case.server.url)
        config["api_url"] = impostor.url + "/" + config["api_url"].split("/", 3)[3]
        run = case.run(config=config, env=NO_CA_BUNDLE)
        message = case.error(run)
        assert "TLS certificate of " + impostor.url in message, message
        assert "could not be verified" in message and "REQUESTS_CA_BUNDLE" in message
        assert ": retrying " not in run.stderr  # a certificate does not fix itself: no retries
        assert impostor.received == []
        sent = impostor.credentials(case.spec.secrets(case.server))
    assert sent == 0
    case.report(
        reliability_report,
        "self-signed TLS certificate on api_url",
        "refused with one paragraph, nothing sent",
    )


@_taps()
def test_same_origin_redirect_loop_stops_with_one_paragraph(case, reliability_report):
    case.server.control.add_faults(
        [
            {
                "vendor": case.spec.vendor,
                "path": case.spec.data_path,
                "kind": "redirect",
                "status": 302,
                "after": 1,
                "times": 300,
            }
        ]
    )
    failed = case.run()
    message = case.error(failed)
    assert "too many redirects" in message and "?" not in message, message
    # requests gives up after 30 redirects; retried (6 attempts) one loop would take 186.
    (fault,) = case.server.control.faults()
    assert 31 <= 300 - fault["remaining"] <= 4 * 31, fault  # at most `concurrency` loops
    case.resume(failed)
    assert case.lost() == 0 and case.elsewhere.received == []
    case.report(
        reliability_report,
        "redirect loop on the same host",
        "stopped with one paragraph, resumed complete",
    )
