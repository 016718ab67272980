"""Dagster definitions: one job per tool, one mapped step per tenant.

`<tool>_tenants` fans out over the tool's tenants in tenants.yml (a dynamic output keyed by
tenant name, so each tenant is its own step in the UI, with its own logs, retries and
re-execution). Each step runs `meltano run --state-id-suffix=<tenant>` (see runner.py) with
the tenant's retry policy and timeout; the job's multiprocess executor runs up to
`max_concurrent` tenants at once, and a failing tenant fails only its own step. Run config
`ops: {<tool>_tenant_list: {config: {tenants: [...]}}}` runs a subset (e.g. one tenant
again). Schedules come from meltano.yml (see schedules.py).
"""

import dagster as dg

from outreach_orchestration import runner, schedules, tenants


def tenant_job(tool: str, registry: tenants.TenantsFile) -> dg.JobDefinition:
    """The tool's job over its tenants (an empty job fans out to nothing)."""
    names = [x.name for x in registry.of_tool(tool)]
    policy = registry.policy

    @dg.op(
        name=f"{tool}_tenant_list",
        out=dg.DynamicOut(str),
        config_schema={
            "tenants": dg.Field([str], is_required=False, description="Run only these tenants.")
        },
        description=f"The {tool} tenants of tenants.yml, one mapped step each.",
    )
    def tenant_list(context: dg.OpExecutionContext):
        chosen = context.op_config.get("tenants") or names
        unknown = sorted(set(chosen) - set(names))
        if unknown:
            raise dg.Failure(
                f"Unknown {tool} tenant(s) {', '.join(unknown)}; tenants.yml has: "
                f"{', '.join(names) or 'none'}."
            )
        for name in chosen:
            yield dg.DynamicOutput(name, mapping_key=name.replace("-", "_"))

    @dg.op(
        name=f"sync_{tool}_tenant",
        retry_policy=dg.RetryPolicy(
            max_retries=policy.retries, delay=policy.retry_delay_seconds or None
        ),
        description="meltano run --state-id-suffix=<tenant> for one tenant, with a timeout.",
    )
    def sync_tenant(context: dg.OpExecutionContext, tenant_name: str) -> dg.Output[str]:
        registry_now = tenants.load(registry.path)  # secrets are read in the step's process
        tenant = registry_now.get(tenant_name)
        try:
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

    @dg.job(
        name=f"{tool}_tenants",
        description=f"Every {tool} tenant through Meltano into {policy.loader}.",
        # forkserver: each tenant step forks from a process that has Dagster imported
        # already, instead of starting a fresh interpreter per step.
        executor_def=dg.multiprocess_executor.configured(
            {"max_concurrent": policy.max_concurrent, "start_method": {"forkserver": {}}}
        ),
        tags={"tool": tool},
    )
    def job() -> None:
        tenant_list().map(sync_tenant)

    return job


def build(registry: tenants.TenantsFile | None = None) -> dg.Definitions:
    registry = registry or tenants.load()
    jobs = {tool: tenant_job(tool, registry) for tool in tenants.TOOLS}
    meltano_yml = runner.project_root() / "meltano.yml"
    found = [
        dg.ScheduleDefinition(
            name=f"{s.name.replace('-', '_')}_{s.tool}",
            job=jobs[s.tool],
            cron_schedule=s.cron,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=f"meltano.yml schedule '{s.name}' for the {s.tool} tenants.",
        )
        for s in schedules.tool_schedules(meltano_yml)
    ]
    return dg.Definitions(jobs=list(jobs.values()), schedules=found)


defs = build()
