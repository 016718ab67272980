"""One workspace per credential: each SalesBlink key and Sales.Rocks login sees its own data.

A real SalesBlink API key belongs to one workspace and a Sales.Rocks login to one user, so
an agency's clients never see each other's lists. The sandbox's first credential of each
vendor (the defaults) keeps the data it always had; every further key or login gets a
workspace generated the same way from a seed derived from the sandbox seed and the
credential's position, so its ids and records differ. Salesflow is per account already:
each `accountId` has its own campaigns, members and messages.

Ground truth per workspace: ``GET /_sandbox/expected/{vendor}/{stream}/{workspace}``, with
the position of the key in ``salesblink_keys`` or of the login in ``salesrocks_users``
(0 = the default), or the Salesflow account id.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from outreach_sandbox.http import Request
    from outreach_sandbox.state import SandboxState

#: Vendors whose data is generated per credential (Salesflow partitions by account itself).
PER_CREDENTIAL = ("salesblink", "salesrocks")
_SEED_STRIDE = 100_003


class WorkspaceState:
    """The sandbox state as one workspace sees it: everything shared (clock, lock, tokens,
    settings, sizes) but the seed its data is generated from."""

    def __init__(self, state: SandboxState, seed: int) -> None:
        self._state = state
        self.seed = seed

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._state, name)


def workspace_seed(seed: int, index: int) -> int:
    """The seed of the ``index``-th credential's workspace (0: the sandbox seed itself)."""
    return seed + _SEED_STRIDE * index


def credentials(state: SandboxState, vendor: str) -> list[str]:
    """The credentials that own a workspace, in order (keys, or Sales.Rocks user names)."""
    if vendor == "salesblink":
        return list(state.salesblink_keys)
    if vendor == "salesrocks":
        return list(state.salesrocks_users)
    return []


def workspace_of(state: SandboxState, request: Request) -> int:
    """Position of the request's credential (0 when unknown: that workspace rejects it)."""
    if request.vendor == "salesblink":
        owner = request.headers.get("authorization", "")
    elif request.vendor == "salesrocks":
        owner = _salesrocks_user(state, request)
    else:
        return 0
    known = credentials(state, request.vendor)
    return known.index(owner) if owner in known else 0


def _salesrocks_user(state: SandboxState, request: Request) -> str:
    if request.path.rstrip("/") == "/auth/accessToken":
        body = request.body if isinstance(request.body, dict) else {}
        return str(body.get("username", ""))
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    with state.lock:
        info = state.tokens.get(token)
    return str(info["username"]) if info else ""


def expected_in(state: SandboxState, vendor: str, stream: str, workspace: str) -> list:
    """Every key a full sync of ``stream`` by one workspace's credential must land."""
    if vendor == "salesflow":
        keys = state.expected(vendor, stream)
        if workspace not in state.salesflow_accounts:
            raise ValueError(f"unknown Salesflow account {workspace!r}")
        # Keys lead with the account id (accounts: [account_id, Id]).
        return [k for k in keys if str(k[0]) == workspace]
    try:
        index = int(workspace)
    except ValueError:
        raise ValueError(f"workspace must be a credential position, got {workspace!r}") from None
    if not 0 <= index < len(credentials(state, vendor)):
        raise ValueError(f"no {vendor} credential at position {index}")
    with state.lock:
        return state.vendors.workspace(vendor, index).expected(stream)
