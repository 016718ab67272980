"""The fault plan: which request gets which failure, and the replies for body-level faults.

Socket-level faults (``reset``, ``reset_mid_body``, ``timeout``, ``truncated``) are carried
out by the server, paging faults by the vendor handler; this module decides who gets what.
"""

from __future__ import annotations

import re
import threading
import typing as t

from outreach_sandbox.bends import BEND_KINDS
from outreach_sandbox.hostile import HOSTILE_FAULTS
from outreach_sandbox.http import Reply
from outreach_sandbox.redirects import check_redirect_spec

FAULT_KINDS = (
    frozenset(
        {
            "500",
            "502",
            "503",
            "401",
            "429",
            "429_no_retry_after",
            "reset",
            "reset_mid_body",
            "timeout",
            "truncated",
            "html_200",
            "success_false",
            "empty_page",
            "duplicate_boundary",
            "expire_token",
            "shift_insert",
            "shift_delete",
            "delete_parent",
            "reorder",
            "404",
            "redirect",
            *HOSTILE_FAULTS,
        }
    )
    | BEND_KINDS
)
#: Faults the vendor handler applies itself (the server only passes them on).
HANDLER_FAULTS = frozenset(
    {
        "empty_page",
        "duplicate_boundary",
        "shift_insert",
        "shift_delete",
        "delete_parent",
        "reorder",
        *HOSTILE_FAULTS,
    }
)
#: Handler faults whose response still carries genuine records (they count as served).
RECORD_FAULTS = frozenset(HANDLER_FAULTS)
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p>"
    b"</body></html>"
)


class Fault:
    """One entry of the plan: lets ``after`` matching requests through, then fails ``times``."""

    def __init__(self, spec: dict) -> None:
        if not isinstance(spec, dict) or spec.get("kind") not in FAULT_KINDS:
            kind = spec.get("kind") if isinstance(spec, dict) else spec
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        self.vendor = spec.get("vendor")
        self.kind = str(spec["kind"])
        if self.kind == "redirect":
            check_redirect_spec(spec)
        try:
            self.path = re.compile(spec.get("path") or ".*")
        except re.error as exc:
            raise ValueError(f"bad fault path regex: {exc}") from None
        self.times = int(spec.get("times", 1))
        self.after = int(spec.get("after", 0))
        self.spec = dict(spec)
        self.seen = 0

    def take(self, vendor: str, path: str) -> bool:
        """True when this request gets the fault (counts matching requests)."""
        if self.times <= 0 or (self.vendor and self.vendor != vendor):
            return False
        if not self.path.search(path):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        self.times -= 1
        return True

    def describe(self) -> dict:
        return self.spec | {"remaining": self.times, "seen": self.seen}


class FaultPlan:
    """The ordered plan; the first entry that matches a request consumes it."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.lock = threading.Lock()

    def add(self, specs: t.Iterable[dict]) -> None:
        parsed = [Fault(spec) for spec in specs]  # all or nothing
        with self.lock:
            self.faults.extend(parsed)

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def describe(self) -> list[dict]:
        with self.lock:
            return [f.describe() for f in self.faults]

    def next(self, vendor: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.take(vendor, path):
                    return fault
        return None


def simple_reply(fault: Fault, vendor: str, api: t.Any) -> Reply | None:
    """The reply for faults that need no socket tricks, else None."""
    kind = fault.kind
    if kind in ("500", "502", "503", "401"):
        return Reply(int(kind), api.error_body(int(kind), "Injected failure"))
    if kind == "404":
        return Reply(404, api.error_body(404, "Not found"))
    if kind == "429":
        seconds = fault.spec.get("retry_after", 1)
        return Reply(
            429,
            api.error_body(429, f"Too many requests, retry after {seconds} seconds"),
            {"Retry-After": str(seconds)},
        )
    if kind == "429_no_retry_after":
        return Reply(429, api.error_body(429, "Too many requests"))
    if kind == "html_200":
        return Reply(200, raw=HTML_ERROR, content_type="text/html; charset=utf-8")
    if kind == "success_false":
        if vendor == "salesblink":
            body: t.Any = {"success": False, "message": "Something went wrong, please try again"}
        elif vendor == "salesrocks":
            body = {"status": "error", "status_code": 500, "message": "Temporary failure"}
        else:
            body = api.error_body(500, "Temporary failure, please retry")
        return Reply(200, body)
    return None
