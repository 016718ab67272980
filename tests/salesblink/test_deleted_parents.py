"""A list or sequence deleted while a sync reads it: its leads or stats answer 404. The tap
asks the parent itself; gone too, the partition is skipped (counted) and the sync goes on.
A 404 on a parent that still exists fails the run as before."""

from __future__ import annotations

import pytest
from support import SALESBLINK_NO_EVENTS, catalog_selecting, run_tap, salesblink_settings

from outreach_kit.gone import PARENT_GONE
from outreach_sandbox import SandboxServer

QUIET = SALESBLINK_NO_EVENTS
config = salesblink_settings


def truth(server: SandboxServer, stream: str) -> set[str]:
    return set(server.control.expected("salesblink", stream)["keys"])


def landed(run, stream: str) -> list[str]:
    key = {"sequence_stats": "sequence_id", "prospects": "prospectID"}.get(stream, "id")
    return [r[key] for r in run.records(stream)]


def activated(run, stream: str) -> bool:
    return any(m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream for m in run.messages)


@pytest.fixture
def server():
    counts = {**QUIET, "salesblink.lists": 5, "salesblink.leads_per_list": 250}
    counts |= {"salesblink.campaigns": 4, "salesblink.prospects_per_campaign": 30}
    with SandboxServer(seed=95, scale=0.05, counts=counts | {"salesblink.sequences": 4}) as s:
        yield s


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize(("after", "read_first"), [(0, 0), (1, 100)], ids=["before", "mid-list"])
def test_a_list_deleted_before_or_while_its_leads_are_read_is_skipped(
    server, concurrency, after, read_first
):
    lists = sorted(truth(server, "lists"))
    gone = lists[2]
    fault = {"vendor": "salesblink", "path": f"/lists/{gone}/leads", "kind": "delete_parent"}
    server.control.add_faults([{**fault, "after": after}])
    before = truth(server, "list_leads")
    run = run_tap("tap-salesblink", config(server.url, concurrency=concurrency))
    assert run.returncode == 0, run.stderr[-2000:]
    got = landed(run, "list_leads")
    assert len(got) == len(set(got)), "no lead emitted twice"
    live = truth(server, "list_leads")
    assert live <= set(got), "every lead of every other list landed"
    assert len(set(got) - live) == read_first  # leads read before the list went
    assert set(got) <= before
    assert activated(run, "list_leads"), "the read completed: its table version activates"
    assert f"the parent /lists/{gone} was deleted during the sync" in run.stderr
    assert f"list_leads: 1 {PARENT_GONE}" in run.stderr  # the WARNING at the end


def test_a_sequence_deleted_before_its_stats_are_read_is_skipped(server):
    gone = sorted(truth(server, "sequences"))[1]
    path = f"/sequences/{gone}/stats"
    server.control.add_faults([{"vendor": "salesblink", "path": path, "kind": "delete_parent"}])
    run = run_tap("tap-salesblink", config(server.url))
    assert run.returncode == 0, run.stderr[-2000:]
    assert set(landed(run, "sequence_stats")) == truth(server, "sequence_stats")
    assert gone not in landed(run, "sequence_stats")
    assert f"sequence_stats: 1 {PARENT_GONE}" in run.stderr


def test_a_404_on_the_leads_of_a_list_that_still_exists_fails_clearly(server):
    listed = sorted(truth(server, "lists"))[0]
    path = f"/lists/{listed}/leads"
    server.control.add_faults([{"vendor": "salesblink", "path": path, "kind": "404"}])
    run = run_tap("tap-salesblink", config(server.url))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert f"SalesBlink answered /salesblink/api/public/v1.0.0{path} with HTTP 404" in last
    assert "Traceback" not in run.stderr
    assert not activated(run, "list_leads"), "a failed read retires nothing"


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_legacy_campaign_deleted_before_its_prospects_are_read_is_skipped(server, concurrency):
    """The legacy API's "Get a Specific Campaign" tells a deleted campaign from a 404 on
    its prospects alone."""
    settings = config(server.url, concurrency=concurrency)
    catalog = catalog_selecting("tap-salesblink", settings, {"campaigns", "prospects"})
    gone = sorted(truth(server, "campaigns"))[1]
    fault = {"vendor": "salesblink", "path": f"/prospects/{gone}", "kind": "delete_parent"}
    server.control.add_faults([fault])
    run = run_tap("tap-salesblink", settings, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(landed(run, "prospects")) == sorted(truth(server, "prospects"))
    assert f"the parent /campaign/{gone} was deleted during the sync" in run.stderr
    assert f"prospects: 1 {PARENT_GONE}" in run.stderr
    assert activated(run, "prospects")


def test_a_404_on_the_prospects_of_a_campaign_that_still_exists_fails_clearly(server):
    settings = config(server.url)
    catalog = catalog_selecting("tap-salesblink", settings, {"campaigns", "prospects"})
    path = f"/prospects/{sorted(truth(server, 'campaigns'))[0]}"
    server.control.add_faults([{"vendor": "salesblink", "path": path, "kind": "404"}])
    run = run_tap("tap-salesblink", settings, catalog=catalog)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert f"SalesBlink answered /salesblink/api{path} with HTTP 404" in last
    assert "Traceback" not in run.stderr
    assert not activated(run, "prospects"), "a failed read retires nothing"
