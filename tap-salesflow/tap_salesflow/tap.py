"""tap-salesflow: settings (one account or many) and stream list; `cli` is the console script."""

from __future__ import annotations

from singer_sdk import typing as th

from outreach_kit.errors import ConfigurationError
from outreach_kit.tap import OutreachTap, common_properties
from tap_salesflow.streams import STREAM_TYPES

#: Salesflow account ids are numbers; users write them as numbers or as text (JSON, YAML).
ACCOUNT_ID = th.CustomType({"type": ["string", "integer"]})
ACCOUNT = th.ObjectType(
    th.Property("account_id", ACCOUNT_ID, required=True),
    th.Property("token", th.StringType, required=True, secret=True),
)


class TapSalesflow(OutreachTap):
    """Singer tap for Salesflow (LinkedIn outreach), for one account or many."""

    name = "tap-salesflow"
    stream_types = STREAM_TYPES

    config_jsonschema = th.PropertiesList(
        th.Property(
            "account_id",
            ACCOUNT_ID,
            description="Salesflow account id (one account), a number or text. Use "
            "`accounts` for several.",
        ),
        th.Property(
            "token",
            th.StringType,
            secret=True,
            description="API token of `account_id` (Settings > LinkedIn account "
            "settings > Account API token).",
        ),
        th.Property(
            "accounts",
            th.ArrayType(ACCOUNT),
            secret=True,
            description="Several accounts, each with its own token: "
            '[{"account_id": 7001, "token": "..."}] (ids as numbers or text).',
        ),
        th.Property(
            "statistics_api_url",
            th.StringType,
            default="https://app.salesflow.io/api",
            description="Base URL of GetCampaignStatistics (documented on the app host).",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            description="Earliest analytics day and incoming message on a first sync "
            "(analytics default: the last 365 days).",
        ),
        th.Property(
            "analytics_window_days",
            th.IntegerType,
            default=30,
            description="Days per analytics request (1-92).",
        ),
        th.Property(
            "analytics_lookback_days",
            th.IntegerType,
            default=3,
            description="Trailing days of analytics re-read on every sync.",
        ),
        *common_properties(api_url="https://mvc.salesflow.io/api"),
    ).to_dict()

    @property
    def tokens(self) -> dict[str, str]:
        """Account id to token, from `accounts` and/or `account_id` + `token`."""
        tokens = {str(a["account_id"]): str(a["token"]) for a in self.config.get("accounts") or []}
        if self.config.get("account_id"):
            tokens.setdefault(str(self.config["account_id"]), str(self.config.get("token") or ""))
        return tokens

    def check_settings(self) -> None:
        super().check_settings()
        tokens = self.tokens
        if not tokens:
            raise ConfigurationError(
                "No Salesflow account configured. Set 'accounts' to "
                '[{"account_id": "...", "token": "..."}] or set both \'account_id\' and \'token\'.'
            )
        for account_id, token in tokens.items():
            if not token.strip():
                raise ConfigurationError(
                    f"Account {account_id} has no token. Set its 'token' (in 'accounts', or the "
                    "'token' setting next to 'account_id')."
                )
        window = int(self.config.get("analytics_window_days", 30))
        if not 1 <= window <= 92:
            raise ConfigurationError(
                f"Setting 'analytics_window_days' must be between 1 and 92, got {window}."
            )
        if int(self.config.get("analytics_lookback_days", 3)) < 0:
            raise ConfigurationError("Setting 'analytics_lookback_days' must not be negative.")


#: The tap's CLI as a plain function, for code that imports the tap module (the console
#: script is `tap_salesflow:main`, which imports this module with the collector paused).
cli = TapSalesflow.main
