"""The REST stream every vendor stream builds on: errors, retries, pacing, JSON decoding.

singer-sdk's defaults are extended at its hooks, not replaced:
- the backoff hooks (``backoff_wait_generator``, ``backoff_jitter``, ``backoff_handler``,
  ``backoff_max_tries``): retries honour ``Retry-After``, every wait is admitted by the
  run's :class:`~outreach_kit.waits.WaitBudget` (single and total bounds), and the log line
  names only the URL path (query strings can carry tokens).
- ``request_decorator``: paces every attempt through the tap's shared
  :class:`~outreach_kit.pacing.RequestPacer`; on give-up a clean error replaces the
  exception chain, whose text would contain the full URL.
- ``requests_session``: a :class:`~outreach_kit.transport.GuardedSession` (no cross-origin
  redirect, no proxy from the environment, TLS verification always on).
- ``validate_response``: 401/403 name the credential setting; 429 carries its wait; a 2xx
  body that is not JSON or that reports failure is retried like a 5xx.
- ``parse_response`` reuses the body decoded during validation (msgspec, one pass).
- ``get_records`` takes child partitions that workers read ahead (``concurrency``);
  streams override ``read_records`` (may run on a worker) and ``prepare_partition``.
  Reading: ``read_records`` -> ``request_records`` (records checked) -> ``request_pages``
  (the SDK's request loop); what a read carries between requests is passed explicitly
  (paginator, :class:`~outreach_kit.reading.PageGuard`, a token), never kept on ``self``.
  State and message writers raise on a prefetch worker thread.
- ``sync`` (:mod:`outreach_kit.versions`): full-table records carry the run's table version;
  ACTIVATE_VERSION follows only a complete read of the stream.
- ``validate_response`` also checks the body's shape (:mod:`outreach_kit.shapes`): a body
  the stream cannot read fails the run instead of reading as "no records".
- ``request_records`` sends records that cannot be used to ``rejected_records``
  (:mod:`outreach_kit.rejects`): not an object, key missing or null, key repeated in one
  read with different content.
- ``post_process`` ends with the schema's precomputed conformance (SDK level NONE; values
  that do not fit are nulled and kept raw in ``extra_property``), and
  ``_generate_record_messages`` writes only what the catalog selects (its schema, its
  selection), at no cost when it narrows nothing.
- Lone UTF-16 surrogates in a body are replaced by U+FFFD (:mod:`outreach_kit.text`).
"""

from __future__ import annotations

import email.utils
import functools
import itertools
import random
import re
import time
import typing as t
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import urlparse

import backoff
import msgspec
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.jsonpath import extract_jsonpath
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.pagination import BaseAPIPaginator, SinglePagePaginator
from singer_sdk.singerlib import RecordMessage
from singer_sdk.streams import RESTStream

from outreach_kit import rejects
from outreach_kit.ahead import RequestedAhead, next_partition, state_copy
from outreach_kit.bookmarks import BookmarkGuard
from outreach_kit.concurrency import (
    CHECKPOINT,
    ChildPrefetcher,
    check_main_thread,
    on_worker,
    partition_key,
    read_ahead,
    session_like,
    thread_session,
)
from outreach_kit.concurrency import take as take_fetched_ahead
from outreach_kit.conformance import Conformance, selected_schema
from outreach_kit.errors import (
    AuthenticationError,
    BrokenBodyError,
    ErrorEnvelopeError,
    InvalidBodyError,
    PageRecheckError,
    RateLimitedError,
    RetriesExhaustedError,
    TLSVerificationError,
    VendorAPIError,
)
from outreach_kit.pacing import RequestPacer
from outreach_kit.reading import REREAD, PageGuard
from outreach_kit.record_path import LeanRecordPath
from outreach_kit.repeats import KeyDigests, record_key
from outreach_kit.shapes import Shape, json_type, shape_error
from outreach_kit.tenants import TENANT, apply_to_stream, configured_tenant, source_keys
from outreach_kit.text import replace_lone_surrogates
from outreach_kit.timestamps import ImpossibleTimestamp, to_utc_iso
from outreach_kit.transport import GuardedSession, is_certificate_error, show_origin
from outreach_kit.versions import TableVersions
from outreach_kit.waits import WaitBudget

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

#: Exceptions worth another attempt: transient server, network and body failures.
RETRIABLE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    RetriableAPIError,
    ConnectionResetError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_BODY_ATTR = "_outreach_body"
#: A body that does not decode as JSON, even with lone surrogates replaced.
_UNREADABLE = object()
#: What ``next`` gives for a page without records.
_NO_RECORD = object()
_decoder = msgspec.json.Decoder()
_encode = msgspec.json.Encoder().encode


class OutreachStream(LeanRecordPath, BookmarkGuard, TableVersions, RESTStream[t.Any]):
    """Base stream shared by the SalesBlink, Salesflow and Sales.Rocks taps."""

    #: Vendor name used in messages ("SalesBlink").
    vendor: str = "the API"
    #: Setting(s) to blame when the vendor rejects the credentials.
    credential_settings: str = "api_key"
    records_jsonpath = "$[*]"
    #: Fields converted to UTC ISO-8601 by ``post_process`` (ms ints, .NET strings, ...).
    timestamp_fields: tuple[str, ...] = ()
    #: Object property that collects keys the schema does not declare, so none is lost.
    extra_property: str | None = None
    #: Records per full page, for paged streams: enables the empty-page and repeat guards.
    page_size: int | None = None
    #: Primary key fields as they appear in the API's records (checked on arrival); None
    #: means ``primary_keys``. Keys a stream derives later (from the context) are left out.
    record_keys: tuple[str, ...] | None = None
    #: What a 2xx body must look like; None: derived from ``records_jsonpath``.
    response_shape: Shape | None = None
    #: Whether ``read_records`` may run on a thread of its own (see ``reads_ahead``): it
    #: must then touch no state (read it in ``prepare_partition``) and write no message
    #: (yield :data:`~outreach_kit.concurrency.CHECKPOINT` for a STATE).
    read_ahead: bool = True
    #: Whether the next partition's first page is requested while this partition is read
    #: (``concurrency`` > 1; see :mod:`outreach_kit.ahead`): for endpoints whose answer
    #: takes the vendor long to build, e.g. one unpaged body per account.
    request_next_partition_ahead: bool = False
    #: The SDK's per-value conformance is replaced by a plan worked out once per schema,
    #: applied at the end of ``post_process`` (see :mod:`outreach_kit.conformance`).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._conformance: Conformance | None = None
        self._requests_session = GuardedSession.for_config(self.config, self.logger)
        self._requested_ahead = RequestedAhead()
        #: The partition whose successor is asked for when its first answer is in.
        self._next_partition_due: Context | None = None
        #: The catalog's narrower plan for RECORD messages; False: the catalog narrows nothing.
        self._narrowed: Conformance | t.Literal[False] | None = None
        #: The ``tenant`` setting (see :mod:`outreach_kit.tenants`); None: single account.
        self.tenant = configured_tenant(self.config)
        apply_to_stream(self, self.tenant)

    # -- settings -------------------------------------------------------------------------

    @property
    def url_base(self) -> str:
        """The ``api_url`` setting without a trailing slash."""
        return str(self.config["api_url"]).rstrip("/")

    @property
    def timeout(self) -> int:
        """Seconds to wait for a response (``request_timeout``)."""
        return int(self.config.get("request_timeout") or 60)

    @property
    def pacer(self) -> RequestPacer:
        """The tap-wide pacer (one rate limit per credential, shared by all streams)."""
        return self._tap.pacer  # type: ignore[attr-defined,no-any-return]

    @property
    def wait_budget(self) -> WaitBudget:
        """The tap-wide bounds on retry waits (see :mod:`outreach_kit.waits`)."""
        return self._tap.wait_budget  # type: ignore[attr-defined,no-any-return]

    @property
    def requests_session(self) -> requests.Session:
        """The stream's session, always a guarded one (SDK property); a prefetch worker's
        own one on a worker thread (see :mod:`outreach_kit.concurrency`)."""
        worker_session = thread_session(self)
        if worker_session is not None:
            return worker_session
        if self._requests_session is None:
            self._requests_session = GuardedSession.for_config(self.config, self.logger)
        return self._requests_session

    # -- retries ------------------------------------------------------------------------
    # The SDK composes its backoff hooks in ``request_decorator``; the waits and the log
    # line go through those hooks, ``request_decorator`` adds only pacing and clean errors.

    def retry_wait(self, exc: BaseException, attempt: int) -> float:
        """Seconds before the next attempt: the server's Retry-After, else exponential
        backoff (``retry_base_seconds``) capped at ``max_retry_wait_seconds``, jittered by
        +-20 % (a Retry-After is the server's demand and never jittered)."""
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return exc.retry_after
        if isinstance(exc, PageRecheckError):
            return 0.0
        base = float(self.config.get("retry_base_seconds", 1.0))
        wait = min(base * 2 ** (attempt - 1), self.wait_budget.max_wait)
        return wait * random.uniform(0.8, 1.2)

    def bounded_wait(self, exc: BaseException, attempt: int) -> float:
        """``retry_wait`` admitted by the run's wait budget, which raises when a bound
        would be passed (see :mod:`outreach_kit.waits`); an empty page asked again waits
        nothing (``retry_wait``), so it takes no share of the budget."""
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
        source = getattr(exc, "response", None)  # a Response is falsy when not ok
        source = source if source is not None else getattr(exc, "request", None)
        url = getattr(source, "url", "")
        what = f"{self.vendor} {urlparse(url or '').path or self.path or ''}".strip()
        return self.wait_budget.admit(
            self.retry_wait(exc, attempt), what=what, retry_after=retry_after
        )

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        """Waits from the failed attempt's exception (SDK hook, one generator per request):
        ``bounded_wait`` through the SDK's ``backoff_runtime``."""
        attempts = itertools.count(1)
        return self.backoff_runtime(value=lambda exc: self.bounded_wait(exc, next(attempts)))

    def backoff_jitter(self, value: float) -> float:
        """The wait as the generator gave it (SDK hook): ``retry_wait`` jitters before the
        budget counts the wait, and a Retry-After must not be shortened."""
        return value

    def backoff_max_tries(self) -> int:
        """Attempts per request, first one included (``max_retries`` + 1; SDK hook)."""
        return int(self.config.get("max_retries", 5)) + 1

    def backoff_handler(self, details: t.Mapping[str, t.Any]) -> None:
        """Before a retry (SDK hook): a Retry-After pauses the tap-wide pacer (every
        stream and worker shares the limit), and one log line names the URL path only."""
        exc = details.get("exception")
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            self.pacer.pause(float(details.get("wait") or 0))
        args = details.get("args") or ()
        request = args[0] if args else None
        path = urlparse(getattr(request, "url", "") or "").path
        if isinstance(exc, PageRecheckError):  # the usual end of a read whose last page was full
            self.logger.info("%s: %s", self.name, self.describe_failure(exc))
            return
        self.logger.warning(
            "%s: retrying %s in %.2fs (attempt %d of %d): %s",
            self.name,
            path,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            self.backoff_max_tries(),
            self.describe_failure(exc),
        )

    def request_decorator(self, func: t.Callable[..., requests.Response]) -> t.Callable:
        """Retry ``func`` with the SDK's backoff hooks, pacing every attempt through the
        tap-wide pacer; on give-up, one clean paragraph replaces the exception chain, whose
        text would hold the full URL (SDK hook). The SDK's own version also logs through
        backoff's default handlers, which print the exception text (URLs, tokens)."""

        def paced(prepared_request: requests.PreparedRequest, context: Context | None) -> t.Any:
            if not self._requested_ahead.holds(prepared_request.url):  # else paced when sent
                self.pacer.wait()
            try:
                return func(prepared_request, context)
            except requests.exceptions.SSLError as exc:
                if not is_certificate_error(exc):
                    raise  # a handshake cut short: retried like any connection failure
                raise TLSVerificationError(
                    f"The TLS certificate of {show_origin(prepared_request.url or '')} could "
                    f"not be verified, so nothing was sent to it ({self.vendor}, stream "
                    f"'{self.name}'). The taps never turn verification off. If your network "
                    "inspects TLS, point REQUESTS_CA_BUNDLE at its CA bundle; otherwise check "
                    "the URL setting."
                ) from None

        retrying = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIABLE_EXCEPTIONS,
            max_tries=self.backoff_max_tries,
            jitter=self.backoff_jitter,
            logger=None,
            on_backoff=self.backoff_handler,
        )(paced)

        def guarded(prepared_request: requests.PreparedRequest, context: Context | None) -> t.Any:
            try:
                return retrying(prepared_request, context)
            except (*RETRIABLE_EXCEPTIONS, requests.exceptions.RequestException) as exc:
                raise self.give_up_error(prepared_request, exc) from None

        return guarded

    def give_up_error(
        self, prepared_request: requests.PreparedRequest, exc: BaseException
    ) -> FatalAPIError:
        """The one-paragraph error for a request that failed for good (no URL, no secret)."""
        path = urlparse(prepared_request.url or "").path
        if isinstance(exc, RETRIABLE_EXCEPTIONS):
            return RetriesExhaustedError(
                f"{self.vendor} request for stream '{self.name}' to {path} failed "
                f"{self.backoff_max_tries()} times: {self.describe_failure(exc)}. "
                "The API may be down or overloaded; run the sync again later: it resumes "
                "from the last saved state (raise 'max_retries' to try harder)."
            )
        # Not worth a retry (bad URL, redirect loop...); its text may hold the URL.
        return VendorAPIError(
            f"{self.vendor} request for stream '{self.name}' to {path} failed: "
            f"{self.describe_failure(exc)}. Check the URL settings; state already "
            "written is kept."
        )

    def describe_failure(self, exc: BaseException | None) -> str:
        """One line on what went wrong, with no URL (URLs can carry secrets)."""
        if isinstance(exc, RateLimitedError):
            wait = f" (Retry-After {exc.retry_after:g}s)" if exc.retry_after is not None else ""
            return f"rate limited, HTTP 429{wait}"
        if isinstance(exc, RetriableAPIError):
            return str(exc)
        if isinstance(exc, requests.exceptions.Timeout):
            return f"no response within {self.timeout}s (request_timeout)"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return "the connection broke while the response body was being read"
        if isinstance(exc, requests.exceptions.SSLError):
            return "the TLS handshake failed"
        if isinstance(exc, requests.exceptions.TooManyRedirects):
            return "too many redirects (a redirect loop on the vendor's side)"
        if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionResetError)):
            return "could not connect, or the connection was reset"
        return type(exc).__name__ if exc is not None else "unknown error"

    # -- main thread only: state and messages ---------------------------------------------

    def get_context_state(self, context: Context | None) -> dict:
        """The partition's state (SDK); never on a prefetch worker (not thread-safe)."""
        check_main_thread("read its state", self.name)
        return super().get_context_state(context)

    @property
    def stream_state(self) -> dict:
        """The stream's state (SDK); never on a prefetch worker (not thread-safe)."""
        check_main_thread("read its state", self.name)
        return super().stream_state

    def _write_state_message(self) -> None:
        """STATE (SDK); never from a prefetch worker, where it would land out of order."""
        check_main_thread("wrote a STATE message", self.name)
        super()._write_state_message()

    def _write_schema_message(self) -> None:
        """SCHEMA (SDK); never from a prefetch worker."""
        check_main_thread("wrote a SCHEMA message", self.name)
        super()._write_schema_message()

    def _write_record_message(self, record: dict) -> None:
        """RECORD (SDK); never from a prefetch worker. Without stream maps, flattening or
        another message writer, the line is written straight from the record (see
        ``CheckpointFlushingWriter.write_record``): the same bytes at half the cost."""
        check_main_thread("wrote a RECORD message", self.name)
        plain = self.__dict__.get("_plain_writer")
        if plain is None:
            plain = self.__dict__["_plain_writer"] = self._plain_writer_or_false()
        if not plain:
            super()._write_record_message(record)
            return
        self._narrow(record)
        plain(record, self._stream_version)
        self.state_manager.is_flushed = False

    def _plain_writer_or_false(self) -> t.Callable[[dict, int | None], None] | bool:
        """The writer's ``write_record`` for the stream's alias when its one map passes
        records through unchanged (the SDK's default, no flattening); else False (the
        SDK's path)."""
        maps = self.stream_maps
        write = getattr(self._tap.message_writer, "write_record", None)
        if len(maps) != 1 or type(maps[0]) is not SameRecordTransform or write is None:
            return False
        if maps[0].flattening_options and maps[0].flattening_enabled:
            return False
        return functools.partial(write, maps[0].stream_alias)

    # -- partitions -----------------------------------------------------------------------

    @property
    def concurrency(self) -> int:
        """Child partitions read at the same time (``concurrency``; 1: one after another)."""
        return max(1, int(self.config.get("concurrency") or 1))

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """One partition's records, on the main thread (SDK hook; override ``read_records``).

        A partition a worker already read (see :mod:`outreach_kit.concurrency`) comes from
        memory; any other is read now, on a thread of its own when ``concurrency`` > 1 (the
        next page arrives while this one is written). A parent with selected children reads
        its own records a few ahead so that the workers can fetch those children's
        partitions meanwhile. A :data:`~outreach_kit.concurrency.CHECKPOINT` among the
        records writes a STATE message here.
        """
        ahead = take_fetched_ahead(self, context)
        if ahead is not None:
            yield from self._checkpointed(ahead.records())  # a worker's error is raised here
            return
        asks_ahead = self.request_next_partition_ahead and self.concurrency > 1 and not on_worker()
        if asks_ahead:
            self._requested_ahead.keep_only(partition_key(self.name, context))
        self.prepare_partition(context)
        if asks_ahead:
            self._next_partition_due = context  # asked for once this one's answer is in
        reading = read_ahead(self, context) if self.reads_ahead else None
        try:
            records = reading.records() if reading is not None else self.read_records(context)
            children = [
                c for c in self.child_streams if c.selected and isinstance(c, OutreachStream)
            ]
            if self.concurrency < 2 or not children:
                yield from self._checkpointed(records)
                return
            with ChildPrefetcher(children, self.concurrency) as prefetcher:
                yield from self._checkpointed(
                    prefetcher.ahead_of(
                        records, lambda record: self.get_child_context(dict(record), context)
                    )
                )
        except BaseException:
            self._next_partition_due = None
            self._requested_ahead.keep_only(None)  # the sync stops: close what came ahead
            raise
        finally:
            if reading is not None:
                reading.cancel()  # stopped early (an error, a record limit): let it go

    def _request_next_partition(self, context: Context | None) -> None:
        """Send the next partition's first request now (see :mod:`outreach_kit.ahead`):
        built as that partition's own first request will be, from a copy of its state, and
        paced and authenticated as every request is."""
        upcoming = next_partition(self.partitions, context)
        if upcoming is None:
            return
        with state_copy(self):
            self._write_starting_replication_value(upcoming)  # as the SDK does first
            self.prepare_partition(upcoming)
            prepared = self._prepare_request(
                context=upcoming, page=self.get_new_paginator() or SinglePagePaginator()
            )
        url = prepared.url
        if url is None:
            return
        session, pacer = session_like(self.requests_session), self.pacer
        request = self.authenticator(prepared)
        timeout, redirects = self.timeout, self.allow_redirects

        def send() -> requests.Response:
            pacer.wait()
            return session.send(request, timeout=timeout, allow_redirects=redirects)

        self._requested_ahead.start(partition_key(self.name, upcoming), url, send)

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """The SDK's request, answered by a response requested ahead when there is one for
        this URL (its failure counts as this attempt's, and is retried as such); the first
        answer of a partition sends the next partition's first request (see
        :mod:`outreach_kit.ahead`)."""
        ahead = self._requested_ahead.take(prepared_request.url)
        if ahead is None:
            response = super()._request(prepared_request, context)
        else:
            response = ahead.result()
            self._write_request_duration_log(
                endpoint=self.path, response=response, context=context, extra_tags=None
            )
            self.validate_response(response)
        due = self._next_partition_due
        if due is not None and not on_worker():
            # After this partition's first answer: the vendor builds the next one while this
            # one is read, and the requests still reach it in the sequential order.
            self._next_partition_due = None
            self._request_next_partition(due)
        return response

    @property
    def reads_ahead(self) -> bool:
        """Whether a partition is read on a thread of its own: with ``concurrency`` > 1,
        unless this already is a worker (a prefetched child reads on it directly)."""
        return self.read_ahead and self.concurrency > 1 and not on_worker()

    def _checkpointed(self, records: t.Iterable[t.Any]) -> t.Iterator[dict]:
        """``records`` with each :data:`~outreach_kit.concurrency.CHECKPOINT` turned into a
        STATE message: the SDK has processed every record before it by then."""
        for record in records:
            if record is CHECKPOINT:
                self._write_state_message()
            else:
                yield record

    def prepare_partition(self, context: Context | None) -> None:
        """Override: main-thread work before a partition is read, e.g. reading its state
        (``read_records`` may run on a worker, where state must not be touched)."""

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        """The records of one partition as the API returns them (override this hook).

        It may run on a worker thread, several partitions of the stream at once, so it must
        not write messages or state, nor keep anything about the read on ``self``: pass it
        on explicitly (a paginator, a :class:`~outreach_kit.reading.PageGuard`, a token).
        ``post_process`` and everything after it stay on the main thread. A parent's
        ``get_child_context`` must work on these raw records too.
        """
        yield from self.request_records(context)

    def request_records(
        self,
        context: Context | None,
        paginator: BaseAPIPaginator | None = None,
        guard: PageGuard | None = None,
    ) -> t.Iterable[dict]:
        """The records of one read, checked one by one (SDK hook; may run on a worker).

        ``paginator`` (default: ``get_new_paginator()``) says which pages, ``guard`` carries
        the paging guards across calls that continue one read (default: a new read).
        A record that cannot be used goes to ``rejected_records`` (see
        :mod:`outreach_kit.rejects`): not an object, a key field missing or null, or a key
        already read with different content. A repeat with the same content is dropped:
        offset and page-number paging shift when the data changes between requests, and a
        repeat within one read carries no new information.
        """
        # Key fields the raw record carries: not `tenant`, which post_process adds.
        keys = source_keys(self.primary_keys if self.record_keys is None else self.record_keys)
        keyed = record_key(keys, self.key_value)
        # Hashes of key -> of content, compact (unpaged Salesflow lists hold a whole
        # account in one read): see outreach_kit.repeats.
        seen = KeyDigests()
        rereading = False  # a page asked again after its body broke off part-way
        given_again = 0
        for record in self.request_pages(context, paginator, guard or PageGuard()):
            if record is REREAD:
                if not keys:  # nothing to tell what was already given by
                    raise VendorAPIError(
                        f"{self.vendor} broke off a response of stream '{self.name}' "
                        "part-way, and its records have no key to skip those already "
                        "given by; run the sync again."
                    )
                rereading = True
                continue
            if not isinstance(record, dict):
                self.reject(record, f"not a JSON object ({json_type(record)})")
                continue
            if not keys:
                yield record
                continue
            key = keyed(record)
            if None in key or "" in key:
                missing = [k for k, v in zip(keys, key, strict=True) if v is None or v == ""]
                what = "missing" if any(k not in record for k in missing) else "null"
                self.reject(record, f"{what} primary key {', '.join(missing)}")
                continue
            digest = hash(_encode(record))
            key_hash = hash(key)
            before = seen.put(key_hash, digest)
            if before is None:
                yield record
            elif seen.same(before, digest):
                if rereading:
                    given_again += 1  # given before the body broke off: counted, not logged
                else:
                    self.logger.info(
                        "%s: skipped a record repeated across a page boundary", self.name
                    )
            elif rereading:  # changed between the two reads: the later one is current
                seen.replace(key_hash, digest)
                yield record
            else:
                self.reject(
                    record,
                    "primary key repeated in one read with different content",
                    dict(zip(keys, key, strict=True)),
                )
        if given_again:
            self.logger.info(
                "%s: %d records read again after a response broke off were given before: skipped",
                self.name,
                given_again,
            )

    def key_value(self, value: t.Any) -> t.Any:
        """A raw key field as a hashable value (containers as text); vendors whose ids come
        wrapped (e.g. Mongo's ``{"$oid": ...}``) unwrap them here first."""
        return str(value) if isinstance(value, (dict, list)) else value

    def request_pages(
        self, context: Context | None, paginator: BaseAPIPaginator | None, guard: PageGuard
    ) -> t.Iterator[t.Any]:
        """The raw records of the paginator's pages: the SDK's request loop, written out
        because the SDK's takes no paginator nor guard, only the stream's own attributes."""
        paginator = paginator or self.get_new_paginator() or SinglePagePaginator()

        def send(prepared: requests.PreparedRequest, context: Context | None) -> t.Any:
            response = self._request(prepared, context)  # validate_response runs here
            self.check_page(guard, response)  # in the retried call: a recheck is a retry
            return response

        request = self.request_decorator(send)
        pages = 0
        broken = 0  # attempts of this page whose body broke off part-way
        with self.get_http_request_counter() as request_counter:
            request_counter.with_context(context)
            while not paginator.finished:
                prepared = self._prepare_request(context=context, page=paginator)
                response = request(prepared, context)
                request_counter.increment()
                self.update_sync_costs(prepared, response, context)
                records = iter(self.parse_response(response))
                try:
                    first = next(records, _NO_RECORD)
                    if first is _NO_RECORD:
                        if paginator.continue_if_empty(response):
                            paginator.advance(response)
                            continue
                        self.log(
                            "Pagination stopped after %d pages because no records were found "
                            "in the last response",
                            pages,
                        )
                        break
                    yield first
                    yield from records
                except BrokenBodyError as exc:  # part of the page was given: ask again
                    broken += 1
                    self.wait_after_broken_body(prepared, context, exc, broken)
                    yield REREAD
                    continue
                broken = 0
                pages += 1
                paginator.advance(response)

    def wait_after_broken_body(
        self,
        prepared: requests.PreparedRequest,
        context: Context | None,
        exc: BrokenBodyError,
        attempt: int,
    ) -> None:
        """Before asking again for a page whose body broke off after some of its records
        were given (see :mod:`outreach_kit.streaming`): the retry hooks' wait and log line,
        counted against ``max_retries`` like any failed attempt; past it, the clean error."""
        if attempt >= self.backoff_max_tries():
            raise self.give_up_error(prepared, exc) from None
        wait = self.bounded_wait(exc, attempt)
        self.backoff_handler(
            {"exception": exc, "wait": wait, "tries": attempt, "args": (prepared, context)}
        )
        time.sleep(wait)  # the request asked again waits on the pacer as every request does

    def check_page(self, guard: PageGuard, response: requests.Response) -> None:
        """The read's paging guards on a validated 2xx response (see
        :class:`~outreach_kit.reading.PageGuard`), then the shape check of an empty body,
        which passes only where paging took it for the end. A body the stream read its own
        way (not decoded by ``validate_response``, e.g. spooled) is not judged here."""
        if not hasattr(response, _BODY_ATTR):
            return
        body = getattr(response, _BODY_ATTR)
        ended = False
        if self.page_size:
            count = None
            if body is not None:
                count = len(records_at(self.records_jsonpath, body)) if body else 0
            ended = guard.check(
                response,
                count,
                page_size=self.page_size,
                versioned=self.versioned,
                vendor=self.vendor,
                path=urlparse(response.url).path,
            )
        if body is None:
            self.check_shape(response, body, ended=ended)

    def reject(self, value: t.Any, reason: str, key: dict[str, t.Any] | None = None) -> None:
        """Send a record that cannot be used to ``rejected_records`` (any thread)."""
        ledger = getattr(self._tap, "ledger", None)
        if ledger is None:  # a stream outside an OutreachTap: fail rather than drop
            raise rejects.RejectedRecordError(f"{self.vendor} '{self.name}' record: {reason}")
        rejects.reject(ledger, self.vendor, self.name, value, reason, key)

    # -- responses ------------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        """Classify a response as fine, retriable or fatal (SDK hook)."""
        status = response.status_code
        path = urlparse(response.url).path
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            raise AuthenticationError(self.auth_error_message(response))
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise RateLimitedError(
                f"{self.vendor} rate limit hit on {path}", response, parse_retry_after(response)
            )
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR or status in self.extra_retry_statuses:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise VendorAPIError(self.response_error_message(response))
        body = self.decoded_body(response)
        message = self.envelope_error(body)
        if message is not None:
            raise ErrorEnvelopeError(
                f"{self.vendor} answered {path} with HTTP {status} but reported a failure: "
                f"{message}",
                response,
            )
        if body is not None:  # a body of the wrong shape fails at once, never re-asked
            self.check_shape(response, body, ended=False)
        # An empty body is judged with the read's paging guards (``check_page``).

    def check_shape(self, response: requests.Response, body: t.Any, *, ended: bool) -> None:
        """Fail on a 2xx body the stream cannot read (see :mod:`outreach_kit.shapes`); an
        empty body passes only where paging already took it for the end (``ended``)."""
        shape = self.response_shape or Shape.from_jsonpath(self.records_jsonpath)
        if shape is None:
            return
        if body is None:
            if ended:
                return
            found = "the body is empty"
        else:
            found = shape.mismatch(body)
            if found is None:
                return
        raise shape_error(
            vendor=self.vendor,
            stream=self.name,
            path=urlparse(response.url).path,
            status=response.status_code,
            shape=shape,
            found=found,
            content=response.content,
        )

    def decoded_body(self, response: requests.Response) -> t.Any:
        """The JSON body, decoded once; a non-JSON 2xx body is a retriable error."""
        if hasattr(response, _BODY_ATTR):
            return getattr(response, _BODY_ATTR)
        try:
            body = _decoder.decode(response.content) if response.content else None
        except msgspec.DecodeError:
            body = self._decode_repaired(response)
        if body is not _UNREADABLE:
            setattr(response, _BODY_ATTR, body)
            return body
        kind = "an HTML page" if response.content.lstrip()[:1] == b"<" else "invalid JSON"
        raise InvalidBodyError(
            f"{self.vendor} answered {urlparse(response.url).path} with HTTP "
            f"{response.status_code} and {kind} ({len(response.content)} bytes) instead of JSON",
            response,
        )

    def _decode_repaired(self, response: requests.Response) -> t.Any:
        """The body decoded after replacing lone surrogates, or _UNREADABLE."""
        content, count = replace_lone_surrogates(response.content)
        if not count:
            return _UNREADABLE
        try:
            body = _decoder.decode(content)
        except msgspec.DecodeError:
            return _UNREADABLE
        self.count_surrogates(count)
        return body

    def count_surrogates(self, count: int) -> None:
        """Count lone surrogates replaced in this stream's responses (any thread)."""
        ledger = getattr(self._tap, "ledger", None)
        if ledger is not None:
            ledger.count_surrogates(self.name, count)

    def envelope_error(self, body: t.Any) -> str | None:
        """Override: the error message of a 2xx body that reports failure, else None."""
        return None

    def error_detail(self, body: t.Any) -> str | None:
        """Override: the human message inside a vendor error body."""
        if isinstance(body, dict):
            for key in ("message", "Message", "error", "detail"):
                value = body.get(key)
                if isinstance(value, dict):
                    value = value.get("message") or value.get("Message")
                if isinstance(value, str) and value:
                    return value
        return None

    def response_error_message(self, response: requests.Response) -> str:
        """Status, path (never the query) and the vendor's own message (SDK hook)."""
        try:
            detail = self.error_detail(_decoder.decode(response.content))
        except msgspec.DecodeError:
            detail = None
        if detail is None:
            detail = response.text[:200].strip() or response.reason
        return (
            f"{self.vendor} answered {urlparse(response.url).path} with HTTP "
            f"{response.status_code}: {detail}"
        )

    def auth_error_message(self, response: requests.Response) -> str:
        """Override for vendor wording; never include the credential itself."""
        return (
            f"{self.vendor} rejected the credentials (HTTP {response.status_code}) for stream "
            f"'{self.name}'. Check the '{self.credential_settings}' setting: the key may be "
            "wrong, revoked or lack permission."
        )

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Records at ``records_jsonpath`` of the already decoded body."""
        body = self.decoded_body(response)
        if body is None:
            return
        yield from records_at(self.records_jsonpath, body)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Normalise timestamps and keep undeclared keys in ``extra_property`` (SDK hook)."""
        for name in self.timestamp_fields:
            if name in row:
                try:
                    row[name] = to_utc_iso(row[name])
                except ValueError as exc:
                    self._unusable_timestamp(row, name, exc)
        if self.extra_property:
            declared = self._declared_names()
            if not row.keys() <= declared:  # one set operation for the common record
                extras = {key: row.pop(key) for key in [k for k in row if k not in declared]}
                kept = row.get(self.extra_property)
                if not isinstance(kept, dict):  # the API sent a value under that name
                    kept = {} if kept is None else {self.extra_property: kept}
                row[self.extra_property] = {**kept, **extras}
        return self.conform(row)

    def _declared_names(self) -> frozenset[str]:
        """The schema's property names, taken once the catalog is applied: ``self.schema``
        is a descriptor that costs more per record than the check it serves."""
        declared = self.__dict__.get("_declared")
        if declared is None:
            declared = self.__dict__["_declared"] = frozenset(self.schema["properties"])
        return declared  # type: ignore[no-any-return]

    def _unusable_timestamp(self, row: dict, name: str, exc: ValueError) -> None:
        """Land null, keep the raw value in ``extra_property``, count it (WARNING at the end)."""
        raw = row[name]
        if self.extra_property:
            row[self.extra_property] = {**(row.get(self.extra_property) or {}), name: raw}
        row[name] = None
        kind = "impossible times" if isinstance(exc, ImpossibleTimestamp) else "not timestamps"
        what = (
            f"'{name}' value(s) that are {kind}: landed null, the raw value kept in "
            f"'{self.extra_property}'"
        )
        if self._tap.tally.add(self.name, what):  # type: ignore[attr-defined]
            self.logger.warning(
                "%s: %s=%r is not a usable timestamp (%s); landed null, raw value kept in "
                "'%s'. A count follows at the end of the run.",
                self.name,
                name,
                raw,
                exc,
                self.extra_property,
            )

    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> t.Iterable[dict | None]:
        """Child contexts of a record (SDK hook); none, at no cost, for a stream without
        child streams (the SDK would copy the context for each record to sync nothing)."""
        if self.child_streams:
            yield from super().generate_child_contexts(record, context)

    def _generate_record_messages(self, record: dict) -> t.Iterator[RecordMessage]:
        """RECORD messages (SDK method) of the catalog's properties only.

        The SDK pops deselected properties by looking up every key of every record, nested
        objects' keys too, in the selection mask (a fifth of the per-record cost measured on
        Sales.Rocks rows), and leaves in properties a narrowed catalog schema lacks. Here a
        catalog that narrows nothing costs nothing, and one that does (deselected
        properties, or properties removed from its schema) is applied by a precomputed plan.
        Dropping happens here, not in ``post_process``: child contexts and bookmarks are
        taken from the whole record, as in the SDK.
        """
        self._narrow(record)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=datetime.now(timezone.utc),
                )

    def _narrow(self, record: dict) -> None:
        """Drop what the catalog does not select (see ``_generate_record_messages``)."""
        if self._narrowed is None:
            self._narrowed = self._narrowed_plan() or False
        if self._narrowed:
            self._narrowed.conform(record, "", [])

    def _narrowed_plan(self) -> Conformance | None:
        """The plan of the catalog's selected schema, or None when it is the whole schema."""
        schema = self.effective_schema
        if not all(self.mask.values()):
            schema = selected_schema(schema, self.mask)
        return None if schema == self.schema else Conformance(schema)

    def conform(self, row: dict) -> dict | None:
        """Make ``row`` fit the schema (see :mod:`outreach_kit.conformance`); None, with
        the row sent to ``rejected_records``, when a key field is null. The row is tagged
        with the tenant first, when one is set (see :mod:`outreach_kit.tenants`)."""
        if self.tenant is not None:
            row[TENANT] = self.tenant
        if self._conformance is None:
            self._conformance = Conformance(self.schema)
        dropped, nulled = self._conformance.apply(row, self.extra_property)
        if nulled:
            ledger = getattr(self._tap, "ledger", None)
            if ledger is not None:
                ledger.count_nulled(self.name, nulled)
        if dropped:
            self.logger.warning(
                "Properties %s were present in the '%s' stream but not found in catalog "
                "schema. Ignoring.",
                tuple(dropped),
                self.name,
            )
        for name in self.primary_keys:
            if row.get(name) is None or row.get(name) == "":
                self.reject(row, f"null primary key {name}")
                return None
        return row


_SIMPLE_PATH = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\[\*\])?$")


@functools.lru_cache(maxsize=64)
def _simple_path(path: str) -> tuple[tuple[str, ...], bool] | None:
    match = _SIMPLE_PATH.match(path)
    if not match:
        return None
    return tuple(k for k in match[1].split(".") if k), bool(match[2])


def records_at(path: str, body: t.Any) -> list:
    """What ``extract_jsonpath(path, body)`` yields, as a list; paths like ``$``,
    ``$.data`` and ``$.data.contacts[*]`` are walked directly (jsonpath_ng builds an object
    per match: ~4 us a record), anything else goes to the SDK."""
    simple = _simple_path(path)
    if simple is not None:
        keys, every = simple
        value = body
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if every and isinstance(value, list):
            return value
        if not every and isinstance(value, dict):
            return [value]
    return list(extract_jsonpath(path, body))


def parse_retry_after(response: requests.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


__all__ = [
    "RETRIABLE_EXCEPTIONS",
    "FatalAPIError",
    "OutreachStream",
    "parse_retry_after",
    "records_at",
]
