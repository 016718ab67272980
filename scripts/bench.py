"""`make bench`: the three taps against the sandbox, measured in one run, into docs/benchmarks.md.

A benchmark that prints numbers, not a timed test. Per tap (SalesBlink, Salesflow, Sales.Rocks):
1. throughput of its biggest stream (200,000 records) against a raw baseline in the same run:
   a plain loop that fetches the same records with `requests`, largest pages, one JSON line each;
2. peak RSS of the tap process at 1x and 10x records of that stream;
3. requests of a full sync, an incremental sync after a small change and one with no change,
   against the minimum the API permits, computed from the sandbox's ground truth;
4. wall time under the documented rate limit (SalesBlink only) against requests / rate;
5. wall time of the child streams with 100 ms latency per request, one request at a time and
   with the tap's default `concurrency`.

`--taps salesflow` measures one tap only; `--report PATH` writes elsewhere, so a partial run
need not overwrite the full report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import DEFAULT_STREAMS, ROOT, SANDBOX_CREDENTIALS, VENV_BIN, SandboxProcess

if t.TYPE_CHECKING:
    from outreach_sandbox import SandboxClient

REPORT = ROOT / "docs" / "benchmarks.md"
SEED = 7
#: Records of the large (10x) data set of each tap's biggest stream; 1x is a tenth.
LARGE = 200_000
#: Clock advance of the "small change" incremental sync.
SMALL_CHANGE_S = 3600
LATENCY_MS = 100
#: Sandbox time runs 10x fast: a rate-limit minute lasts 6 s, so pacing dominates start-up.
TIME_SCALE = 10.0
#: API facts (docs/sandbox-contract.md): the largest pages and windows each API allows.
SALESBLINK_PAGE = 100
SALESBLINK_PER_MIN = 30
SALESROCKS_PAGE = 1000
SALESFLOW_ANALYTICS_DAYS = 92
SALESBLINK_FEEDS = ("sent", "opens", "clicks", "replies")
SALESFLOW_ACCOUNTS = json.loads(SANDBOX_CREDENTIALS["TAP_SALESFLOW_ACCOUNTS"])
#: Runs the tap (argv[2:]) and writes its exit code, peak RSS (KiB), wall and CPU seconds
#: to argv[1].
#: A bare interpreter in between because on Linux a child's ru_maxrss starts at the RSS of
#: the process that spawned it (the address space its exec replaced), and the bench itself
#: holds large responses at times: spawned from it, a tap's peak would read as the bench's.
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


# -- running a tap --------------------------------------------------------------------------


@dataclass
class TapRun:
    """What one tap process did: its output, its cost, and what the sandbox saw."""

    records: dict[str, int]
    seconds: float
    #: User + system time: under a busy machine's contention it moves less than wall time.
    cpu_seconds: float
    rss_mib: float
    by_endpoint: dict[str, int]
    rate_limited: int
    state: dict | None
    log: list[dict]

    @property
    def requests(self) -> int:
        return sum(self.by_endpoint.values())


def discover(tap: str, config: dict) -> dict:
    """The tap's catalog (discovery makes no request), fetched once and reused by every run."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config))
        out = subprocess.run(
            [str(VENV_BIN / tap), "--config", str(path), "--discover"],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout)


def select(catalog: dict, streams: t.Iterable[str]) -> dict:
    """A copy of the catalog selecting exactly `streams` (parents of a child are still read)."""
    wanted = set(streams)
    entries = []
    for entry in catalog["streams"]:
        metadata = [
            {**m, "metadata": {**m["metadata"], "selected": entry["tap_stream_id"] in wanted}}
            for m in entry["metadata"]
        ]
        entries.append({**entry, "metadata": metadata})
    return {**catalog, "streams": entries}


def run_tap(
    client: SandboxClient,
    tap: str,
    config: dict,
    catalog: dict,
    state: dict | None = None,
    *,
    log: bool = False,
) -> TapRun:
    """Run one tap process to completion: records per stream, wall seconds, peak RSS
    (os.wait4, via LAUNCHER), requests by endpoint and 429s (sandbox stats, cleared first),
    last state.

    Output goes to a file, not a pipe, so that reading it costs the tap nothing while it runs.
    """
    client.clear_stats()
    client.clear_requests()
    with tempfile.TemporaryDirectory() as tmp:
        files = {name: Path(tmp) / f"{name}.json" for name in ("config", "catalog", "state")}
        files["config"].write_text(json.dumps(config))
        files["catalog"].write_text(json.dumps(catalog))
        args = [
            str(VENV_BIN / tap),
            "--config",
            str(files["config"]),
            "--catalog",
            str(files["catalog"]),
        ]
        if state is not None:
            files["state"].write_text(json.dumps(state))
            args += ["--state", str(files["state"])]
        out_path, err_path = Path(tmp) / "out.jsonl", Path(tmp) / "err.log"
        report = Path(tmp) / "launcher.txt"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            subprocess.run(
                [sys.executable, "-S", "-c", LAUNCHER, str(report), *args],
                stdout=out,
                stderr=err,
                check=False,
            )
        code, rss_kib, seconds, cpu = (
            report.read_text().split() if report.exists() else ("?", 0, 0, 0)
        )
        if code != "0":
            tail = err_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{tap} exited {code}:\n" + "\n".join(tail))
        records, last_state = read_output(out_path)
    stats = client.stats()
    vendor = tap.removeprefix("tap-")
    by_endpoint = {
        key.split(" ", 2)[2]: n
        for key, n in stats["by_endpoint"].items()
        if key.startswith(f"{vendor} ")
    }
    return TapRun(
        records=records,
        seconds=float(seconds),
        cpu_seconds=float(cpu),
        rss_mib=int(rss_kib) / 1024,
        by_endpoint=by_endpoint,
        rate_limited=stats["rate_limited"].get(vendor, 0),
        state=last_state,
        log=client.requests() if log else [],
    )


def read_output(path: Path) -> tuple[dict[str, int], dict | None]:
    """Records per stream and the last STATE, reading only the prefix of each record line."""
    prefix = '{"type":"RECORD","stream":"'
    records: dict[str, int] = {}
    last_state = None
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith(prefix):
                stream = line[len(prefix) : line.index('"', len(prefix))]
                records[stream] = records.get(stream, 0) + 1
            elif line.startswith('{"type":"STATE"'):
                last_state = line
    return records, json.loads(last_state)["value"] if last_state else None


def tap_settings(tap: str) -> dict:
    """The settings a tap offers (`--about`): the bench passes `concurrency` only if listed."""
    out = subprocess.run(
        [str(VENV_BIN / tap), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)["settings"]["properties"]


# -- the three vendors ----------------------------------------------------------------------


def pages(records: int, size: int) -> int:
    """Requests to read `records` at `size` per page: with no total, a short page ends it."""
    return records // size + 1


def pages_until_empty(records: int, size: int) -> int:
    """Requests to read `records` at `size` per page where no maximum page is documented, so
    a short page may be a server's cap and only an empty page ends the read."""
    return math.ceil(records / size) + 1


def per_partition(total: int, partitions: int) -> int:
    """Records of one partition: the bench sizes containers equally, so the mean (rounded up)."""
    return math.ceil(total / partitions) if partitions else 0


def salesblink_minimum(now: dict[str, int], before: dict[str, int] | None) -> dict[str, int]:
    """Fewest requests: full pages of 100, feeds read `since` the last sync (new events only)."""
    lists, sequences = now["lists"], now["sequences"]
    minimum = {
        "lists": pages(lists, SALESBLINK_PAGE),
        "list_leads": lists * pages(per_partition(now["list_leads"], lists), SALESBLINK_PAGE),
        "sequences": pages(sequences, SALESBLINK_PAGE),
        "sequence_stats": sequences,
        "users": 1,
    }
    for feed in SALESBLINK_FEEDS:
        minimum[feed] = pages(now[feed] - (before or {}).get(feed, 0), SALESBLINK_PAGE)
    return minimum


def salesflow_minimum(now: dict[str, int], before: dict[str, int] | None) -> dict[str, int]:
    """Fewest requests: lists are unpaged (one per account), analytics in 92-day windows; a
    later sync needs one window for the trailing days that changed (or to see that none did)."""
    accounts, campaigns = now["accounts"], now["campaigns"]
    days = per_partition(now["account_analytics"], accounts)
    windows = math.ceil(days / SALESFLOW_ANALYTICS_DAYS) if before is None else 1
    return {
        "accounts": accounts,
        "campaigns": accounts,
        "webhooks": accounts,
        "campaign_statistics": campaigns,
        "members": accounts,
        "incoming_messages": accounts,
        "account_analytics": accounts * windows,
        "campaign_analytics": campaigns * windows,
    }


def salesrocks_minimum(now: dict[str, int], before: dict[str, int] | None) -> dict[str, int]:
    """Fewest requests: one login, pages of 1000 up to an empty one (no maximum `size` is
    documented); everything is full table, so every run alike."""
    lists = now["lists"]
    rows = per_partition(now["list_data"], lists)
    return {
        "auth": 1,
        "lists": pages_until_empty(lists, SALESROCKS_PAGE),
        "list_data": lists * pages_until_empty(rows, SALESROCKS_PAGE),
        "campaign_statistics": now["campaign_statistics"],
    }


def salesblink_baseline(session: requests.Session, url: str, sink: t.TextIO) -> tuple[int, int]:
    """Page through `sent` newest first, 100 a page, until a short page."""
    session.headers["Authorization"] = SANDBOX_CREDENTIALS["TAP_SALESBLINK_API_KEY"]
    records = page = 0
    while True:
        page += 1
        batch = get_json(
            session,
            "GET",
            f"{url}/salesblink/api/public/v1.0.0/sent",
            params={"per_page": SALESBLINK_PAGE, "page": page},
        )
        write_lines(sink, batch)
        records += len(batch)
        if len(batch) < SALESBLINK_PAGE:
            return records, page


def salesflow_baseline(session: requests.Session, url: str, sink: t.TextIO) -> tuple[int, int]:
    """One unpaged request per account, as the tap makes them (`from` the start of time)."""
    records = 0
    for account in SALESFLOW_ACCOUNTS:
        params = {
            "accountId": account["account_id"],
            "token": account["token"],
            "from": "2000-01-01T00:00:00.000000Z",
        }
        batch = get_json(
            session,
            "GET",
            f"{url}/salesflow/api/messaging/incoming-messages-by-accountid",
            params=params,
        )
        write_lines(sink, batch)
        records += len(batch)
    return records, len(SALESFLOW_ACCOUNTS)


def salesrocks_baseline(session: requests.Session, url: str, sink: t.TextIO) -> tuple[int, int]:
    """Log in, page the lists, then page each list's rows, 1000 a page."""
    login = get_json(
        session,
        "POST",
        f"{url}/salesrocks/auth/accessToken",
        json={
            "username": SANDBOX_CREDENTIALS["TAP_SALESROCKS_USERNAME"],
            "password": SANDBOX_CREDENTIALS["TAP_SALESROCKS_PASSWORD"],
        },
    )
    session.headers["Authorization"] = f"Bearer {login['access_token']}"
    lists, made = salesrocks_pages(session, f"{url}/salesrocks/editable-lists/getLists", {})
    records = 0
    for item in lists:
        rows, n = salesrocks_pages(
            session, f"{url}/salesrocks/editable-lists/getListData", {"list_id": item["uuid"]}, sink
        )
        records, made = records + len(rows), made + n
    return records, made + 1


def salesrocks_pages(
    session: requests.Session, url: str, body: dict, sink: t.TextIO | None = None
) -> tuple[list[dict], int]:
    """Every item of a page/size endpoint (written to `sink` if given, else returned)."""
    items: list[dict] = []
    page = 0
    while True:
        page += 1
        batch = get_json(
            session, "POST", url, json={**body, "page": page, "size": SALESROCKS_PAGE}
        )["data"]
        if sink is None:
            items += batch
        else:
            write_lines(sink, batch)
            items += [{}] * len(batch)  # only the count is needed
        if len(batch) < SALESROCKS_PAGE:
            return items, page


def get_json(session: requests.Session, method: str, url: str, **kwargs: t.Any) -> t.Any:
    response = session.request(method, url, timeout=120, **kwargs)
    response.raise_for_status()
    return response.json()


def write_lines(sink: t.TextIO, records: list[dict]) -> None:
    for record in records:
        sink.write(json.dumps(record) + "\n")


@dataclass(frozen=True)
class Vendor:
    """What the bench needs to know about one tap, its API and its data sizes."""

    key: str
    title: str
    event_stream: str
    #: Sandbox endpoint (ids as `{id}`) -> the stream that requests it; "auth" for a login.
    endpoints: dict[str, str]
    incremental: frozenset[str]
    #: Settings beyond url and credentials, the same in every run (printed in the report).
    settings: dict
    event_counts: t.Callable[[int], dict[str, int]]
    economy_counts: dict[str, int]
    latency_counts: dict[str, int]
    latency_parents: tuple[str, ...]
    latency_children: tuple[str, ...]
    #: Regex on request paths of the child streams timed under latency.
    child_paths: str
    latency_settings: dict
    minimum: t.Callable[[dict[str, int], dict[str, int] | None], dict[str, int]]
    baseline: t.Callable[[requests.Session, str, t.TextIO], tuple[int, int]]
    credentials: t.Callable[[str, SandboxClient], dict]
    #: Documented requests per minute, or None.
    rate_limit: int | None = None

    @property
    def tap(self) -> str:
        return f"tap-{self.key}"

    def config(self, url: str, client: SandboxClient) -> dict:
        """Credentials, sandbox URLs and the vendor's settings (never printed)."""
        return {**self.credentials(url, client), "rate_limit_requests": None, **self.settings}


def salesblink_credentials(url: str, client: SandboxClient) -> dict:
    return {
        "api_key": SANDBOX_CREDENTIALS["TAP_SALESBLINK_API_KEY"],
        "api_url": f"{url}/salesblink/api",
    }


def salesflow_credentials(url: str, client: SandboxClient) -> dict:
    return {
        "accounts": SALESFLOW_ACCOUNTS,
        "api_url": f"{url}/salesflow/api",
        "statistics_api_url": f"{url}/salesflow/api",
    }


def salesrocks_credentials(url: str, client: SandboxClient) -> dict:
    """Login and the campaign ids the sandbox knows (the API cannot list campaigns)."""
    return {
        "username": SANDBOX_CREDENTIALS["TAP_SALESROCKS_USERNAME"],
        "password": SANDBOX_CREDENTIALS["TAP_SALESROCKS_PASSWORD"],
        "api_url": f"{url}/salesrocks",
        "campaign_ids": client.expected("salesrocks", "campaign_statistics")["keys"],
    }


def vendors() -> list[Vendor]:
    """The three taps; built at run time because the Salesflow latency run starts 30 days ago."""
    recent = (date.today() - timedelta(days=30)).isoformat()
    public = "/public/v1.0.0"
    return [
        Vendor(
            key="salesblink",
            title="SalesBlink",
            event_stream="sent",
            endpoints={
                f"{public}/lists": "lists",
                f"{public}/lists/{{id}}/leads": "list_leads",
                f"{public}/sequences": "sequences",
                f"{public}/sequences/{{id}}/stats": "sequence_stats",
                f"{public}/users": "users",
                **{f"{public}/{feed}": feed for feed in SALESBLINK_FEEDS},
            },
            incremental=frozenset(SALESBLINK_FEEDS),
            settings={},
            event_counts=lambda n: {"salesblink.sent": n},
            economy_counts={
                "salesblink.lists": 6,
                "salesblink.leads_per_list": 150,
                "salesblink.sequences": 8,
                "salesblink.users": 5,
            },
            latency_counts={
                "salesblink.lists": 30,
                "salesblink.leads_per_list": 20,
                "salesblink.sequences": 30,
            },
            latency_parents=("lists", "sequences"),
            latency_children=("list_leads", "sequence_stats"),
            child_paths=r"/lists/[^/]+/leads$|/sequences/[^/]+/stats$",
            latency_settings={},
            minimum=salesblink_minimum,
            baseline=salesblink_baseline,
            credentials=salesblink_credentials,
            rate_limit=SALESBLINK_PER_MIN,
        ),
        Vendor(
            key="salesflow",
            title="Salesflow",
            event_stream="incoming_messages",
            endpoints={
                "/accounts/list-accounts": "accounts",
                "/campaigns/list-campaigns": "campaigns",
                "/webhooks/list": "webhooks",
                "/members/list-contacts-by-accountid": "members",
                "/statistics/GetCampaignStatistics": "campaign_statistics",
                "/analytics/by-campaignid": "campaign_analytics",
                "/analytics/by-accountid": "account_analytics",
                "/messaging/incoming-messages-by-accountid": "incoming_messages",
            },
            incremental=frozenset(
                {"members", "campaign_analytics", "account_analytics", "incoming_messages"}
            ),
            settings={"analytics_window_days": SALESFLOW_ANALYTICS_DAYS},
            # per account: two accounts
            event_counts=lambda n: {"salesflow.messages": n // len(SALESFLOW_ACCOUNTS)},
            economy_counts={"salesflow.campaigns": 6},
            latency_counts={"salesflow.campaigns": 15},
            latency_parents=("campaigns",),
            latency_children=("campaign_statistics", "campaign_analytics"),
            child_paths=r"/statistics/GetCampaignStatistics$|/analytics/by-campaignid$",
            latency_settings={"start_date": recent},  # one analytics window per campaign
            minimum=salesflow_minimum,
            baseline=salesflow_baseline,
            credentials=salesflow_credentials,
        ),
        Vendor(
            key="salesrocks",
            title="Sales.Rocks",
            event_stream="list_data",
            endpoints={
                "/auth/accessToken": "auth",
                "/editable-lists/getLists": "lists",
                "/editable-lists/getListData": "list_data",
                "/drip-campaign/getCampaignStatistics": "campaign_statistics",
            },
            incremental=frozenset(),
            settings={"page_size": SALESROCKS_PAGE},
            # 16 lists of n/16 rows: not a multiple of the page, as real lists rarely are
            event_counts=lambda n: {"salesrocks.lists": 16, "salesrocks.rows_per_list": n // 16},
            economy_counts={"salesrocks.lists": 5, "salesrocks.rows_per_list": 1500},
            latency_counts={"salesrocks.lists": 60, "salesrocks.rows_per_list": 20},
            latency_parents=("lists",),
            latency_children=("list_data",),
            child_paths=r"/editable-lists/getListData$",
            latency_settings={},
            minimum=salesrocks_minimum,
            baseline=salesrocks_baseline,
            credentials=salesrocks_credentials,
        ),
    ]


# -- measurements ---------------------------------------------------------------------------


@dataclass
class Bench:
    """One tap against one sandbox process: what every measurement needs."""

    client: SandboxClient
    url: str
    vendor: Vendor
    catalog: dict
    config: dict

    def run(
        self,
        streams: t.Iterable[str],
        state: dict | None = None,
        *,
        log: bool = False,
        **settings: t.Any,
    ) -> TapRun:
        """The tap on `streams`, with `settings` over the usual config."""
        return run_tap(
            self.client,
            self.vendor.tap,
            {**self.config, **settings},
            select(self.catalog, streams),
            state,
            log=log,
        )


@dataclass
class Row:
    """One line of a report table."""

    measure: str
    measured: str
    reference: str
    target: str
    result: str


def verdict(ok: bool, detail: str = "") -> str:
    return ("**met**" if ok else "**not met**") + (f" ({detail})" if detail else "")


@contextlib.contextmanager
def sandbox_settings(client: SandboxClient, **settings: t.Any) -> t.Iterator[None]:
    """Apply sandbox settings for one measurement and put the previous values back."""
    current = client.config()
    client.configure(**settings)
    try:
        yield
    finally:
        client.configure(**{name: current[name] for name in settings})


def ground_truth(client: SandboxClient, vendor: Vendor) -> dict[str, int]:
    """Records a full sync of each default stream must land at the sandbox's clock now."""
    return {s: client.expected(vendor.key, s)["count"] for s in DEFAULT_STREAMS[vendor.key]}


def by_stream(run: TapRun, vendor: Vendor) -> dict[str, int]:
    """Requests per stream (or "auth"), from the sandbox's counts per endpoint."""
    out: dict[str, int] = {}
    for endpoint, n in run.by_endpoint.items():
        stream = vendor.endpoints.get(endpoint, f"other: {endpoint}")
        out[stream] = out.get(stream, 0) + n
    return out


def throughput_and_memory(bench: Bench) -> list[Row]:
    """The biggest stream at 1x and 10x (tap), and at 10x the raw loop right after."""
    vendor, client = bench.vendor, bench.client
    stream = vendor.event_stream
    runs: dict[int, TapRun] = {}
    for n in (LARGE // 10, LARGE):
        client.reset(seed=SEED, scale=1.0, counts=vendor.event_counts(n))
        expected = client.expected(vendor.key, stream)["count"]
        runs[n] = run = bench.run([stream])
        landed = run.records.get(stream, 0)
        say(
            f"  {stream} x{n // (LARGE // 10)}: {landed:,} of {expected:,} records in "
            f"{run.seconds:.1f}s (CPU {run.cpu_seconds:.1f}s), {run.requests} requests, peak RSS "
            f"{run.rss_mib:.0f} MiB"
        )
        if landed != expected:
            raise RuntimeError(
                f"{vendor.tap} landed {landed} {stream} records, expected {expected}"
            )
    raw_records, raw_requests, raw_seconds, raw_cpu = timed_baseline(vendor, bench.url)
    say(
        f"  raw loop: {raw_records:,} records in {raw_seconds:.1f}s (CPU {raw_cpu:.1f}s), "
        f"{raw_requests} requests"
    )
    big, small = runs[LARGE], runs[LARGE // 10]
    tap_rate, raw_rate = big.records[stream] / big.seconds, raw_records / raw_seconds
    growth = big.rss_mib / small.rss_mib
    return [
        Row(
            f"throughput, `{stream}`, {big.records[stream]:,} records, zero latency",
            f"{tap_rate:,.0f} rec/s ({big.seconds:.1f} s, CPU {big.cpu_seconds:.1f} s, "
            f"{big.requests:,} requests)",
            f"raw loop {raw_rate:,.0f} rec/s ({raw_seconds:.1f} s, "
            f"CPU {raw_cpu:.1f} s, {raw_requests:,} requests)",
            ">= 0.5x raw",
            verdict(tap_rate / raw_rate >= 0.5, f"{tap_rate / raw_rate:.2f}x"),
        ),
        Row(
            f"peak RSS, `{stream}` at 10x ({big.records[stream]:,} records)",
            f"{big.rss_mib:.0f} MiB",
            f"1x ({small.records[stream]:,} records): {small.rss_mib:.0f} MiB",
            "<= 1.2x of 1x",
            verdict(growth <= 1.2, f"{growth:.2f}x"),
        ),
    ]


def timed_baseline(vendor: Vendor, url: str) -> tuple[int, int, float, float]:
    """Records, requests, wall and CPU seconds of the vendor's raw loop, into a real file."""
    with tempfile.TemporaryDirectory() as tmp, (Path(tmp) / "raw.jsonl").open("w") as sink:
        session = requests.Session()
        start, cpu = time.perf_counter(), time.process_time()
        records, made = vendor.baseline(session, url, sink)
        sink.flush()
        return records, made, time.perf_counter() - start, time.process_time() - cpu


def request_economy(bench: Bench) -> list[Row]:
    """Full sync, incremental after `client.advance`, incremental with no change."""
    vendor, client = bench.vendor, bench.client
    client.reset(seed=SEED, scale=1.0, counts=vendor.economy_counts)
    rows: list[Row] = []
    state, before = None, None
    for phase in (
        "full sync",
        f"incremental after {SMALL_CHANGE_S // 60} min of changes",
        "incremental, no change",
    ):
        if phase.startswith("incremental after"):
            client.advance(SMALL_CHANGE_S)
        run = bench.run(DEFAULT_STREAMS[vendor.key], state)
        now = ground_truth(client, vendor)
        if before is None:
            check_full_sync(vendor, run, now)
        made, minimum = by_stream(run, vendor), vendor.minimum(now, before)
        say(f"  {phase}: {run.requests} requests (minimum {sum(minimum.values())}): {made}")
        rows += economy_rows(vendor, phase, made, minimum)
        state, before = run.state, now
    return rows


def check_full_sync(vendor: Vendor, run: TapRun, expected: dict[str, int]) -> None:
    """Request counts mean little if the sync missed records: refuse to report them."""
    short = {
        s: (run.records.get(s, 0), n) for s, n in expected.items() if run.records.get(s, 0) < n
    }
    if short:
        raise RuntimeError(f"{vendor.tap} full sync landed fewer records than expected: {short}")


def economy_rows(
    vendor: Vendor, phase: str, made: dict[str, int], minimum: dict[str, int]
) -> list[Row]:
    """One row per group: incremental streams (the target), full-table streams, login."""
    no_change, first = phase.endswith("no change"), phase == "full sync"
    groups = [
        ("incremental streams", sorted(vendor.incremental)),
        ("full-table streams", sorted(set(minimum) - vendor.incremental - {"auth"})),
    ]
    if "auth" in minimum:
        groups.append(("login", ["auth"]))
    if set(made) - set(minimum):
        groups.append(("other endpoints", sorted(set(made) - set(minimum))))
    rows = []
    for group, streams in groups:
        if not streams and not no_change:
            continue
        count, least = sum(made.get(s, 0) for s in streams), sum(minimum.get(s, 0) for s in streams)
        detail = (
            ", ".join(
                f"`{s}` {made.get(s, 0)} vs {minimum.get(s, 0)}"
                for s in streams
                if made.get(s, 0) != minimum.get(s, 0)
            )
            or "at the minimum"
        )
        if group == "login":
            target, ok = "1 per run", count == 1
        elif group == "incremental streams" and no_change:
            target, ok = f"<= {least} (1 per partition)", count <= least
        else:
            target, ok = "-", None
        names = (
            ": " + (", ".join(f"`{s}`" for s in streams) or "none") if first or not streams else ""
        )
        rows.append(
            Row(
                f"requests, {phase}, {group}{names}",
                str(count),
                f"minimum {least}",
                target,
                verdict(ok, detail) if ok is not None else f"n/a: {detail}",
            )
        )
    return rows


def rate_limit_bound(bench: Bench) -> list[Row]:
    """A full sync with the documented limit enforced (time-scaled) and the tap pacing to it."""
    vendor, client = bench.vendor, bench.client
    if vendor.rate_limit is None:
        return [Row("rate-limit bound", "not measured", "no documented rate limit", "-", "n/a")]
    window = 60.0 / TIME_SCALE
    client.reset(seed=SEED, scale=1.0, counts=vendor.economy_counts)
    with sandbox_settings(client, rate_limits=True, time_scale=TIME_SCALE):
        run = bench.run(
            DEFAULT_STREAMS[vendor.key],
            log=True,
            rate_limit_requests=vendor.rate_limit,
            rate_limit_window_seconds=window,
        )
    times = [entry["t"] for entry in run.log if entry["vendor"] == vendor.key]
    span = max(times) - min(times)
    bound = run.requests / vendor.rate_limit * window
    # What fixed windows really allow: a full burst at the start of each window.
    burst = (math.ceil(run.requests / vendor.rate_limit) - 1) * window
    say(
        f"  {run.requests} requests in {run.seconds:.1f}s (first to last {span:.1f}s), "
        f"{run.rate_limited} x 429; bound {bound:.1f}s"
    )
    limit = f"{vendor.rate_limit} GET/min, time scale {TIME_SCALE:g} (a minute lasts {window:g} s)"
    return [
        Row(
            f"rate-limited full sync, {limit}: tap process wall time",
            f"{run.seconds:.1f} s for {run.requests} requests",
            f"{run.requests} / {vendor.rate_limit} per min = {bound:.1f} s (one burst per "
            f"window: {burst:.1f} s)",
            "<= 1.1x",
            verdict(run.seconds <= 1.1 * bound, f"{run.seconds / bound:.2f}x"),
        ),
        Row(
            "same run, first to last request (sandbox request log)",
            f"{span:.1f} s",
            f"{bound:.1f} s",
            "<= 1.1x",
            verdict(span <= 1.1 * bound, f"{span / bound:.2f}x"),
        ),
        Row(
            "same run, 429 responses",
            str(run.rate_limited),
            "0",
            "0",
            verdict(run.rate_limited == 0),
        ),
    ]


def latency_bound(bench: Bench) -> list[Row]:
    """Child streams with 100 ms per request: concurrency 1, then the tap's default."""
    vendor, client = bench.vendor, bench.client
    client.reset(seed=SEED, scale=1.0, counts=vendor.latency_counts)
    offered = tap_settings(vendor.tap).get("concurrency")
    variants = (
        [
            ("concurrency 1", {"concurrency": 1}),
            (f"default concurrency {offered.get('default')}", {}),
        ]
        if offered
        else [("no `concurrency` setting (the tap as it is)", {})]
    )
    results = []
    with sandbox_settings(client, latency_ms=LATENCY_MS):
        for label, extra in variants:
            run = bench.run(
                vendor.latency_parents + vendor.latency_children,
                log=True,
                **vendor.latency_settings,
                **extra,
            )
            span, n = child_span(run, vendor)
            say(
                f"  {label}: child streams {span:.1f}s ({n} requests), "
                f"process {run.seconds:.1f}s, {run.requests} requests"
            )
            results.append((label, run, span, n))
    parents = sum(results[0][1].records.get(stream, 0) for stream in vendor.latency_parents)
    children = ", ".join(f"`{stream}`" for stream in vendor.latency_children)
    what = f"child streams {children} of {parents} parents, {LATENCY_MS} ms per request"
    rows = [
        Row(
            f"{what}: {label}",
            f"{span:.1f} s for {n} child requests",
            f"process {run.seconds:.1f} s, {run.requests} requests in all",
            "-",
            "-",
        )
        for label, run, span, n in results
    ]
    if not offered:
        say(f"  NOTE: {vendor.tap} --about lists no `concurrency` setting: speed-up not measured")
        return [
            *rows,
            Row(
                "speed-up with the default concurrency",
                "not measurable",
                f"{vendor.tap} offers no `concurrency` setting yet",
                ">= 3x",
                verdict(False, "setting missing"),
            ),
        ]
    (_, one, span_one, _), (_, many, span_many, _) = results
    speedup = span_one / span_many
    return [
        *rows,
        Row(
            "speed-up of the child streams",
            f"{speedup:.2f}x",
            f"{span_one:.1f} s -> {span_many:.1f} s",
            ">= 3x",
            verdict(speedup >= 3),
        ),
        Row(
            "requests, concurrency 1 vs default",
            f"{one.requests} vs {many.requests}",
            "-",
            "equal",
            verdict(one.requests == many.requests),
        ),
    ]


def child_span(run: TapRun, vendor: Vendor) -> tuple[float, int]:
    """Seconds from the first child request's arrival to the last one's answer, and how many:
    the log stamps a request after its latency, so the first one arrived a latency earlier."""
    times = [
        e["t"]
        for e in run.log
        if e["vendor"] == vendor.key and re.search(vendor.child_paths, e["path"])
    ]
    return max(times) - min(times) + LATENCY_MS / 1000, len(times)


def measure(vendor: Vendor) -> list[Row]:
    """Every measurement of one tap, on one sandbox process (reset and reconfigured between)."""
    say(f"\n{vendor.title} ({vendor.tap})")
    with SandboxProcess(seed=SEED, scale=1.0, time_scale=TIME_SCALE, rate_limits=False) as sandbox:
        config = vendor.config(sandbox.url, sandbox.client)
        bench = Bench(sandbox.client, sandbox.url, vendor, discover(vendor.tap, config), config)
        rows = []
        for step in (throughput_and_memory, request_economy, rate_limit_bound, latency_bound):
            say(f" {step.__name__.replace('_', ' ')}")
            rows += step(bench)
    return rows


# -- report ---------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def revision() -> str:
    """The commit measured, and whether the working tree differs from it (read-only git)."""
    head = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"`{head}`" + (" plus uncommitted changes" if dirty else "")


def how_measured(started: float, load: float, chosen: list[Vendor]) -> list[str]:
    """The paragraph that says where every number comes from."""
    settings = "; ".join(
        f"{v.tap} " + (", ".join(f"`{k}` {val}" for k, val in v.settings.items()) or "defaults")
        for v in chosen
    )
    return [
        "## How measured",
        "",
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"revision {revision()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {load:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end; the run took "
        f"{(time.perf_counter() - started) / 60:.1f} min and every number comes from it. "
        f"Each tap runs as a process against the sandbox (seed {SEED}, its own process on "
        "loopback, sizes set exactly with `counts`). Wall time is the tap process's, start-up "
        "(about 1 s) included, CPU its user + system time (less swayed by a busy machine); peak RSS is the tap's `ru_maxrss` from `os.wait4` (spawned "
        "through a bare launcher, since on Linux a child's starts at its spawner's); requests, "
        "429s and request times come from the sandbox's stats and request log, cleared before "
        "each run. "
        f"Settings besides URLs and credentials: {settings}; pacing off except in the "
        "rate-limit run. The raw loop fetches the same records with `requests` at the largest "
        "page and writes each as a JSON line to a file, as the tap does. Minimum requests come "
        "from the sandbox's `expected` counts, the largest page (SalesBlink 100, Sales.Rocks "
        "1000, Salesflow lists unpaged and analytics 92 days) and the partitions: with no total "
        "in a response, n records take floor(n / page) + 1 requests (Sales.Rocks, which documents "
        "no maximum page, ceil(n / page) + 1: only an empty page ends a read), and an "
        "incremental read "
        "takes at least one per partition (account; campaign for campaign analytics). The "
        f"small change is `advance({SMALL_CHANGE_S})`. The rate-limit bound is requests / "
        f"allowed rate at time scale {TIME_SCALE:g} (a sandbox minute lasts "
        f"{60 / TIME_SCALE:g} s, and the tap is told so); a fixed window admits a burst, so "
        "a run can beat it. Child streams are timed from the first child request's arrival to "
        "the last one's answer (request log), start-up and parent requests excluded.",
        "",
    ]


def section(vendor: Vendor, rows: list[Row]) -> list[str]:
    lines = [
        f"## {vendor.title} (`{vendor.tap}`)",
        "",
        "| measure | measured | reference / minimum | target | result |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.measure} | {r.measured} | {r.reference} | {r.target} | {r.result} |" for r in rows
    ]
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--taps",
        default="salesblink,salesflow,salesrocks",
        help="comma-separated vendors to measure (default: all three)",
    )
    parser.add_argument("--report", type=Path, default=REPORT, help="Markdown file to write")
    args = parser.parse_args(argv)
    wanted = args.taps.split(",")
    chosen = [v for v in vendors() if v.key in wanted]
    if len(chosen) != len(wanted):
        parser.error(f"--taps: choose from {', '.join(v.key for v in vendors())}")
    started, load = time.perf_counter(), os.getloadavg()[0]
    sections = [section(vendor, measure(vendor)) for vendor in chosen]
    title = "# Benchmarks: " + ", ".join(v.tap for v in chosen)
    text = "\n".join(
        [
            title,
            "",
            *how_measured(started, load, chosen),
            *(line for lines in sections for line in lines),
        ]
    )
    args.report.write_text(text, encoding="utf-8")
    say(f"\nwrote {args.report} in {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
