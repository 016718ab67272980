"""What OutreachTap gives every tap: discovery from its stream list, the console script,
and the refusal of required text settings left blank."""

from __future__ import annotations

import pytest
from support import run_tap

from outreach_kit.errors import ConfigurationError
from outreach_kit.rejects import STREAM_NAME
from tap_salesblink.streams import STREAM_TYPES as SALESBLINK_STREAMS
from tap_salesblink.tap import TapSalesBlink
from tap_salesflow.tap import TapSalesflow
from tap_salesrocks.tap import TapSalesRocks

URL = "https://sandbox.invalid"


@pytest.mark.parametrize(
    ("tap_class", "config", "setting"),
    [
        (TapSalesBlink, {"api_key": "  "}, "api_key"),
        (TapSalesRocks, {"username": "", "password": "p"}, "username"),
        (TapSalesRocks, {"username": "u", "password": " \t"}, "password"),
    ],
)
def test_a_blank_required_text_setting_is_refused_naming_it(tap_class, config, setting):
    with pytest.raises(ConfigurationError) as raised:
        tap_class(config={**config, "api_url": URL})
    env = f"{tap_class.name.upper().replace('-', '_')}_{setting.upper()}"
    assert str(raised.value) == (
        f"Setting '{setting}' is empty. Set it (meltano config set {tap_class.name} "
        f"{setting} ..., or {env})."
    )


def test_optional_and_non_text_settings_are_not_required():
    tap = TapSalesflow(config={"account_id": 7, "token": "t", "api_url": URL, "tenant": ""})
    assert tap.tokens == {"7": "t"}


def test_discovery_is_the_stream_list_plus_rejected_records():
    tap = TapSalesBlink(config={"api_key": "k", "api_url": URL})
    assert sorted(tap.streams) == sorted([s.name for s in SALESBLINK_STREAMS] + [STREAM_NAME])
    assert [type(s) for s in tap.discover_streams()] == SALESBLINK_STREAMS


def test_the_console_script_reports_a_blank_setting_in_one_line():
    run = run_tap("tap-salesblink", {"api_key": "", "api_url": URL})
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "tap-salesblink: error: Setting 'api_key' is empty. Set it (meltano config set "
        "tap-salesblink api_key ..., or TAP_SALESBLINK_API_KEY)."
    )
    assert run.messages == []
