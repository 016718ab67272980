"""The tap base class: secrets registered before anything can print them, shared pacing.

Secrets are registered from the raw config *before* singer-sdk validates it, because a
validation message can quote the offending value.
"""

from __future__ import annotations

import json
import os
import typing as t
from pathlib import Path

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter

from outreach_kit.errors import ConfigurationError
from outreach_kit.pacing import RequestPacer
from outreach_kit.redaction import SECRETS, install_redaction
from outreach_kit.timestamps import parse_setting_datetime


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
            "rate_limit_requests",
            th.IntegerType,
            default=rate_limit,
            description="Requests allowed per rate-limit window (per credential). "
            "Empty means no pacing.",
        ),
        th.Property(
            "rate_limit_window_seconds",
            th.NumberType,
            default=60.0,
            description="Length of the rate-limit window in seconds.",
        ),
    ]


class OutreachTap(Tap):
    """Base for the three taps; see module docstring."""

    message_writer_class = MsgSpecWriter  # several times faster than the stdlib writer

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        install_redaction()
        SECRETS.add_from_config(
            _raw_config(kwargs.get("config"), self.name, kwargs.get("parse_env_config", False)),
            self.secret_setting_names(),
        )
        super().__init__(*args, **kwargs)
        SECRETS.add_from_config(dict(self.config), self.secret_setting_names())
        self._pacer: RequestPacer | None = None
        if kwargs.get("validate_config", True):
            self.check_settings()

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
        for name in ("start_date",):
            value = self.config.get(name)
            if value:
                try:
                    parse_setting_datetime(name, value)
                except ValueError as exc:
                    raise ConfigurationError(str(exc)) from None
        url = str(self.config.get("api_url") or "")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"Setting 'api_url' must be an http(s) URL, got {url!r}. "
                "Leave it unset to use the vendor's default endpoint."
            )

    @property
    def pacer(self) -> RequestPacer:
        """One pacer per tap run: the vendor limits requests per credential."""
        if self._pacer is None:
            self._pacer = RequestPacer(
                self.config.get("rate_limit_requests"),
                float(self.config.get("rate_limit_window_seconds") or 60.0),
            )
        return self._pacer


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
