"""Running a tap (or any Singer program) as a process: the one runner of the tests and the bench.

Every run goes through a bare launcher interpreter that spawns the program and reports its
exit code, wall and CPU time and peak RSS (`os.wait4`): on Linux a child's `ru_maxrss` starts
at the RSS of the process that spawned it, so spawned from a test or the bench (which may hold
large responses) a tap's peak would read as theirs. Importing this module imports nothing of
the taps or the bench. The tests start our taps from a fork server instead
(scripts/tap_forkserver.py, `OUTREACH_TAPS_PRELOADED=1`): the same processes without paying
for their imports each time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import tap_forkserver

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"

#: argv[1]: report file ("code rss_kib wall_s cpu_s"); argv[2:]: the program and its arguments.
LAUNCHER = """import os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as report:
    report.write(f"{code} {usage.ru_maxrss} {seconds} {usage.ru_utime + usage.ru_stime}")
sys.exit(code)
"""


@dataclass(frozen=True)
class Usage:
    """What a process cost: wall seconds (start-up included), user + system CPU, peak RSS."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    rss_mib: float = 0.0


@dataclass
class TapRun:
    """What one tap process did: exit code, Singer messages, raw output, cost."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

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


def launch(
    command: list[str],
    *,
    stdin: Path | None = None,
    stdout: Path,
    stderr: Path,
    env: dict | None = None,
    timeout: float | None = None,
) -> tuple[int, Usage]:
    """Run `command` to completion through LAUNCHER: its exit code and cost.

    The launcher leads its own process group, so a timeout stops the program too.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "launcher.txt"
        with (
            stdin.open("rb") if stdin else open(os.devnull, "rb") as src,
            stdout.open("wb") as out,
            stderr.open("wb") as err,
        ):
            process = subprocess.Popen(
                [sys.executable, "-S", "-c", LAUNCHER, str(report), *command],
                stdin=src,
                stdout=out,
                stderr=err,
                env=env,
                start_new_session=True,
            )
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise
        if not report.exists():
            return process.returncode, Usage()
        code, rss_kib, seconds, cpu = report.read_text().split()
    return int(code), Usage(float(seconds), float(cpu), int(rss_kib) / 1024)


def launch_preloaded(
    command: list[str],
    *,
    stdout: Path,
    stderr: Path,
    env: dict,
    timeout: float | None = None,
) -> tuple[int, Usage]:
    """`launch` for one of our taps, forked from a server that has imported it
    (scripts/tap_forkserver.py: the tests' runs, not the bench's). Its usage leaves out the
    imports, and its peak RSS includes the server's."""
    tap = Path(command[0]).name
    with open(os.devnull, "rb") as src, stdout.open("wb") as out, stderr.open("wb") as err:
        run = tap_forkserver.start(
            tap, command[1:], stdin=src.fileno(), stdout=out.fileno(), stderr=err.fileno(), env=env
        )
    code, ended = run.wait(timeout)
    usage = Usage(float(ended["seconds"]), float(ended["cpu"]), int(ended["rss_kib"]) / 1024)
    return code, usage


def run_tap(
    tap: str,
    config: dict,
    *,
    catalog: dict | None = None,
    state: dict | None = None,
    args: tuple[str, ...] = (),
    env: dict | None = None,
    timeout: float = 300,
    output: Path | None = None,
) -> TapRun:
    """Run `tap` (console script in .venv) with a config file; catalog, state, args optional.

    With `output`, stdout goes to that file and is neither kept nor parsed (a bench run of
    200,000 records); otherwise it comes back as text and Singer messages.
    """
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp)
        command = [str(BIN / tap), "--config", str(_write(files / "config.json", config))]
        if catalog is not None:
            command += ["--catalog", str(_write(files / "catalog.json", catalog))]
        if state is not None:
            command += ["--state", str(_write(files / "state.json", state))]
        out_path, err_path = output or files / "stdout.txt", files / "stderr.txt"
        run = launch_preloaded if tap_forkserver.enabled(tap) else launch
        code, usage = run(
            [*command, *args],
            stdout=out_path,
            stderr=err_path,
            env={**os.environ, **(env or {})},
            timeout=timeout,
        )
        stdout = "" if output else out_path.read_text(encoding="utf-8", errors="replace")
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
    return TapRun(code, stdout, stderr, parse_messages(stdout), usage)


def _write(path: Path, value: dict) -> Path:
    path.write_text(json.dumps(value))
    return path
