"""tap-salesblink against what the SalesBlink spec says of `sendAll` and `/users` (issue 13)."""

from __future__ import annotations

from support import run_tap, salesblink_settings

from outreach_sandbox import SandboxServer

SELECT = ("lists", "sequences", "sequence_stats", "users")


def config(url: str, **extra) -> dict:
    return salesblink_settings(url, start_date="2026-10-31", **extra)


def expected(server: SandboxServer, stream: str) -> set[str]:
    return set(server.control.expected("salesblink", stream)["keys"])


def test_archived_sequences_and_their_stats_land():
    """Seed 42 holds 2 archived sequences of 8 and 1 archived list of 6."""
    with SandboxServer(seed=42, scale=1) as server:
        data = server.state.vendors["salesblink"]
        archived = {s["id"] for s in data.sequences if s["archived"]}
        assert len(archived) == 2 and sum(x["archived"] for x in data.lists) == 1
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        sequences = [r["id"] for r in run.records("sequences")]
        assert sorted(sequences) == sorted(expected(server, "sequences")) and len(sequences) == 8
        assert archived <= set(sequences)
        stats = [r["sequence_id"] for r in run.records("sequence_stats")]
        assert sorted(stats) == sorted(expected(server, "sequences"))
        lists = [r["id"] for r in run.records("lists")]
        assert sorted(lists) == sorted(expected(server, "lists")) and len(lists) == 6
        assert {r["id"]: r["archived"] for r in run.records("sequences")} == {
            s["id"]: s["archived"] for s in data.sequences
        }
        calls = [r["query"] for r in server.control.requests() if r["path"].endswith("/sequences")]
        assert calls and all(q.get("sendAll") == "true" for q in calls)


def test_no_users_warns_that_the_key_may_not_be_admin():
    with SandboxServer(seed=42, scale=0.2, modes={"salesblink_key_role": "user"}) as server:
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.records("users") == []
        warnings = [line for line in run.stderr.splitlines() if "listed no users" in line]
        assert len(warnings) == 1 and "WARNING" in warnings[0]
        assert "owner, admin or client" in warnings[0] and "'api_key'" in warnings[0]
        assert sorted(r["id"] for r in run.records("sequences")) == sorted(
            expected(server, "sequences")
        )


def test_users_listed_no_warning():
    with SandboxServer(seed=42, scale=0.2) as server:
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        assert {r["id"] for r in run.records("users")} == expected(server, "users")
        assert "listed no users" not in run.stderr
