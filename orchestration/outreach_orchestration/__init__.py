"""Tenant pipelines on Dagster: tenants.yml, one Meltano run per tenant, schedules.

`tenants`, `runner` and `schedules` need only PyYAML; `definitions` is the Dagster code
location (`dagster dev -m outreach_orchestration.definitions`).
"""
