"""The HTTP server: routing by vendor prefix, latency, rate limits, faults, logs, controls."""

from __future__ import annotations

import json
import math
import socket
import struct
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from outreach_sandbox.http import ApiError, Reply, Request
from outreach_sandbox.state import HANDLER_FAULTS, VENDORS, Fault, SandboxState

#: Query and body fields never written to the request log in clear.
SECRET_FIELDS = {"token", "password", "domainToken"}
HTML_ERROR = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
              b"<h1>Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p>"
              b"</body></html>")  # fmt: skip


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet: the request log is available from the control API instead."""

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
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.startswith("/_sandbox/"):
            self._control(method, url.path, dict(parse_qsl(url.query)), raw)
            return
        vendor = url.path.split("/", 2)[1] if url.path.count("/") >= 1 else ""
        if vendor not in VENDORS:
            self._send(Reply(404, {"message": f"unknown vendor prefix in {url.path}"}))
            return
        prefix = {"salesblink": "/salesblink/api", "salesflow": "/salesflow/api",
                  "salesrocks": "/salesrocks"}[vendor]  # fmt: skip
        if not url.path.startswith(prefix):
            self._send(Reply(404, {"message": "not found"}))
            return
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
        entry = {"t": time.time(), "vendor": vendor, "method": method, "path": request.path,
                 "query": _mask(request.query), "body": _mask(body), "status": None,
                 "fault": None}  # fmt: skip
        reply = self._answer(state, request, entry)
        entry["status"] = reply.status if reply else 0
        with state.lock:
            state.log.append(entry)
            state.stats["requests"][vendor] += 1
            state.stats["by_status"][str(entry["status"])] += 1
            state.stats["by_endpoint"][f"{vendor} {method} {request.path}"] += 1
            if reply and reply.status == 429:
                state.stats["rate_limited"][vendor] += 1
            if reply and reply.status == 200 and entry["fault"] is None:
                for stream, key in reply.served:
                    state.served[vendor][stream].add(_hashable(key))
        if reply is not None:
            self._send(reply)

    def _answer(self, state: SandboxState, request: Request, entry: dict) -> Reply | None:
        api = state.vendors[request.vendor]
        fault = state.next_fault(request.vendor, request.path)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind in HANDLER_FAULTS:
                request.flags[fault.kind] = fault.spec
                entry["fault"] = None if fault.kind.startswith("shift") else fault.kind
                fault = None
        limit = state.limits.get(request.vendor)
        # SalesBlink documents its limit for GET; the others only if configured.
        if (
            state.rate_limits
            and limit
            and (request.vendor != "salesblink" or request.method == "GET")
        ):
            credential = (request.headers.get("authorization") or request.query.get("token")
                          or request.query.get("accountId") or "-")  # fmt: skip
            wait = state.limiter.check(request.vendor, credential, limit, 60.0 / state.time_scale)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                return Reply(429, api.error_body(429, f"Too many requests, retry after {seconds} "
                                                      "seconds"), {"Retry-After": str(seconds)})  # fmt: skip
        if fault is not None:
            reply = self._fault(state, request, fault, api)
            if reply is not None or fault.kind in ("reset", "reset_mid_body"):
                return reply
        try:
            with state.lock:
                return api.handle(request)
        except ApiError as exc:
            return Reply(exc.status, api.error_body(exc.status, exc.message))

    def _fault(
        self, state: SandboxState, request: Request, fault: Fault, api: t.Any
    ) -> Reply | None:
        kind = fault.kind
        if kind in ("500", "502", "503", "401"):
            return Reply(int(kind), api.error_body(int(kind), "Injected failure"))
        if kind == "429":
            return Reply(429, api.error_body(429, "Too many requests"),
                         {"Retry-After": str(fault.spec.get("retry_after", 1))})  # fmt: skip
        if kind == "429_no_retry_after":
            return Reply(429, api.error_body(429, "Too many requests"))
        if kind == "reset":
            self._reset_connection()
            return None
        if kind == "timeout":
            time.sleep(float(fault.spec.get("seconds", 5)))
            return None  # then answer normally: the client has given up by now
        if kind == "html_200":
            return Reply(200, raw=HTML_ERROR, content_type="text/html; charset=utf-8")
        if kind == "success_false":
            body = api.error_body(500, "Temporary failure, please retry")
            if request.vendor == "salesblink":
                body = {"success": False, "message": "Something went wrong, please try again"}
            elif request.vendor == "salesrocks":
                body = {"status": "error", "status_code": 500, "message": "Temporary failure"}
            return Reply(200, body)
        if kind == "expire_token":
            state.vendors["salesrocks"].revoke(request)
            return Reply(401, api.error_body(401, "Token expired"))
        if kind in ("truncated", "reset_mid_body"):
            try:
                with state.lock:
                    reply = api.handle(request)
            except ApiError as exc:
                reply = Reply(exc.status, api.error_body(exc.status, exc.message))
            payload = _encode(reply)
            if kind == "truncated":
                return Reply(reply.status, raw=payload[: max(1, len(payload) // 2)])
            self._send_headers(reply.status, len(payload), reply.content_type, reply.headers)
            self.wfile.write(payload[: max(1, len(payload) // 2)])
            self.wfile.flush()
            self._reset_connection()
            return None
        return None

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

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass

    # -- control API -------------------------------------------------------------------------------

    def _control(self, method: str, path: str, query: dict, raw: bytes) -> None:
        state = self.server.state
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self._send(Reply(400, {"error": "body must be JSON"}))
            return
        try:
            reply = _control(state, method, path, body, query)
        except (ValueError, KeyError, TypeError) as exc:
            reply = Reply(400, {"error": str(exc)})
        self._send(reply)


def _control(state: SandboxState, method: str, path: str, body: dict, query: dict) -> Reply:
    parts = path.strip("/").split("/")[1:]
    route = "/".join(parts)
    if route == "health":
        return Reply(200, {"ok": True, "now": state.clock.now().isoformat()})
    if route == "reset" and method == "POST":
        state.reset(body.get("seed"), body.get("scale"), body.get("counts"))
        return Reply(200, {"ok": True})
    if route == "config" and method == "POST":
        state.configure(**body)
        return Reply(200, {"ok": True})
    if route == "faults":
        with state.lock:
            if method == "DELETE":
                state.faults.clear()
            elif method == "POST":
                state.faults.extend(Fault(spec) for spec in body.get("faults", []))
            return Reply(200, {"faults": [f.spec | {"remaining": f.times} for f in state.faults]})
    if route == "clock/advance" and method == "POST":
        state.advance(float(body.get("seconds", 0)))
        return Reply(200, {"now": state.clock.now().isoformat()})
    if route == "requests":
        with state.lock:
            if method == "DELETE":
                state.log.clear()
            return Reply(200, list(state.log))
    if route == "stats":
        with state.lock:
            return Reply(200, {name: dict(counter) for name, counter in state.stats.items()})
    if route == "served":
        with state.lock:
            if method == "DELETE":
                state.served.clear()
            return Reply(200, {v: {s: len(keys) for s, keys in streams.items()}
                               for v, streams in state.served.items()})  # fmt: skip
    if route == "tokens":
        return Reply(200, state.vendors["salesrocks"].issued_tokens())
    if len(parts) == 3 and parts[0] == "expected":
        keys = state.expected(parts[1], parts[2])
        return Reply(200, {"count": len(keys), "keys": keys})
    return Reply(404, {"error": f"unknown control {method} {path}"})


def _encode(reply: Reply) -> bytes:
    if reply.raw is not None:
        return reply.raw
    return json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()


def _mask(value: t.Any) -> t.Any:
    if isinstance(value, dict):
        return {k: "***" if k in SECRET_FIELDS else _mask(v) for k, v in value.items()}
    return value


def _hashable(key: t.Any) -> t.Any:
    return tuple(key) if isinstance(key, list) else key


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, SandboxHandler)
        self.state = state


class SandboxServer:
    """The sandbox in a background thread: ``with SandboxServer(port=0) as sb: sb.url``."""

    def __init__(self, seed: int = 7, scale: float = 1.0, *, host: str = "127.0.0.1",
                 port: int = 0, counts: dict | None = None, **config: t.Any) -> None:  # fmt: skip
        self.state = SandboxState(seed, scale, counts)
        if config:
            self.state.configure(**config)
        self.httpd = SandboxHTTPServer((host, port), self.state)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def control(self):
        from outreach_sandbox.client import SandboxClient

        return SandboxClient(self.url)

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
