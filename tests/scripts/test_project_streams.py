"""The scripts' stream lists and keys come from the taps and meltano.yml, not a copy."""

from __future__ import annotations

import project_streams
from pipeline import DEFAULT_STREAMS, SANDBOX_CREDENTIALS, TAPS
from project_streams import primary_keys, selected

from outreach_sandbox import DEFAULT_SALESBLINK_KEYS, DEFAULT_SALESROCKS_USERS
from tap_salesblink.streams import STREAM_TYPES


def test_salesblink_selects_what_meltano_yml_selects_in_discovery_order():
    rules = project_streams._select_rules()["tap-salesblink"]
    assert "rejected_records.*" in rules  # in meltano.yml, but not a vendor stream
    assert DEFAULT_STREAMS["salesblink"] == tuple(
        r.split(".")[0] for r in rules if r != "rejected_records.*"
    )
    assert {"campaigns", "prospects", "team_members"}.isdisjoint(DEFAULT_STREAMS["salesblink"])


def test_a_tap_without_select_rules_selects_every_stream():
    assert project_streams._select_rules()["tap-salesrocks"] == ["*.*"]
    assert DEFAULT_STREAMS["salesrocks"] == ("lists", "list_data", "campaign_statistics")
    assert list(DEFAULT_STREAMS) == [t.removeprefix("tap-") for t in TAPS]


def test_select_rules_match_by_pattern_and_exclude_only_whole_streams():
    names = [s.name for s in STREAM_TYPES]
    assert selected("salesblink", ["*.*", "!campaigns.*", "!lists.email"]) == tuple(
        n for n in names if n != "campaigns"
    )
    assert selected("salesblink", ["list*.*", "users.id"]) == ("lists", "list_leads", "users")
    assert selected("salesblink", ["nothing.*"]) == ()


def test_keys_are_the_stream_classes_own():
    keys = primary_keys("salesblink")
    assert keys["sequence_stats"] == ("sequence_id",)
    assert keys["campaigns"] == ("campaignID",)
    assert primary_keys("salesflow")["campaign_analytics"] == ("account_id", "CampaignId", "Date")


def test_sandbox_credentials_are_the_sandboxs_defaults():
    user, password = next(iter(DEFAULT_SALESROCKS_USERS.items()))
    assert SANDBOX_CREDENTIALS["TAP_SALESBLINK_API_KEY"] == DEFAULT_SALESBLINK_KEYS[0]
    assert SANDBOX_CREDENTIALS["TAP_SALESROCKS_USERNAME"] == user
    assert SANDBOX_CREDENTIALS["TAP_SALESROCKS_PASSWORD"] == password
