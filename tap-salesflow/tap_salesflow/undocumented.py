"""Streams on paths Salesflow's doc does not give: a 404 there skips the stream, not the run.

The doc describes listing accounts "by using the API Token" and listing webhooks, but not
their paths; the tap uses the paths Salesflow's app calls (`accounts/list-accounts`,
`webhooks/list`). If Salesflow moves them, the answer is a 404: the stream is skipped for
that account with a WARNING that says so, and every other stream completes (exit 0).
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus
from urllib.parse import urlparse

from singer_sdk.exceptions import FatalAPIError

from tap_salesflow.client import SalesflowStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context


class PathNotFoundError(FatalAPIError):
    """The API answered 404 on a path its documentation does not give."""


class UndocumentedPathStream(SalesflowStream):
    """A stream whose path the vendor's doc does not give."""

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.NOT_FOUND:
            response.close()
            raise PathNotFoundError(urlparse(response.url).path)
        super().validate_response(response)

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        try:
            yield from super().read_records(context)
        except PathNotFoundError as exc:
            self.logger.warning(
                "%s: Salesflow answered %s with HTTP 404 for account %s. This path is not in "
                "Salesflow's API documentation and may have moved; the '%s' stream is "
                "skipped for this account and every other stream continues (deselect it to "
                "silence this warning).",
                self.name,
                exc,
                (context or {}).get("account_id"),
                self.name,
            )
