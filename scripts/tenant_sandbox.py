"""Sandbox credentials for the tenants of a tenants.yml, shared by `make orchestrate` and the
tenant tests: each tenant gets a credential of its own (so its own sandbox workspace), set
in the environment variables its tenants.yml entry names."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "orchestration"))

from outreach_orchestration.tenants import TenantsFile  # noqa: E402
from outreach_sandbox import (  # noqa: E402
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
)


@dataclass
class SandboxTenants:
    settings: dict  # for SandboxClient.configure: every credential the sandbox accepts
    env: dict[str, str]  # credential variable -> value
    workspace: dict[str, str | int]  # tenant -> its workspace (for `expected`)


def sandbox_tenants(
    registry: TenantsFile, *, wrong: frozenset[str] = frozenset()
) -> SandboxTenants:
    """Credentials for every tenant; tenants named in ``wrong`` get a password or key the
    sandbox rejects (to prove that one tenant's failure leaves the others complete)."""
    keys = list(DEFAULT_SALESBLINK_KEYS)
    accounts = dict(DEFAULT_SALESFLOW_ACCOUNTS)
    users = dict(DEFAULT_SALESROCKS_USERS)
    env: dict[str, str] = {}
    workspace: dict[str, str | int] = {}
    counts = {"salesblink": 0, "salesflow": 0, "salesrocks": 0}
    for tenant in registry.tenants:
        n = counts[tenant.tool]
        counts[tenant.tool] += 1
        slug = tenant.name.replace("-", "_")
        if tenant.tool == "salesblink":
            if n >= len(keys):
                keys.append(f"sbk_sandbox_{slug}_{n}")
            values = {"api_key": keys[n]}
        elif tenant.tool == "salesflow":
            ids = sorted(accounts)
            if n >= len(ids):
                account = str(41001 + n)
                accounts[account] = f"sft_acc{account}_{slug}"
                ids = sorted(accounts)
            values = {"account_id": ids[n], "token": accounts[ids[n]]}
        else:
            names = list(users)
            if n >= len(names):
                users[f"{slug}@sandbox.sales.rocks"] = f"sr-pass-{slug}-{n}"
                names = list(users)
            values = {"username": names[n], "password": users[names[n]]}
        workspace[tenant.name] = values.get("account_id", n)
        if tenant.name in wrong:
            secret = "token" if tenant.tool == "salesflow" else next(iter(values))
            secret = "password" if tenant.tool == "salesrocks" else secret
            values = {**values, secret: values[secret] + "-revoked"}
        for setting, variable in tenant.credentials.items():
            env[variable] = values[setting]
    settings = {"salesblink_keys": keys, "salesflow_accounts": accounts, "salesrocks_users": users}
    return SandboxTenants(settings, env, workspace)
