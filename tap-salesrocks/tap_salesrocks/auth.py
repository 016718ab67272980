"""Sales.Rocks login: one bearer token per tap run, refreshed before it expires.

singer-sdk's `OAuthAuthenticator` gives the shape (token, expiry, header); this subclass
adds what the API and a long sync need: a JSON login body, either token field name
(`access_token` or `AccessToken`), a safety margin before expiry (the SDK has none), a lock
so concurrent streams refresh once, every token registered as a secret the moment it
exists, and errors that name the username but never the password or token. The login goes
through the kit's guarded session (``session``): a redirect to another host is refused
before the password can follow it (see :mod:`outreach_kit.transport`).
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import requests
import urllib3
from singer_sdk.authenticators import OAuthAuthenticator

from outreach_kit.errors import AuthenticationError, RetriesExhaustedError, TLSVerificationError
from outreach_kit.redaction import SECRETS
from outreach_kit.transport import is_certificate_error, show_origin

DEFAULT_LIFETIME_S = 3600


class SalesRocksAuthenticator(OAuthAuthenticator):
    """Bearer tokens from `POST /auth/accessToken`."""

    def __init__(
        self,
        *,
        api_url: str,
        username: str,
        password: str,
        timeout: int = 60,
        refresh_margin_s: float = 300.0,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(
            auth_endpoint=f"{api_url.rstrip('/')}/auth/accessToken",
            default_expiration=DEFAULT_LIFETIME_S,
        )
        if session is not None:
            self._session.close()
            self._session = session
        # The SDK's login retries (10, backoff up to 2 min, TLS failures included) would be an
        # unbounded wait outside the run's budget: a few quick ones for connection failures.
        retry = urllib3.Retry(
            total=3,
            connect=3,
            read=1,
            other=0,
            status=0,
            backoff_factor=0.2,
            backoff_max=2,
            allowed_methods=["POST"],
        )
        for prefix in ("https://", "http://"):
            self._session.mount(prefix, requests.adapters.HTTPAdapter(max_retries=retry))
        self.username = username
        self._password = password
        self._timeout = timeout
        self._margin = refresh_margin_s
        self._lock = threading.RLock()
        SECRETS.add(password)
        self._rejected = False  # the API refused the last token: the next one is a retry
        self._issued_after_rejection = False  # the current token replaced a refused one

    @property
    def oauth_request_body(self) -> dict:
        return {"username": self.username, "password": self._password}

    def is_token_valid(self) -> bool:
        """Valid until `margin` before expiry (at most a tenth of the lifetime)."""
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        margin = min(self._margin, self.expires_in / 10)
        age = (datetime.now(timezone.utc) - self.last_refreshed).total_seconds()
        return age < self.expires_in - margin

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            self.auth_headers["Authorization"] = f"Bearer {self.access_token}"
        request.headers.update(self.auth_headers)
        return request

    def reject(self, sent_header: str | None) -> bool:
        """The API answered 401 to a request sent with ``sent_header``; True if a retry with
        a new token is worth it, False if a token fresh after a refusal was refused too.

        Decided per token, not per request, so that concurrent requests refused with the
        same expired token cause one login, and none of them is taken for a second refusal.
        """
        with self._lock:
            current = f"Bearer {self.access_token}" if self.access_token else None
            if sent_header != current:
                return True  # another thread already replaced that token
            if self._issued_after_rejection:
                return False
            self.access_token = None
            self._rejected = True
            return True

    def accepted(self, sent_header: str | None) -> None:
        """A request with the current token succeeded: it is good, whatever came before."""
        with self._lock:
            if sent_header == f"Bearer {self.access_token}":
                self._issued_after_rejection = False

    def update_access_token(self) -> None:
        """Log in; the token field may be `access_token` or `AccessToken`."""
        self.logger.info("Requesting a new Sales.Rocks access token for user '%s'", self.username)
        requested_at = datetime.now(timezone.utc)
        try:
            response = self._session.post(
                self.auth_endpoint, json=self.oauth_request_body, timeout=self._timeout
            )
        except requests.RequestException as exc:
            if is_certificate_error(exc):
                raise TLSVerificationError(
                    f"The TLS certificate of {show_origin(self.auth_endpoint)} could not be "
                    f"verified, so the login for user '{self.username}' was not sent. The tap "
                    "never turns verification off. If your network inspects TLS, point "
                    "REQUESTS_CA_BUNDLE at its CA bundle; otherwise check 'api_url'."
                ) from None
            raise RetriesExhaustedError(
                f"Could not reach the Sales.Rocks login endpoint for user '{self.username}'. "
                "Check 'api_url' and the network, then run the sync again."
            ) from None
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(
                f"Sales.Rocks rejected the login for user '{self.username}' (HTTP "
                f"{response.status_code}). Check the 'username' and 'password' settings."
            )
        if response.status_code >= 400:
            raise RetriesExhaustedError(
                f"The Sales.Rocks login endpoint answered HTTP {response.status_code} for user "
                f"'{self.username}'. The API may be down; run the sync again later."
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        token = None
        if isinstance(body, dict):
            token = body.get("access_token") or body.get("AccessToken")
            lifetime = body.get("expires_in") or body.get("ExpiresIn")
        if not token:
            raise AuthenticationError(
                f"The Sales.Rocks login for user '{self.username}' returned no access token "
                "(neither 'access_token' nor 'AccessToken'); the API may have changed."
            )
        SECRETS.add(token)
        self.access_token = token
        self._issued_after_rejection, self._rejected = self._rejected, False
        self.expires_in = int(float(lifetime)) if lifetime else self._default_expiration
        self.last_refreshed = requested_at
