"""tenants.yml: checked when loaded, one clear paragraph per mistake, credentials only by name.

A tenant run's environment holds its own credentials and none inherited or another
tenant's; schedules come from meltano.yml.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from outreach_orchestration import runner, schedules, tenants

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "defaults": {"loader": "target-postgres", "environment": "dev", "max_concurrent": 3},
    "tenants": [
        {"name": "acme", "tool": "salesblink", "credentials": {"api_key": "ACME_KEY"}},
        {
            "name": "globex-li",
            "tool": "salesflow",
            "credentials": {"account_id": "GLOBEX_ACCOUNT", "token": "GLOBEX_TOKEN"},
        },
        {
            "name": "hooli",
            "tool": "salesrocks",
            "settings": {"campaign_ids": [101]},
            "credentials": {"username": "HOOLI_USER", "password": "HOOLI_PASSWORD"},
        },
    ],
}


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "tenants.yml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


def with_tenant(**changes: object) -> dict:
    first = {**GOOD["tenants"][0], **changes}
    return {**GOOD, "tenants": [first, *GOOD["tenants"][1:]]}


def test_project_tenants_file_loads():
    registry = tenants.load(ROOT / "tenants.yml")
    assert len(registry.tenants) >= 6
    assert {x.tool for x in registry.tenants} == set(tenants.TOOLS)
    assert registry.policy.loader == "target-postgres"


def test_good_file_and_run_environment(tmp_path):
    registry = tenants.load(write(tmp_path, GOOD))
    assert registry.policy == tenants.RunPolicy("target-postgres", "dev", 3)
    globex = registry.get("globex-li")
    environ = {
        "ACME_KEY": "key-of-acme",
        "GLOBEX_ACCOUNT": "41002",
        "GLOBEX_TOKEN": "tok-globex",
        "HOOLI_USER": "u",
        "HOOLI_PASSWORD": "p",
        "TAP_SALESFLOW_ACCOUNTS": '[{"account_id": "1", "token": "x"}]',
        "TAP_SALESBLINK_API_KEY": "inherited",
        "PATH": "/usr/bin",
    }
    env = runner.tenant_environment(globex, registry, environ)
    assert env["TAP_SALESFLOW_ACCOUNT_ID"] == "41002"
    assert env["TAP_SALESFLOW_TOKEN"] == "tok-globex"
    assert env["TAP_SALESFLOW_TENANT"] == "globex-li"
    # target-postgres retires across the shared table: no version from a tenant run.
    assert env["TAP_SALESFLOW_TENANT_DELETES"] == "false"
    assert env["PATH"] == "/usr/bin"
    # Nothing inherited that would read other accounts, no other tenant's secret.
    for name in (
        "TAP_SALESFLOW_ACCOUNTS",
        "TAP_SALESBLINK_API_KEY",
        "ACME_KEY",
        "GLOBEX_TOKEN",
        "HOOLI_PASSWORD",
    ):
        assert name not in env
    hooli = runner.tenant_environment(registry.get("hooli"), registry, environ)
    assert hooli["TAP_SALESROCKS_CAMPAIGN_IDS"] == "[101]"
    command = runner.command(globex, registry.policy, "meltano")
    assert command == [
        "meltano",
        "--environment=dev",
        "run",
        "--state-id-suffix=globex-li",
        "tap-salesflow",
        "target-postgres",
    ]
    assert "--force" not in command
    assert (
        runner.state_id(globex, registry.policy) == "dev:tap-salesflow-to-target-postgres:globex-li"
    )


def test_missing_variable_names_it_not_a_value(tmp_path):
    registry = tenants.load(write(tmp_path, GOOD))
    with pytest.raises(tenants.TenantsFileError, match="GLOBEX_TOKEN") as info:
        registry.get("globex-li").tap_env({"GLOBEX_ACCOUNT": "41002", "GLOBEX_TOKEN": " "})
    assert "globex-li" in str(info.value)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("tenants: [", "not valid YAML"),
        ({"tenants": {}}, "'tenants' list"),
        ({**GOOD, "extra": 1}, "unknown keys: extra"),
        (with_tenant(name="Acme Corp"), "needs a 'name'"),
        (with_tenant(tool="hubspot"), "tool 'hubspot'"),
        (with_tenant(credentials={"api_key": "sbk_live_9f8e7d6c5b4a"}), "NAME of an environment"),
        (with_tenant(credentials={"token": "X"}), "exactly the credential settings api_key"),
        (with_tenant(settings={"api_key": "x"}), "belong under 'credentials'"),
        (with_tenant(settings={"tenant": "other"}), "'tenant' under 'settings'"),
        (with_tenant(settings={"tenant_deletes": True}), "follows 'defaults.loader'"),
        (with_tenant(name="hooli"), "hooli appear more than once"),
        (with_tenant(credentials={"api_key": "HOOLI_PASSWORD"}), "more than one tenant"),
        ({**GOOD, "defaults": {"max_concurrent": 0}}, "'defaults.max_concurrent'"),
        ({**GOOD, "defaults": {"retries": "two"}}, "'defaults.retries'"),
        ({**GOOD, "defaults": {"parallel": 2}}, "Unknown key(s) under 'defaults'"),
        ({**GOOD, "defaults": {"loader": "target-duckdb"}}, "one writing process"),
    ],
)
def test_bad_files_fail_with_one_paragraph(tmp_path, content, fragment):
    path = write(tmp_path, content)
    with pytest.raises(tenants.TenantsFileError) as info:
        tenants.load(path)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert "sbk_live_9f8e7d6c5b4a" not in message  # a credential pasted by mistake is not echoed


def test_tenant_runs_into_duckdb_send_deletes_per_tenant(tmp_path):
    """target-duckdb retires an ACTIVATE_VERSION naming a tenant within that tenant's rows."""
    one_writer = {**GOOD, "defaults": {"loader": "target-duckdb", "max_concurrent": 1}}
    registry = tenants.load(write(tmp_path, one_writer))
    env = runner.tenant_environment(registry.get("acme"), registry, {"ACME_KEY": "k"})
    assert env["TAP_SALESBLINK_TENANT_DELETES"] == "true"


def test_missing_file(tmp_path):
    with pytest.raises(tenants.TenantsFileError, match="TENANTS_FILE"):
        tenants.load(tmp_path / "absent.yml")


def test_schedules_come_from_meltano_yml(tmp_path):
    found = schedules.tool_schedules(ROOT / "meltano.yml")
    daily = {s.tool: s.cron for s in found if s.name == "outreach-daily"}
    assert daily == {"salesblink": "0 0 * * *", "salesflow": "0 0 * * *", "salesrocks": "0 0 * * *"}
    project = {
        "jobs": [{"name": "flow", "tasks": ["tap-salesflow target-postgres"]}],
        "schedules": [
            {"name": "hourly-flow", "interval": "@hourly", "job": "flow"},
            {
                "name": "rocks",
                "cron_interval": "15 3 * * 1",
                "extractor": "tap-salesrocks",
                "loader": "target-postgres",
            },
            {"name": "manual", "interval": "@once", "job": "flow"},
        ],
    }
    path = tmp_path / "meltano.yml"
    path.write_text(yaml.safe_dump(project))
    assert schedules.tool_schedules(path) == [
        schedules.ToolSchedule("hourly-flow", "salesflow", "0 * * * *"),
        schedules.ToolSchedule("rocks", "salesrocks", "15 3 * * 1"),
    ]


def _fake_meltano(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "meltano"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def test_run_sees_own_credentials_masked_in_output(tmp_path, monkeypatch):
    registry = tenants.load(write(tmp_path, GOOD))
    fake = _fake_meltano(
        tmp_path,
        'echo "key=$TAP_SALESBLINK_API_KEY tenant=$TAP_SALESBLINK_TENANT '
        'sys=$MELTANO_SYS_DIR_ROOT args=$*"\n',
    )
    monkeypatch.setenv("OUTREACH_MELTANO", str(fake))
    environ = {"ACME_KEY": "key-of-acme-123", "PATH": os.environ["PATH"]}
    result = runner.run_tenant(registry.get("acme"), registry, environ=environ, root=tmp_path)
    assert result.ok, result.output
    assert "key=*** tenant=acme" in result.output
    assert "key-of-acme-123" not in result.output + result.summary()
    assert f"sys={tmp_path / '.meltano' / 'tenants' / 'acme'}" in result.output
    assert "args=--environment=dev run --state-id-suffix=acme tap-salesblink target-postgres" in (
        result.output
    )


def test_run_is_stopped_at_its_timeout(tmp_path, monkeypatch):
    content = {**GOOD, "defaults": {**GOOD["defaults"], "timeout_seconds": 1}}
    registry = tenants.load(write(tmp_path, content))
    pid_file = tmp_path / "child.pid"
    # Meltano's children (tap, loader) are stopped with it: the whole process group.
    child_seconds = 60  # were it not stopped, the run would last this long
    fake = _fake_meltano(tmp_path, f'sleep {child_seconds} &\necho $! > "{pid_file}"\nwait\n')
    monkeypatch.setenv("OUTREACH_MELTANO", str(fake))
    environ = {"ACME_KEY": "k", "PATH": os.environ["PATH"]}
    result = runner.run_tenant(registry.get("acme"), registry, environ=environ, root=tmp_path)
    assert result.returncode is None and not result.ok
    assert result.seconds < child_seconds  # stopped, not waited for
    assert "did not finish within 1s and was stopped (timeout_seconds)" in result.summary()
    assert not _running(int(pid_file.read_text()))  # the child went with it


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    for _ in range(20):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state == "Z":
            return False
        time.sleep(0.1)
    return True
