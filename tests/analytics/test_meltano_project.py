"""meltano.yml runs the models: dbt utilities pinned and defined inline, jobs that extract
and then build, a schedule that runs the whole thing."""

from __future__ import annotations

import re

import yaml
from pipeline import ROOT, TAPS

PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text())


def _utility(name: str) -> dict:
    return next(u for u in PROJECT["plugins"]["utilities"] if u["name"] == name)


def test_dbt_utilities_are_inline_and_pinned():
    for name, adapter in (("dbt-duckdb", "dbt-duckdb"), ("dbt-postgres", "dbt-postgres")):
        utility = _utility(name)
        pins = dict(p.split("==") for p in utility["pip_url"].split())
        assert set(pins) >= {"dbt-core", adapter}, utility["pip_url"]
        assert all(re.fullmatch(r"\d+(\.\d+)+", v) for v in pins.values()), pins
        assert utility["executable"] == "dbt"
        assert {"build", "test", "run", "freshness"} <= set(utility["commands"])
        settings = {s["name"]: s for s in utility["settings"]}
        assert settings["project_dir"]["value"].endswith("/transform")
    # The DuckDB adapter reads and writes the file with the loader's duckdb version.
    loader = (ROOT / "loader-duckdb" / "pyproject.toml").read_text()
    pin = re.search(r'"(duckdb==[0-9.]+)"', loader)[1]
    assert pin in _utility("dbt-duckdb")["pip_url"].split()
    postgres = {s["name"]: s for s in _utility("dbt-postgres")["settings"]}
    assert postgres["password"]["sensitive"] is True


def test_jobs_extract_then_build_and_the_schedule_runs_everything():
    jobs = {job["name"]: job["tasks"] for job in PROJECT["jobs"]}
    for job, loader, dbt in (
        ("outreach-to-warehouse", "target-duckdb", "dbt-duckdb:build"),
        ("outreach-to-postgres", "target-postgres", "dbt-postgres:build"),
    ):
        assert jobs[job] == [f"{tap} {loader}" for tap in TAPS] + [dbt]
    schedule = next(s for s in PROJECT["schedules"] if s["name"] == "outreach-daily")
    assert schedule["job"] == "outreach-to-warehouse"
