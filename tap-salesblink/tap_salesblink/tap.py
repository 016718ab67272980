"""tap-salesblink: settings and stream list; `cli` is the console script."""

from __future__ import annotations

from singer_sdk import typing as th

from outreach_kit.errors import ConfigurationError
from outreach_kit.tap import OutreachTap, common_properties
from tap_salesblink.streams import STREAM_TYPES


class TapSalesBlink(OutreachTap):
    """Singer tap for SalesBlink: lists, leads, sequences, users and email activity."""

    name = "tap-salesblink"
    stream_types = STREAM_TYPES

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_key",
            th.StringType,
            required=True,
            secret=True,
            description="SalesBlink API key (Account Settings > Integrations), sent as the raw "
            "Authorization header.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            description="Earliest activity (sent, opens, clicks, replies) to extract on the "
            "first sync. Empty means all history.",
        ),
        th.Property(
            "sequence_ids",
            th.ArrayType(th.StringType),
            description="Only extract activity of these sequences (one state partition each).",
        ),
        th.Property(
            "activity_window_days",
            th.IntegerType,
            default=7,
            description="Days per activity window until the first full page shows the feed's "
            "density; windows are then sized from it. State is saved after each window.",
        ),
        *common_properties(api_url="https://run.salesblink.io/api", rate_limit=30),
    ).to_dict()

    def check_settings(self) -> None:
        super().check_settings()
        days = self.config.get("activity_window_days")
        if days is not None and int(days) < 1:
            raise ConfigurationError(
                f"Setting 'activity_window_days' must be at least 1, got {days}."
            )


#: The tap's CLI as a plain function, for code that imports the tap module (the console
#: script is `tap_salesblink:main`, which imports this module with the collector paused).
cli = TapSalesBlink.main
