"""One tap against the sandbox: a catalog selecting some streams, a run, what the sandbox saw."""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import typing as t
from dataclasses import dataclass
from pathlib import Path

from taprun import BIN, Usage, run_tap

if t.TYPE_CHECKING:
    from outreach_sandbox import SandboxClient


@dataclass(frozen=True)
class Run:
    """A tap run as the bench sees it: records per stream, cost, requests, last state."""

    records: dict[str, int]
    usage: Usage
    by_endpoint: dict[str, int]
    rate_limited: int
    state: dict | None
    log: tuple[dict, ...] = ()

    @property
    def requests(self) -> int:
        return sum(self.by_endpoint.values())


def discover(tap: str, config: dict) -> dict:
    """The tap's catalog (discovery makes no request), fetched once and reused by every run."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config))
        out = subprocess.run(
            [str(BIN / tap), "--config", str(path), "--discover"],
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


def stream_facts(catalog: dict) -> tuple[tuple[str, ...], frozenset[str]]:
    """Streams selected by default and the incremental ones among them, from the catalog."""
    default, incremental = [], set()
    for entry in catalog["streams"]:
        top = next(m["metadata"] for m in entry["metadata"] if not m["breadcrumb"])
        if top.get("selected-by-default", top.get("selected")) and (
            entry["tap_stream_id"] != "rejected_records"
        ):
            default.append(entry["tap_stream_id"])
            if top.get("forced-replication-method", entry.get("replication_method")) == (
                "INCREMENTAL"
            ) or entry.get("replication_key"):
                incremental.add(entry["tap_stream_id"])
    return tuple(default), frozenset(incremental)


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


@dataclass
class TapBench:
    """One tap against one sandbox process: what every measurement of a tap needs."""

    client: SandboxClient
    url: str
    vendor: str
    catalog: dict
    config: dict

    @property
    def tap(self) -> str:
        return f"tap-{self.vendor}"

    def run(
        self,
        streams: t.Iterable[str],
        state: dict | None = None,
        *,
        log: bool = False,
        output: Path | None = None,
        **settings: t.Any,
    ) -> Run:
        """The tap on `streams` with `settings` over the usual config; stdout to a file (kept
        at `output` if given), so reading it costs the tap nothing while it runs."""
        self.client.clear_stats()
        self.client.clear_requests()
        with tempfile.TemporaryDirectory() as tmp:
            out = output or Path(tmp) / "out.jsonl"
            done = run_tap(
                self.tap,
                {**self.config, **settings},
                catalog=select(self.catalog, streams),
                state=state,
                output=out,
                timeout=1800,
            )
            if done.returncode != 0:
                tail = "\n".join(done.stderr.strip().splitlines()[-5:])
                raise RuntimeError(f"{self.tap} exited {done.returncode}:\n{tail}")
            records, last_state = read_output(out)
        stats = self.client.stats()
        by_endpoint = {
            key.split(" ", 2)[2]: n
            for key, n in stats["by_endpoint"].items()
            if key.startswith(f"{self.vendor} ")
        }
        return Run(
            records,
            done.usage,
            by_endpoint,
            stats["rate_limited"].get(self.vendor, 0),
            last_state,
            tuple(self.client.requests()) if log else (),
        )


@contextlib.contextmanager
def sandbox_settings(client: SandboxClient, **settings: t.Any) -> t.Iterator[None]:
    """Apply sandbox settings for one measurement and put the previous values back."""
    current = client.config()
    client.configure(**settings)
    try:
        yield
    finally:
        client.configure(**{name: current[name] for name in settings})
