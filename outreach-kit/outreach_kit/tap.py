"""The tap base class: secrets registered before anything can print them, shared pacing.

Secrets are registered from the raw config *before* singer-sdk validates it, because a
validation message can quote the offending value. What every tap would otherwise repeat
lives here too: discovery from :attr:`OutreachTap.stream_types`, the console entry point
(:meth:`OutreachTap.main`) and the check that required text settings are not blank.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import typing as t
from datetime import datetime, timezone
from pathlib import Path

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.contrib.msgspec import encoder as _ENCODER
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.singerlib import Message, RecordMessage

from outreach_kit.cli import run
from outreach_kit.errors import ConfigurationError
from outreach_kit.pacing import RequestPacer
from outreach_kit.redaction import SECRETS, install_redaction
from outreach_kit.rejects import FAIL, KEEP, STREAM_NAME, Ledger, RejectedRecordsStream
from outreach_kit.tally import WarningTally
from outreach_kit.tenants import (
    catalog_with_tenant,
    configured_tenant,
    tenant_deletes_property,
    tenant_property,
)
from outreach_kit.timestamps import parse_setting_datetime
from outreach_kit.transport import check_url_settings
from outreach_kit.waits import WaitBudget, check_wait_settings


def common_properties(*, api_url: str, rate_limit: int | None = None) -> list[th.Property]:
    """Settings every tap offers: endpoint, retries, timeouts and pacing."""
    return [
        th.Property(
            "api_url",
            th.StringType,
            default=api_url,
            description="Base URL of the API. Change it only to reach a proxy or a sandbox.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=60,
            description="Seconds to wait for a response before retrying the request.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            description="Retries of a request that failed transiently (429, 5xx, network).",
        ),
        th.Property(
            "retry_base_seconds",
            th.NumberType,
            default=1.0,
            description="First wait of the exponential backoff when no Retry-After is sent.",
        ),
        th.Property(
            "max_retry_wait_seconds",
            th.NumberType,
            default=600,
            description="Longest single wait before a retry (the backoff is capped at it). A "
            "Retry-After longer than this fails the run at once, saying when the vendor asked "
            "to come back; state is kept and the next run resumes.",
        ),
        th.Property(
            "max_total_retry_wait_seconds",
            th.NumberType,
            default=1800,
            description="Longest total time one run may spend waiting to retry (all streams "
            "together); the wait that would pass it fails the run, state kept.",
        ),
        th.Property(
            "proxy_url",
            th.StringType,
            secret=True,
            description="HTTP(S) proxy for every request, e.g. http://user:pass@proxy:3128. "
            "Proxy environment variables (HTTPS_PROXY...) are ignored; empty means direct.",
        ),
        th.Property(
            "rate_limit_requests",
            th.IntegerType,
            default=rate_limit,
            description="Requests allowed per rate-limit window (per credential). "
            "Empty means no pacing.",
        ),
        th.Property(
            "concurrency",
            th.IntegerType,
            default=4,
            description="Child partitions (e.g. each list's leads) fetched at the same time "
            "while the parent is read; 1 reads them one after another. Output and state are "
            "the same either way, and requests stay within the rate limit.",
        ),
        th.Property(
            "rate_limit_window_seconds",
            th.NumberType,
            default=60.0,
            description="Length of the rate-limit window in seconds.",
        ),
        th.Property(
            "on_rejected_record",
            th.StringType(allowed_values=[KEEP, FAIL]),
            default=KEEP,
            description="What to do with a record that cannot be used (not an object, "
            "missing or null primary key, same key twice with different content): 'keep' "
            "lands it in the 'rejected_records' stream with the reason and its raw JSON; "
            "'fail' stops the sync with an error.",
        ),
        tenant_property(),
        tenant_deletes_property(),
    ]


class CheckpointFlushingWriter(MsgSpecWriter):
    """msgspec output (several times faster than the stdlib's), written at checkpoints.

    The SDK writes and flushes stdout for every message, a system call per record (two
    where stdout is unbuffered, as with PYTHONUNBUFFERED). Records are collected and written
    with the next non-record message (STATE, SCHEMA...), every 64 KiB, and at exit, so a
    target never receives a STATE before the records it covers, and a tap killed outright
    loses only records no STATE had vouched for yet: a resumed sync reads them again.
    """

    _pending: bytearray | None = None

    def write_message(self, message: Message) -> None:
        pending = self._buffer()
        pending += self.format_message(message)
        if not isinstance(message, RecordMessage) or len(pending) >= 65_536:
            self.flush()

    def write_record(self, stream: str, record: dict, version: int | None) -> None:
        """A RECORD message, byte for byte what ``write_message(RecordMessage(...))``
        writes (the same fields, time and encoder), without building the message object
        and its dictionary: the per-record hot path of a plain stream."""
        message: dict[str, t.Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = datetime.now(timezone.utc)
        pending = self._buffer()
        _ENCODER.encode_into(message, pending, -1)  # -1: appended
        pending += b"\n"
        if len(pending) >= 65_536:
            self.flush()

    def _buffer(self) -> bytearray:
        """The bytes collected for the next write (set up, and flushed at exit, on first use)."""
        if self._pending is None:
            self._pending = bytearray()
            atexit.register(self.flush)
        return self._pending

    def flush(self) -> None:
        """Write what is collected and flush stdout."""
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()
        sys.stdout.flush()


class OutreachTap(Tap):
    """Base for the three taps; see module docstring."""

    message_writer_class = CheckpointFlushingWriter
    #: The tap's stream classes, in discovery order (``rejected_records`` is added to them).
    stream_types: t.ClassVar[t.Sequence[type[Stream]]] = ()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        #: What the run tolerated or could not use as sent, counted; reported at the end.
        self.tally = WarningTally()
        install_redaction()
        raw = _raw_config(kwargs.get("config"), self.name, kwargs.get("parse_env_config", False))
        SECRETS.add_from_config(raw, self.secret_setting_names())
        self._given_catalog = _load(kwargs.get("catalog"))
        tenant = configured_tenant(raw)
        if tenant is not None and self._given_catalog is not None:
            self._given_catalog = kwargs["catalog"] = catalog_with_tenant(
                self._given_catalog, tenant
            )
        self._given_state = _load(kwargs.get("state"))
        _check_state_shape(self._given_state, self.name)
        try:
            super().__init__(*args, **kwargs)
        except ConfigValidationError as exc:
            details = "; ".join(str(error) for error in exc.errors) or str(exc)
            raise ConfigurationError(
                f"Invalid settings for {self.name}: {details}. Fix them with `meltano config "
                f"set`, in .env or in the --config file; `{self.name} --about` lists every "
                "setting."
            ) from None
        SECRETS.add_from_config(dict(self.config), self.secret_setting_names())
        # Created here, not lazily: worker threads share it (see outreach_kit.concurrency).
        self._pacer = RequestPacer(
            self.config.get("rate_limit_requests"),
            float(self.config.get("rate_limit_window_seconds") or 60.0),
        )
        self._wait_budget = WaitBudget.from_config(self.config)
        #: Where rejected records go; it counts them (and nulled values) in the tally.
        self.ledger = Ledger(self, str(self.config.get("on_rejected_record") or KEEP), self.tally)
        if kwargs.get("validate_config", True):
            self.check_settings()
        self._check_state_streams()

    @classmethod
    def main(cls) -> t.NoReturn:
        """The console script (each tap module binds it as ``cli``; see outreach_kit.cli)."""
        run(cls)

    def discover_streams(self) -> list[Stream]:
        """One instance of each of :attr:`stream_types` (SDK hook)."""
        return [stream_type(tap=self) for stream_type in self.stream_types]

    def load_streams(self) -> list:
        """The tap's streams plus ``rejected_records`` (see :mod:`outreach_kit.rejects`)."""
        return [*super().load_streams(), RejectedRecordsStream(tap=self)]

    def sync_all(self) -> None:
        """Refuse a catalog that selects nothing or names streams this tap does not have."""
        self._check_catalog()
        try:
            super().sync_all()
        finally:
            self.tally.report(self.logger)

    def _check_catalog(self) -> None:
        catalog = self._given_catalog
        if catalog is None:
            return
        entries = catalog.get("streams") if isinstance(catalog, dict) else None
        if not isinstance(entries, list):
            raise ConfigurationError(
                f"The catalog given to {self.name} has no 'streams' list. Generate one with "
                f"`{self.name} --config CONFIG --discover` and select streams in it."
            )
        names = {
            str(e.get("tap_stream_id") or e.get("stream")) for e in entries if isinstance(e, dict)
        }
        unknown = sorted(names - set(self.streams))
        if unknown:
            raise ConfigurationError(
                f"The catalog names streams {self.name} does not have: {', '.join(unknown)}. "
                f"Its streams are: {', '.join(sorted(self.streams))}. Re-run discovery."
            )
        data_streams = [s for n, s in self.streams.items() if n != STREAM_NAME]
        if not any(s.selected or s.has_selected_descendents for s in data_streams):
            raise ConfigurationError(
                f"The catalog selects no stream of {self.name}, so there is nothing to sync. "
                "Select streams (meltano select, or 'selected': true in the catalog metadata)."
            )

    def _check_state_streams(self) -> None:
        bookmarks = (self._given_state or {}).get("bookmarks") or {}
        unknown = sorted(set(bookmarks) - set(self.streams))
        if unknown:
            raise ConfigurationError(
                f"The state given to {self.name} has bookmarks for streams it does not have "
                f"({', '.join(unknown)}): it belongs to another tap or pipeline. Pass the state "
                "Meltano saved for this pipeline, or none for a full sync."
            )

    @classmethod
    def secret_setting_names(cls) -> set[str]:
        """Names of settings whose schema marks them secret (at any depth)."""
        names: set[str] = set()

        def walk(schema: t.Any) -> None:
            if isinstance(schema, dict):
                for key, sub in (schema.get("properties") or {}).items():
                    if isinstance(sub, dict) and (sub.get("secret") or sub.get("writeOnly")):
                        names.add(key)
                    walk(sub)
                walk(schema.get("items"))

        walk(cls.config_jsonschema)
        return names

    def check_settings(self) -> None:
        """Fail fast on settings JSON Schema cannot judge; subclasses extend."""
        unknown = sorted(set(self.config) - set(self.config_jsonschema["properties"]))
        if unknown:
            raise ConfigurationError(
                f"Unknown setting(s) for {self.name}: {', '.join(unknown)}. Check the spelling; "
                f"`{self.name} --about` lists every setting."
            )
        for name in ("start_date",):
            value = self.config.get(name)
            if value:
                try:
                    parse_setting_datetime(name, value)
                except ValueError as exc:
                    raise ConfigurationError(str(exc)) from None
        concurrency = self.config.get("concurrency")
        if concurrency is not None and not 1 <= int(concurrency) <= 32:
            raise ConfigurationError(
                f"Setting 'concurrency' must be between 1 and 32, got {concurrency}. Use 1 to "
                "read child partitions one after another."
            )
        self._check_required_text()
        check_url_settings(self.config)
        check_wait_settings(self.config)
        configured_tenant(self.config)

    def _check_required_text(self) -> None:
        """A required text setting given as "" or blanks passes JSON Schema; refuse it here."""
        for name in self.config_jsonschema.get("required", ()):
            value = self.config.get(name)
            if isinstance(value, str) and not value.strip():
                env = f"{self.name.upper().replace('-', '_')}_{name.upper()}"
                raise ConfigurationError(
                    f"Setting '{name}' is empty. Set it (meltano config set {self.name} {name} "
                    f"..., or {env})."
                )

    @property
    def pacer(self) -> RequestPacer:
        """One pacer per tap run, shared by every stream and worker: the vendor limits
        requests per credential."""
        return self._pacer

    @property
    def wait_budget(self) -> WaitBudget:
        """One budget of retry waits per run, shared by every stream and worker."""
        return self._wait_budget


def _raw_config(config: t.Any, name: str, parse_env: bool) -> dict:
    """The config as given (dict, file path or list of paths), merged, unvalidated."""
    merged: dict = {}
    items = config if isinstance(config, (list, tuple)) else [config]
    for item in items:
        if isinstance(item, dict):
            merged.update(item)
        elif isinstance(item, (str, os.PathLike)):
            try:
                loaded = json.loads(Path(item).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(loaded, dict):
                merged.update(loaded)
    if parse_env:
        prefix = name.upper().replace("-", "_") + "_"
        for key, value in os.environ.items():
            if key.startswith(prefix):
                merged[key[len(prefix) :].lower()] = _maybe_json(value)
    return merged


def _maybe_json(value: str) -> t.Any:
    """Env values holding arrays or objects (e.g. a list of accounts) as JSON."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _load(value: t.Any) -> t.Any:
    """A state or catalog as given: a dict, or a path to a JSON file."""
    if isinstance(value, (str, os.PathLike)):
        try:
            return json.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"Could not read JSON from {value}: {exc}.") from None
    return value


def _check_state_shape(state: t.Any, name: str) -> None:
    """A Singer state is an object whose `bookmarks` map stream names to objects."""
    if state is None:
        return
    bookmarks = state.get("bookmarks", {}) if isinstance(state, dict) else None
    if not isinstance(bookmarks, dict) or not all(isinstance(v, dict) for v in bookmarks.values()):
        raise ConfigurationError(
            f"The state given to {name} is not a Singer state (expected an object with "
            "'bookmarks' mapping each stream to an object). Pass the state Meltano saved for "
            "this pipeline, or none for a full sync; nothing was extracted."
        )
