"""A second host for credential tests: records every byte that reaches it, answers plausibly.

It binds another loopback address (127.0.0.2 by default) on a free port, so it is a different
origin from the sandbox on 127.0.0.1. Each request is kept raw (request line, headers, body)
and answered ``{"success": true, "data": []}``, what a hostile host would send to make a tap
take the redirect for "no data". Optionally it speaks TLS with a self-signed certificate made
by ``openssl`` (for the "TLS verification stays on" case).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import tempfile
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from support import secret_forms

BODY = json.dumps({"success": True, "data": []}).encode()
Reply = tuple[int, dict[str, str], bytes]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet: the test reads ``received``."""

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        raw = f"{self.requestline}\r\n{self.headers}".encode("latin-1") + body
        with self.server.lock:
            self.server.received.append(raw)
        status, headers, payload = self.server.reply(self.command, self.path)
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    received: list[bytes]
    lock: threading.Lock
    reply: t.Callable[[str, str], Reply]


def _ok(method: str, path: str) -> Reply:
    return 200, {}, BODY


class Recorder:
    """``with Recorder() as r: r.url; r.received; r.credentials(secrets)``."""

    def __init__(
        self,
        host: str = "127.0.0.2",
        *,
        tls: bool = False,
        reply: t.Callable[[str, str], Reply] = _ok,
    ) -> None:
        self._server = _Server((host, 0), _Handler)
        self._server.received = []
        self._server.lock = threading.Lock()
        self._server.reply = reply
        self._tmp: tempfile.TemporaryDirectory | None = None
        scheme = "http"
        if tls:
            self._tmp = tempfile.TemporaryDirectory()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self_signed_cert(Path(self._tmp.name), host))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def received(self) -> list[bytes]:
        with self._server.lock:
            return list(self._server.received)

    def text(self) -> str:
        return b"\n".join(self.received).decode("latin-1")

    def credentials(self, secrets: t.Iterable[str]) -> int:
        """Occurrences of any secret (raw, URL- or JSON-encoded) in what reached this host."""
        text = self.text()
        return sum(text.count(form) for s in secrets for form in secret_forms(s))

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()


def self_signed_cert(directory: Path, host: str) -> tuple[str, str]:
    """(certificate, key) files of a throw-away self-signed certificate for ``host``."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=IP:{host}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)
