"""Salesflow: token + accountId in the query string, bare JSON arrays, PascalCase records,
.NET timestamps with seven fractional digits and an offset."""

from __future__ import annotations

import re
import typing as t
from datetime import datetime, timedelta, timezone

from outreach_sandbox.clock import (
    EPOCH,
    HISTORY_DAYS,
    HISTORY_START,
    MS_PER_DAY,
    history_moment,
    to_ms,
)
from outreach_sandbox.common import COMPANIES, INDUSTRIES, email_for, person, rng, stable_hash
from outreach_sandbox.feeds import EventSeries
from outreach_sandbox.hostile import bend_listing
from outreach_sandbox.http import ApiError, Reply, Request, to_json
from outreach_sandbox.modes import MEMBER_STATUS_NAMES, RUN_ON_NUMBERS

if t.TYPE_CHECKING:
    from outreach_sandbox.state import SandboxState

STATUSES = [0, 1, 2, 4, 8, 16, 32, 64, 1024, 2048]
#: Offsets records carry: (seconds east of UTC, as written).
OFFSETS = [(0, "+00:00"), (7_200, "+02:00"), (-18_000, "-05:00"), (19_800, "+05:30")]
MAX_ANALYTICS_DAYS = 92
#: Paths the vendor's doc does not give (mode `salesflow_undocumented`).
UNDOCUMENTED_PATHS = ("/accounts/list-accounts", "/webhooks/list")
_UNIX = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_UNIX = datetime(1970, 1, 1)
ANALYTICS_METRICS = [
    "ProfileViews",
    "ConnectionRequestsSent",
    "ConnectionRequestsAccepted",
    "MessagesSent",
    "InMailsSent",
    "Replies",
    "FollowUpsSent",
]
#: Custom1..Custom10 as (key, value when set), made once for all members.
CUSTOM_FIELDS = [
    (f"Custom{k}", f"CustomValue{k} ✓" if k % 3 else f"Wert {k}") for k in range(1, 11)
]
#: Analytics of the most recent days are still being counted (late-arriving activity).
SETTLING_DAYS = 3


def dotnet(moment: datetime, ticks: int, exact: bool = False) -> str:
    """`2021-02-18T15:33:44.5905705+02:00`: seven fractional digits, an offset that varies
    with ``ticks``. The instant shown is ``moment`` less a sub-second part drawn from
    ``ticks`` (so never later than ``moment``: records never postdate the clock), or
    ``moment`` itself to the microsecond when ``exact``. Naive arithmetic and ``isoformat``
    rather than ``astimezone`` and ``strftime``: a third of the cost, and it runs for every
    member and message."""
    shift, zone = OFFSETS[ticks % len(OFFSETS)]
    total = (moment - _UNIX) // timedelta(microseconds=1) * 10  # 100 ns ticks
    if not exact:
        total -= (ticks // len(OFFSETS)) % 10_000_000
    seconds, fraction = divmod(total, 10_000_000)
    local = _NAIVE_UNIX + timedelta(seconds=seconds + shift)
    return f"{local.isoformat()}.{fraction:07d}{zone}"


#: The only shapes the doc shows: `updatedFromDate` "2022-07-29 06:45:15"; `from`/`to` dates.
DOCUMENTED_DATES = {
    "updatedFromDate": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
    "from": r"\d{4}-\d{2}-\d{2}",
    "to": r"\d{4}-\d{2}-\d{2}",
}


def parse_date(text: str) -> tuple[datetime, int]:
    """`yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss` (UTC) or ISO-8601 with fraction and offset."""
    m = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?",
        text.strip(),
    )
    if not m:
        raise ValueError(text)
    tz = m[4] or "+00:00"
    tz = "+00:00" if tz == "Z" else tz
    moment = datetime.fromisoformat(f"{m[1]}T{m[2] or '00:00:00'}{tz}").astimezone(timezone.utc)
    ticks = int((m[3] or "0").ljust(7, "0"))
    return moment, ticks


class Account:
    def __init__(self, sf: Salesflow, index: int, account_id: str) -> None:
        seed = sf.state.seed
        self.id = account_id
        self.index = index
        r = rng(seed, "sf-acct", account_id)
        first, last = person(r)
        self.record = {
            "Id": int(account_id) if account_id.isdigit() else account_id,
            "FirstName": first,
            "LastName": last,
            "Email": email_for(first, last, index),
            "LinkedInUrl": f"https://linkedin.com/in/{first.lower()}-{index}",
            "IsSalesNavigator": r.random() < 0.5,
            "EmailIntegrationStatus": r.choice([2, 5]),
            "CreatedAt": dotnet(
                HISTORY_START - timedelta(days=200 + index), stable_hash(account_id)
            ),
        }
        n_campaigns = sf.state.counts.get("salesflow.campaigns", r.randint(4, 7))
        self.campaigns = [sf.campaign(self, c) for c in range(n_campaigns)]
        # Parts every member repeats, shared like CUSTOM_FIELDS (never modified): members
        # take half the memory (60 instead of 116 MB at scale 67).
        self.linkedin = {"FirstName": first, "LastName": last, "Username": self.record["Email"]}
        self.member_campaigns = {
            c["Id"]: [{"CampaignId": c["Id"], "CampaignName": c["Name"]}] for c in self.campaigns
        }
        n_members = sf.state.count("salesflow.members", 300)
        self.members: dict[int, dict] = {}
        for j in range(n_members):
            member = sf.member(self, j)
            self.members[member["MemberId"]] = member
        #: Messages come from the initial members, so message i never changes with the clock.
        self.senders = list(self.members.values())
        n_hooks = sf.state.count("salesflow.webhooks", 3)
        self.webhooks = [sf.webhook(self, w, n_hooks) for w in range(n_hooks)]
        self.messages = EventSeries(
            to_ms(HISTORY_START),
            sf.state.count("salesflow.messages", 200),
            HISTORY_DAYS * MS_PER_DAY,
        )


class Salesflow:
    vendor = "salesflow"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.accounts = {
            account_id: Account(self, i, account_id)
            for i, account_id in enumerate(sorted(state.salesflow_accounts))
        }
        self._member_seq = 0

    # -- generators ------------------------------------------------------------------------------

    def campaign(self, account: Account, c: int) -> dict:
        r = rng(self.state.seed, "sf-camp", account.id, c)
        created = (
            HISTORY_START - timedelta(days=30) + timedelta(days=c * 11, hours=r.randint(0, 23))
        )
        return {
            "Id": account.index * 1000 + c + 1,
            "Name": f"{r.choice(['LinkedIn outreach', 'Événements', 'Nachfassen', 'CEO 🚀'])} {c}",
            "Status": r.choice(["ACTIVE", "PAUSED", "STOPPED", "DRAFT"]),
            "Type": r.choice(["CONNECTION", "MESSAGE", "INMAIL"]),
            "CreatedAt": dotnet(created, r.randrange(10**7)),
            "LastModifiedAt": dotnet(
                created + timedelta(days=r.randint(1, 20)), r.randrange(10**7)
            ),
            "MembersCount": 0,
        }

    def member(
        self, account: Account, j: int, tag: str = "", since: datetime | None = None
    ) -> dict:
        """Member j of the account; with ``since`` (a clock advance), one added after it."""
        r = rng(self.state.seed, "sf-member", account.id, j, tag)
        first, last = person(r)
        campaign = r.choice(account.campaigns) if account.campaigns and r.random() > 0.05 else None
        now = EPOCH if since is None else self.state.clock.now()  # generated lazily, maybe later
        added = HISTORY_START + timedelta(minutes=r.randint(0, HISTORY_DAYS * 24 * 60 - 1))
        if since is not None:
            added = _between(r, since, now)
        modified = min(added + timedelta(minutes=r.randint(0, 3000)), now)
        connected = added + timedelta(hours=r.randint(1, 72)) if r.random() < 0.4 else None
        member: dict[str, t.Any] = {
            "MemberId": account.index * 1_000_000 + j + 1,
            "CampaignId": campaign["Id"] if campaign else None,
            "LinkedInMemberId": 1_000_000_000 + stable_hash(account.id, j, tag) % 10**9,
            "FirstName": first,
            "LastName": last,
            "Occupation": r.choice(["Founder and CEO", "Head of Growth", "Développeur", None]),
            "Company": r.choice(COMPANIES),
            "Location": r.choice(["Miami/Fort Lauderdale Area", "Zürich", "東京", None]),
            "PhoneNumber": r.choice(["123 4567890", None]),
            "Email": email_for(first, last, j) if r.random() < 0.7 else None,
            "Address": r.choice(["", None, "Hauptstraße 1, 10115 Berlin"]),
            "BirthdayYear": r.choice([1980, 1991, None]),
            "BirthdayMonth": r.choice([12, 3, None]),
            "BirthdayDay": r.choice([1, 28, None]),
            "DateAdded": dotnet(added, r.randrange(10**7)),
            "AddedAt": dotnet(added, r.randrange(10**7)),
            "LastModifiedAt": dotnet(modified, r.randrange(10**7)),
            "ConnectedAt": dotnet(connected, r.randrange(10**7)) if connected else None,
            "MemberUrl": f"https://linkedin.com/in/{first.lower()}-{j}",
            "PublicIdentifier": f"{first.lower()}-{j}-{account.id}",
            "Industry": r.choice(INDUSTRIES),
            "Distance": r.choice(["DISTANCE_1", "DISTANCE_2", "DISTANCE_3"]),
            "CurrentPosition": r.choice(["Chief Executive Officer", "VP Sales", None]),
            "Status": r.choice(STATUSES),
            "HasReply": r.random() < 0.2,
            "IsMuted": r.random() < 0.1,
            "IsSeen": r.random() < 0.5,
            "ConnectionsCount": r.randint(0, 500),
            "FollowersCount": r.randint(0, 5000),
            "IsSalesNavigator": r.random() < 0.3,
            "LinkedInAccount": account.linkedin,
            "MemberCampaigns": account.member_campaigns[campaign["Id"]] if campaign else [],
        }
        for name, value in CUSTOM_FIELDS:
            roll = r.random()
            if roll < 0.5:
                member[name] = value
            elif roll < 0.8:
                member[name] = None
            # else: the key is missing
        return member

    def webhook(self, account: Account, w: int, n: int) -> dict:
        r = rng(self.state.seed, "sf-hook", account.id, w)
        attached = [
            {
                "CampaignId": c["Id"],
                "WebhookCampaignId": account.index * 10_000 + w * 100 + n,
                "RunOn": r.choice(["MEMBER_CONNECTED", "REPLY_DETECTED", "INVITATION_WITHDRAWN"]),
            }
            for n, c in enumerate(r.sample(account.campaigns, min(2, len(account.campaigns))))
        ]
        return {
            "Id": account.index * 100 + w + 1,
            "Name": f"Webhook {w} → CRM",
            "Url": f"https://hooks.example.com/salesflow/{account.id}/{w}",
            "DisableForMutedContacts": r.choice([True, False, None]),
            "CreatedAt": dotnet(history_moment(w / max(n, 1)), r.randrange(10**7)),
            "AttachedWebhookCampaigns": attached,
        }

    @staticmethod
    def sender(account: Account, i: int) -> dict | None:
        """The member who sent message i (one of the initial members: it never changes)."""
        members = account.senders
        return members[stable_hash(account.id, "m", i) % len(members)] if members else None

    @staticmethod
    def message_id(account: Account, i: int) -> int:
        return account.index * 10_000_000 + i + 1

    @staticmethod
    def received_ticks(account: Account, i: int) -> int:
        """Message i's instant in 100 ns ticks since 1970. Feed times share a millisecond now
        and then; Salesflow's ticks keep messages apart (and in index order) by sitting up
        to 0.9 ms before the feed time, never after it."""
        return account.messages.time(i) * 10_000 - (9 - i % 10) * 1_000

    def message(self, account: Account, i: int) -> dict:
        r = rng(self.state.seed, "sf-msg", account.id, i)
        member = self.sender(account, i)
        received = _UNIX + timedelta(microseconds=self.received_ticks(account, i) // 10)
        return {
            "Id": self.message_id(account, i),
            "MemberId": member["MemberId"] if member else None,
            "CampaignId": member["CampaignId"] if member else None,
            "ConversationId": f"conv-{account.id}-{i // 3}",
            "SenderName": f"{member['FirstName']} {member['LastName']}" if member else None,
            "Text": r.choice(
                [
                    "Thanks, let's talk!",
                    "Pas intéressé.",
                    "Gerne – nächste Woche?",
                    "👍",
                    "Please remove me from your list.",
                ]
            ),
            "ReceivedAt": dotnet(received, (i * 7919) % 10**7, exact=True),
            "IsSeen": r.random() < 0.5,
        }

    def analytics(self, account: Account, day: datetime, campaign_id: int | None) -> dict:
        """Daily metrics; the last days grow as the clock advances (late activity)."""
        now = self.state.clock.now()
        age_days = (now - day).total_seconds() / 86_400
        settled = min(1.0, max(age_days, 0.0) / SETTLING_DAYS)
        row: dict[str, t.Any] = {"Date": day.strftime("%Y-%m-%dT%H:%M:%S")}
        if campaign_id is not None:
            row["CampaignId"] = campaign_id
        for metric in ANALYTICS_METRICS:
            full = stable_hash(self.state.seed, account.id, campaign_id, day.date(), metric) % 40
            row[metric] = int(full * settled)
        return row

    # -- clock --------------------------------------------------------------------------------------

    def advance(self, seconds: float, step: int) -> None:
        """Some members and campaigns change, a few members join; messages grow by themselves.

        Every new ``LastModifiedAt`` lies in (previous clock, new clock], so a sync filtered
        on the last one it saw gets exactly the new and changed records.
        """
        now = self.state.clock.now()
        before = now - timedelta(seconds=seconds)
        for account in self.accounts.values():
            r = rng(self.state.seed, "sf-advance", account.id, step)
            members = list(account.members.values())
            for member in r.sample(members, max(1, len(members) // 20)) if members else []:
                member["Status"] = r.choice(STATUSES)
                member["HasReply"] = not member["HasReply"]
                member["LastModifiedAt"] = dotnet(_between(r, before, now), r.randrange(10**7))
            for k in range(r.randint(2, 5)):
                self._member_seq += 1
                member = self.member(
                    account, 500_000 + self._member_seq, f"adv{step}.{k}", since=before
                )
                account.members[member["MemberId"]] = member
            for campaign in r.sample(account.campaigns, min(1, len(account.campaigns))):
                campaign["LastModifiedAt"] = dotnet(_between(r, before, now), r.randrange(10**7))

    # -- expected ---------------------------------------------------------------------------------

    def days(self) -> list[datetime]:
        start = HISTORY_START
        today = self.state.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return [start + timedelta(days=d) for d in range((today - start).days + 1)]

    def expected(self, stream: str) -> list:
        out: list = []
        now_ms = self.state.clock.now_ms()
        for account in self.accounts.values():
            a = account.id
            if stream in ("accounts", "webhooks") and self._undocumented_missing():
                continue  # the API has no such path: a sync can land nothing
            if stream == "accounts":
                out += [[a, listed["Id"]] for listed in self._listed_accounts(account)]
            elif stream == "campaigns" or stream == "campaign_statistics":
                out += [[a, c["Id"]] for c in account.campaigns]
            elif stream == "members":
                out += [[a, m] for m in account.members]
            elif stream == "webhooks":
                out += [[a, w["Id"]] for w in account.webhooks]
            elif stream == "incoming_messages":
                out += [
                    [a, self.message_id(account, i)]
                    for i in range(account.messages.count_until(now_ms))
                ]
            elif stream == "account_analytics":
                out += [[a, d.strftime("%Y-%m-%dT%H:%M:%S")] for d in self.days()]
            elif stream == "campaign_analytics":
                out += [
                    [a, c["Id"], d.strftime("%Y-%m-%dT%H:%M:%S")]
                    for c in account.campaigns
                    for d in self.days()
                ]
            else:
                raise KeyError(stream)
        return out

    # -- HTTP -----------------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> dict:
        if status == 401:
            return {"Message": "Authorization has been denied for this request."}
        if status >= 500:
            return {"Message": "An error has occurred."}
        return {"Message": "The request is invalid.", "MessageDetail": message}

    def authenticate(self, req: Request) -> str:
        token = req.query.get("token", "")
        if req.path.rstrip("/") == "/accounts/list-accounts":
            for account_id, expected in self.state.salesflow_accounts.items():
                if token and token == expected:
                    return account_id
            raise ApiError(401, "denied")
        account_id = req.query.get("accountId", "")
        if not token or self.state.salesflow_accounts.get(account_id) != token:
            raise ApiError(401, "denied")
        return account_id

    def handle(self, req: Request) -> Reply:
        if req.method != "GET":
            raise ApiError(405, "The requested resource does not support this method.")
        if req.path.rstrip("/") in UNDOCUMENTED_PATHS and self._undocumented_missing():
            raise ApiError(404, "No HTTP resource was found that matches the request URI.")
        self._check_documented_dates(req.query)
        account_id = self.authenticate(req)
        account = self.accounts[account_id]
        q = req.query
        path = req.path.rstrip("/")
        empty = "empty_page" in req.flags
        a = account.id

        def listing(items: list[dict], stream: str, key: t.Callable[[dict], t.Any]) -> Reply:
            items = [] if empty else items
            return Reply(200, items, served=[(stream, key(x)) for x in items])

        if path == "/accounts/list-accounts":
            return listing(self._listed_accounts(account), "accounts", lambda x: (a, x["Id"]))
        if path == "/campaigns/list-campaigns":
            items = account.campaigns
            if q.get("updatedFromDate"):
                since = _date_param(q, "updatedFromDate")
                items = [c for c in items if parse_date(c["LastModifiedAt"]) > since]
            items = [
                {
                    **c,
                    "MembersCount": sum(
                        1 for m in account.members.values() if m["CampaignId"] == c["Id"]
                    ),
                }
                for c in items
            ]
            return listing(items, "campaigns", lambda x: (a, x["Id"]))
        if path == "/members/list-contacts-by-accountid":
            items = list(account.members.values())
            if q.get("updatedFromDate"):
                since = _date_param(q, "updatedFromDate")
                items = [m for m in items if parse_date(m["LastModifiedAt"]) > since]
            items = bend_listing(items, req.flags, "LastModifiedAt")
            return listing(self._shown_members(items), "members", lambda x: (a, x["MemberId"]))
        if path == "/members/list-contacts-by-campaignid":
            cid = _int(q, "campaignId")
            items = [m for m in account.members.values() if m["CampaignId"] == cid]
            return listing(self._shown_members(items), "members", lambda x: (a, x["MemberId"]))
        if m := re.fullmatch(r"/members/(\d+)", path):
            member = account.members.get(int(m[1]))
            if member is None:
                raise ApiError(404, "Member not found")
            return Reply(
                200, self._shown_members([member])[0], served=[("members", (a, member["MemberId"]))]
            )
        if path == "/statistics/GetCampaignStatistics":
            campaign = self._campaign(account, _int(q, "campaignId"))
            if q.get("isForceRequest", "").lower() != "true":
                return Reply(200, None)
            return Reply(
                200,
                self._statistics(account, campaign),
                served=[("campaign_statistics", (a, campaign["Id"]))],
            )
        if path in ("/analytics/by-campaignid", "/analytics/by-accountid"):
            start, end = _date_param(q, "from")[0], _date_param(q, "to")[0]
            start = start.replace(hour=0, minute=0, second=0)
            end = end.replace(hour=0, minute=0, second=0)
            if end < start:
                raise ApiError(400, "'to' must not be before 'from'")
            if (end - start).days + 1 > MAX_ANALYTICS_DAYS:
                raise ApiError(400, f"The date range must not exceed {MAX_ANALYTICS_DAYS} days.")
            campaign_id = None
            if path.endswith("campaignid"):
                campaign_id = self._campaign(account, _int(q, "campaignId"))["Id"]
            today = self.state.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
            first = max(start, HISTORY_START)
            days = [
                first + timedelta(days=d) for d in range(max(0, (min(end, today) - first).days + 1))
            ]
            cap = self.state.modes["salesflow_max_window_days"]
            if cap is not None:  # only the first (or the newest) `cap` days of the range asked
                if self.state.modes["salesflow_window_keeps"] == "newest":
                    days = [d for d in days if (end - d).days < cap]
                else:
                    days = [d for d in days if (d - start).days < cap]
            rows = [] if empty else [self.analytics(account, d, campaign_id) for d in days]
            stream = "campaign_analytics" if campaign_id is not None else "account_analytics"
            served = [
                (stream, (a, campaign_id, r["Date"]) if campaign_id is not None else (a, r["Date"]))
                for r in rows
            ]
            return Reply(200, rows, served=served)
        if path in (
            "/messaging/incoming-messages-by-accountid",
            "/messaging/incoming-messages-by-campaignid",
        ):
            # Filtered by instant without parsing, encoded as generated: 150,000 messages in
            # one body took ~350 MB as dicts and one str.
            moment, ticks = _date_param(q, "from") if q.get("from") else (HISTORY_START, 0)
            since = to_ms(moment) * 10_000 + ticks  # `moment` is whole seconds
            n = account.messages.count_until(self.state.clock.now_ms())
            lo = account.messages.count_before(since // 10_000)
            indexes = [i for i in range(lo, n) if self.received_ticks(account, i) >= since]
            if path.endswith("campaignid"):
                cid = self._campaign(account, _int(q, "campaignId"))["Id"]
                indexes = [
                    i for i in indexes if (self.sender(account, i) or {}).get("CampaignId") == cid
                ]
            indexes = [] if empty else indexes
            return Reply(
                200,
                raw=to_json(self.message(account, i) for i in indexes),
                served=[("incoming_messages", (a, self.message_id(account, i))) for i in indexes],
            )
        if path == "/webhooks/list":
            return listing(
                self._shown_webhooks(account.webhooks), "webhooks", lambda x: (a, x["Id"])
            )
        raise ApiError(404, "No HTTP resource was found that matches the request URI.")

    # -- modes (see outreach_sandbox.modes) ------------------------------------------------

    def _undocumented_missing(self) -> bool:
        return self.state.modes["salesflow_undocumented"] == "404"

    def _listed_accounts(self, account: Account) -> list[dict]:
        """What the token of ``account`` lists: its own account, or every account."""
        if self.state.modes["salesflow_token_lists"] == "all":
            return [other.record for other in self.accounts.values()]
        return [account.record]

    def _shown_members(self, members: list[dict]) -> list[dict]:
        """Members as sent: `Status` a number, or its name as in the webhook sample."""
        if self.state.modes["salesflow_member_status"] != "name":
            return members
        return [{**m, "Status": MEMBER_STATUS_NAMES.get(m["Status"], m["Status"])} for m in members]

    def _shown_webhooks(self, hooks: list[dict]) -> list[dict]:
        """Webhooks as sent: `RunOn` a name, or the number Attach Webhook takes."""
        if self.state.modes["salesflow_webhook_run_on"] != "number":
            return hooks
        return [
            {
                **h,
                "AttachedWebhookCampaigns": [
                    {**c, "RunOn": RUN_ON_NUMBERS.get(c["RunOn"], c["RunOn"])}
                    for c in h["AttachedWebhookCampaigns"]
                ],
            }
            for h in hooks
        ]

    def _check_documented_dates(self, query: dict[str, str]) -> None:
        """In mode `salesflow_date_params: documented`, only the doc's date shapes pass."""
        if self.state.modes["salesflow_date_params"] != "documented":
            return
        for name, shape in DOCUMENTED_DATES.items():
            value = query.get(name)
            if value and not re.fullmatch(shape, value):
                raise ApiError(400, f"'{name}' is not a valid date: {value!r}")

    def _campaign(self, account: Account, campaign_id: int) -> dict:
        for campaign in account.campaigns:
            if campaign["Id"] == campaign_id:
                return campaign
        raise ApiError(404, "Campaign not found")

    def _statistics(self, account: Account, campaign: dict) -> dict:
        members = [m for m in account.members.values() if m["CampaignId"] == campaign["Id"]]
        sent = sum(1 for m in members if m["Status"] in (2, 4, 64))
        accepted = sum(1 for m in members if m["Status"] == 4)
        replies = sum(1 for m in members if m["HasReply"])
        return {
            "CampaignId": campaign["Id"],
            "CampaignName": campaign["Name"],
            "TotalMembers": len(members),
            "InvitationsSent": sent,
            "InvitationsAccepted": accepted,
            "MessagesSent": accepted + replies,
            "Replies": replies,
            "ReplyRate": round(replies / len(members), 4) if members else 0.0,
            "AcceptanceRate": round(accepted / sent, 4) if sent else 0.0,
            "Withdrawn": sum(1 for m in members if m["Status"] == 64),
            "UpdatedAt": dotnet(self.state.clock.now(), stable_hash(campaign["Id"]) % 10**7),
        }


def _between(r, start: datetime, end: datetime) -> datetime:
    """A whole-second moment in (start, end] (``end`` itself if the span is under a second)."""
    span = int((end - start).total_seconds())
    return end if span < 1 else start + timedelta(seconds=r.randint(1, span))


def _int(query: dict[str, str], name: str) -> int:
    try:
        return int(query[name])
    except (KeyError, ValueError):
        raise ApiError(400, f"'{name}' is required and must be an integer") from None


def _date_param(query: dict[str, str], name: str) -> tuple[datetime, int]:
    try:
        return parse_date(query[name])
    except (KeyError, ValueError):
        raise ApiError(400, f"'{name}' must be a date (yyyy-MM-dd or ISO-8601)") from None
