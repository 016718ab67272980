"""Tap processes forked from an interpreter that has already imported the tap (the tests).

A tap process spends about 1 s of CPU importing singer-sdk, requests, jsonschema and the kit
before it reads its first argument, and the suites start several hundred of them. This
server imports one tap once, as its console script does (``outreach_kit.launch.import_tap``:
the collector paused, singer-sdk's unused modules deferred, then frozen), and forks a
process per run: a real process, with its own pid, session, standard streams, environment,
working directory, argv and exit code, that can be killed mid-run, and that runs the console
script (``tap_<vendor>:main``) from its first argument on, exiting through the interpreter's
normal shutdown. What differs from an exec: the imports happened before the fork (the run's
CPU time does not include them, its peak RSS includes the server's), and every run of one
server shares its hash seed.

One connection per run, on a Unix socket: the client sends one JSON line ``{"argv": [...],
"env": {...}, "cwd": "..."}`` with three file descriptors (stdin, stdout, stderr). The
server forks a waiter, which forks the tap, answers ``{"pid": N}``, and once the tap has
ended ``{"code", "rss_kib", "seconds", "cpu"}`` (``os.wait4``, as scripts/taprun.py's
launcher). The client is scripts/taprun.py (`preloaded_start`).

Usage: ``python tap_forkserver.py PACKAGE SOCKET`` (it prints ``ready`` once listening and
exits when the process that started it is gone).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import typing as t

#: Where the console scripts live: their directory is sys.path[0] of a tap started by one.
BIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "bin")


def _read_line(conn: socket.socket, first: bytes) -> bytes:
    data = first
    while not data.endswith(b"\n"):
        more = conn.recv(1 << 16)
        if not more:
            raise ConnectionError("the client closed the connection mid-request")
        data += more
    return data


def _answer(conn: socket.socket, value: dict[str, t.Any]) -> None:
    conn.sendall(json.dumps(value).encode() + b"\n")


def _waiter(conn: socket.socket, request: dict[str, t.Any], fds: list[int]) -> dict[str, t.Any]:
    """In the waiter: fork the tap, report its pid, wait for it, report how it ended, exit.
    Returns (in the tap process only) the request to run."""
    start = time.perf_counter()
    settled, done = os.pipe()
    pid = os.fork()
    if pid == 0:
        conn.close()
        os.close(settled)
        os.setsid()  # as the launcher's start_new_session: a timeout kills its group
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.close(done)  # the pid is a session (and group) of its own before anyone kills it
        return request
    os.close(done)
    os.read(settled, 1)
    os.close(settled)
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):  # the client is gone: still reap the tap
        _answer(conn, {"pid": pid})
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    try:
        _answer(
            conn,
            {
                "code": os.waitstatus_to_exitcode(status),
                "rss_kib": usage.ru_maxrss,
                "seconds": seconds,
                "cpu": usage.ru_utime + usage.ru_stime,
            },
        )
    finally:
        os._exit(0)


def _reap() -> None:
    """Collect the waiters that ended (their CPU, the taps' included, then counts as this
    server's children's, and so as the test process's once it has waited for the server)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def serve(package: str, path: str) -> dict[str, t.Any]:
    """Import the tap, listen on `path` and fork per request; returns only in a tap process."""
    sys.path[0] = BIN
    from outreach_kit.launch import import_tap  # imported as the console script does

    import_tap(f"{package}.tap")
    importlib.import_module(package)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    parent = os.getppid()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        _reap()
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the test process is gone
                sys.exit(0)
            continue
        conn.settimeout(None)
        fds: list[int] = []
        try:
            first, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
            request = json.loads(_read_line(conn, first))
            if len(fds) != 3:
                raise ValueError(f"expected 3 file descriptors, got {len(fds)}")
        except (OSError, ValueError) as exc:
            sys.stderr.write(f"tap_forkserver: bad request: {exc}\n")
            for fd in fds:
                os.close(fd)
            conn.close()
            continue
        assert threading.active_count() == 1, "forking with threads running"
        if os.fork() == 0:
            listener.close()
            return _waiter(conn, request, fds)
        for fd in fds:
            os.close(fd)
        conn.close()


# The client side (the test process): one server per tap, started on first use.

#: Console script -> package, for the taps a server may preload.
PACKAGES = {
    "tap-salesblink": "tap_salesblink",
    "tap-salesflow": "tap_salesflow",
    "tap-salesrocks": "tap_salesrocks",
}
#: Set to 1 (tests/conftest.py does) to start these taps from a server; unset, or 0, execs them.
SWITCH = "OUTREACH_TAPS_PRELOADED"


def enabled(tap: str) -> bool:
    """Whether `tap` is started from a fork server in this process."""
    return tap in PACKAGES and os.environ.get(SWITCH) == "1"


class PreloadedRun:
    """One forked tap: its pid (the leader of its own session) and, once it ended, its end."""

    def __init__(self, conn: socket.socket, command: list[str]) -> None:
        self.conn = conn
        self.command = command
        self.buffer = b""
        self.pid = int(self._message(None)["pid"])

    def _message(self, timeout: float | None) -> dict[str, t.Any]:
        self.conn.settimeout(timeout)
        while b"\n" not in self.buffer:
            more = self.conn.recv(1 << 16)
            if not more:
                raise RuntimeError(f"the fork server ended without an answer for {self.command}")
            self.buffer += more
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def kill(self) -> None:
        """SIGKILL the tap and anything it started (its session's group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> tuple[int, dict[str, t.Any]]:
        """Exit code (negative: killed by that signal) and the waiter's report; on a timeout
        the tap is killed and subprocess.TimeoutExpired raised."""
        try:
            ended = self._message(timeout)
        except TimeoutError:
            self.kill()
            self._message(None)
            self.conn.close()
            raise subprocess.TimeoutExpired(self.command, timeout or 0) from None
        self.conn.close()
        return int(ended["code"]), ended


class _Server:
    def __init__(self, package: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="tap-forkserver-")
        self.path = os.path.join(self.dir, "socket")
        self.log = os.path.join(self.dir, "server.log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [os.path.join(BIN, "python"), os.path.abspath(__file__), package, self.path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        assert self.process.stdout is not None
        if self.process.stdout.readline() != b"ready\n":
            self.process.wait()
            with open(self.log, encoding="utf-8", errors="replace") as log:
                raise RuntimeError(f"the fork server for {package} did not start:\n{log.read()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


_servers: dict[str, _Server] = {}
_lock = threading.Lock()


def _server(package: str) -> _Server:
    with _lock:
        if package not in _servers or _servers[package].process.poll() is not None:
            if not _servers:
                atexit.register(stop_all)
            _servers[package] = _Server(package)
        return _servers[package]


def stop_all() -> None:
    """Stop every server this process started (at exit; the servers also stop on their own
    once this process is gone)."""
    with _lock:
        for server in _servers.values():
            server.stop()
        _servers.clear()


def start(
    tap: str,
    args: list[str],
    *,
    stdin: int,
    stdout: int,
    stderr: int,
    env: dict[str, str],
    cwd: str | None = None,
) -> PreloadedRun:
    """Fork `tap` (a key of PACKAGES) with `args` and these file descriptors as its standard
    streams (the caller may close its copies once this returns)."""
    server = _server(PACKAGES[tap])
    argv = [os.path.join(BIN, tap), *args]
    request = {"argv": argv, "env": dict(env), "cwd": cwd or os.getcwd()}
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(server.path)
    payload = json.dumps(request).encode() + b"\n"
    sent = socket.send_fds(conn, [payload], [stdin, stdout, stderr])
    conn.sendall(payload[sent:])
    return PreloadedRun(conn, argv)


if __name__ == "__main__":
    package = sys.argv[1]
    run = serve(package, sys.argv[2])
    os.chdir(run["cwd"])
    os.environ.clear()
    os.environ.update(run["env"])
    sys.argv = list(run["argv"])
    # What the console script does (`.venv/bin/tap-<vendor>`).
    sys.exit(importlib.import_module(package).main())
