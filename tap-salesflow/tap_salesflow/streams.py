"""Salesflow streams: one partition per account; campaign children keyed by account."""

from __future__ import annotations

import typing as t

from tap_salesflow import since as bounds
from tap_salesflow.client import DateWindowStream, SalesflowStream
from tap_salesflow.enums import CodeReader
from tap_salesflow.since import LowerBounds
from tap_salesflow.undocumented import UndocumentedPathStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class AccountsStream(UndocumentedPathStream):
    """The LinkedIn accounts each token lists (`GET /accounts/list-accounts`): the doc says
    a token lists accounts, so each is keyed by the token's account and its own `Id`."""

    name = "accounts"
    path = "/accounts/list-accounts"
    primary_keys = ("account_id", "Id")
    sends_account_id = False
    timestamp_fields = ("CreatedAt",)


class CampaignsStream(SalesflowStream):
    """Campaigns of each account (`GET /campaigns/list-campaigns`)."""

    name = "campaigns"
    path = "/campaigns/list-campaigns"
    primary_keys = ("account_id", "Id")
    timestamp_fields = ("CreatedAt", "LastModifiedAt")

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"account_id": (context or {})["account_id"], "campaign_id": record["Id"]}

    def sync(self, context: Context | None = None) -> None:
        super().sync(context)
        for child in self.child_streams:
            if isinstance(child, DateWindowStream) and child.selected:
                child.finalize_account_bookmarks()


class WebhooksStream(UndocumentedPathStream):
    """Webhooks of each account with their campaign attachments (`GET /webhooks/list`);
    an attachment's `RunOn` lands as the event name even when sent as its number."""

    name = "webhooks"
    path = "/webhooks/list"
    primary_keys = ("account_id", "Id")
    timestamp_fields = ("CreatedAt",)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._codes = CodeReader(self.name, "RunOn", self.logger)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        for attachment in row.get("AttachedWebhookCampaigns") or []:
            if isinstance(attachment, dict):
                self._codes.run_on(attachment)
        return super().post_process(row, context)


class MembersStream(SalesflowStream):
    """Every contact of every campaign of each account, incremental on `LastModifiedAt`.

    `updatedFromDate` returns members modified strictly after it; it is sent in the doc's
    whole-second shape, a second before the bookmark, and members at or before the bookmark
    (landed by the run that set it) are dropped (see :mod:`tap_salesflow.since`). The
    endpoint is not paged, so one response holds every change up to its newest and the
    bookmark (per account) is safe to take from it. `Status` lands as the doc's number, its
    name in `StatusName` (see :mod:`tap_salesflow.enums`).
    """

    name = "members"
    path = "/members/list-contacts-by-accountid"
    primary_keys = ("account_id", "MemberId")
    replication_key = "LastModifiedAt"
    is_sorted = False
    timestamp_fields = ("DateAdded", "AddedAt", "LastModifiedAt", "ConnectedAt")
    stream_body = True  # one response holds every member: read in bounded memory
    #: Without `updatedFromDate` the endpoint lists every member: a run without a bookmark
    #: (`--full-refresh`) retires members the account no longer has (outreach_kit.versions).
    full_read_without_bookmark = True

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._codes = CodeReader(self.name, "Status", self.logger)
        self._bounds = LowerBounds(self.name, "LastModifiedAt", self.logger, keep_equal=False)

    def prepare_partition(self, context: Context | None) -> None:
        account_id = (context or {})["account_id"]
        # A sweep reads every member: no lower bound, whatever start_date says.
        since = None if self.sweeping else self.get_starting_replication_key_value(context)
        self._bounds.start(account_id, since)

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        yield from super().get_records(context)
        self._bounds.report((context or {})["account_id"])

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        if self.sweeping:  # every member, whatever start_date says, so deletes show
            return {}
        bookmark = self._bounds.get((context or {})["account_id"])
        return {"updatedFromDate": bounds.updated_from_date(bookmark)} if bookmark else {}

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        if self._bounds.landed_already((context or {})["account_id"], row):
            return None  # re-read through the rounded-down `updatedFromDate`
        self._codes.member_status(row)
        return super().post_process(row, context)


class CampaignStatisticsStream(SalesflowStream):
    """Totals of each campaign (`GET .../statistics/GetCampaignStatistics`, forced fresh)."""

    name = "campaign_statistics"
    path = "/statistics/GetCampaignStatistics"
    primary_keys = ("account_id", "CampaignId")
    context_keys = ("account_id", "CampaignId")
    parent_stream_type = CampaignsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    records_jsonpath = "$"
    timestamp_fields = ("UpdatedAt",)

    @property
    def url_base(self) -> str:
        return str(self.config.get("statistics_api_url") or self.config["api_url"]).rstrip("/")

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        # Without isForceRequest=true the API answers with no data.
        return {"campaignId": (context or {})["campaign_id"], "isForceRequest": "true"}

    def parse_response(self, response: t.Any) -> t.Iterable[dict]:
        body = self.decoded_body(response)
        if isinstance(body, dict):
            yield body

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row.setdefault("CampaignId", (context or {}).get("campaign_id"))
        return super().post_process(row, context)


class CampaignAnalyticsStream(DateWindowStream):
    """Daily analytics of each campaign (`GET /analytics/by-campaignid`)."""

    name = "campaign_analytics"
    path = "/analytics/by-campaignid"
    primary_keys = ("account_id", "CampaignId", "Date")
    context_keys = ("account_id", "CampaignId")
    parent_stream_type = CampaignsStream

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        return {
            **super().get_url_params(context, next_page_token),
            "campaignId": (context or {})["campaign_id"],
        }

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row.setdefault("CampaignId", (context or {}).get("campaign_id"))
        return super().post_process(row, context)


class AccountAnalyticsStream(DateWindowStream):
    """Daily analytics of each account (`GET /analytics/by-accountid`)."""

    name = "account_analytics"
    path = "/analytics/by-accountid"
    primary_keys = ("account_id", "Date")


class IncomingMessagesStream(SalesflowStream):
    """Messages received by each account, incremental on `ReceivedAt` through `from`.

    `from` is documented as a date: the tap sends the day before the bookmark's (or
    `start_date`'s) UTC day and drops messages received before the bookmark itself; `from`
    is inclusive, so the newest message already landed comes again (same key).
    """

    name = "incoming_messages"
    path = "/messaging/incoming-messages-by-accountid"
    primary_keys = ("account_id", "Id")
    replication_key = "ReceivedAt"
    is_sorted = False
    timestamp_fields = ("ReceivedAt",)
    stream_body = True  # one response holds every message since `from`: bounded memory

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._bounds = LowerBounds(self.name, "ReceivedAt", self.logger, keep_equal=True)

    def prepare_partition(self, context: Context | None) -> None:
        saved = self.get_starting_replication_key_value(context) or self.config.get("start_date")
        self._bounds.start((context or {})["account_id"], saved)

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        yield from super().get_records(context)
        self._bounds.report((context or {})["account_id"])

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        lower = self._bounds.get((context or {})["account_id"])
        return {"from": bounds.from_date(lower) if lower else FIRST_DAY}

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        if self._bounds.landed_already((context or {})["account_id"], row):
            return None  # before the bookmark: read again through the date-only `from`
        return super().post_process(row, context)


#: `from` of a first sync without `start_date`.
FIRST_DAY = "2000-01-01"


STREAM_TYPES = [
    AccountsStream,
    CampaignsStream,
    WebhooksStream,
    MembersStream,
    CampaignStatisticsStream,
    CampaignAnalyticsStream,
    AccountAnalyticsStream,
    IncomingMessagesStream,
]
