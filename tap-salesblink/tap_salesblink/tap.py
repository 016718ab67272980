"""tap-salesblink: settings, stream list and the console entry point."""

from __future__ import annotations

from singer_sdk import typing as th

from outreach_kit.cli import run
from outreach_kit.errors import ConfigurationError
from outreach_kit.tap import OutreachTap, common_properties
from tap_salesblink.streams import STREAM_TYPES


class TapSalesBlink(OutreachTap):
    """Singer tap for SalesBlink: lists, leads, sequences, users and email activity."""

    name = "tap-salesblink"

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

    def discover_streams(self) -> list:
        return [stream_class(tap=self) for stream_class in STREAM_TYPES]

    def check_settings(self) -> None:
        super().check_settings()
        if not str(self.config.get("api_key") or "").strip():
            raise ConfigurationError(
                "Setting 'api_key' is empty. Set it to your SalesBlink API key "
                "(meltano config set tap-salesblink api_key ..., or TAP_SALESBLINK_API_KEY)."
            )
        days = self.config.get("activity_window_days")
        if days is not None and int(days) < 1:
            raise ConfigurationError(
                f"Setting 'activity_window_days' must be at least 1, got {days}."
            )


def cli() -> None:
    """Console script `tap-salesblink`."""
    run(TapSalesBlink)


if __name__ == "__main__":
    cli()
