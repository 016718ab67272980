"""Keep secrets out of every byte a tap writes to stderr or its logs.

Secrets travel in headers, request bodies and (for Salesflow) query strings, so they can
surface in exception text, retry logs, urllib3 debug lines and tracebacks. Rather than
trusting every call site, the tap registers each secret once and two process-wide guards
scrub it: a log-record factory (every record, any logger, any level) and a wrapper around
``sys.stderr`` (tracebacks, warnings and stray prints).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
import typing as t
from urllib.parse import quote, quote_plus

MASK = "***"
#: Shorter values would mask ordinary words; a credential is never this short.
MIN_SECRET_LENGTH = 3
#: Config keys whose values are secrets even if a schema forgot to say so.
SECRET_KEY_PATTERN = re.compile(r"(token|password|secret|api_key|apikey|private_key)", re.I)


class SecretRegistry:
    """A thread-safe set of secret strings and the pattern that masks them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: object) -> None:
        """Register a secret with every encoding it may appear in (URL, JSON)."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
            return
        forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
        with self._lock:
            if forms <= self._values:
                return
            self._values |= forms
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def add_from_config(self, config: t.Any, secret_keys: t.Iterable[str] = ()) -> None:
        """Register every value under a secret-looking or explicitly secret key."""
        explicit = set(secret_keys)
        if isinstance(config, dict):
            for key, value in config.items():
                if isinstance(value, (dict, list)):
                    self.add_from_config(value, explicit)
                elif key in explicit:
                    self.add(value if isinstance(value, str) else str(value))
                elif isinstance(value, str) and SECRET_KEY_PATTERN.search(str(key)):
                    # By name alone only text is a credential: `token_refresh_margin_seconds: 300`
                    # must not turn every "300" in the logs into "***".
                    self.add(value)
        elif isinstance(config, list):
            for item in config:
                self.add_from_config(item, explicit)

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered secret replaced by ``***``."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def __contains__(self, value: str) -> bool:
        return value in self._values


#: The registry every tap in this process shares.
SECRETS = SecretRegistry()


class RedactingStream:
    """A text stream wrapper that masks secrets before they reach the real stream."""

    def __init__(self, stream: t.TextIO, registry: SecretRegistry = SECRETS) -> None:
        self._stream = stream
        self._registry = registry

    def write(self, text: str) -> int:
        self._stream.write(self._registry.redact(text))
        return len(text)

    def writelines(self, lines: t.Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._stream, name)


_installed = False
_install_lock = threading.Lock()


def install_redaction(registry: SecretRegistry = SECRETS) -> None:
    """Install the log-record factory and stderr wrapper once per process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _installed = True
    base_factory = logging.getLogRecordFactory()

    def factory(*args: t.Any, **kwargs: t.Any) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        _scrub_record(record, registry)
        return record

    logging.setLogRecordFactory(factory)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr, registry)  # type: ignore[assignment]
    # Handlers created before this point hold the raw stream: point them at the wrapper.
    for handler in _all_handlers():
        stream = getattr(handler, "stream", None)
        if stream is sys.__stderr__ and isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)  # type: ignore[arg-type]


def _all_handlers() -> t.Iterator[logging.Handler]:
    yield from logging.getLogger().handlers
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            yield from logger.handlers


def _scrub_record(record: logging.LogRecord, registry: SecretRegistry) -> None:
    """Format the message now, mask it, and pre-render any traceback masked."""
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    record.msg = registry.redact(message)
    record.args = ()
    if record.exc_info and record.exc_info[0] is not None:
        rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = registry.redact(rendered)
    if record.stack_info:
        record.stack_info = registry.redact(record.stack_info)
