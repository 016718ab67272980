"""Dagster definitions: one partitioned job per tool, one partition (one run) per tenant.

`<tool>_tenants` is partitioned by the tool's tenants in tenants.yml (a static partition
set, read when the code location loads). Each partition run executes
`meltano run --state-id-suffix=<tenant>` for that tenant only (runner.py), with the
tenant's retry policy and timeout; being separate runs, a failing tenant fails only its own
run. Runs carry the tag `outreach/tenant=<name>`, on which the instance's run queue allows
one run at a time (instance.py); the queue's `max_concurrent_runs` runs tenants side by
side, each in its own process. Schedules come from meltano.yml (schedules.py) and request
one run per partition.
"""

import dagster as dg

from outreach_orchestration import runner, schedules, tenants
from outreach_orchestration.instance import TOOL_TAG, run_tags


def tenant_job(tool: str, registry: tenants.TenantsFile) -> dg.JobDefinition:
    """The tool's job, one partition per tenant (the tool has at least one)."""
    names = [x.name for x in registry.of_tool(tool)]
    policy = registry.policy

    @dg.op(
        name=f"sync_{tool}_tenant",
        retry_policy=dg.RetryPolicy(
            max_retries=policy.retries, delay=policy.retry_delay_seconds or None
        ),
        description="meltano run --state-id-suffix=<tenant> for the run's tenant, with a timeout.",
    )
    def sync_tenant(context: dg.OpExecutionContext) -> dg.Output[str]:
        registry_now = tenants.load(registry.path)  # secrets are read in the run's process
        try:
            tenant = registry_now.get(context.partition_key)
            result = runner.run_tenant(tenant, registry_now)
        except tenants.TenantsFileError as exc:
            raise dg.Failure(str(exc), allow_retries=False) from None
        if not result.ok:
            raise dg.Failure(
                result.summary(),
                metadata={"state_id": result.state_id, "seconds": round(result.seconds, 1)},
            )
        context.log.info(result.summary())
        return dg.Output(
            result.state_id,
            metadata={"tenant": tenant.name, "seconds": round(result.seconds, 1)},
        )

    @dg.static_partitioned_config(
        partition_keys=names,
        tags_for_partition_key_fn=lambda name: run_tags(policy, tool, name),
    )
    def per_tenant(_name: str) -> dict:
        return {}

    @dg.job(
        name=f"{tool}_tenants",
        description=f"One {tool} tenant per partition, through Meltano into {policy.loader}.",
        config=per_tenant,
        # One op per run: it runs in the run's own process (retries included), so a tenant
        # costs one Dagster process, not two.
        executor_def=dg.in_process_executor,
        tags={TOOL_TAG: tool},
    )
    def job() -> None:
        sync_tenant()

    return job


def tenant_schedule(
    found: schedules.ToolSchedule,
    job: dg.JobDefinition,
    names: list[str],
    policy: tenants.RunPolicy,
) -> dg.ScheduleDefinition:
    """The meltano.yml schedule on the tool's job: every tick requests one run per tenant."""

    @dg.schedule(
        name=f"{found.name.replace('-', '_')}_{found.tool}",
        job=job,
        cron_schedule=found.cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"meltano.yml schedule '{found.name}': one run per {found.tool} tenant.",
    )
    def each_tenant(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.isoformat()
        for name in names:
            yield dg.RunRequest(
                run_key=f"{name}@{tick}",
                partition_key=name,
                tags=run_tags(policy, found.tool, name),
            )

    return each_tenant


def build(registry: tenants.TenantsFile | None = None) -> dg.Definitions:
    registry = registry or tenants.load()
    names = {tool: [x.name for x in registry.of_tool(tool)] for tool in tenants.TOOLS}
    jobs = {tool: tenant_job(tool, registry) for tool in tenants.TOOLS if names[tool]}
    meltano_yml = runner.project_root() / "meltano.yml"
    found = [
        tenant_schedule(s, jobs[s.tool], names[s.tool], registry.policy)
        for s in schedules.tool_schedules(meltano_yml)
        if s.tool in jobs
    ]
    return dg.Definitions(jobs=list(jobs.values()), schedules=found)


defs = build()
