"""SalesBlink base streams: raw-key auth, `{success, message}` envelopes, limit/skip paging."""

from __future__ import annotations

import typing as t
from importlib import resources

from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.pagination import OffsetPaginator
from singer_sdk.schema.source import SchemaDirectory, StreamSchema

from outreach_kit.client import OutreachStream, records_at

if t.TYPE_CHECKING:
    import requests

SCHEMAS = resources.files(__package__) / "schemas"
#: The largest page the API allows for `limit` (lists, leads, sequences) and `per_page`.
MAX_PAGE_SIZE = 100


class SalesBlinkStream(OutreachStream):
    """Any SalesBlink endpoint: the key goes raw into the Authorization header."""

    vendor = "SalesBlink"
    credential_settings = "api_key"
    extra_property = "extra"
    schema = StreamSchema(SchemaDirectory(SCHEMAS))  # schemas/<stream name>.json

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        return APIKeyAuthenticator(
            key="Authorization", value=str(self.config["api_key"]), location="header"
        )

    def envelope_error(self, body: t.Any) -> str | None:
        """A 200 with `{"success": false, "message": ...}` is an error."""
        if isinstance(body, dict) and body.get("success") is False:
            return str(body.get("message") or "the response said success: false")
        return None

    def auth_error_message(self, response: requests.Response) -> str:
        return (
            f"SalesBlink rejected the API key (HTTP {response.status_code}) while reading "
            f"'{self.name}'. Check the 'api_key' setting: copy a current key from SalesBlink's "
            "Account Settings > Integrations (the key is sent as is, without 'Bearer')."
        )


class PublicStream(SalesBlinkStream):
    """The current public API under `/public/v1.0.0`."""

    @property
    def url_base(self) -> str:
        return f"{super().url_base}/public/v1.0.0"


class LegacyStream(SalesBlinkStream):
    """The older API under `/api` (campaigns, prospects, team); off by default."""

    selected_by_default = False
    records_jsonpath = "$.data[*]"


class LimitSkipPaginator(OffsetPaginator):
    """`limit` + `skip` (a record offset); a page shorter than `limit` is the last."""

    def __init__(self, records_jsonpath: str, page_size: int = MAX_PAGE_SIZE) -> None:
        super().__init__(start_value=0, page_size=page_size)
        self.records_jsonpath = records_jsonpath

    def has_more(self, response: requests.Response) -> bool:
        body = getattr(response, "_outreach_body", None)
        if body is None:  # an empty body that paging took for the end (see the kit)
            return False
        return len(records_at(self.records_jsonpath, body)) >= self._page_size


class PagedPublicStream(PublicStream):
    """Public list endpoints paged with `limit`/`skip`."""

    page_size = MAX_PAGE_SIZE

    def get_new_paginator(self) -> LimitSkipPaginator:
        return LimitSkipPaginator(self.records_jsonpath)

    def get_url_params(self, context: dict | None, next_page_token: int | None) -> dict:
        return {"limit": MAX_PAGE_SIZE, "skip": next_page_token or 0}
