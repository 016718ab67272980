"""The Dagster instance's run queue: the engine, not Meltano, keeps one run per tenant.

Every tenant run is its own Dagster run (one partition of its tool's job), tagged
`outreach/tenant=<name>`. The QueuedRunCoordinator launches at most `max_concurrent` runs
at once and at most ONE run per tenant tag value: a second run of a tenant, however it was
started (schedule tick, backfill, Launchpad, two machines submitting at the same instant),
waits in the queue until the first has finished. The daemon's dequeue loop decides alone,
so two runs of one tenant can never both be launched and both pass Meltano's "already
running" check at the same instant; Meltano's guard stays as the second line (a run started
outside Dagster, or on a second Dagster instance).

A run that outlives every attempt its tenant may make (`max_runtime_seconds`: a hung run
worker, a machine lost with its run) would hold its tenant's slot forever; run monitoring
ends it at that bound (tag `dagster/max_runtime`) and marks it failed, freeing the tenant.

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
#: Dagster's tag for a run's longest runtime, enforced by run monitoring.
MAX_RUNTIME_TAG = "dagster/max_runtime"
#: Beyond the tenant's own attempts: Dagster's start-up, and Meltano's grace after SIGTERM.
_MARGIN_SECONDS = 300


def max_runtime_seconds(policy: RunPolicy) -> int:
    """Every attempt of a tenant run at its timeout, the delays between them, and a margin:
    only a run whose worker is lost or hung gets here."""
    attempts = policy.retries + 1
    return int(
        attempts * (policy.timeout_seconds + 30)
        + policy.retries * policy.retry_delay_seconds
        + _MARGIN_SECONDS
    )


def run_tags(policy: RunPolicy, tool: str, tenant: str) -> dict[str, str]:
    """The tags of a tenant's run (the queue's limit, the tool, the runtime bound)."""
    return {
        TENANT_TAG: tenant,
        TOOL_TAG: tool,
        MAX_RUNTIME_TAG: str(max_runtime_seconds(policy)),
    }


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
    # Ends runs past their `dagster/max_runtime` (and runs that never start), so a lost
    # run cannot hold its tenant's queue slot.
    config["run_monitoring"] = {"enabled": True, "poll_interval_seconds": 60}
    return config


def write(home: Path, policy: RunPolicy, **options: t.Any) -> Path:
    """Write `home/dagster.yaml` (see `instance_config`) and return its path."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(yaml.safe_dump(instance_config(policy, **options), sort_keys=False))
    return path
