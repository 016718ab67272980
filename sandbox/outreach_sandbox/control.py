"""The control API under `/_sandbox/`: settings, faults, clock, logs, counters, ground truth."""

from __future__ import annotations

import json
import typing as t

from outreach_sandbox.http import Reply
from outreach_sandbox.state import VENDORS, SandboxState
from outreach_sandbox.workspaces import expected_in


def handle_control(state: SandboxState, method: str, path: str, raw: bytes) -> Reply:
    """Answer one control call; bad input is a 400 with ``{"error": ...}``, never a crash."""
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return Reply(400, {"error": "body must be JSON"})
    if not isinstance(body, dict):
        return Reply(400, {"error": "body must be a JSON object"})
    try:
        return _route(state, method, path.rstrip("/"), body)
    except (ValueError, TypeError, AttributeError) as exc:
        return Reply(400, {"error": str(exc)})


def _route(state: SandboxState, method: str, path: str, body: dict) -> Reply:
    parts = path.strip("/").split("/")[1:]
    route = "/".join(parts)
    if route == "health":
        return Reply(200, {"ok": True, "now": state.clock.now().isoformat()})
    if route == "reset" and method == "POST":
        state.reset(body.get("seed"), body.get("scale"), body.get("counts"))
        return Reply(200, {"ok": True, "seed": state.seed, "scale": state.scale})
    if route == "config" and method == "POST":
        state.configure(**body)
        return Reply(200, {"ok": True})
    if route == "config" and method == "GET":
        return Reply(200, _settings(state))
    if route == "faults":
        if method == "DELETE":
            state.faults.clear()
        elif method == "POST":
            faults = body.get("faults", [])
            if not isinstance(faults, list):
                raise ValueError("'faults' must be a list")
            state.faults.add(faults)
        return Reply(200, {"faults": state.faults.describe()})
    if route == "clock/advance" and method == "POST":
        state.advance(float(body.get("seconds", 0)), restore=bool(body.get("restore", False)))
        return Reply(200, {"now": state.clock.now().isoformat()})
    if route == "requests":
        with state.lock:
            if method == "DELETE":
                state.log.clear()
            return Reply(200, list(state.log))
    if route == "stats":
        with state.lock:
            if method == "DELETE":
                state.clear_stats()
            return Reply(200, {name: dict(counter) for name, counter in state.stats.items()})
    if route == "served":
        with state.lock:
            if method == "DELETE":
                state.served.clear()
            return Reply(
                200,
                {
                    v: {s: len(keys) for s, keys in streams.items()}
                    for v, streams in state.served.items()
                },
            )
    if route == "tokens":
        with state.lock:
            return Reply(200, list(state.tokens))
    if len(parts) in (3, 4) and parts[0] in ("expected", "deleted"):
        vendor, stream = parts[1], parts[2]
        if vendor not in VENDORS:
            return Reply(404, {"error": f"unknown vendor {vendor!r}"})
        try:
            if len(parts) == 4 and parts[0] == "expected":  # one workspace's data
                keys = expected_in(state, vendor, stream, parts[3])
            elif len(parts) == 4:
                return Reply(404, {"error": "deleted keys are kept for the default workspace"})
            else:
                keys = (state.expected if parts[0] == "expected" else state.deleted)(vendor, stream)
        except KeyError:
            return Reply(404, {"error": f"unknown stream {vendor}/{stream}"})
        return Reply(200, {"count": len(keys), "keys": keys})
    return Reply(404, {"error": f"unknown control {method} {path}"})


def _settings(state: SandboxState) -> dict[str, t.Any]:
    """Current settings, credentials included: the control API is for tests on loopback."""
    with state.lock:
        return {
            "seed": state.seed,
            "scale": state.scale,
            "counts": state.counts,
            "latency_ms": state.latency_ms,
            "rate_limits": state.rate_limits,
            "time_scale": state.time_scale,
            "token_lifetime_s": state.token_lifetime_s,
            "salesrocks_token_field": state.salesrocks_token_field,
            "limits_per_min": state.limits,
            "modes": state.modes,
            "deletions": state.deletions_per_advance,
            "now": state.clock.now().isoformat(),
        }
