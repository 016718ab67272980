"""Analytics fixtures: one sandbox load per warehouse, then the dbt models on each.

One `meltano run` loads every tap into DuckDB and into PostgreSQL (its own database on the
session's server, so tests/e2e's schemas are untouched) and runs `dbt-duckdb:build` and
`dbt-postgres:build`; every test in this folder reads that result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg
import pytest
from e2e.conftest import MeltanoProject
from pipeline import TAPS, SandboxProcess

DATABASE = "outreach_analytics"


@dataclass
class Warehouses:
    project: MeltanoProject
    sandbox: SandboxProcess
    postgres_url: str
    duckdb_target: Path
    postgres_target: Path

    def duckdb(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.project.duckdb_path), read_only=True)

    def postgres(self) -> psycopg.Connection:
        return psycopg.connect(self.postgres_url)

    def run_results(self, warehouse: str) -> list[dict]:
        target = self.duckdb_target if warehouse == "duckdb" else self.postgres_target
        return json.loads((target / "run_results.json").read_text())["results"]


def _create_database(server_url: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f"drop database if exists {DATABASE}")
        con.execute(f"create database {DATABASE}")
    return server_url.rsplit("/", 1)[0] + f"/{DATABASE}"


@pytest.fixture(scope="session")
def warehouses(meltano_installed, postgres_url, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("analytics")
    url = _create_database(postgres_url)
    with SandboxProcess(seed=7, scale=1.0, time_scale=60.0, rate_limits=False) as sandbox:
        project = MeltanoProject(sandbox.url, workdir, postgres_url)
        duckdb_target, postgres_target = workdir / "dbt-duckdb", workdir / "dbt-postgres"
        project.env.update(
            {
                "TARGET_POSTGRES_DATABASE": DATABASE,
                "DBT_DUCKDB_PATH": str(project.duckdb_path),
                "DBT_DUCKDB_TARGET_PATH": str(duckdb_target),
                "DBT_DUCKDB_LOG_PATH": str(duckdb_target / "logs"),
                "DBT_POSTGRES_HOST": "127.0.0.1",
                "DBT_POSTGRES_PORT": project.env["TARGET_POSTGRES_PORT"],
                "DBT_POSTGRES_DBNAME": DATABASE,
                "DBT_POSTGRES_TARGET_PATH": str(postgres_target),
                "DBT_POSTGRES_LOG_PATH": str(postgres_target / "logs"),
            }
        )
        tasks: list[str] = []
        for tap in TAPS:
            tasks += [tap, "target-duckdb", tap, "target-postgres"]
        project.run("run", *tasks, "dbt-duckdb:build", "dbt-postgres:build")
        yield Warehouses(project, sandbox, url, duckdb_target, postgres_target)
