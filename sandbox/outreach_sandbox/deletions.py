"""Records the vendors delete as the clock moves, and bring back on request.

Off unless the ``deletions`` setting asks for it (``{"salesblink.lists": 1, ...}``: how many
of each kind every clock advance deletes; ``*_per_list`` / per-account kinds count within
each container). A deleted record is gone from the API as the vendor shows it: missing from
its listing, 404 on its own endpoints, its children gone with it (a list's leads, a
sequence's stats, a campaign's statistics and analytics; a Salesflow member leaves no trace
in `updatedFromDate` reads, as the API shows no deletes), and missing from the ground truth
(``expected``). ``advance(restore=True)`` first brings back every record deleted so far,
where it was. Victims are drawn from the seed and the advance number: reproducible.
"""

from __future__ import annotations

import typing as t
from collections import defaultdict

from outreach_sandbox.common import rng

if t.TYPE_CHECKING:
    from outreach_sandbox.state import SandboxState

#: Kinds accepted by the ``deletions`` setting.
DELETION_KINDS = frozenset(
    {
        "salesblink.lists",
        "salesblink.leads_per_list",
        "salesblink.sequences",
        "salesflow.campaigns",
        "salesflow.webhooks",
        "salesflow.members",
        "salesrocks.lists",
        "salesrocks.rows_per_list",
    }
)


class Deletions:
    """What the clock deleted: undo steps (for ``restore``) and the keys gone, per stream."""

    def __init__(self) -> None:
        self._undo: list[t.Callable[[], None]] = []
        #: (vendor, stream) -> keys deleted and not restored, as ``expected`` spells them.
        self.gone: dict[tuple[str, str], list] = defaultdict(list)
        #: SalesBlink sequences are hidden, not removed: events refer to them by position.
        self.hidden_sequences: set[str] = set()

    def remove(self, container: list, item: t.Any) -> None:
        index = container.index(item)
        del container[index]
        self._undo.append(lambda: container.insert(min(index, len(container)), item))

    def pop(self, mapping: dict, key: t.Any) -> None:
        value = mapping.pop(key)
        self._undo.append(lambda: mapping.__setitem__(key, value))

    def hide_sequence(self, sequence_id: str) -> None:
        self.hidden_sequences.add(sequence_id)
        self._undo.append(lambda: self.hidden_sequences.discard(sequence_id))

    def restore(self) -> None:
        """Bring back every deleted record, newest deletion undone first."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self.gone.clear()

    def deleted(self, vendor: str, stream: str) -> list:
        return list(self.gone.get((vendor, stream), []))


def delete_some(state: SandboxState, step: int) -> None:
    """Apply the ``deletions`` setting once (one clock advance)."""
    plan = state.deletions_per_advance
    if not plan:
        return
    _salesblink(state, plan, step)
    _salesflow(state, plan, step)
    _salesrocks(state, plan, step)


def _salesblink(state: SandboxState, plan: dict[str, int], step: int) -> None:
    sb, d = state.vendors["salesblink"], state.deletions
    r = rng(state.seed, "sb-delete", step)
    for lst in r.sample(sb.lists, min(plan.get("salesblink.lists", 0), len(sb.lists))):
        d.gone["salesblink", "lists"].append(lst["id"])
        d.gone["salesblink", "list_leads"] += [lead["id"] for lead in sb.leads[lst["id"]]]
        d.remove(sb.lists, lst)
        d.pop(sb.leads, lst["id"])
    for lst in sb.lists:
        leads = sb.leads[lst["id"]]
        for lead in r.sample(leads, min(plan.get("salesblink.leads_per_list", 0), len(leads))):
            d.gone["salesblink", "list_leads"].append(lead["id"])
            d.remove(leads, lead)
    live = [s for s in sb.sequences if s["id"] not in d.hidden_sequences]
    for seq in r.sample(live, min(plan.get("salesblink.sequences", 0), len(live))):
        d.gone["salesblink", "sequences"].append(seq["id"])
        d.gone["salesblink", "sequence_stats"].append(seq["id"])
        d.hide_sequence(seq["id"])
    refresh_counts(state)


def _salesflow(state: SandboxState, plan: dict[str, int], step: int) -> None:
    sf, d = state.vendors["salesflow"], state.deletions
    for account in sf.accounts.values():
        r = rng(state.seed, "sf-delete", account.id, step)
        a = account.id
        n = min(plan.get("salesflow.campaigns", 0), len(account.campaigns))
        for campaign in r.sample(account.campaigns, n):
            d.gone["salesflow", "campaigns"].append([a, campaign["Id"]])
            d.gone["salesflow", "campaign_statistics"].append([a, campaign["Id"]])
            d.remove(account.campaigns, campaign)
        n = min(plan.get("salesflow.webhooks", 0), len(account.webhooks))
        for hook in r.sample(account.webhooks, n):
            d.gone["salesflow", "webhooks"].append([a, hook["Id"]])
            d.remove(account.webhooks, hook)
        n = min(plan.get("salesflow.members", 0), len(account.members))
        for member_id in r.sample(sorted(account.members), n):
            d.gone["salesflow", "members"].append([a, member_id])
            d.pop(account.members, member_id)


def _salesrocks(state: SandboxState, plan: dict[str, int], step: int) -> None:
    sr, d = state.vendors["salesrocks"], state.deletions
    r = rng(state.seed, "sr-delete", step)
    for lst in r.sample(sr.lists, min(plan.get("salesrocks.lists", 0), len(sr.lists))):
        d.gone["salesrocks", "lists"].append(lst["uuid"])
        d.gone["salesrocks", "list_data"] += [row["_id"]["$oid"] for row in sr.rows[lst["uuid"]]]
        d.remove(sr.lists, lst)
        d.pop(sr.rows, lst["uuid"])
    for lst in sr.lists:
        rows = sr.rows[lst["uuid"]]
        for row in r.sample(rows, min(plan.get("salesrocks.rows_per_list", 0), len(rows))):
            d.gone["salesrocks", "list_data"].append(row["_id"]["$oid"])
            d.remove(rows, row)


def refresh_counts(state: SandboxState) -> None:
    """SalesBlink lists report their lead count: keep it true after deletes and restores."""
    sb = state.vendors["salesblink"]
    for lst in sb.lists:
        lst["contacts_count"] = len(sb.leads[lst["id"]])


def check_plan(plan: t.Any) -> dict[str, int]:
    """The ``deletions`` setting, validated: kind -> non-negative count."""
    if not isinstance(plan, dict):
        raise ValueError("deletions: an object of kind -> count per clock advance")
    unknown = set(plan) - DELETION_KINDS
    if unknown:
        raise ValueError(f"unknown deletions {sorted(unknown)}; one of {sorted(DELETION_KINDS)}")
    out = {kind: int(count) for kind, count in plan.items()}
    if any(count < 0 for count in out.values()):
        raise ValueError("deletions: counts must be >= 0")
    return out
