"""The HTTP session policy of every request the taps send: credentials stay on their host.

Every request carries a credential (a header, a query parameter or a login body), so the
one session class used by every stream, every worker thread and the Sales.Rocks login
enforces, in one place:

- **Redirects stay on their origin.** A redirect to another scheme, host or port is never
  followed: the run stops with :class:`RedirectRefusedError` naming both hosts and the URL
  setting to change if the vendor really moved. Same-origin redirects are followed (requests
  re-sends the body on 307/308) and logged at INFO with paths only.
- **No proxy or credentials from the environment.** ``trust_env`` is off: ``HTTPS_PROXY``,
  ``ALL_PROXY`` and ``~/.netrc`` are ignored, so nothing outside the tap's own settings can
  route a request (with its credential) somewhere else. ``proxy_url`` asks for a proxy.
- **TLS verification always on.** ``verify`` is forced on every send; a custom trust store
  comes from ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` (a file or directory), never "off".

Plain HTTP is allowed only to loopback addresses (the sandbox): see :func:`check_url`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
import typing as t
from urllib.parse import urljoin, urlsplit

import requests

from outreach_kit.errors import ConfigurationError, RedirectRefusedError

#: Default ports, so that ``https://h`` and ``https://h:443`` are one origin.
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Environment variables naming a CA bundle (the ones requests itself reads).
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")

Origin = tuple[str, str, int | None]


def origin(url: str) -> Origin:
    """(scheme, lower-case host, port) of ``url``; the port defaults by scheme."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def show_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: no user info, path or query (they can hold secrets)."""
    scheme, host, port = origin(url)
    host = f"[{host}]" if ":" in host else host
    shown = f"{scheme}://{host}" if scheme else host or "(no host)"
    return shown if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{shown}:{port}"


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1: traffic that never leaves the machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(name: str, value: str) -> None:
    """Refuse a URL setting that is not http(s), or plain HTTP to a non-loopback host."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"Setting '{name}' must be an http(s) URL with a host, e.g. https://api.example.com;"
            f" the value given has scheme {parts.scheme!r} and host {parts.hostname or ''!r}. "
            "Leave it unset to use the vendor's default endpoint."
        )
    if parts.scheme.lower() == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"Setting '{name}' points at {show_origin(value)} over plain HTTP: the credentials "
            "would travel in clear text. Use its https:// address (plain HTTP is accepted only "
            "for loopback addresses such as the local sandbox)."
        )


def url_settings(config: t.Mapping[str, t.Any]) -> dict[str, str]:
    """The settings holding an API base URL (``api_url``, ``statistics_api_url``, ...)."""
    return {k: str(v) for k, v in config.items() if k.endswith("api_url") and v is not None}


def check_url_settings(config: t.Mapping[str, t.Any]) -> None:
    """Validate every API URL and ``proxy_url`` at start-up (see :func:`check_url`)."""
    for name, value in url_settings(config).items():
        check_url(name, value)
    proxy = config.get("proxy_url")
    if proxy and urlsplit(str(proxy)).scheme.lower() not in ("http", "https"):
        raise ConfigurationError(
            "Setting 'proxy_url' must be an http:// or https:// URL, got one "
            f"starting {str(proxy).split(':', 1)[0]!r}. Leave it unset to connect directly."
        )


def ca_bundle() -> str | bool:
    """The trust store: a CA bundle named by the environment if it exists, else requests'
    default (certifi). Never ``False``: verification cannot be switched off."""
    for variable in CA_BUNDLE_VARIABLES:
        path = os.environ.get(variable)
        if path and os.path.exists(path):
            return path
    return True


def is_certificate_error(exc: BaseException) -> bool:
    """True if ``exc`` (or anything it wraps) is a failed TLS certificate verification."""
    seen: set[int] = set()
    pending: list[t.Any] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        pending += [*item.args, item.__cause__, item.__context__, getattr(item, "reason", None)]
    return False


class GuardedSession(requests.Session):
    """A requests session that applies the module's policy; see the module docstring."""

    def __init__(
        self,
        *,
        url_setting_names: t.Mapping[Origin, tuple[str, ...]] | None = None,
        proxy_url: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = ca_bundle()
        self.proxy_url = proxy_url or None
        if self.proxy_url:
            self.proxies = {"http": self.proxy_url, "https": self.proxy_url}
        #: Which setting configures each origin, for the "set this if the vendor moved" hint.
        self.url_setting_names = dict(url_setting_names or {})
        self.logger = logger or logging.getLogger(__name__)

    @classmethod
    def for_config(
        cls, config: t.Mapping[str, t.Any], logger: logging.Logger | None = None
    ) -> GuardedSession:
        """The session for a tap's settings (URL settings, ``proxy_url``)."""
        names: dict[Origin, tuple[str, ...]] = {}
        for name, url in sorted(url_settings(config).items()):
            names[origin(url)] = (*names.get(origin(url), ()), name)
        return cls(url_setting_names=names, proxy_url=config.get("proxy_url"), logger=logger)

    def spawn(self) -> GuardedSession:
        """A new session with the same policy and settings (one per worker thread)."""
        twin = type(self)(
            url_setting_names=self.url_setting_names, proxy_url=self.proxy_url, logger=self.logger
        )
        twin.headers = self.headers.copy()
        twin.params = dict(self.params) if isinstance(self.params, dict) else self.params
        twin.stream = self.stream
        twin.cert = self.cert
        return twin

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        """Send with verification on and only the configured proxy, whatever the caller says."""
        kwargs["verify"] = self.verify if self.verify is not False else True
        kwargs["proxies"] = dict(self.proxies)
        return super().send(request, **kwargs)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """The next URL of a same-origin redirect; a cross-origin one raises (requests hook)."""
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        absolute = urljoin(resp.url, target)
        if origin(absolute) != origin(resp.url):
            resp.close()
            names = self.url_setting_names.get(origin(resp.url)) or ("api_url",)
            setting = " or ".join(f"'{name}'" for name in names)
            raise RedirectRefusedError(
                f"{show_origin(resp.url)} answered {urlsplit(resp.url).path} with a redirect "
                f"(HTTP {resp.status_code}) to another host, {show_origin(absolute)}. It was not "
                "followed: credentials are sent only to the configured host, so the run stopped "
                "here (state already written is kept). If the vendor really moved its API, set "
                f"{setting} to the new https:// address after checking it with the vendor."
            )
        marker = (resp.url, absolute)
        if getattr(resp, "_outreach_logged_redirect", None) != marker:  # requests asks twice
            resp._outreach_logged_redirect = marker  # type: ignore[attr-defined]
            self.logger.info(
                "Followed a same-origin redirect (HTTP %d) from %s to %s",
                resp.status_code,
                urlsplit(resp.url).path,
                urlsplit(absolute).path,
            )
        return target


__all__ = [
    "CA_BUNDLE_VARIABLES",
    "GuardedSession",
    "ca_bundle",
    "check_url",
    "check_url_settings",
    "is_certificate_error",
    "is_loopback",
    "origin",
    "show_origin",
    "url_settings",
]
