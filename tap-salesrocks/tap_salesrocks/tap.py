"""tap-salesrocks: settings, stream list and the shared login; `cli` is the console script."""

from __future__ import annotations

from singer_sdk import typing as th

from outreach_kit.errors import ConfigurationError
from outreach_kit.tap import OutreachTap, common_properties
from outreach_kit.transport import GuardedSession
from tap_salesrocks.auth import SalesRocksAuthenticator
from tap_salesrocks.paging import DEFAULT_PAGE_SIZE
from tap_salesrocks.streams import STREAM_TYPES

MAX_PAGE_SIZE = 1000


class TapSalesRocks(OutreachTap):
    """Singer tap for Sales.Rocks: editable lists, list data, drip campaign statistics."""

    name = "tap-salesrocks"
    stream_types = STREAM_TYPES

    config_jsonschema = th.PropertiesList(
        th.Property(
            "username",
            th.StringType,
            required=True,
            description="Sales.Rocks login (the app.sales.rocks user name).",
        ),
        th.Property(
            "password",
            th.StringType,
            required=True,
            secret=True,
            description="Sales.Rocks password, exchanged for 60-minute bearer tokens.",
        ),
        th.Property(
            "campaign_ids",
            th.ArrayType(th.IntegerType),
            description="Drip campaign ids to report statistics for (the API cannot "
            "list campaigns).",
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=DEFAULT_PAGE_SIZE,
            description=f"Rows per page of getLists and getListData (1-{MAX_PAGE_SIZE}).",
        ),
        th.Property(
            "token_refresh_margin_seconds",
            th.NumberType,
            default=300,
            description="Refresh the access token this long before it expires (at most "
            "a tenth of its lifetime).",
        ),
        *common_properties(api_url="https://api.sales.rocks"),
    ).to_dict()

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._authenticator: SalesRocksAuthenticator | None = None
        super().__init__(*args, **kwargs)

    @property
    def authenticator(self) -> SalesRocksAuthenticator:
        """One login for the whole run, shared by every stream."""
        if self._authenticator is None:
            self._authenticator = SalesRocksAuthenticator(
                api_url=str(self.config["api_url"]),
                username=str(self.config["username"]),
                password=str(self.config["password"]),
                timeout=int(self.config.get("request_timeout") or 60),
                refresh_margin_s=float(self.config.get("token_refresh_margin_seconds") or 0),
                session=GuardedSession.for_config(self.config, self.logger),
            )
        return self._authenticator

    def check_settings(self) -> None:
        super().check_settings()
        size = int(self.config.get("page_size") or DEFAULT_PAGE_SIZE)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ConfigurationError(
                f"Setting 'page_size' must be between 1 and {MAX_PAGE_SIZE}, got {size}."
            )


#: The tap's CLI as a plain function, for code that imports the tap module (the console
#: script is `tap_salesrocks:main`, which imports this module with the collector paused).
cli = TapSalesRocks.main
