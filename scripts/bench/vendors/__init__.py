"""Each API's facts, one module per vendor (a module is the vendor's record)."""

from __future__ import annotations

from . import salesblink, salesflow, salesrocks

VENDORS = (salesblink, salesflow, salesrocks)


def tap(vendor) -> str:
    return f"tap-{vendor.KEY}"


def config(vendor, url: str, client) -> dict:
    """Credentials, sandbox URLs and the vendor's settings (never printed); pacing off."""
    return {**vendor.credentials(url, client), "rate_limit_requests": None, **vendor.SETTINGS}
