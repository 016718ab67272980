"""The HTTP server: routing by vendor prefix, latency, rate limits, faults, logs, controls."""

from __future__ import annotations

import json
import math
import re
import socket
import struct
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from outreach_sandbox.bends import BEND_KINDS, bend
from outreach_sandbox.control import handle_control
from outreach_sandbox.faults import HANDLER_FAULTS, RECORD_FAULTS, Fault, simple_reply
from outreach_sandbox.http import ApiError, Reply, Request, to_json
from outreach_sandbox.redirects import redirect_reply
from outreach_sandbox.state import VENDORS, SandboxState
from outreach_sandbox.workspaces import workspace_of

PREFIXES = {
    "salesblink": "/salesblink/api",
    "salesflow": "/salesflow/api",
    "salesrocks": "/salesrocks",
}
#: Query and body fields never written to the request log in clear (compared lower-case).
SECRET_FIELDS = frozenset(
    {
        "token",
        "password",
        "domaintoken",
        "access_token",
        "accesstoken",
        "api_key",
        "apikey",
        "key",
        "authorization",
        "secret",
    }
)
#: Path segments that are ids, folded in `by_endpoint` so it stays one row per endpoint.
_ID_SEGMENT = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{20,24}|\d+)(?=/|$)")


class SandboxHandler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, always with Content-Length.

    Headers and body leave through one buffered writer with Nagle off: written separately
    on an unbuffered socket, the body waited for the client's delayed ACK of the headers,
    about 40 ms per keep-alive request.
    """

    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer
    timeout = 120  # idle keep-alive connections give up eventually
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # flushed after each request by handle_one_request

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet: the request log is available from the control API instead."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header by the sandbox's clock, as a vendor's server dates its answers
        by the clock its data follows."""
        if timestamp is None:
            timestamp = self.server.state.clock.now().timestamp()
        return super().date_time_string(timestamp)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # -- plumbing ------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(length) if length > 0 else b""
        if url.path.startswith("/_sandbox/"):
            self._send(handle_control(state, method, url.path, raw))
            return
        vendor = url.path.split("/", 2)[1] if url.path.count("/") >= 1 else ""
        if vendor not in VENDORS or not url.path.startswith(PREFIXES[vendor]):
            self._send(Reply(404, {"message": f"unknown vendor prefix in {url.path}"}))
            return
        prefix = PREFIXES[vendor]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<invalid json>"
        request = Request(
            vendor=vendor,
            method=method,
            path=url.path[len(prefix) :] or "/",
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        if state.latency_ms:
            time.sleep(state.latency_ms / 1000)
        entry = {
            "t": time.time(),
            "vendor": vendor,
            "method": method,
            "path": request.path,
            "query": request.query,
            "body": body,
            "status": None,
            "fault": None,
        }
        try:
            reply = self._answer(state, request, entry)
        except Exception as exc:  # a bug must not take the server down: answer 500
            reply = Reply(500, {"message": f"sandbox error: {type(exc).__name__}: {exc}"})
        entry["status"] = reply.status if reply else 0
        _record(state, entry, reply)
        if reply is not None:
            self._send(reply)

    def _answer(self, state: SandboxState, request: Request, entry: dict) -> Reply | None:
        api = state.vendors.workspace(request.vendor, workspace_of(state, request))
        limited = self._rate_limit(state, request, api)
        if limited is not None:
            entry["fault"] = "rate_limit"
            return limited
        fault = state.faults.next(request.vendor, request.path)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind in HANDLER_FAULTS:
                request.flags[fault.kind] = fault.spec
                fault = None
        if fault is None:
            return self._handle(state, request, api)
        if fault.kind in BEND_KINDS:  # a genuine reply, bent (see bends.py)
            return bend(self._handle(state, request, api), fault.spec)
        return self._fault(state, request, fault, api)

    def _rate_limit(self, state: SandboxState, request: Request, api: t.Any) -> Reply | None:
        """429 with Retry-After (real seconds, ceil, min 1) once a credential's window is full."""
        limit = state.limits.get(request.vendor)
        # SalesBlink documents its limit for GET; the others only if configured.
        if not state.rate_limits or not limit:
            return None
        if request.vendor == "salesblink" and request.method != "GET":
            return None
        credential = (
            request.headers.get("authorization")
            or request.query.get("token")
            or request.query.get("accountId")
            or "-"
        )
        wait = state.limiter.check(request.vendor, credential, limit, 60.0 / state.time_scale)
        if wait is None:
            return None
        seconds = max(1, math.ceil(wait))
        message = f"Too many requests, retry after {seconds} seconds"
        return Reply(429, api.error_body(429, message), {"Retry-After": str(seconds)})

    @staticmethod
    def _handle(state: SandboxState, request: Request, api: t.Any) -> Reply:
        try:
            with state.lock:
                return api.handle(request)
        except ApiError as exc:
            return Reply(exc.status, api.error_body(exc.status, exc.message))

    def _fault(
        self, state: SandboxState, request: Request, fault: Fault, api: t.Any
    ) -> Reply | None:
        kind = fault.kind
        if kind == "redirect":
            return redirect_reply(fault.spec, self.path)
        reply = simple_reply(fault, request.vendor, api)
        if reply is not None:
            return reply
        if kind == "reset":
            self._reset_connection()
            return None
        if kind == "timeout":
            time.sleep(float(fault.spec.get("seconds", 5)))
            return self._handle(state, request, api)  # the client has given up by now
        if kind == "expire_token":
            state.vendors["salesrocks"].revoke(request)
            return Reply(401, api.error_body(401, "Token expired"))
        if kind in ("truncated", "reset_mid_body"):
            reply = self._handle(state, request, api)
            payload = _encode(reply)
            half = payload[: max(1, len(payload) // 2)]
            if kind == "truncated":
                return Reply(
                    reply.status, raw=half, headers=reply.headers, content_type=reply.content_type
                )
            try:
                self._send_headers(reply.status, len(payload), reply.content_type, reply.headers)
                self.wfile.write(half)
                self.wfile.flush()
            except OSError:
                pass
            self._reset_connection()
            return None
        return self._handle(state, request, api)  # pragma: no cover - every kind is handled

    def _reset_connection(self) -> None:
        """Close with RST: the client sees 'connection reset by peer'."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _send_headers(self, status: int, length: int, content_type: str, extra: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, reply: Reply) -> None:
        payload = _encode(reply)
        try:
            self._send_headers(reply.status, len(payload), reply.content_type, reply.headers)
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass


def _record(state: SandboxState, entry: dict, reply: Reply | None) -> None:
    """Log the request (secrets masked) and count it; count served records of good replies."""
    vendor = entry["vendor"]
    secrets = state.secrets()
    entry["query"] = _mask(entry["query"], secrets)
    entry["body"] = _mask(entry["body"], secrets)
    entry["path"] = _mask(entry["path"], secrets)
    endpoint = _ID_SEGMENT.sub("/{id}", entry["path"])
    with state.lock:
        state.log.append(entry)
        state.stats["requests"][vendor] += 1
        state.stats["by_status"][str(entry["status"])] += 1
        state.stats["by_endpoint"][f"{vendor} {entry['method']} {endpoint}"] += 1
        if reply is not None and reply.status == 429:
            state.stats["rate_limited"][vendor] += 1
        if (
            reply is not None
            and reply.status == 200
            and (entry["fault"] is None or entry["fault"] in RECORD_FAULTS)
        ):
            for stream, key in reply.served:
                state.served[vendor][stream].add(key)


def _encode(reply: Reply) -> bytes:
    return reply.raw if reply.raw is not None else to_json(reply.body)


def _mask(value: t.Any, secrets: list[str]) -> t.Any:
    """A copy with secret fields as "***" and any known credential inside a string hidden."""
    if isinstance(value, dict):
        return {
            k: "***" if str(k).lower() in SECRET_FIELDS else _mask(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, "***")
    return value


class SandboxHTTPServer(ThreadingHTTPServer):
    """Threads per connection (daemon: never block exit); tracks sockets to close on stop."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, SandboxHandler)
        self.state = state
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        """Client-side disconnects are normal here (faults, timeouts): stay quiet."""

    def close_connections(self) -> None:
        """End keep-alive connections so no client keeps talking to a stopped sandbox."""
        with self._open_lock:
            sockets = list(self._open)
            self._open.clear()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SandboxServer:
    """The sandbox in a background thread: ``with SandboxServer(port=0) as sb: sb.url``.

    ``counts`` sets exact sizes (see ``state.COUNT_KEYS``); other keyword arguments are
    settings as for ``POST /_sandbox/config``.
    """

    def __init__(
        self,
        seed: int = 7,
        scale: float = 1.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        counts: dict | None = None,
        **config: t.Any,
    ) -> None:
        self.state = SandboxState(seed, scale, counts)
        if config:
            self.state.configure(**config)
        self.httpd = SandboxHTTPServer((host, port), self.state)
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"outreach-sandbox:{self.port}",
        )
        self._started = False

    @property
    def control(self):
        """A ``SandboxClient`` of this server's control API."""
        from outreach_sandbox.client import SandboxClient

        return SandboxClient(self.url)

    def start(self) -> SandboxServer:
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._started:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._started = False
        self.httpd.server_close()
        self.httpd.close_connections()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
