"""What the reliability suite needs to know about each tap: config, keys, secrets, faults."""

from __future__ import annotations

import json
import re
import typing as t
from dataclasses import dataclass, field

from project_streams import default_keys

from outreach_sandbox import (
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
    SandboxServer,
)

SB_KEY = DEFAULT_SALESBLINK_KEYS[0]
SR_USER, SR_PASSWORD = next(iter(DEFAULT_SALESROCKS_USERS.items()))


@dataclass
class TapSpec:
    tap: str
    vendor: str
    streams: dict[str, tuple[str, ...]]  # default stream -> key fields
    make_config: t.Callable[[str], dict]
    #: The path a paged endpoint answers on, for page-level faults (None: the API never pages).
    paged_path: str | None
    data_path: str
    has_start_date: bool = True
    extra_secrets: t.Callable[[SandboxServer], list[str]] = field(default=lambda s: [])
    missing_required: str = ""

    def config(self, url: str, **extra: t.Any) -> dict:
        return {**self.make_config(url), "retry_base_seconds": 0.01, "request_timeout": 2, **extra}

    def secrets(self, server: SandboxServer) -> list[str]:
        base = {
            "salesblink": [SB_KEY],
            "salesflow": list(DEFAULT_SALESFLOW_ACCOUNTS.values()),
            "salesrocks": [SR_PASSWORD],
        }[self.vendor]
        return base + self.extra_secrets(server)

    def key(self, stream: str, record: dict) -> tuple[str, ...]:
        return tuple(_norm(record.get(f)) for f in self.streams[stream])

    def expected(self, server: SandboxServer, stream: str) -> set[tuple[str, ...]]:
        keys = server.control.expected(self.vendor, stream)["keys"]
        return {tuple(_norm(p) for p in (k if isinstance(k, list) else [k])) for k in keys}


def _norm(value: t.Any) -> str:
    """Key components as text; a date-time loses its zone suffix (`...Z` vs naive)."""
    text = str(value)
    return text[:19] if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", text) else text


SALESBLINK = TapSpec(
    tap="tap-salesblink",
    vendor="salesblink",
    streams=default_keys("salesblink"),
    make_config=lambda url: {
        "api_key": SB_KEY,
        "api_url": f"{url}/salesblink/api",
        "rate_limit_requests": None,
        "start_date": "2026-08-01",
        "activity_window_days": 30,  # windows of several pages: faults land mid-window
    },
    paged_path="/sent",
    data_path="/(sent|opens)",
    missing_required="api_key",
)

SALESFLOW = TapSpec(
    tap="tap-salesflow",
    vendor="salesflow",
    streams=default_keys("salesflow"),
    make_config=lambda url: {
        "accounts": [
            {"account_id": a, "token": tok} for a, tok in DEFAULT_SALESFLOW_ACCOUNTS.items()
        ],
        "api_url": f"{url}/salesflow/api",
        "statistics_api_url": f"{url}/salesflow/api",
        "start_date": "2026-08-01",
        "analytics_window_days": 92,
    },
    paged_path=None,
    data_path="list-contacts",
    missing_required="accounts",
)

SALESROCKS = TapSpec(
    tap="tap-salesrocks",
    vendor="salesrocks",
    streams=default_keys("salesrocks"),
    make_config=lambda url: {
        "username": SR_USER,
        "password": SR_PASSWORD,
        "api_url": f"{url}/salesrocks",
        "campaign_ids": [101, 102, 103, 104],
        "page_size": 20,
    },
    paged_path="getListData",
    data_path="getListData",
    has_start_date=False,
    extra_secrets=lambda server: server.control.issued_tokens(),
    missing_required="password",
)

TAPS = [SALESBLINK, SALESFLOW, SALESROCKS]


def scenarios(spec: TapSpec) -> list[tuple[str, list[dict]]]:
    """(name, faults) for every fault the issue lists, on this vendor's endpoints."""
    v, data = spec.vendor, spec.data_path
    paged = spec.paged_path or data
    out = [
        ("429 with Retry-After", [{"vendor": v, "path": data, "kind": "429", "retry_after": 1}]),
        ("429 without Retry-After", [{"vendor": v, "path": data, "kind": "429_no_retry_after"}]),
        (
            "burst of 500/502/503",
            [{"vendor": v, "path": data, "kind": k} for k in ("500", "502", "503")],
        ),
        ("connection reset mid-body", [{"vendor": v, "path": data, "kind": "reset_mid_body"}]),
        ("connection reset", [{"vendor": v, "path": data, "kind": "reset"}]),
        ("read timeout", [{"vendor": v, "path": data, "kind": "timeout", "seconds": 2.5}]),
        ("truncated JSON", [{"vendor": v, "path": data, "kind": "truncated"}]),
        ("HTML error page with 200", [{"vendor": v, "path": data, "kind": "html_200"}]),
        ("success:false with 200", [{"vendor": v, "path": data, "kind": "success_false"}]),
        ("401 mid-sync", [{"vendor": v, "path": data, "kind": "401", "after": 1}]),
    ]
    if spec.paged_path:
        out += [
            (
                "empty page in the middle",
                [{"vendor": v, "path": paged, "kind": "empty_page", "after": 2}],
            ),
            (
                "record repeated across a page boundary",
                [
                    {
                        "vendor": v,
                        "path": paged,
                        "kind": "duplicate_boundary",
                        "after": 2,
                        "times": 3,
                    }
                ],
            ),
        ]
    if spec.vendor == "salesrocks":
        out.append(
            ("token expiry", [{"vendor": v, "path": data, "kind": "expire_token", "after": 2}])
        )
    return out


def bad_inputs(spec: TapSpec, url: str) -> list[tuple[str, dict, dict]]:
    """(name, config, extra files) for every kind of bad input the issue lists."""
    good = spec.config(url)
    missing = {k: v for k, v in good.items() if k != spec.missing_required}
    cases = [
        ("missing required setting", missing, {}),
        ("mistyped setting", {**good, "max_retries": "lots"}, {}),
        ("unknown setting", {**good, "colour": "red"}, {}),
        ("corrupt state file", good, {"state": "{not json"}),
        ("foreign state file", good, {"state": json.dumps({"bookmarks": {"deals": {"x": 1}}})}),
        ("state that is not a Singer state", good, {"state": json.dumps({"bookmarks": [1, 2]})}),
        ("empty catalog", good, {"catalog": json.dumps({"streams": []})}),
        (
            "catalog naming unknown streams",
            good,
            {
                "catalog": json.dumps(
                    {
                        "streams": [
                            {
                                "tap_stream_id": "deals",
                                "stream": "deals",
                                "schema": {},
                                "metadata": [],
                            }
                        ]
                    }
                )
            },
        ),
    ]
    if spec.has_start_date:
        cases.insert(2, ("malformed start_date", {**good, "start_date": "31/01/2024"}, {}))
    return cases
