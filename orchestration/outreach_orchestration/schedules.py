"""Schedules from meltano.yml, the one place they are kept (today's `outreach-daily`).

A Meltano schedule names a job; each tool whose tap is in that job's tasks gets the
schedule's cron on its tenant pipeline. Meltano's interval shorthands become cron.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from pathlib import Path

import yaml

from outreach_orchestration.tenants import TOOLS

SHORTHANDS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


@dataclass(frozen=True)
class ToolSchedule:
    name: str  # the Meltano schedule's name
    tool: str
    cron: str


def tool_schedules(meltano_yml: Path) -> list[ToolSchedule]:
    """One schedule per (Meltano schedule, tool in its job); `@once` and unset are skipped."""
    project = yaml.safe_load(meltano_yml.read_text(encoding="utf-8")) or {}
    jobs = {j.get("name"): j.get("tasks") or [] for j in project.get("jobs") or []}
    taps = {tap: tool for tool, (tap, _) in TOOLS.items()}
    found = []
    for schedule in project.get("schedules") or []:
        cron = to_cron(schedule.get("interval") or schedule.get("cron_interval"))
        if cron is None:
            continue
        tasks = jobs.get(schedule.get("job"), [])
        if not tasks and schedule.get("extractor"):
            tasks = [schedule["extractor"]]
        tools = {taps[word] for task in tasks for word in _words(task) if word in taps}
        found += [ToolSchedule(str(schedule["name"]), tool, cron) for tool in sorted(tools)]
    return found


def to_cron(interval: t.Any) -> str | None:
    if not isinstance(interval, str) or interval in ("@once", ""):
        return None
    return SHORTHANDS.get(interval, interval)


def _words(task: t.Any) -> list[str]:
    if isinstance(task, list):
        return [w for item in task for w in _words(item)]
    return str(task).split()
