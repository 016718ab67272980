"""One tenant's run: `meltano run --state-id-suffix=<tenant> <tap> <loader>`, bounded in time.

The tenant's process sees its own credentials only: every tap setting inherited from the
environment (`TAP_SALESFLOW_ACCOUNTS`, another tenant's key...) and every variable tenants.yml
names for any tenant are removed, then the tenant's are mapped onto the tap's settings. The
run never uses `--force`: Meltano refuses a second run of the same state id while one is
recorded as running in its system database (PostgreSQL when several machines run tenants).
Output is returned with the tenant's credential values masked.

Each tenant gets its own Meltano system directory (`.meltano/tenants/<name>`, see
`tenant_sys_dir`): Meltano writes a tap's discovered catalog to `.meltano/run/<plugin>/`,
one file per plugin, and tenants of one tap running at once on one machine would write
and read it at the same time ("Invalid catalog"). The installed plugins are shared through
symlinks, and the system database stays the shared one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

from outreach_orchestration.tenants import (
    TENANT_SCOPED_LOADERS,
    TOOLS,
    RunPolicy,
    Tenant,
    TenantsFile,
)

#: What Meltano prints when the state id already has a running run (its guard).
ALREADY_RUNNING = "pipeline is already running"
_GRACE_SECONDS = 20.0
#: Folders of `.meltano` holding installed plugins, shared by every tenant's system dir.
_SHARED_DIRS = ("extractors", "loaders", "mappers", "utilities", "transformers", "files")


def project_root() -> Path:
    """`OUTREACH_PROJECT_ROOT`, else the repository this package lives in."""
    configured = os.environ.get("OUTREACH_PROJECT_ROOT")
    return Path(configured) if configured else Path(__file__).resolve().parents[2]


def meltano_executable(root: Path) -> str:
    """`OUTREACH_MELTANO`, else the project's own Meltano (`make install`)."""
    return os.environ.get("OUTREACH_MELTANO") or str(root / ".venv-meltano" / "bin" / "meltano")


def state_id(tenant: Tenant, policy: RunPolicy) -> str:
    """The Meltano state id of the tenant's pipeline."""
    return f"{policy.environment}:{tenant.tap}-to-{policy.loader}:{tenant.name}"


def command(tenant: Tenant, policy: RunPolicy, meltano: str) -> list[str]:
    return [
        meltano,
        f"--environment={policy.environment}",
        "run",
        f"--state-id-suffix={tenant.name}",
        tenant.tap,
        policy.loader,
    ]


def tenant_environment(
    tenant: Tenant, tenants: TenantsFile, environ: t.Mapping[str, str]
) -> dict[str, str]:
    """The environment of the tenant's Meltano process (see module docstring)."""
    prefixes = tuple(tap.upper().replace("-", "_") + "_" for tap, _ in TOOLS.values())
    foreign = tenants.credential_variables()
    env = {k: v for k, v in environ.items() if not k.startswith(prefixes) and k not in foreign}
    env.update(tenant.tap_env(environ))
    # Deletes reach the warehouse only where the loader retires per tenant.
    deletes = tenants.policy.loader in TENANT_SCOPED_LOADERS
    env[f"{tenant.env_prefix}TENANT_DELETES"] = "true" if deletes else "false"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def tenant_sys_dir(root: Path, tenant: Tenant, environ: t.Mapping[str, str]) -> dict[str, str]:
    """Environment giving the tenant a Meltano system directory of its own (run files,
    logs) that shares the project's installed plugins and system database."""
    shared = Path(environ.get("MELTANO_SYS_DIR_ROOT") or root / ".meltano")
    own = shared / "tenants" / tenant.name
    own.mkdir(parents=True, exist_ok=True)
    for name in _SHARED_DIRS:
        link = own / name
        if (shared / name).is_dir() and not link.is_symlink():
            link.symlink_to(Path("..", "..", name), target_is_directory=True)
    env = {"MELTANO_SYS_DIR_ROOT": str(own)}
    if not environ.get("MELTANO_DATABASE_URI"):  # the default database is in the system dir
        env["MELTANO_DATABASE_URI"] = f"sqlite:///{shared / 'meltano.db'}"
    return env


@dataclass
class RunResult:
    tenant: str
    state_id: str
    returncode: int | None  # None: stopped at the timeout
    seconds: float
    output: str  # stdout and stderr, credentials masked

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def refused_as_running(self) -> bool:
        return ALREADY_RUNNING in self.output

    def summary(self) -> str:
        """One paragraph for the orchestrator's log and failure message."""
        if self.ok:
            return f"Tenant '{self.tenant}' synced in {self.seconds:.1f}s (state {self.state_id})."
        if self.returncode is None:
            what = f"did not finish within {self.seconds:.0f}s and was stopped (timeout_seconds)"
        elif self.refused_as_running:
            what = "was refused: Meltano records a run of this state id as still running"
        else:
            what = f"failed (meltano exit code {self.returncode})"
        tail = [line for line in self.output.splitlines() if line.strip()][-8:]
        return (
            f"Tenant '{self.tenant}' run {what}. State {self.state_id} keeps what earlier runs "
            "saved; the next run resumes from it. Last output:\n" + "\n".join(tail)
        )


def run_tenant(
    tenant: Tenant,
    tenants: TenantsFile,
    *,
    environ: t.Mapping[str, str] | None = None,
    root: Path | None = None,
    on_start: t.Callable[[int], None] | None = None,
) -> RunResult:
    """Run the tenant's pipeline once, stopping it (whole process group) at the timeout."""
    policy = tenants.policy
    root = root or project_root()
    source = os.environ if environ is None else environ
    env = tenant_environment(tenant, tenants, source)
    env.update(tenant_sys_dir(root, tenant, source))
    secrets = [
        env[k]
        for k in env
        if k.startswith(tenant.env_prefix)
        and k[len(tenant.env_prefix) :].lower() in tenant.credentials
    ]
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as out:
        process = subprocess.Popen(
            command(tenant, policy, meltano_executable(root)),
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if on_start is not None:
            on_start(process.pid)
        try:
            returncode: int | None = process.wait(timeout=policy.timeout_seconds)
        except subprocess.TimeoutExpired:
            _stop(process)
            returncode = None
        out.seek(0)
        output = out.read()
    for secret in secrets:
        output = output.replace(secret, "***")
    return RunResult(
        tenant.name, state_id(tenant, policy), returncode, time.monotonic() - started, output
    )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to Meltano, its tap and its loader (Meltano then records the run as failed,
    so the next run is not refused), SIGKILL after a grace period."""
    for sig, wait in ((signal.SIGTERM, _GRACE_SECONDS), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
