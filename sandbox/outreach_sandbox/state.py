"""Everything the sandbox knows: settings, clock, vendor data, faults, limits, logs, counters."""

from __future__ import annotations

import threading
import typing as t
from collections import Counter, defaultdict

from outreach_sandbox.clock import Clock
from outreach_sandbox.deletions import Deletions, check_plan, delete_some, refresh_counts
from outreach_sandbox.faults import FaultPlan
from outreach_sandbox.modes import defaults as default_modes
from outreach_sandbox.modes import merged as merged_modes
from outreach_sandbox.ratelimit import FixedWindowLimiter
from outreach_sandbox.salesblink import SalesBlink
from outreach_sandbox.salesflow import Salesflow
from outreach_sandbox.salesrocks import SalesRocks
from outreach_sandbox.workspaces import PER_CREDENTIAL, WorkspaceState, credentials, workspace_seed

DEFAULT_SALESBLINK_KEYS = ["sbk_sandbox_3f9a1c7e5d2b"]
DEFAULT_SALESFLOW_ACCOUNTS = {"41001": "sft_acc41001_9c2e71d4", "41002": "sft_acc41002_4b8d03f6"}
DEFAULT_SALESROCKS_USERS = {"demo@sandbox.sales.rocks": "sr-pass-7Hq2xL9v"}
VENDORS = ("salesblink", "salesflow", "salesrocks")
#: Keys accepted by ``counts`` (exact sizes for boundary tests).
COUNT_KEYS = frozenset(
    {
        "salesblink.lists",
        "salesblink.leads_per_list",
        "salesblink.sequences",
        "salesblink.users",
        "salesblink.sent",
        "salesblink.opens",
        "salesblink.clicks",
        "salesblink.replies",
        "salesblink.campaigns",
        "salesblink.prospects_per_campaign",
        "salesblink.team",
        "salesflow.campaigns",
        "salesflow.members",
        "salesflow.webhooks",
        "salesflow.messages",
        "salesrocks.lists",
        "salesrocks.rows_per_list",
    }
)
SETTINGS = frozenset(
    {
        "latency_ms",
        "rate_limits",
        "time_scale",
        "token_lifetime_s",
        "salesrocks_token_field",
        "salesblink_keys",
        "salesflow_accounts",
        "salesrocks_users",
        "salesblink_per_min",
        "salesflow_per_min",
        "salesrocks_per_min",
        "counts",
        "modes",
        "deletions",
    }
)
STAT_GROUPS = ("requests", "by_status", "rate_limited", "by_endpoint")


class SandboxState:
    """Mutable sandbox state; the HTTP server holds one and serialises data access with ``lock``."""

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
        #: Vendor behaviours the documents leave open (see ``outreach_sandbox.modes``).
        self.modes = default_modes()
        self.limits: dict[str, int | None] = {
            "salesblink": 30,
            "salesflow": None,
            "salesrocks": None,
        }
        #: Sales.Rocks bearer tokens: token -> {"username", "expires", "revoked"}. Logins
        #: survive a data reset, like a real vendor's, and stay listed for leak scans.
        self.tokens: dict[str, dict] = {}
        self.counts: dict[str, int] = {}
        #: Records each clock advance deletes, by kind (see outreach_sandbox.deletions).
        self.deletions_per_advance: dict[str, int] = {}
        self.seed = int(seed)
        self.scale = float(scale)
        self.reset(seed, scale, counts)

    def reset(
        self, seed: int | None = None, scale: float | None = None, counts: dict | None = None
    ) -> None:
        """Regenerate the data; clear faults, logs, counters and the clock."""
        with self.lock:
            if seed is not None:
                self.seed = int(seed)
            if scale is not None:
                if float(scale) < 0:
                    raise ValueError("scale must be >= 0")
                self.scale = float(scale)
            if counts is not None:
                unknown = set(counts) - COUNT_KEYS
                if unknown:
                    raise ValueError(
                        f"unknown counts {sorted(unknown)}; one of {sorted(COUNT_KEYS)}"
                    )
                self.counts = {k: int(v) for k, v in counts.items()}
            self.clock = Clock()
            self.advances = 0
            self.deletions = Deletions()
            self.faults = FaultPlan()
            self.limiter = FixedWindowLimiter()
            self.log: list[dict] = []
            self.clear_stats()
            self.served: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
            self.vendors = Vendors(self)

    def clear_stats(self) -> None:
        self.stats: dict[str, Counter] = {name: Counter() for name in STAT_GROUPS}

    def count(self, name: str, base: int) -> int:
        """How many containers (lists, campaigns...) or feed events: an exact override, else
        ``base`` times the scale (at least 1 unless the scale is 0)."""
        if name in self.counts:
            return self.counts[name]
        return max(1, round(base * self.scale)) if self.scale > 0 else 0

    def inner(self, name: str, base: int) -> int:
        """How many items inside one container (leads of a list...): an exact override, else
        ``base`` scaled down below scale 1 but not up, so totals grow linearly with the scale."""
        if name in self.counts:
            return self.counts[name]
        return max(1, round(base * min(self.scale, 1.0))) if self.scale > 0 else 0

    def configure(self, **settings: t.Any) -> None:
        with self.lock:
            unknown = set(settings) - SETTINGS
            if unknown:
                raise ValueError(f"unknown settings {sorted(unknown)}; one of {sorted(SETTINGS)}")
            for name, value in settings.items():
                if name == "counts":
                    continue
                if name == "modes":
                    self.modes = merged_modes(self.modes, value)
                    continue
                if name == "deletions":
                    self.deletions_per_advance = check_plan(value)
                    continue
                if name == "salesflow_accounts":
                    value = {str(k): str(v) for k, v in value.items()}
                elif name == "salesblink_keys":
                    value = [str(v) for v in value]
                elif name == "salesrocks_users":
                    value = {str(k): str(v) for k, v in value.items()}
                elif name in ("latency_ms", "token_lifetime_s"):
                    value = float(value)
                elif name == "time_scale":
                    value = float(value)
                    if value <= 0:
                        raise ValueError("time_scale must be > 0")
                elif name == "rate_limits":
                    value = bool(value)
                elif name == "salesrocks_token_field" and value not in (
                    "access_token",
                    "AccessToken",
                ):
                    raise ValueError("salesrocks_token_field: 'access_token' or 'AccessToken'")
                if name.endswith("_per_min"):
                    self.limits[name.split("_")[0]] = None if value is None else int(value)
                    continue
                setattr(self, name, value)
            if "salesflow_accounts" in settings or "counts" in settings:
                self.reset(counts=settings.get("counts"))

    def advance(self, seconds: float, restore: bool = False) -> None:
        """Move the clock: feeds grow by themselves, vendors change some mutable records
        and delete some (``deletions``); ``restore`` first brings back every deleted one."""
        with self.lock:
            if restore:
                self.deletions.restore()
                refresh_counts(self)
            self.clock.advance(float(seconds))
            self.advances += 1
            delete_some(self, self.advances)  # first: only records that existed are deleted
            for api in self.vendors.every_workspace():
                api.advance(float(seconds), self.advances)

    def secrets(self) -> list[str]:
        """Every credential the sandbox knows, for masking the request log."""
        with self.lock:
            values = [
                *self.salesblink_keys,
                *self.salesflow_accounts.values(),
                *self.salesrocks_users.values(),
                *self.tokens,
            ]
        return [v for v in values if v]

    def expected(self, vendor: str, stream: str) -> list:
        with self.lock:
            return self.vendors[vendor].expected(stream)

    def deleted(self, vendor: str, stream: str) -> list:
        """Keys of ``stream`` deleted by clock advances and not restored."""
        with self.lock:
            self.vendors[vendor].expected(stream)  # KeyError for an unknown stream
            return self.deletions.deleted(vendor, stream)


class Vendors(dict):
    """Each vendor's data, generated on first use: at scale 67 the sandbox starts at once
    and a benchmark of one vendor never pays for the others (seconds, ~100 MB). The data
    does not depend on when it is generated: only on seed, scale, counts and accounts."""

    def __init__(self, state: SandboxState) -> None:
        super().__init__()
        self.state = state

    def __missing__(self, name: str) -> t.Any:
        vendor, _, index = name.partition("#")
        kind = {"salesblink": SalesBlink, "salesflow": Salesflow, "salesrocks": SalesRocks}[vendor]
        seen: t.Any = self.state
        if index:  # a further credential's workspace: its own seed
            seen = WorkspaceState(self.state, workspace_seed(self.state.seed, int(index)))
        with self.state.lock:
            if name not in self:  # another thread may have generated it meanwhile
                self[name] = kind(seen)
            return super().__getitem__(name)

    def workspace(self, vendor: str, index: int) -> t.Any:
        """The data the ``index``-th credential of ``vendor`` sees (see workspaces.py)."""
        return (
            self[vendor]
            if index == 0 or vendor not in PER_CREDENTIAL
            else self[f"{vendor}#{index}"]
        )

    def every_workspace(self) -> list[t.Any]:
        """Every vendor's data, for each configured credential, generated if need be."""
        found = []
        for vendor in VENDORS:
            for i in range(max(1, len(credentials(self.state, vendor)))):
                found.append(self.workspace(vendor, i))
        return found
