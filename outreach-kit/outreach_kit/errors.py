"""Errors a data engineer can act on: each names the setting or response at fault."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError


class ConfigurationError(Exception):
    """A setting is missing, mistyped or inconsistent; the message names it."""


class AuthenticationError(FatalAPIError):
    """The vendor rejected the credentials; the message names the setting, never the value."""


class VendorAPIError(FatalAPIError):
    """The vendor answered with an error that retrying will not fix."""


class RetriesExhaustedError(FatalAPIError):
    """A transient failure outlasted every retry."""


class RateLimitedError(RetriableAPIError):
    """HTTP 429: wait what the server asked (``retry_after``) before trying again."""

    def __init__(self, message: str, response: object = None, retry_after: float | None = None):
        super().__init__(message, response)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PageRecheckError(RetriableAPIError):
    """An empty page that may be transient, asked again at once: no backoff wait (an
    empty page is an answer, not an overload) and no share of the run's wait budget."""


class InvalidBodyError(RetriableAPIError):
    """A 2xx response whose body is not the JSON the API documents (HTML page, cut off)."""


class BrokenBodyError(InvalidBodyError):
    """A body read as it arrives broke off or turned invalid after some of its records were
    already given out: the read asks again and skips what it already gave."""


class ErrorEnvelopeError(RetriableAPIError):
    """A 2xx response whose JSON says it failed (e.g. ``{"success": false}``)."""


class RedirectRefusedError(FatalAPIError):
    """A redirect to another origin: not followed, credentials stay on the configured host."""


class TLSVerificationError(FatalAPIError):
    """The host's TLS certificate could not be verified (verification is never turned off)."""


class WaitTooLongError(FatalAPIError):
    """A wait beyond ``max_retry_wait_seconds`` or the run's total retry-wait budget."""
