"""Salesflow base stream: per-account tokens in the query string, bare JSON arrays.

The token travels in the URL of every request. It is looked up from the settings by
account id when the request is built and is never put in a stream context (contexts are
written to state and metrics logs). The shared kit masks it wherever a URL could surface.

The unpaged lists (`stream_body = True`) answer one bare array holding everything, so their
bodies are read in bounded memory and as they arrive: the stream's session sends with
`stream=True`, `validate_response` (inside the retried request) reads the first bytes, and
`parse_response` yields the array's elements as the chunks come (`outreach_kit.streaming`).
A body that breaks off part-way raises `BrokenBodyError` after its complete elements; the
kit asks again and skips what was already given (`OutreachStream.request_pages`). A body
that is not an array (an error envelope, an HTML page, nothing) is small and judged
exactly as before.
"""

from __future__ import annotations

import contextlib
import typing as t
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from importlib import resources
from urllib.parse import parse_qs, urlparse

from singer_sdk import SchemaDirectory, StreamSchema

from outreach_kit.client import OutreachStream
from outreach_kit.errors import AuthenticationError, BrokenBodyError
from outreach_kit.pagecap import PageCap
from outreach_kit.reading import OnePage
from outreach_kit.streaming import BodyBroken, LiveArray, open_json
from outreach_kit.timestamps import parse_setting_datetime

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

SCHEMAS = resources.files(__package__) / "schemas"
#: Response attribute holding the live array body of a `stream_body` stream.
_LIVE_BODY = "_salesflow_live_body"
#: Analytics history read on a first sync without `start_date`.
DEFAULT_HISTORY_DAYS = 365


class SalesflowStream(OutreachStream):
    """Any Salesflow endpoint of one account (the context's `account_id`)."""

    vendor = "Salesflow"
    credential_settings = "token"
    extra_property = "extra"
    schema = StreamSchema(SchemaDirectory(SCHEMAS))
    #: Whether the endpoint takes `accountId` besides the token.
    sends_account_id = True
    #: Read the body in bounded memory (see the module docstring): for unpaged lists whose
    #: one response grows with the account's data.
    stream_body = False
    #: Key fields set from the context in `post_process`, absent from the API's records.
    context_keys: tuple[str, ...] = ("account_id",)

    @property
    def record_keys(self) -> tuple[str, ...]:  # type: ignore[override]
        """The primary key fields the API's records carry themselves."""
        return tuple(k for k in self.primary_keys if k not in self.context_keys)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        if self.stream_body:
            if self.records_jsonpath != "$[*]":
                raise TypeError(f"{type(self).__name__}: stream_body reads bare arrays only")
            # The body is then read by validate_response, inside the retried request.
            self.requests_session.stream = True
            # One response per account, parsed as it arrives: no next page to fetch meanwhile,
            # and a second thread parsing wide records contends for the interpreter lock
            # (members: 162 -> 207 us CPU a record with it, back to back).
            self.read_ahead = False
            # The vendor builds each account's whole answer before sending it: the next
            # account's is asked for while this one is written (outreach_kit.ahead).
            self.request_next_partition_ahead = True

    @property
    def partitions(self) -> list[dict] | None:
        """Top-level streams run once per configured account."""
        if self.parent_stream_type is not None:
            return None
        return [{"account_id": account_id} for account_id in self._tap.tokens]  # type: ignore[attr-defined]

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        # Checkpoint what the accounts before this one finished: if this account's token is
        # rejected, their bookmarks are already written.
        self._write_state_message()
        yield from super().get_records(context)

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        request = super().get_http_request(page=page)
        account_id = (page.stream_context or {})["account_id"]
        request.params["token"] = self._tap.tokens[account_id]  # type: ignore[attr-defined]
        if self.sends_account_id:
            request.params["accountId"] = account_id
        return request

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row["account_id"] = (context or {}).get("account_id")
        return super().post_process(row, context)

    def validate_response(self, response: requests.Response) -> None:
        try:
            self._validate(response)
        except BaseException:
            response.close()  # a streamed body left unread would hold on to its connection
            raise

    def _validate(self, response: requests.Response) -> None:
        if response.status_code in (401, 403):
            account = _query_value(response.url, "accountId") or "?"
            raise AuthenticationError(
                f"Salesflow rejected the token for account {account} (HTTP "
                f"{response.status_code}) while reading '{self.name}'. Check that account's "
                "token in 'accounts' (or 'token'): Settings > LinkedIn account settings > "
                "Account API token. State already written for other accounts stays valid."
            )
        if not self.stream_body or not 200 <= response.status_code < 300:
            super().validate_response(response)  # error bodies are small: read as before
            return
        body = open_json(response)
        if not isinstance(body, LiveArray):
            # An envelope, an HTML page or nothing: small, and judged exactly as before.
            with body:
                response._content = body.read()  # what `response.content` then returns
            super().validate_response(response)
            return
        # An array, read as it arrives: the kit's checks of a decoded 2xx body (error
        # envelope, page guards, shape) do not apply to a bare list of an unpaged endpoint.
        setattr(response, _LIVE_BODY, body)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """The array's elements as the body arrives, else as the kit does."""
        body = getattr(response, _LIVE_BODY, None)
        if body is None:
            yield from super().parse_response(response)
            return
        try:
            yield from body.items()
        except BodyBroken as exc:
            raise BrokenBodyError(
                f"{self.vendor} answered {urlparse(response.url).path} with HTTP "
                f"{response.status_code} and invalid JSON after {exc.given} complete records "
                f"({exc})",
                response,
            ) from None
        finally:
            if body.replaced:
                self.count_surrogates(body.replaced)

    def envelope_error(self, body: t.Any) -> str | None:
        """Lists come as bare arrays; an object with `Message` instead is an error."""
        if isinstance(body, dict) and "Message" in body and self.records_jsonpath == "$[*]":
            return str(body["Message"])
        return None


class DateWindowStream(SalesflowStream):
    """Daily analytics over `from`/`to` windows, re-reading the trailing lookback days.

    Recent days keep changing, so every sync starts `analytics_lookback_days` before the
    bookmark; the primary key includes the day, so re-read days replace their rows. The
    bookmark is per account: it is read once when the account's sync starts, so every
    campaign of the account starts from the same day and state does not grow per campaign.

    No longest window is documented, and a server that silently answered only the first
    days of a longer one, or only the newest (a `from` clamped to `to` less its longest
    range), would lose the rest with exit 0. So a window whose rows stop before its last
    day has the days after its last row asked again, and one whose rows start after its
    first day the days before its first row: nothing there, those days have no rows; rows
    there show the cap (days per answer), which is logged and used as the window from then
    on. One request more per window whose first or last days have no row (on a first sync,
    typically the window where a campaign's history starts).
    """

    replication_key = "Date"
    is_sorted = False
    timestamp_fields = ("Date",)
    state_partitioning_keys: t.ClassVar[list[str]] = ["account_id"]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_by_account: dict[str, date] = {}
        #: Days per answer, once a server showed it answers fewer than asked (rows per
        #: day: one).
        self.window_cap = PageCap()

    def finalize_account_bookmarks(self) -> None:
        """Promote each account's progress to its bookmark once all its campaigns are read.

        Called by the parent after every account: finalising after each campaign would let
        an interrupted run skip the history of the campaigns not yet read.
        """
        for partition in self.state_manager.get_state_partitions() or []:
            self.state_manager.finalize_state(partition)
        self._write_state_message()

    def first_day(self, context: Context | None) -> date:
        """The account's first day: its bookmark less the lookback, never before
        `start_date`; without a bookmark `start_date`, else the last 365 days."""
        account_id = (context or {})["account_id"]
        if account_id not in self._start_by_account:
            saved = self._saved_bookmark(account_id)
            start = self.config.get("start_date")
            if saved:
                lookback = timedelta(days=int(self.config.get("analytics_lookback_days", 3)))
                day = (parse_setting_datetime("state", saved) - lookback).date()
            else:
                day = datetime.now(timezone.utc).date() - timedelta(days=DEFAULT_HISTORY_DAYS)
            if start:
                start_day = datetime.fromisoformat(str(start)[:10]).date()
                day = max(day, start_day) if saved else start_day
            self._start_by_account[account_id] = day
        return self._start_by_account[account_id]

    def _saved_bookmark(self, account_id: str) -> str | None:
        """The account's bookmark as the run found it, read without adding to the state
        (the SDK's getters create the partition, which would change the STATE written)."""
        saved = (self.tap_state.get("bookmarks") or {}).get(self.name) or {}
        for partition in saved.get("partitions") or []:
            if (
                partition.get("context") == {"account_id": account_id}
                and partition.get("replication_key") == self.replication_key
            ):
                value = partition.get("replication_key_value") or None
                return self.capped_saved_bookmark(value, {"account_id": account_id})
        return None

    def prepare_partition(self, context: Context | None) -> None:
        self.first_day(context)  # on the main thread, before a worker reads the partition

    @property
    def window_days(self) -> int:
        """Days asked per request: `analytics_window_days`, or fewer once a cap showed."""
        return self.window_cap.bound(int(self.config.get("analytics_window_days", 30)))

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        """Every window from the account's first day to today, one request each (the window
        travels to ``get_url_params`` as the request's page token). A window that answered
        nothing, longer than a cap learned since, is read again in windows of the cap: a
        capped answer covered only its first or its newest days, which had no rows."""
        days = [(self.first_day(context), datetime.now(timezone.utc).date())]
        while days:
            low, high = days.pop(0)
            for window in (yield from self.read_days(context, low, high)):
                cap = self.window_cap.size
                if cap and (window.high - window.low).days + 1 > cap:
                    days.append((window.low, window.high))

    def read_days(
        self, context: Context | None, low: date, high: date
    ) -> t.Generator[dict, None, list[Window]]:
        """The rows of the days from ``low`` to ``high``, window after window; returns the
        windows that answered nothing."""
        empty: list[Window] = []
        while low <= high:
            window = Window(low, min(low + timedelta(days=self.window_days - 1), high))
            if not (yield from self.read_window(context, window)):
                empty.append(window)
            low = window.high + timedelta(days=1)
        return empty

    def read_window(self, context: Context | None, window: Window) -> t.Generator[dict, None, int]:
        """The rows of ``window``; the days before its first row and after its last asked
        again when there are any (see the class docstring). Returns how many rows came."""
        first: date | None = None
        last: date | None = None
        rows = 0
        page = WindowPage(window)
        for row in self.request_records(context, page):
            day = _row_day(row)
            if day is not None:
                if first is None or day < first:
                    first = day
                if last is None or day > last:
                    last = day
            rows += 1
            yield row
        if first is None or last is None:
            return rows  # nothing to go by
        if first > window.low:  # a server may have kept the newest days only
            before = Window(window.low, first - timedelta(days=1))
            rows += yield from self._read_left_out(context, before, window, first, window.high)
        # Days up to the server's yesterday only: today's numbers may not be there yet.
        checked_to = min(window.high, page.server_today - timedelta(days=1))
        if last < checked_to:  # a server may have kept the first days only
            after = Window(last + timedelta(days=1), checked_to)
            rows += yield from self._read_left_out(context, after, window, window.low, last)
        return rows

    def _read_left_out(
        self, context: Context | None, days: Window, window: Window, low: date, high: date
    ) -> t.Generator[dict, None, int]:
        """The rows of ``days``, which ``window``'s answer (rows from ``low`` to ``high``)
        left out; rows there show that the server answers at most that many days, the cap
        then learned. Returns how many rows came."""
        more = yield from self.read_window(context, days)
        if more:
            served = (high - low).days + 1
            self.window_cap.learn(
                served,
                (window.high - window.low).days + 1,
                self.logger,
                self.name,
                f"asking for {served} days at a time from now on (the "
                "'analytics_window_days' setting can say so)",
                unit="days per answer",
            )
        return more

    def get_url_params(self, context: Context | None, next_page_token: Window) -> dict:
        return {"from": next_page_token.low.isoformat(), "to": next_page_token.high.isoformat()}


@dataclass(frozen=True)
class Window:
    """The days one analytics request asks for, both ends included."""

    low: date
    high: date


class WindowPage(OnePage[Window]):
    """One analytics request; keeps the server's day (its `Date` header, else this
    machine's), up to which the answer is expected to be complete."""

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.server_today = datetime.now(timezone.utc).date()

    def has_more(self, response: requests.Response) -> bool:
        with contextlib.suppress(KeyError, TypeError, ValueError):  # no usable `Date`
            self.server_today = parsedate_to_datetime(response.headers["Date"]).date()
        return False


def _row_day(row: t.Any) -> date | None:
    """The day of an analytics row (`Date`, e.g. `2026-11-01T00:00:00`); None if it has
    none that reads as a date (the row itself is judged by the kit's checks)."""
    value = row.get("Date") if isinstance(row, dict) else None
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None


def _query_value(url: str, name: str) -> str | None:
    values = parse_qs(urlparse(url).query).get(name)
    return values[0] if values else None
