"""Child partitions whose parent was deleted during the sync.

A child stream reads each parent listed earlier in the same sync (a list's leads, a
sequence's stats). On a long sync, a parent deleted in between answers 404 on the child
path, and that used to fail the whole run, again on the next busy day. A 404 alone cannot
tell a deleted parent from a moved path or a broken server, so the stream asks the parent's
own resource (``parent_path``, e.g. `GET /lists/{list_id}`): a 404 there too means the
parent is gone. Its partition then ends (records read before the 404 stay: they existed when
read), is logged at INFO with the parent's id and counted in one WARNING at the end, and the
sync goes on; the table version retires the partition's rows landed by earlier syncs, as it
would on the next sync. A parent that still answers makes the 404 fail the run as before.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from outreach_kit.errors import VendorAPIError

if t.TYPE_CHECKING:
    import logging

    import requests
    from singer_sdk.helpers.types import Context

#: Warning tally entry (see :mod:`outreach_kit.tally`).
PARENT_GONE = "partition(s) not read: the parent was deleted during the sync (HTTP 404 on it too)"


class ChildNotFoundError(VendorAPIError):
    """A child partition's path answered 404 (its message is the run's error if the parent
    still exists)."""


class DeletedParents:
    """Mixin for a child stream of an OutreachStream whose parent has a resource of its own."""

    #: The parent's own resource below ``url_base``, with context fields in braces.
    parent_path: t.ClassVar[str]
    name: str
    url_base: str
    timeout: int
    allow_redirects: bool
    logger: logging.Logger
    _tap: t.Any

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.NOT_FOUND:
            raise ChildNotFoundError(self.response_error_message(response))  # type: ignore[attr-defined]
        super().validate_response(response)  # type: ignore[misc]

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        yield from self.unless_parent_gone(context, super().read_records(context))  # type: ignore[misc]

    def unless_parent_gone(
        self, context: Context | None, records: t.Iterable[dict]
    ) -> t.Iterator[dict]:
        """``records`` of a partition, ended without error where its parent was deleted (a
        stream with its own ``read_records`` wraps what it reads in this)."""
        try:
            yield from records
        except ChildNotFoundError as exc:
            if self.parent_exists(context):
                raise VendorAPIError(str(exc)) from None
            self._tap.tally.add(self.name, PARENT_GONE)
            self.logger.info(
                "%s: the parent %s was deleted during the sync (HTTP 404 on it and on its "
                "%s); nothing more to read there",
                self.name,
                self.parent_name(context),
                self.name,
            )

    def parent_name(self, context: Context | None) -> str:
        """The parent, for messages: its path below ``url_base``."""
        path = self.parent_path
        for key, value in (context or {}).items():
            path = path.replace(f"{{{key}}}", self._url_encode(value))  # type: ignore[attr-defined]
        return path

    def parent_exists(self, context: Context | None) -> bool:
        """Whether the parent's own resource answers: one GET of ``parent_path``."""
        return self.ask_parent(context, "GET", self.parent_name(context)) is not None

    def ask_parent(
        self, context: Context | None, method: str, path: str, body: dict | None = None
    ) -> requests.Response | None:
        """A request about the parent, paced, authenticated, retried and redacted as every
        request is; None when it answers 404 (a 2xx body is not judged here)."""

        def build() -> requests.PreparedRequest:  # per attempt: a refreshed token is sent
            return self.build_prepared_request(  # type: ignore[attr-defined,no-any-return]
                method=method,
                url=f"{self.url_base}{path}",
                headers=self.http_headers,  # type: ignore[attr-defined]
                json=body,
            )

        def ask(_: requests.PreparedRequest, context: Context | None) -> requests.Response | None:
            response = self.requests_session.send(  # type: ignore[attr-defined]
                build(), timeout=self.timeout, allow_redirects=self.allow_redirects
            )
            if response.status_code == HTTPStatus.NOT_FOUND:
                return None
            if response.status_code >= HTTPStatus.BAD_REQUEST:
                super(DeletedParents, self).validate_response(response)  # type: ignore[misc]
            return response  # type: ignore[no-any-return]

        return self.request_decorator(ask)(build(), context)  # type: ignore[attr-defined,no-any-return]
