"""Raw HTTP calls to the three emulated vendors (urllib only, like a minimal client)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from outreach_sandbox import (
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
)

SB_KEY = DEFAULT_SALESBLINK_KEYS[0]
SR_USER, SR_PASS = next(iter(DEFAULT_SALESROCKS_USERS.items()))
PUBLIC = "/salesblink/api/public/v1.0.0"


def call(url, path, *, method="GET", headers=None, body=None, timeout=10, raw=False):
    """(status, headers, parsed JSON body or raw bytes); HTTP errors are returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
            return (
                response.status,
                dict(response.headers),
                payload if raw else json.loads(payload or b"null"),
            )
    except urllib.error.HTTPError as error:
        payload = error.read()
        return error.code, dict(error.headers), payload if raw else json.loads(payload or b"null")


def sb(url, path, key=SB_KEY):
    """SalesBlink v1.0.0 public API."""
    return call(url, PUBLIC + path, headers={"Authorization": key} if key else {})


def sb_legacy(url, path, key=SB_KEY):
    return call(url, "/salesblink/api" + path, headers={"Authorization": key})


def sf(url, path, account="41001"):
    """Salesflow with the account's own token."""
    token = DEFAULT_SALESFLOW_ACCOUNTS[account]
    sep = "&" if "?" in path else "?"
    return call(url, f"/salesflow/api{path}{sep}accountId={account}&token={token}")


def sr_login(url, username=SR_USER, password=SR_PASS):
    return call(
        url,
        "/salesrocks/auth/accessToken",
        method="POST",
        body={"username": username, "password": password},
    )


def sr_token(url):
    status, _, body = sr_login(url)
    assert status == 200, body
    return body.get("access_token") or body["AccessToken"]


def sr(url, path, body, token):
    return call(
        url,
        "/salesrocks" + path,
        method="POST",
        body=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def sb_pages(url, path, size=100, *, param="skip"):
    """Every page of a SalesBlink limit/skip or per_page/page endpoint; list of page lengths
    and the records."""
    sizes, records, n = [], [], 0
    sep = "&" if "?" in path else "?"
    while True:
        if param == "skip":
            status, _, body = sb(url, f"{path}{sep}limit={size}&skip={n * size}")
            page = body["data"]["contacts"] if isinstance(body["data"], dict) else body["data"]
        else:
            status, _, body = sb(url, f"{path}{sep}per_page={size}&page={n + 1}")
            page = body
        assert status == 200, body
        sizes.append(len(page))
        records += page
        n += 1
        if len(page) < size:
            return sizes, records
