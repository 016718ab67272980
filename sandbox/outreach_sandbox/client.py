"""A small client of the control API (standard library only)."""

from __future__ import annotations

import json
import typing as t
import urllib.error
import urllib.request


class SandboxError(RuntimeError):
    """A control call the sandbox refused (bad setting, unknown fault kind or stream...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox control error {status}: {message}")
        self.status = status


class SandboxClient:
    """Drive a running sandbox: faults, clock, settings, logs and ground truth."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: t.Any = None) -> t.Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            try:
                message = json.loads(error.read()).get("error", "")
            except (ValueError, AttributeError):
                message = error.reason
            raise SandboxError(error.code, str(message)) from None

    def health(self) -> dict:
        return self._call("GET", "health")

    def reset(
        self, seed: int | None = None, scale: float | None = None, counts: dict | None = None
    ) -> None:
        self._call("POST", "reset", {"seed": seed, "scale": scale, "counts": counts})

    def configure(self, **settings: t.Any) -> None:
        self._call("POST", "config", settings)

    def config(self) -> dict:
        """Current settings (seed, scale, counts, latency, limits, clock)."""
        return self._call("GET", "config")

    def add_faults(self, faults: list[dict]) -> dict:
        return self._call("POST", "faults", {"faults": faults})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["faults"]

    def advance(self, seconds: float, *, restore: bool = False) -> str:
        """Move the clock; ``restore`` first brings back every record deleted so far."""
        body: dict = {"seconds": seconds, **({"restore": True} if restore else {})}
        return self._call("POST", "clock/advance", body)["now"]

    def requests(self) -> list[dict]:
        return self._call("GET", "requests")

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def clear_stats(self) -> None:
        self._call("DELETE", "stats")

    def served(self) -> dict[str, dict[str, int]]:
        return self._call("GET", "served")

    def clear_served(self) -> None:
        self._call("DELETE", "served")

    def expected(self, vendor: str, stream: str, workspace: str | int | None = None) -> dict:
        """Ground truth of a stream; ``workspace`` narrows it to one credential's data (its
        position in the SalesBlink keys / Sales.Rocks users, or a Salesflow account id)."""
        suffix = "" if workspace is None else f"/{workspace}"
        return self._call("GET", f"expected/{vendor}/{stream}{suffix}")

    def deleted(self, vendor: str, stream: str) -> dict:
        """Keys deleted by clock advances (``deletions`` setting) and not restored."""
        return self._call("GET", f"deleted/{vendor}/{stream}")

    def issued_tokens(self) -> list[str]:
        """Sales.Rocks bearer tokens issued so far (for secret-leak scans)."""
        return self._call("GET", "tokens")
