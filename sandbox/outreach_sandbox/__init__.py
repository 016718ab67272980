"""A loopback emulator of the SalesBlink, Salesflow and Sales.Rocks read APIs.

See docs/sandbox-contract.md for paths, shapes, credentials, faults and controls.
"""

from outreach_sandbox.client import SandboxClient, SandboxError
from outreach_sandbox.server import SandboxServer
from outreach_sandbox.state import (
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
)

__all__ = [
    "DEFAULT_SALESBLINK_KEYS",
    "DEFAULT_SALESFLOW_ACCOUNTS",
    "DEFAULT_SALESROCKS_USERS",
    "SandboxClient",
    "SandboxError",
    "SandboxServer",
]
