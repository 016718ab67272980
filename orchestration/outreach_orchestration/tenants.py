"""tenants.yml: which accounts run, with which tool, and where their credentials live.

The file names environment variables, never credentials: the orchestrator's secret store
(Kubernetes secrets, Vault, a .env file on one machine) sets them. Every mistake is found
when the file is loaded, before any run starts, and reported in one paragraph naming the
tenant and the key at fault. Standard library and PyYAML only: tests and the orchestrator
both load it.
"""

from __future__ import annotations

import json
import os
import re
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: Each tool's tap and the credential settings a tenant must map to environment variables.
TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "salesblink": ("tap-salesblink", ("api_key",)),
    "salesflow": ("tap-salesflow", ("account_id", "token")),
    "salesrocks": ("tap-salesrocks", ("username", "password")),
}
#: Settings a tenant may not set in `settings`: credentials go through `credentials`, the
#: tenant name is the tenant's own, and `accounts` would read other accounts in its run.
RESERVED_SETTINGS = frozenset(
    {
        "tenant",
        "tenant_deletes",
        "accounts",
        "api_key",
        "token",
        "password",
        "username",
        "account_id",
        "proxy_url",
    }
)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
SETTING_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Loaders that accept one writing process only (DuckDB: one writer per file).
SINGLE_WRITER_LOADERS = frozenset({"target-duckdb"})
#: Loaders that retire an ACTIVATE_VERSION naming a tenant within that tenant's rows only
#: (loader-duckdb/tenants.py); tenant runs into them get `tenant_deletes`. Others (meltanolabs
#: target-postgres) retire across the whole table, so tenant runs send them no version.
TENANT_SCOPED_LOADERS = frozenset({"target-duckdb"})


class TenantsFileError(ValueError):
    """tenants.yml is missing, unreadable or wrong; the message says what to fix."""


@dataclass(frozen=True)
class RunPolicy:
    """How tenant runs are executed (the `defaults` section)."""

    loader: str = "target-postgres"
    environment: str = "prod"
    max_concurrent: int = 4
    timeout_seconds: float = 3600.0
    retries: int = 2
    retry_delay_seconds: float = 300.0


@dataclass(frozen=True)
class Tenant:
    """One account: its name (the Meltano state id suffix and the `tenant` column)."""

    name: str
    tool: str
    credentials: dict[str, str]  # setting -> name of the environment variable holding it
    settings: dict[str, t.Any] = field(default_factory=dict)

    @property
    def tap(self) -> str:
        return TOOLS[self.tool][0]

    @property
    def env_prefix(self) -> str:
        return self.tap.upper().replace("-", "_") + "_"

    def tap_env(self, environ: t.Mapping[str, str]) -> dict[str, str]:
        """The tap's settings as Meltano environment variables, credentials resolved.

        A variable that is unset or empty is an error naming the tenant and the variable
        (never its value)."""
        env = {f"{self.env_prefix}TENANT": self.name}
        for setting, variable in self.credentials.items():
            value = environ.get(variable, "")
            if not value.strip():
                raise TenantsFileError(
                    f"Tenant '{self.name}' ({self.tool}): environment variable {variable} "
                    f"(its '{setting}') is not set or empty. Set it in the orchestrator's "
                    "secrets for this tenant, or remove the tenant from tenants.yml."
                )
            env[f"{self.env_prefix}{setting.upper()}"] = value
        for setting, value in self.settings.items():
            text = value if isinstance(value, str) else json.dumps(value)
            env[f"{self.env_prefix}{setting.upper()}"] = text
        return env


@dataclass(frozen=True)
class TenantsFile:
    path: Path
    policy: RunPolicy
    tenants: tuple[Tenant, ...]

    def of_tool(self, tool: str) -> list[Tenant]:
        return [x for x in self.tenants if x.tool == tool]

    def get(self, name: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.name == name:
                return tenant
        raise TenantsFileError(f"No tenant named '{name}' in {self.path}.")

    def credential_variables(self) -> set[str]:
        """Every environment variable any tenant's credentials live in."""
        return {v for x in self.tenants for v in x.credentials.values()}


def default_path() -> Path:
    """`TENANTS_FILE`, else tenants.yml at the project root."""
    configured = os.environ.get("TENANTS_FILE")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "tenants.yml"


def load(path: Path | None = None) -> TenantsFile:
    """Read and check tenants.yml (see the file's header for its shape)."""
    path = Path(path) if path is not None else default_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TenantsFileError(
            f"Cannot read the tenants file {path}: {exc.strerror}. Create it (see tenants.yml "
            "at the project root) or point TENANTS_FILE at it."
        ) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise TenantsFileError(f"The tenants file {path} is not valid YAML{line}.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("tenants"), list):
        raise TenantsFileError(
            f"The tenants file {path} must be a mapping with a 'tenants' list (and optional "
            "'defaults')."
        )
    unknown = sorted(set(raw) - {"defaults", "tenants"})
    if unknown:
        raise TenantsFileError(f"The tenants file {path} has unknown keys: {', '.join(unknown)}.")
    policy = _policy(raw.get("defaults") or {}, path)
    tenants = tuple(_tenant(item, i, path) for i, item in enumerate(raw["tenants"], 1))
    names = [x.name for x in tenants]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise TenantsFileError(
            f"Tenant names must be unique in {path} (each names its own Meltano state): "
            f"{', '.join(repeated)} appear more than once."
        )
    shared = _shared_variables(tenants)
    if shared:
        raise TenantsFileError(
            f"Environment variable(s) {', '.join(shared)} hold credentials of more than one "
            f"tenant in {path}: give each tenant its own, so that one account's secret never "
            "reaches another's run."
        )
    return TenantsFile(path, policy, tenants)


def _policy(raw: t.Any, path: Path) -> RunPolicy:
    if not isinstance(raw, dict):
        raise TenantsFileError(f"'defaults' in {path} must be a mapping.")
    known = set(RunPolicy.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise TenantsFileError(
            f"Unknown key(s) under 'defaults' in {path}: {', '.join(unknown)}; known: "
            f"{', '.join(sorted(known))}."
        )
    values: dict[str, t.Any] = {}
    for key, value in raw.items():
        default = getattr(RunPolicy, key)
        if isinstance(default, str):
            ok = isinstance(value, str) and bool(value.strip())
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
            ok = ok and (key not in ("max_concurrent", "timeout_seconds") or value > 0)
            ok = ok and (not isinstance(default, int) or float(value).is_integer())
        if not ok:
            raise TenantsFileError(
                f"'defaults.{key}' in {path} must be a {type(default).__name__}"
                f"{' > 0' if key in ('max_concurrent', 'timeout_seconds') else ''}, got {value!r}."
            )
        values[key] = type(default)(value)
    policy = RunPolicy(**values)
    if policy.loader in SINGLE_WRITER_LOADERS and policy.max_concurrent > 1:
        raise TenantsFileError(
            f"'defaults.loader' {policy.loader} in {path} accepts one writing process per "
            "file, so tenants cannot load in parallel: use target-postgres, or set "
            "'max_concurrent: 1'."
        )
    return policy


def _tenant(raw: t.Any, index: int, path: Path) -> Tenant:
    where = f"tenant #{index} in {path}"
    if not isinstance(raw, dict):
        raise TenantsFileError(f"The {where} must be a mapping with name, tool and credentials.")
    unknown = sorted(set(raw) - {"name", "tool", "credentials", "settings"})
    if unknown:
        raise TenantsFileError(f"The {where} has unknown keys: {', '.join(unknown)}.")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise TenantsFileError(
            f"The {where} needs a 'name' of lower-case letters, digits, '-' and '_' (at most "
            f"63, starting with a letter or digit), got {name!r}: it becomes the Meltano state "
            "id suffix and the `tenant` column."
        )
    where = f"tenant '{name}' in {path}"
    tool = raw.get("tool")
    if tool not in TOOLS:
        raise TenantsFileError(
            f"The {where} has tool {tool!r}; use one of {', '.join(sorted(TOOLS))}."
        )
    required = TOOLS[tool][1]
    credentials = raw.get("credentials")
    if not isinstance(credentials, dict) or set(credentials) != set(required):
        got = sorted(credentials) if isinstance(credentials, dict) else credentials
        raise TenantsFileError(
            f"The {where} must map exactly the credential settings {', '.join(required)} of "
            f"{tool} to environment variable names under 'credentials' (got {got!r})."
        )
    for setting, variable in credentials.items():
        if not isinstance(variable, str) or not ENV_NAME.match(variable):
            raise TenantsFileError(
                f"'credentials.{setting}' of the {where} must be the NAME of an environment "
                "variable (UPPER_CASE letters, digits, '_'), not the credential itself."
            )
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        raise TenantsFileError(f"'settings' of the {where} must be a mapping.")
    for setting in settings:
        if not isinstance(setting, str) or not SETTING_NAME.match(setting):
            raise TenantsFileError(f"The {where} has a bad setting name {setting!r}.")
        if setting in RESERVED_SETTINGS:
            raise TenantsFileError(
                f"The {where} sets '{setting}' under 'settings': credentials belong under "
                "'credentials' (as environment variable names), the tenant's name is "
                "'name', and 'tenant_deletes' follows 'defaults.loader' (on for target-duckdb, "
                "which retires per tenant; off for target-postgres)."
            )
    return Tenant(name, tool, dict(credentials), dict(settings))


def _shared_variables(tenants: t.Iterable[Tenant]) -> list[str]:
    owners: dict[str, set[str]] = {}
    for tenant in tenants:
        for variable in tenant.credentials.values():
            owners.setdefault(variable, set()).add(tenant.name)
    return sorted(v for v, names in owners.items() if len(names) > 1)
