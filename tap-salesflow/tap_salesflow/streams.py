"""Salesflow streams: one partition per account; campaign children keyed by account."""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from tap_salesflow.client import DateWindowStream, SalesflowStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class AccountsStream(SalesflowStream):
    """The LinkedIn account behind each token (`GET /accounts/list-accounts`)."""

    name = "accounts"
    path = "/accounts/list-accounts"
    primary_keys = ("account_id",)
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


class WebhooksStream(SalesflowStream):
    """Webhooks of each account with their campaign attachments (`GET /webhooks/list`)."""

    name = "webhooks"
    path = "/webhooks/list"
    primary_keys = ("account_id", "Id")
    timestamp_fields = ("CreatedAt",)


class MembersStream(SalesflowStream):
    """Every contact of every campaign of each account, incremental on `LastModifiedAt`.

    `updatedFromDate` returns members modified strictly after the bookmark; the endpoint is
    not paged, so one response holds every change up to its newest and the bookmark (per
    account) is safe to take from it.
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

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        if self.sweeping:  # every member, whatever start_date says, so deletes show
            return {}
        since = self.get_starting_replication_key_value(context)
        return {"updatedFromDate": since} if since else {}


class CampaignStatisticsStream(SalesflowStream):
    """Totals of each campaign (`GET .../statistics/GetCampaignStatistics`, forced fresh)."""

    name = "campaign_statistics"
    path = "/statistics/GetCampaignStatistics"
    primary_keys = ("account_id", "CampaignId")
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
    parent_stream_type = CampaignsStream

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        return {**super().get_url_params(context, next_page_token),
                "campaignId": (context or {})["campaign_id"]}  # fmt: skip

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row.setdefault("CampaignId", (context or {}).get("campaign_id"))
        return super().post_process(row, context)


class AccountAnalyticsStream(DateWindowStream):
    """Daily analytics of each account (`GET /analytics/by-accountid`)."""

    name = "account_analytics"
    path = "/analytics/by-accountid"
    primary_keys = ("account_id", "Date")


class IncomingMessagesStream(SalesflowStream):
    """Messages received by each account, incremental on `ReceivedAt` through `from`."""

    name = "incoming_messages"
    path = "/messaging/incoming-messages-by-accountid"
    primary_keys = ("account_id", "Id")
    replication_key = "ReceivedAt"
    is_sorted = False
    timestamp_fields = ("ReceivedAt",)
    stream_body = True  # one response holds every message since `from`: bounded memory

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        since = self.get_starting_timestamp(context)
        since = since or datetime(2000, 1, 1, tzinfo=timezone.utc)
        # `from` is inclusive: the newest message already landed comes again (same key).
        return {"from": since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


STREAM_TYPES = [
    AccountsStream, CampaignsStream, WebhooksStream, MembersStream, CampaignStatisticsStream,
    CampaignAnalyticsStream, AccountAnalyticsStream, IncomingMessagesStream,
]  # fmt: skip
