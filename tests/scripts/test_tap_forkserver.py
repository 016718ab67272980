"""The tests' taps forked from a preloaded server (scripts/tap_forkserver.py) behave as the
console scripts exec'd: same output, exit code, stderr paragraph and environment, a process
of its own that can be killed mid-run, a timeout that stops it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import tap_forkserver
from support import run_tap, run_until_killed, salesrocks_settings

from outreach_sandbox import DEFAULT_SALESROCKS_USERS, SandboxServer

USER, PASSWORD = next(iter(DEFAULT_SALESROCKS_USERS.items()))


def _config(url: str, **extra) -> dict:
    return salesrocks_settings(url, **{"campaign_ids": [101, 102], **extra})


def _untimed(log: str) -> str:
    """Log lines without their leading time."""
    return re.sub(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ", "", log)


def _both(monkeypatch, *args, **kwargs):
    """The same run_tap call exec'd, then forked from the server."""
    monkeypatch.setenv(tap_forkserver.SWITCH, "0")
    execd = run_tap(*args, **kwargs)
    monkeypatch.setenv(tap_forkserver.SWITCH, "1")
    assert tap_forkserver.enabled(args[0])
    forked = run_tap(*args, **kwargs)
    return execd, forked


@pytest.fixture(scope="module")
def server():
    with SandboxServer(seed=5, scale=0.2) as running:
        yield running


def test_a_sync_gives_the_same_messages_and_exit(monkeypatch, server):
    execd, forked = _both(monkeypatch, "tap-salesrocks", _config(server.url))
    assert execd.returncode == forked.returncode == 0, forked.stderr[-2000:]
    assert execd.records() and forked.by_stream() == execd.by_stream()
    assert forked.states() == execd.states()
    assert forked.usage.cpu_seconds < execd.usage.cpu_seconds  # no imports: the point


def test_discovery_output_is_the_same_bytes(monkeypatch, server):
    execd, forked = _both(monkeypatch, "tap-salesrocks", _config(server.url), args=("--discover",))
    assert execd.returncode == forked.returncode == 0
    assert forked.stdout == execd.stdout and json.loads(forked.stdout)["streams"]


def test_a_bad_setting_gives_the_same_paragraph_and_exit_code(monkeypatch, server):
    bad = _config(server.url, api_url="ftp://example.invalid/salesrocks")
    execd, forked = _both(monkeypatch, "tap-salesrocks", bad)
    assert execd.returncode == forked.returncode != 0
    assert _untimed(forked.stderr) == _untimed(execd.stderr)
    assert "tap-salesrocks: error:" in forked.stderr
    assert PASSWORD not in forked.stderr


def test_the_run_gets_the_callers_environment(monkeypatch, server):
    """The environment is the caller's, not the server's: LOGLEVEL reaches the SDK."""
    quiet = run_tap("tap-salesrocks", _config(server.url), env={"LOGLEVEL": "WARNING"})
    debug = run_tap("tap-salesrocks", _config(server.url), env={"LOGLEVEL": "DEBUG"})
    assert quiet.returncode == debug.returncode == 0
    assert "DEBUG" not in quiet.stderr and "DEBUG" in debug.stderr


def test_a_killed_run_is_a_process_of_its_own(server, tmp_path):
    """run_until_killed's SIGKILL lands on the tap's own process (its own session), which
    the server outlives: the next run works."""
    seen: list[int] = []

    def stop(line: str) -> bool:
        return line.startswith('{"type":"RECORD"') or '"type": "RECORD"' in line

    real_start = tap_forkserver.start

    def start(*args, **kwargs):
        run = real_start(*args, **kwargs)
        seen.append(run.pid)
        assert os.getsid(run.pid) == run.pid != os.getpid()
        return run

    tap_forkserver.start, restore = start, tap_forkserver.start
    try:
        messages = run_until_killed("tap-salesrocks", _config(server.url), stop)
    finally:
        tap_forkserver.start = restore
    assert [m for m in messages if m["type"] == "RECORD"]
    assert len(seen) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(seen[0], 0)
    assert run_tap("tap-salesrocks", _config(server.url)).returncode == 0


def test_a_timeout_stops_the_run():
    """A vendor that accepts the connection and never answers: the run is killed at the
    caller's timeout, not at the tap's own request timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(subprocess.TimeoutExpired):
            run_tap("tap-salesrocks", _config(url, request_timeout=120), timeout=3)


def test_a_relative_path_is_read_from_the_callers_directory(tmp_path, server, monkeypatch):
    """The working directory is the caller's: a relative --config is found."""
    (tmp_path / "config.json").write_text(json.dumps(_config(server.url)))
    monkeypatch.chdir(tmp_path)
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        with open(os.devnull, "rb") as src, out.open("wb") as o, err.open("wb") as e:
            run = tap_forkserver.start(
                "tap-salesrocks",
                ["--config", "config.json", "--discover"],
                stdin=src.fileno(),
                stdout=o.fileno(),
                stderr=e.fileno(),
                env=dict(os.environ),
            )
        code, _ = run.wait(60)
        assert code == 0, err.read_text()[-2000:]
        assert json.loads(out.read_text())["streams"]
