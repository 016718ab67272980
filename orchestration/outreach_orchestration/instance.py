"""The Dagster instance's run queue: the engine, not Meltano, keeps one run per tenant.

Every tenant run is its own Dagster run (one partition of its tool's job), tagged
`outreach/tenant=<name>`. The QueuedRunCoordinator launches at most `max_concurrent` runs
at once and at most ONE run per tenant tag value: a second run of a tenant, however it was
started (schedule tick, backfill, Launchpad, two machines submitting at the same instant),
waits in the queue until the first has finished. The daemon's dequeue loop decides alone,
so two runs of one tenant can never both be launched and both pass Meltano's "already
running" check at the same instant; Meltano's guard stays as the second line (a run started
outside Dagster, or on a second Dagster instance).

Standard library and PyYAML only: the tests, `make orchestrate` and an operator writing
`$DAGSTER_HOME/dagster.yaml` use it without Dagster installed.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import yaml

if t.TYPE_CHECKING:
    from outreach_orchestration.tenants import RunPolicy

#: Tag every tenant run carries (the partition key): the run queue's per-tenant limit.
TENANT_TAG = "outreach/tenant"
#: Tag naming the tool of a tenant run.
TOOL_TAG = "outreach/tool"


def run_coordinator(policy: RunPolicy, dequeue_interval_seconds: int = 5) -> dict[str, t.Any]:
    """The `run_coordinator` section of dagster.yaml for these tenants."""
    return {
        "module": "dagster.core.run_coordinator",
        "class": "QueuedRunCoordinator",
        "config": {
            # One writer per DuckDB file: tenants.yml refuses target-duckdb with more than 1.
            "max_concurrent_runs": policy.max_concurrent,
            "tag_concurrency_limits": [
                {"key": TENANT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
            ],
            "dequeue_interval_seconds": dequeue_interval_seconds,
        },
    }


def instance_config(
    policy: RunPolicy,
    *,
    storage: t.Mapping[str, t.Any] | None = None,
    dequeue_interval_seconds: int = 5,
) -> dict[str, t.Any]:
    """A whole dagster.yaml: telemetry off, the run queue, optional `storage` section."""
    config: dict[str, t.Any] = {"telemetry": {"enabled": False}}
    if storage:
        config["storage"] = dict(storage)
    config["run_coordinator"] = run_coordinator(policy, dequeue_interval_seconds)
    return config


def write(home: Path, policy: RunPolicy, **options: t.Any) -> Path:
    """Write `home/dagster.yaml` (see `instance_config`) and return its path."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(yaml.safe_dump(instance_config(policy, **options), sort_keys=False))
    return path
