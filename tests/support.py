"""Test helpers: killing taps mid-run, scanning for secrets, a response whose body comes in
given chunks, tap-salesrocks settings for a sandbox; the tap runner itself is
scripts/taprun.py (shared with `make bench`), re-exported here for the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import typing as t
from pathlib import Path
from urllib.parse import quote, quote_plus

import tap_forkserver
from taprun import BIN, ROOT, TapRun, parse_messages, run_tap

from outreach_sandbox import (
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
)

__all__ = [
    "BIN",
    "ROOT",
    "SALESBLINK_NO_EVENTS",
    "Chunked",
    "TapRun",
    "assert_no_secrets",
    "catalog_selecting",
    "parse_messages",
    "run_tap",
    "run_until_killed",
    "salesblink_settings",
    "salesflow_settings",
    "salesrocks_settings",
    "secret_forms",
]


#: Sandbox counts for SalesBlink tests of lists and leads: no activity events, one user.
SALESBLINK_NO_EVENTS = {
    "salesblink.users": 1,
    "salesblink.sent": 0,
    "salesblink.opens": 0,
    "salesblink.clicks": 0,
    "salesblink.replies": 0,
}


def salesblink_settings(url: str, **extra: t.Any) -> dict:
    """tap-salesblink settings for the sandbox at `url`: its first key, no pacing (the
    sandbox's rate limits are off unless a test sets them), retries after 0.01 s; `extra`
    adds settings or replaces these."""
    return {
        "api_key": DEFAULT_SALESBLINK_KEYS[0],
        "api_url": f"{url}/salesblink/api",
        "rate_limit_requests": None,
        "retry_base_seconds": 0.01,
        **extra,
    }


def salesflow_settings(url: str, **extra: t.Any) -> dict:
    """tap-salesflow settings for the sandbox at `url`: every account with its token, both
    API hosts on the sandbox, retries after 0.01 s; `extra` adds settings or replaces these."""
    return {
        "accounts": [{"account_id": a, "token": t} for a, t in DEFAULT_SALESFLOW_ACCOUNTS.items()],
        "api_url": f"{url}/salesflow/api",
        "statistics_api_url": f"{url}/salesflow/api",
        "retry_base_seconds": 0.01,
        **extra,
    }


def salesrocks_settings(url: str, **extra: t.Any) -> dict:
    """tap-salesrocks settings for the sandbox at `url`: its first user's login, retries
    after 0.01 s; `extra` adds settings or replaces these."""
    username, password = next(iter(DEFAULT_SALESROCKS_USERS.items()))
    return {
        "username": username,
        "password": password,
        "api_url": f"{url}/salesrocks",
        "retry_base_seconds": 0.01,
        **extra,
    }


def catalog_selecting(tap: str, config: dict, streams: t.Container[str] | None = None) -> dict:
    """The tap's discovered catalog with the `streams` selected and no other (None: every
    stream, the legacy ones off by default too); pass it to `run_tap(catalog=...)`."""
    found = run_tap(tap, config, args=("--discover",))
    assert found.returncode == 0, found.stderr[-2000:]
    catalog = json.loads(found.stdout)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = streams is None or entry["tap_stream_id"] in streams
    return catalog


def secret_forms(secret: str) -> set[str]:
    """A secret as it could appear: raw, URL-encoded (both styles), JSON-escaped."""
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def assert_no_secrets(output: str, secrets: list[str]) -> None:
    leaks = [form for s in secrets for form in secret_forms(s) if form in output]
    assert not leaks, f"secret leaked into output ({len(leaks)} forms)"


def run_until_killed(
    tap: str,
    config: dict,
    stop: t.Callable[[str], bool],
    state: dict | None = None,
    env: dict | None = None,
    stderr: list[str] | None = None,
) -> list[dict]:
    """Run `tap`, SIGKILL it as soon as `stop(line)` is true for a stdout line; return the
    Singer messages it wrote before dying (a line cut by the kill is dropped). Its stderr is
    appended to `stderr` when a list is given."""
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config))
        command = [str(BIN / tap), "--config", str(config_path)]
        if state is not None:
            state_path = Path(tmp) / "state.json"
            state_path.write_text(json.dumps(state))
            command += ["--state", str(state_path)]
        err_path = Path(tmp) / "stderr.txt"
        with err_path.open("w") as err:
            full_env = {**os.environ, **(env or {})}
            if tap_forkserver.enabled(tap):
                lines = _read_preloaded(tap, command[1:], err, full_env, stop)
            else:
                lines = _read_process(command, err, full_env, stop)
        if stderr is not None:
            stderr.append(err_path.read_text(errors="replace"))
    return parse_messages("".join(lines))


def _lines_until(out: t.Iterable[str], stop: t.Callable[[str], bool]) -> list[str]:
    """The lines of `out` up to and including the first that `stop` accepts."""
    lines = []
    for line in out:
        lines.append(line)
        if stop(line):
            break
    return lines


def _read_process(
    command: list[str], err: t.IO[str], env: dict, stop: t.Callable[[str], bool]
) -> list[str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    assert process.stdout is not None
    lines = _lines_until(process.stdout, stop)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return lines


def _read_preloaded(
    tap: str, args: list[str], err: t.IO[str], env: dict, stop: t.Callable[[str], bool]
) -> list[str]:
    """As `_read_process`, the tap forked from its server (scripts/tap_forkserver.py)."""
    read, write = os.pipe()
    try:
        with open(os.devnull, "rb") as src:
            run = tap_forkserver.start(
                tap, args, stdin=src.fileno(), stdout=write, stderr=err.fileno(), env=env
            )
    finally:
        os.close(write)
    with open(read, encoding="utf-8") as out:
        lines = _lines_until(out, stop)
        run.kill()
        run.wait()
    return lines


class Chunked:
    """A response stand-in whose body arrives in the given chunks (for
    outreach_kit.streaming)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def iter_content(self, chunk_size: int) -> t.Iterator[bytes]:
        yield from self.chunks

    def close(self) -> None:
        """A live body closes its response when it ends."""
