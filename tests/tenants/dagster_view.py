"""Run by .venv-dagster's Python (the tests' venv has no Dagster): what the code location
defines for a tenants.yml, as JSON on stdout: each job's partitions and their run tags, and
each schedule's run requests for one tick."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from outreach_orchestration import definitions

defs = definitions.build()
repository = defs.get_repository_def()
view: dict = {"jobs": {}, "schedules": {}}
for job in repository.get_all_jobs():
    keys = job.partitions_def.get_partition_keys()
    view["jobs"][job.name] = {
        "partitions": keys,
        "executor": job.executor_def.name,
        "tags": {k: job.partitioned_config.get_tags_for_partition_key(k) for k in keys},
    }
tick = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)
for schedule in repository.schedule_defs:
    context = dg.build_schedule_context(repository_def=repository, scheduled_execution_time=tick)
    result = schedule.evaluate_tick(context)
    view["schedules"][schedule.name] = {
        "job": schedule.job_name,
        "cron": schedule.cron_schedule,
        "requests": [
            {"partition": r.partition_key, "run_key": r.run_key, "tags": dict(r.tags)}
            for r in result.run_requests or []
        ],
    }
print(json.dumps(view))
