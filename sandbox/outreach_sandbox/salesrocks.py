"""Sales.Rocks: JWT login, bearer tokens that expire, POST endpoints with JSON bodies,
editable lists whose columns each user defines, drip campaign statistics."""

from __future__ import annotations

import base64
import json
import secrets
import time
import typing as t
from datetime import timedelta

from outreach_sandbox.clock import HISTORY_START, history_moment
from outreach_sandbox.common import email_for, hex_id, page_slice, person, rng, uuid_from
from outreach_sandbox.http import ApiError, Reply, Request

if t.TYPE_CHECKING:
    from outreach_sandbox.state import SandboxState

#: Column sets users created; each list draws its own.
COLUMN_POOL = [
    "name",
    "email",
    "company",
    "Phone Number",
    "LinkedIn",
    "score",
    "tags",
    "notes",
    "Ünïcode column",
    "city",
    "last_contacted",
]
CAMPAIGN_IDS = (101, 102, 103, 104)
MAX_SIZE = 1000


class SalesRocks:
    vendor = "salesrocks"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        seed = state.seed
        self.lists: list[dict] = []
        self.rows: dict[str, list[dict]] = {}
        self.columns: dict[str, list[str]] = {}
        n_lists = state.count("salesrocks.lists", 5)
        for i in range(n_lists):
            r = rng(seed, "sr-list", i)
            created = history_moment(i / max(n_lists, 1), margin=timedelta(days=3)) + timedelta(
                hours=r.randint(0, 23)
            )
            uuid = uuid_from(seed, "sr-list", i).replace("-", "")[:20]
            lst = {
                "id": str(26000 + i),
                "user_id": "634",
                "company_id": "333",
                "uuid": uuid,
                "type": "editable",
                "name": f"List number {i} – {r.choice(['Leads', 'Kunden', 'Événement'])}",
                "permissions": r.choice(["private", "company"]),
                "created_at": created.strftime("%Y-%m-%d %H:%M:%S"),
                "updated_at": (created + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S"),
            }
            self.lists.append(lst)
            self.columns[uuid] = ["name", "email", *r.sample(COLUMN_POOL[2:], r.randint(1, 6))]
            n_rows = state.inner("salesrocks.rows_per_list", r.randint(30, 200))
            self.rows[uuid] = [self._row(uuid, j) for j in range(n_rows)]
        self.tokens = state.tokens  # logins outlive a data reset
        self._lock = state.lock
        self._row_seq = 0

    def _row(self, uuid: str, j: int, tag: str = "") -> dict:
        r = rng(self.state.seed, "sr-row", uuid, j, tag)
        first, last = person(r)
        row: dict[str, t.Any] = {"_id": {"$oid": hex_id(self.state.seed, "sr-row", uuid, j, tag)}}
        for column in self.columns[uuid]:
            if column not in ("name", "email") and r.random() < 0.1:
                continue  # missing key on some rows
            row[column] = _value(column, first, last, j, r)
        row["list_id"] = uuid
        return row

    # -- auth ------------------------------------------------------------------------------------

    def login(self, body: t.Any) -> Reply:
        if not isinstance(body, dict) or "username" not in body or "password" not in body:
            raise ApiError(400, "Invalid request body")
        username, password = str(body["username"]), str(body["password"])
        if self.state.salesrocks_users.get(username) != password:
            raise ApiError(401, "Invalid username or password")
        lifetime = self.state.token_lifetime_s
        token = _jwt(username, lifetime)
        with self._lock:
            self.tokens[token] = {
                "username": username,
                "expires": time.monotonic() + lifetime,
                "revoked": False,
            }
        field = self.state.salesrocks_token_field
        if field == "AccessToken":
            return Reply(200, {"AccessToken": token, "TokenType": "Bearer", "ExpiresIn": lifetime})
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime})

    def authenticate(self, req: Request) -> str:
        header = req.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        with self._lock:
            info = self.tokens.get(token)
            if info is None or info["revoked"]:
                raise ApiError(401, "Unauthorized")
            if time.monotonic() >= info["expires"]:
                raise ApiError(401, "Token expired")
        return token

    def revoke(self, req: Request) -> None:
        header = req.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        with self._lock:
            if token in self.tokens:
                self.tokens[token]["revoked"] = True

    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self.tokens)

    # -- clock --------------------------------------------------------------------------------------

    def advance(self, seconds: float, step: int) -> None:
        """In some lists a few rows change and a few join; those lists' `updated_at` moves."""
        r = rng(self.state.seed, "sr-advance", step)
        now = self.state.clock.now()
        for lst in r.sample(self.lists, min(2, len(self.lists))):
            rows = self.rows[lst["uuid"]]
            for row in r.sample(rows, min(len(rows), max(1, len(rows) // 20))):
                first, last = person(r)
                row["name"] = f"{first} {last}"
                if "notes" in row or "notes" in self.columns[lst["uuid"]]:
                    row["notes"] = r.choice(["Rückruf erbeten", "Updated ✓", None])
            for k in range(r.randint(1, 4)):
                self._row_seq += 1
                self.rows[lst["uuid"]].append(
                    self._row(lst["uuid"], 100_000 + self._row_seq, f"a{step}.{k}")
                )
            lst["updated_at"] = now.strftime("%Y-%m-%d %H:%M:%S")

    def shift(self, kind: str, list_id: str, count: int, position: int = 0) -> None:
        """Fault: rows inserted or deleted between page reads, at the front of a list or at
        `position` (rows before it stay where they are)."""
        rows = self.rows.get(list_id)
        if rows is None:
            return
        if kind == "shift_insert":
            for k in range(count):
                self._row_seq += 1
                rows.insert(
                    position,
                    self._row(list_id, 200_000 + self._row_seq, f"shift{self._row_seq}.{k}"),
                )
        else:
            del rows[position : position + count]

    def delete_lists(self, count: int, position: int = 0) -> None:
        """Fault: lists deleted (with their rows) between page reads, from `position` on."""
        for lst in self.lists[position : position + count]:
            self.delete_list(lst["uuid"])

    def delete_list(self, list_id: str) -> None:
        """A list deleted, with its rows."""
        self.rows.pop(list_id, None)
        self.lists[:] = [x for x in self.lists if x["uuid"] != list_id]

    def expected(self, stream: str) -> list:
        if stream == "lists":
            return [x["uuid"] for x in self.lists]
        if stream == "list_data":
            return [row["_id"]["$oid"] for rows in self.rows.values() for row in rows]
        if stream == "campaign_statistics":
            return list(CAMPAIGN_IDS)
        raise KeyError(stream)

    # -- HTTP -------------------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> dict:
        return {"error": {"status_code": status, "message": message}}

    def handle(self, req: Request) -> Reply:
        path = req.path.rstrip("/")
        if req.method != "POST":
            raise ApiError(405, "Method not allowed")
        if path == "/auth/accessToken":
            return self.login(req.body)
        self.authenticate(req)
        body = req.body if isinstance(req.body, dict) else {}
        empty = "empty_page" in req.flags
        dup = "duplicate_boundary" in req.flags
        if path == "/editable-lists/getLists":
            if "shift_delete" in req.flags:
                fault = req.flags["shift_delete"]
                self.delete_lists(int(fault.get("count", 1)), int(fault.get("position", 0)))
            offset, size = self._paging(body)
            items = [] if empty else page_slice(self.lists, offset, size, dup)
            return Reply(
                200,
                _envelope("Lists were successfully read.", items),
                served=[("lists", x["uuid"]) for x in items],
            )
        if path == "/editable-lists/getListData":
            list_id = str(body.get("list_id") or "")
            if "delete_parent" in req.flags:  # the list goes, with its rows, before answering
                self.delete_list(list_id)
            if list_id not in self.rows:
                raise ApiError(404, "List not found")
            for kind in ("shift_insert", "shift_delete"):
                if kind in req.flags:
                    fault = req.flags[kind]
                    self.shift(
                        kind, list_id, int(fault.get("count", 1)), int(fault.get("position", 0))
                    )
            offset, size = self._paging(body)
            items = [] if empty else page_slice(self.rows[list_id], offset, size, dup)
            return Reply(
                200,
                _envelope("List data was successfully read.", items),
                served=[("list_data", x["_id"]["$oid"]) for x in items],
            )
        if path == "/drip-campaign/getCampaignStatistics":
            try:
                campaign_id = int(body.get("campaign_id"))
            except (TypeError, ValueError):
                raise ApiError(400, "Invalid request body") from None
            if campaign_id not in CAMPAIGN_IDS:
                raise ApiError(404, f"Campaign {campaign_id} not found")
            return Reply(
                200,
                {"status_code": 200, "data": self._statistics(campaign_id)},
                served=[("campaign_statistics", campaign_id)],
            )
        raise ApiError(404, "Not found")

    def _paging(self, body: dict) -> tuple[int, int]:
        """The offset and the number of rows a `page`/`size` body asks for; in mode
        `salesrocks_max_size` a larger size is silently cut to the cap (the page holds that
        many rows), and the offset steps by the capped size or, in mode
        `salesrocks_cap_offsets` "asked", by the size asked (rows in between are skipped)."""
        page, asked = _paging(body)
        cap = self.state.modes["salesrocks_max_size"]
        size = asked if cap is None else min(asked, cap)
        step = asked if self.state.modes["salesrocks_cap_offsets"] == "asked" else size
        return (page - 1) * step, size

    def _statistics(self, campaign_id: int) -> dict:
        r = rng(self.state.seed, "sr-camp", campaign_id)
        days = max(0, int(self.state.clock.offset.total_seconds() // 86_400))
        sent = r.randint(50, 500) + days * 7
        return {
            "campaign_name": f"Drip {campaign_id} – {r.choice(['Onboarding', 'Réactivation'])}",
            "campaign_status": r.choice(["active", "inactive"]),
            "sender_email": "sender@sandbox.sales.rocks",
            "to_send": r.randint(0, 50),
            "sent": sent,
            "total_scheduled": sent + r.randint(0, 20),
            "opened": sent // 2,
            "clicked": sent // 10,
            "replied": sent // 20,
            "bounced": sent // 50,
            "opted_out": sent // 100,
            "campaign_created_at": (HISTORY_START - timedelta(days=campaign_id % 30)).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
        }


def _paging(body: dict) -> tuple[int, int]:
    try:
        page = int(body.get("page", 1))
        size = int(body.get("size", 10))
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid request body: page and size must be integers") from None
    if page < 1 or size < 1:
        raise ApiError(400, "Invalid request body: page and size start at 1")
    if size > MAX_SIZE:
        raise ApiError(400, f"Invalid request body: size must not exceed {MAX_SIZE}")
    return page, size


def _envelope(message: str, data: list) -> dict:
    return {"status": "success", "status_code": 200, "message": message, "data": data}


def _value(column: str, first: str, last: str, j: int, r) -> t.Any:
    if column == "name":
        return f"{first} {last}"
    if column == "email":
        return email_for(first, last, j)
    if r.random() < 0.08:
        return None
    return {
        "company": lambda: r.choice(["Acme GmbH", "Blåbær AS", "株式会社テスト"]),
        "Phone Number": lambda: f"+49 30 {r.randint(1000000, 9999999)}",
        "LinkedIn": lambda: f"https://linkedin.com/in/{first.lower()}-{j}",
        "score": lambda: r.randint(0, 100),
        "tags": lambda: r.sample(["vip", "cold", "warm", "événement"], r.randint(0, 3)),
        "notes": lambda: r.choice(["Met at SaaStr", "Rückruf erbeten", "", "多謝"]),
        "Ünïcode column": lambda: r.choice(["ça va", "naïve", "Smørrebrød"]),
        "city": lambda: r.choice(["Skopje", "Berlin", "Lisboa"]),
        "last_contacted": lambda: f"2026-10-{r.randint(1, 28):02d} 10:00:00",
    }[column]()


def _jwt(username: str, lifetime: float) -> str:
    def b64(data: dict) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header = b64({"alg": "HS256", "typ": "JWT"})
    payload = b64(
        {"sub": username, "exp": int(time.time() + lifetime), "jti": secrets.token_hex(8)}
    )
    return f"{header}.{payload}.{secrets.token_urlsafe(32)}"
