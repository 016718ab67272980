"""Sales.Rocks base stream: POST with JSON bodies, one shared bearer token, page/size paging."""

from __future__ import annotations

import typing as t
from importlib import resources

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.exceptions import RetriableAPIError

from outreach_kit.client import OutreachStream
from outreach_kit.errors import AuthenticationError
from tap_salesrocks.paging import PageCap, UntilEmptyPaginator

if t.TYPE_CHECKING:
    import requests

    from tap_salesrocks.auth import SalesRocksAuthenticator

SCHEMAS = resources.files(__package__) / "schemas"


class TokenRejectedError(RetriableAPIError):
    """A 401 on a data call: the token is dropped and the request retried once."""


class SalesRocksStream(OutreachStream):
    """Any Sales.Rocks data endpoint."""

    vendor = "Sales.Rocks"
    credential_settings = "username"
    http_method = "POST"
    records_jsonpath = "$.data[*]"
    extra_property = "extra"
    schema = StreamSchema(SchemaDirectory(SCHEMAS))

    @property
    def authenticator(self) -> SalesRocksAuthenticator:
        """The tap's single authenticator: one token shared by every stream."""
        return self._tap.authenticator  # type: ignore[attr-defined,no-any-return]

    def key_value(self, value: t.Any) -> t.Any:
        """Ids come as Mongo extended JSON: ``{"$oid": "..."}`` is keyed by the id inside."""
        return super().key_value(object_id(value))

    def validate_response(self, response: requests.Response) -> None:
        """401: log in again and retry; a fresh token refused right after a login is fatal."""
        auth = self.authenticator
        sent = response.request.headers.get("Authorization")
        if response.status_code == 401:
            if not auth.reject(sent):
                raise AuthenticationError(
                    f"Sales.Rocks rejected a fresh access token for user '{auth.username}' "
                    f"(HTTP 401) on '{self.name}'. The account may lack API access; check the "
                    "'username' and 'password' settings."
                )
            raise TokenRejectedError(f"Sales.Rocks rejected the access token on '{self.name}'")
        super().validate_response(response)
        auth.accepted(sent)

    def auth_error_message(self, response: requests.Response) -> str:
        return (
            f"Sales.Rocks refused user '{self.authenticator.username}' access to '{self.name}' "
            f"(HTTP {response.status_code}). Check the 'username' and 'password' settings and "
            "that the account may use the API."
        )

    def envelope_error(self, body: t.Any) -> str | None:
        """`{"status": "error", ...}` or `{"error": {...}}` in a 200 is an error."""
        if isinstance(body, dict):
            if isinstance(body.get("error"), dict):
                return str(body["error"].get("message") or body["error"])
            if body.get("status") not in (None, "success"):
                return str(body.get("message") or f"status {body.get('status')!r}")
        return None

    def retry_wait(self, exc: BaseException, attempt: int) -> float:
        if isinstance(exc, TokenRejectedError):
            return 0.0  # a new token is all it takes
        return super().retry_wait(exc, attempt)


class PagedStream(SalesRocksStream):
    """Endpoints paged with `page`/`size` in the JSON body, read until an empty page (no
    maximum `size` is documented: see :mod:`tap_salesrocks.paging`)."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_cap = PageCap()

    @property
    def page_size(self) -> int:  # type: ignore[override]
        """Rows asked per page: `page_size`, or less once the server was seen to cap it."""
        asked = int(self.config.get("page_size") or 100)
        return min(asked, self.page_cap.size or asked)

    def get_new_paginator(self) -> UntilEmptyPaginator:
        return UntilEmptyPaginator(self.page_size, self._capped)

    def _capped(self, rows: int, asked: int) -> None:
        self.page_cap.learn(rows, asked, self.logger, self.name)

    def prepare_request_payload(self, context: dict | None, next_page_token: t.Any) -> dict:
        return {"page": next_page_token or 1, "size": self.page_size}


def object_id(value: t.Any) -> t.Any:
    """Mongo's extended JSON ``{"$oid": "..."}`` as the id inside; any other value as is."""
    if isinstance(value, dict) and "$oid" in value:
        return value["$oid"]
    return value
