"""The Dagster code location: one partitioned job per tool, a partition per tenant, run tags
the run queue limits on, and schedules that request one run per tenant. The run queue's
dagster.yaml (instance.py) allows one run per tenant."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from test_tenants_file import GOOD, write

from outreach_orchestration import instance, tenants

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-dagster" / "bin" / "python"


def _view(tenants_file: Path) -> dict:
    done = subprocess.run(
        [str(PYTHON), str(Path(__file__).with_name("dagster_view.py"))],
        capture_output=True,
        text=True,
        timeout=120,
        env={"TENANTS_FILE": str(tenants_file), "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_one_partition_and_one_scheduled_run_per_tenant(tmp_path):
    two_blink = {
        **GOOD,
        "tenants": [
            *GOOD["tenants"],
            {"name": "initech", "tool": "salesblink", "credentials": {"api_key": "INITECH_KEY"}},
        ],
    }
    view = _view(write(tmp_path, two_blink))
    jobs = view["jobs"]
    assert {name: job["partitions"] for name, job in jobs.items()} == {
        "salesblink_tenants": ["acme", "initech"],
        "salesflow_tenants": ["globex-li"],
        "salesrocks_tenants": ["hooli"],
    }
    assert {job["executor"] for job in jobs.values()} == {"in_process"}
    tags = jobs["salesblink_tenants"]["tags"]["initech"]
    assert tags[instance.TENANT_TAG] == "initech"
    assert tags[instance.TOOL_TAG] == "salesblink"
    # Default policy: 3 attempts (2 retries) of 3600 s + 30 s grace, 2 x 300 s between
    # them, 300 s margin.
    assert tags["dagster/max_runtime"] == str(3 * 3630 + 2 * 300 + 300) == "11790"
    daily = view["schedules"]["outreach_daily_salesblink"]
    assert daily["job"] == "salesblink_tenants" and daily["cron"] == "0 0 * * *"
    assert [(r["partition"], r["tags"][instance.TENANT_TAG]) for r in daily["requests"]] == [
        ("acme", "acme"),
        ("initech", "initech"),
    ]
    assert {r["tags"]["dagster/max_runtime"] for r in daily["requests"]} == {"11790"}
    assert len({r["run_key"] for r in daily["requests"]}) == 2  # one run per tenant per tick
    assert set(view["schedules"]) == {
        "outreach_daily_salesblink",
        "outreach_daily_salesflow",
        "outreach_daily_salesrocks",
    }


def test_a_tool_without_tenants_has_no_job(tmp_path):
    only_blink = {**GOOD, "tenants": GOOD["tenants"][:1]}
    view = _view(write(tmp_path, only_blink))
    assert list(view["jobs"]) == ["salesblink_tenants"]
    assert list(view["schedules"]) == ["outreach_daily_salesblink"]


def test_run_queue_allows_one_run_per_tenant(tmp_path):
    registry = tenants.load(write(tmp_path, GOOD))
    path = instance.write(tmp_path / "home", registry.policy, dequeue_interval_seconds=1)
    config = yaml.safe_load(path.read_text())
    assert config["telemetry"] == {"enabled": False}
    assert config["run_monitoring"]["enabled"] is True  # enforces dagster/max_runtime
    queue = config["run_coordinator"]
    assert queue["class"] == "QueuedRunCoordinator"
    assert queue["config"]["max_concurrent_runs"] == 3  # tenants.yml max_concurrent
    assert queue["config"]["tag_concurrency_limits"] == [
        {"key": "outreach/tenant", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
