"""Each SalesBlink key and Sales.Rocks login sees its own workspace; Salesflow its account.

The default credential keeps the data it always had; a second one gets different records,
and the per-workspace ground truth names exactly what each credential is served.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from outreach_sandbox import (
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
    SandboxServer,
)
from outreach_sandbox.client import SandboxError

SECOND_KEY = "sbk_sandbox_second_7a1d"
SECOND_USER, SECOND_PASSWORD = "two@sandbox.sales.rocks", "sr-pass-second-2b"
COUNTS = {"salesblink.lists": 3, "salesrocks.lists": 2, "salesrocks.rows_per_list": 4}


def _get(url: str, headers: dict | None = None, body: dict | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def sandbox():
    users = {**DEFAULT_SALESROCKS_USERS, SECOND_USER: SECOND_PASSWORD}
    keys = [*DEFAULT_SALESBLINK_KEYS, SECOND_KEY]
    with SandboxServer(seed=3, counts=COUNTS, salesblink_keys=keys, salesrocks_users=users) as sb:
        yield sb


def test_salesblink_keys_see_their_own_lists(sandbox):
    lists_url = f"{sandbox.url}/salesblink/api/public/v1.0.0/lists?limit=100&skip=0"
    first = _get(lists_url, {"Authorization": DEFAULT_SALESBLINK_KEYS[0]})["data"]
    second = _get(lists_url, {"Authorization": SECOND_KEY})["data"]
    first_ids, second_ids = {x["id"] for x in first}, {x["id"] for x in second}
    assert len(first_ids) == len(second_ids) == 3 and not first_ids & second_ids
    control = sandbox.control
    assert sorted(control.expected("salesblink", "lists", 0)["keys"]) == sorted(first_ids)
    assert sorted(control.expected("salesblink", "lists", 1)["keys"]) == sorted(second_ids)
    # The default workspace is the sandbox's data as before.
    assert sorted(control.expected("salesblink", "lists")["keys"]) == sorted(first_ids)


def test_salesrocks_logins_see_their_own_lists(sandbox):
    def uuids(user: str, password: str) -> set[str]:
        token = _get(
            f"{sandbox.url}/salesrocks/auth/accessToken",
            body={"username": user, "password": password},
        )["access_token"]
        body = _get(
            f"{sandbox.url}/salesrocks/editable-lists/getLists",
            {"Authorization": f"Bearer {token}"},
            {"page": 1, "per_page": 100},
        )
        return {x["uuid"] for x in body["data"]}

    user, password = next(iter(DEFAULT_SALESROCKS_USERS.items()))
    first, second = uuids(user, password), uuids(SECOND_USER, SECOND_PASSWORD)
    assert len(first) == len(second) == 2 and not first & second
    assert set(sandbox.control.expected("salesrocks", "lists", 1)["keys"]) == second


def test_salesflow_truth_per_account_and_bad_workspace(sandbox):
    control = sandbox.control
    everything = control.expected("salesflow", "campaigns")["keys"]
    parts = [
        control.expected("salesflow", "campaigns", a)["keys"] for a in DEFAULT_SALESFLOW_ACCOUNTS
    ]
    assert sorted(map(tuple, everything)) == sorted(tuple(k) for p in parts for k in p)
    assert all(k[0] == a for a, p in zip(DEFAULT_SALESFLOW_ACCOUNTS, parts, strict=True) for k in p)
    with pytest.raises(SandboxError):
        control.expected("salesblink", "lists", 5)
    with pytest.raises(SandboxError):
        control.expected("salesflow", "campaigns", "999")


def test_clock_moves_every_workspace(sandbox):
    before = sandbox.control.expected("salesblink", "sent", 1)["count"]
    sandbox.control.advance(seconds=3 * 86_400)
    assert sandbox.control.expected("salesblink", "sent", 1)["count"] > before
