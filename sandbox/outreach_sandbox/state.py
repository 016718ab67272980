"""Everything the sandbox knows: settings, clock, vendor data, faults, limits, logs, counters."""

from __future__ import annotations

import re
import threading
import time
import typing as t
from collections import Counter, defaultdict
from datetime import timedelta

from outreach_sandbox.common import Clock

DEFAULT_SALESBLINK_KEYS = ["sbk_sandbox_3f9a1c7e5d2b"]
DEFAULT_SALESFLOW_ACCOUNTS = {"41001": "sft_acc41001_9c2e71d4", "41002": "sft_acc41002_4b8d03f6"}
DEFAULT_SALESROCKS_USERS = {"demo@sandbox.sales.rocks": "sr-pass-7Hq2xL9v"}
VENDORS = ("salesblink", "salesflow", "salesrocks")
FAULT_KINDS = {
    "500", "502", "503", "401", "429", "429_no_retry_after", "reset", "reset_mid_body",
    "timeout", "truncated", "html_200", "success_false", "empty_page", "duplicate_boundary",
    "expire_token", "shift_insert", "shift_delete",
}  # fmt: skip
#: Faults the vendor handler applies itself (the server only passes them on).
HANDLER_FAULTS = {"empty_page", "duplicate_boundary", "shift_insert", "shift_delete"}


class Fault:
    def __init__(self, spec: dict) -> None:
        if spec.get("kind") not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {spec.get('kind')!r}; one of {sorted(FAULT_KINDS)}"
            )
        self.vendor = spec.get("vendor")
        self.kind = str(spec["kind"])
        self.path = re.compile(spec.get("path") or ".*")
        self.times = int(spec.get("times", 1))
        self.after = int(spec.get("after", 0))
        self.spec = spec
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


class FixedWindowLimiter:
    """Fixed windows of one (scaled) minute per credential, as the vendors count them."""

    def __init__(self) -> None:
        self.windows: dict[tuple[str, str], tuple[int, int]] = {}
        self.lock = threading.Lock()

    def check(self, vendor: str, key: str, limit: int, window_s: float) -> float | None:
        """None if allowed, else seconds until the window resets."""
        now = time.monotonic()
        index = int(now // window_s)
        with self.lock:
            current, count = self.windows.get((vendor, key), (index, 0))
            if current != index:
                current, count = index, 0
            if count >= limit:
                return (index + 1) * window_s - now
            self.windows[(vendor, key)] = (current, count + 1)
        return None


class SandboxState:
    """Mutable sandbox state; the HTTP server holds one and serialises writes with ``lock``."""

    def __init__(self, seed: int = 7, scale: float = 1.0, counts: dict | None = None) -> None:
        self.lock = threading.RLock()
        self.latency_ms = 0.0
        self.rate_limits = False
        self.time_scale = 1.0
        self.token_lifetime_s = 3600.0
        self.salesrocks_token_field = "access_token"
        self.salesblink_keys = list(DEFAULT_SALESBLINK_KEYS)
        self.salesflow_accounts = dict(DEFAULT_SALESFLOW_ACCOUNTS)
        self.salesrocks_users = dict(DEFAULT_SALESROCKS_USERS)
        self.limits = {"salesblink": 30, "salesflow": None, "salesrocks": None}
        self.reset(seed, scale, counts)

    def reset(self, seed: int | None = None, scale: float | None = None,
              counts: dict | None = None) -> None:  # fmt: skip
        from outreach_sandbox.salesblink import SalesBlink
        from outreach_sandbox.salesflow import Salesflow
        from outreach_sandbox.salesrocks import SalesRocks

        with self.lock:
            if seed is not None:
                self.seed = int(seed)
            if scale is not None:
                self.scale = float(scale)
            if counts is not None:
                self.counts = {k: int(v) for k, v in counts.items()}
            elif not hasattr(self, "counts"):
                self.counts = {}
            self.clock = Clock()
            self.advances = 0
            self.faults: list[Fault] = []
            self.limiter = FixedWindowLimiter()
            self.log: list[dict] = []
            self.stats: dict[str, Counter] = defaultdict(Counter)
            self.served: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
            self.vendors = {
                "salesblink": SalesBlink(self),
                "salesflow": Salesflow(self),
                "salesrocks": SalesRocks(self),
            }

    def count(self, name: str, base: int) -> int:
        """How many of a thing: an exact override, else ``base`` times the scale (min 1)."""
        if name in self.counts:
            return self.counts[name]
        return max(1, round(base * self.scale)) if self.scale > 0 else 0

    def configure(self, **settings: t.Any) -> None:
        with self.lock:
            for name, value in settings.items():
                if name == "salesflow_accounts":
                    value = {str(k): str(v) for k, v in value.items()}
                if name in ("salesblink_per_min", "salesflow_per_min", "salesrocks_per_min"):
                    self.limits[name.split("_")[0]] = None if value is None else int(value)
                    continue
                if not hasattr(self, name) or name.startswith("_") or name in ("lock", "clock"):
                    raise ValueError(f"unknown setting {name!r}")
                setattr(self, name, value)
            if "salesflow_accounts" in settings or "counts" in settings:
                self.reset()

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock.offset += timedelta(seconds=float(seconds))
            self.advances += 1
            for vendor in self.vendors.values():
                vendor.advance(seconds, self.advances)

    def next_fault(self, vendor: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.take(vendor, path):
                    return fault
        return None

    def expected(self, vendor: str, stream: str) -> list:
        with self.lock:
            return self.vendors[vendor].expected(stream)
