"""The next partition's first request, sent while this partition is being read.

A stream read once per account whose endpoint answers with one large body (Salesflow's
unpaged lists) leaves the vendor idle while the tap writes an account's records, and the
tap idle while the vendor builds the next account's answer. With ``concurrency`` > 1 the
stream asks for the next partition's first page as soon as this partition's first answer
has come (:class:`RequestedAhead`; so requests reach the vendor in the sequential order),
on a thread of its own that only waits for the answer's headers;
the body is read later, on the main thread, when the sync reaches that partition, exactly
as if it had been requested then. So the requests, the records, the messages and the state
are those of a sequential run; only the vendor's time overlaps the tap's.

The response is used only for the request it answers: the same URL, asked by the first
request of that partition. One that is not used (the partition's state changed its URL, or
the sync stopped) is closed. A request that failed (a connection error, a 429, a 5xx) is
judged as the first attempt of the real request, which the retry hooks then repeat.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import typing as t
from concurrent.futures import Future

import requests


class RequestedAhead:
    """First-page responses requested ahead, by partition; main thread only, except the
    sending itself."""

    def __init__(self) -> None:
        #: URL -> (partition key, the response to come).
        self._pending: dict[str, tuple[str, Future[requests.Response]]] = {}

    def start(self, partition: str, url: str, send: t.Callable[[], requests.Response]) -> None:
        """Send a request on a thread of its own; its response waits under ``url``."""
        self.drop(url)
        answer: Future[requests.Response] = Future()
        answer.set_running_or_notify_cancel()

        def run() -> None:
            try:
                answer.set_result(send())
            except BaseException as exc:  # judged where the response is taken
                answer.set_exception(exc)

        threading.Thread(target=run, name="request-ahead", daemon=True).start()
        self._pending[url] = (partition, answer)

    def holds(self, url: str | None) -> bool:
        """Whether a response to ``url`` was requested ahead (it has been paced then)."""
        return url in self._pending

    def take(self, url: str | None) -> Future[requests.Response] | None:
        """The response requested ahead for ``url``, handed over once."""
        held = self._pending.pop(url, None)  # type: ignore[arg-type]
        return held[1] if held is not None else None

    def keep_only(self, partition: str | None) -> None:
        """Close every response not requested for ``partition`` (None: close them all)."""
        for url, (owner, _) in list(self._pending.items()):
            if owner != partition:
                self.drop(url)

    def drop(self, url: str) -> None:
        held = self._pending.pop(url, None)
        if held is not None:
            held[1].add_done_callback(_close)


def _close(answer: Future[requests.Response]) -> None:
    """Release an unused response's connection (its body was never read)."""
    if answer.exception() is None:
        with contextlib.suppress(Exception):
            answer.result().close()


def next_partition(
    partitions: t.Sequence[dict] | None, context: t.Mapping[str, t.Any] | None
) -> dict | None:
    """The partition the sync reads after ``context``, if any."""
    if not partitions or context is None:
        return None
    for index, partition in enumerate(partitions[:-1]):
        if partition == context:
            return partitions[index + 1]
    return None


#: Takes the SDK's state log lines of a partition prepared ahead (they come again, in
#: order, when the sync reaches it).
_QUIET = logging.getLogger("outreach_kit.ahead.quiet")
_QUIET.disabled = True


@contextlib.contextmanager
def state_copy(stream: t.Any) -> t.Iterator[None]:
    """Run the block against a copy of the tap's state, for a partition prepared ahead of
    its turn: singer-sdk writes into the state as a partition starts (its entry, the
    starting value), which would otherwise show in STATE messages written before that
    partition's turn. The copy is thrown away; the sync prepares the partition again."""
    manager = stream.state_manager
    real = manager.tap_state
    copied = copy.deepcopy(real)
    logger = getattr(manager, "_logger", None)
    manager.tap_state = stream._tap_state = copied
    if logger is not None:
        manager._logger = _QUIET
    try:
        yield
    finally:
        manager.tap_state = stream._tap_state = real
        if logger is not None:
            manager._logger = logger
