"""Test helpers: running taps as processes, reading their output, scanning for secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


@dataclass
class TapRun:
    """What one tap process did: exit code, Singer messages, raw output."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict] = field(default_factory=list)

    def records(self, stream: str | None = None) -> list[dict]:
        return [
            m["record"]
            for m in self.messages
            if m["type"] == "RECORD" and (stream is None or m["stream"] == stream)
        ]

    def by_stream(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for m in self.messages:
            if m["type"] == "RECORD":
                out[m["stream"]].append(m["record"])
        return out

    def states(self) -> list[dict]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict | None:
        states = self.states()
        return states[-1] if states else None


def parse_messages(stdout: str) -> list[dict]:
    messages = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except ValueError:
                break  # a line cut by a kill
    return messages


def run_tap(
    tap: str,
    config: dict,
    *,
    state: dict | None = None,
    args: tuple[str, ...] = (),
    env: dict | None = None,
    timeout: float = 300,
) -> TapRun:
    """Run `tap` (console script in .venv) with a config file; state and args optional."""
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config))
        command = [str(BIN / tap), "--config", str(config_path), *args]
        if state is not None:
            state_path = Path(tmp) / "state.json"
            state_path.write_text(json.dumps(state))
            command += ["--state", str(state_path)]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
    return TapRun(result.returncode, result.stdout, result.stderr, parse_messages(result.stdout))


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
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env={**os.environ, **(env or {})},
            )
            lines = []
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if stop(line):
                    break
            process.send_signal(signal.SIGKILL)
            process.wait()
        if stderr is not None:
            stderr.append(err_path.read_text(errors="replace"))
    return parse_messages("".join(lines))
