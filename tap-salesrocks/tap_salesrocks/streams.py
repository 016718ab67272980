"""Sales.Rocks streams: editable lists, their rows, and drip campaign statistics."""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

import msgspec
from singer_sdk.pagination import SinglePagePaginator

from outreach_kit.errors import VendorAPIError
from outreach_kit.reading import PageGuard
from tap_salesrocks.client import PagedStream, SalesRocksStream, object_id
from tap_salesrocks.paging import UntilEmptyPaginator

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context


class ListsStream(PagedStream):
    """Editable lists (`POST /editable-lists/getLists`)."""

    name = "lists"
    path = "/editable-lists/getLists"
    primary_keys = ("uuid",)
    timestamp_fields = ("created_at", "updated_at")

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"list_id": record["uuid"]}


class ListDataStream(PagedStream):
    """Rows of every editable list; each list's user-defined columns land in `columns`.

    Columns differ from list to list and users add new ones at any time, so every column
    is kept, under its original name, in the JSON object `columns` (typed copies of `name`
    and `email`, present in every list, sit beside it). Page/size paging shifts when rows
    are inserted or deleted during the read, anywhere before the page being read: a
    deletion there moves one unread row back onto a page already read, and the pass never
    sees it (a full-table read then retires that live row). So every page boundary is
    checked once the next page is in (and the last one once the closing empty page is):
    the row at the previous page's last position, asked alone (`size` 1), must still be
    the one read there; an insertion shows as a repeated id. If the list moved, it is read
    again until a pass sees it still; rows are de-duplicated by id within the sync, so
    nothing is lost or given twice. A row without an `_id`, or with the `_id` of a
    different row read in the same pass, is not a shift: it goes to `rejected_records`
    (once per sync) and the read goes on.
    """

    name = "list_data"
    path = "/editable-lists/getListData"
    primary_keys = ("id",)
    parent_stream_type = ListsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # full table: no state per list
    #: The raw rows are kept whole in `columns`, which also takes values that do not fit.
    extra_property = "columns"
    #: Rows are checked here (`_id`, see `read_records`), not by the kit: a repeated id
    #: means the list moved, which the passes below handle.
    record_keys = ()
    #: Passes over a list that keeps changing before giving up with an error.
    max_passes = 5

    def prepare_request_payload(self, context: dict | None, next_page_token: t.Any) -> dict:
        if isinstance(next_page_token, BoundaryProbe):  # one row, at its position
            paging = {"page": next_page_token.position + 1, "size": 1}
        else:
            paging = super().prepare_request_payload(context, next_page_token)
        return {"list_id": (context or {})["list_id"], **paging}

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        emitted: set[str] = set()
        rejected: set[int] = set()  # rows already sent to rejected_records, by content
        for attempt in range(1, self.max_passes + 1):
            paginator = PassPaginator(self.page_size, self._capped)
            guard = PageGuard()
            read_in_pass: dict[str, int] = {}  # id -> digest of the row's content
            moved = False
            checked = 0  # pages whose last position was checked
            for row in self.request_records(context, paginator, guard):
                if paginator.pages > checked:  # the first row of a page: check the last one's end
                    checked = paginator.pages
                    if not self._boundary_holds(context, paginator):
                        moved = True
                        break
                value = row.get("_id")
                oid = value.get("$oid") if type(value) is dict else value
                if type(oid) is not str or not oid:
                    oid = _plain_id(value)
                digest = hash(_encode(row))  # of the row as sent, before it is changed
                if oid is None or (oid in read_in_pass and read_in_pass[oid] != digest):
                    if digest not in rejected:
                        rejected.add(digest)
                        self.reject(
                            row,
                            "missing primary key _id"
                            if oid is None
                            else "primary key repeated in one read with different content",
                            None if oid is None else {"_id": oid},
                        )
                    continue
                moved |= oid in read_in_pass  # rows moved forward: something was inserted
                read_in_pass[oid] = digest
                if oid not in emitted:
                    emitted.add(oid)
                    row["_id"] = oid  # taken plain once: post_process need not again
                    yield row  # the SDK applies post_process
            else:  # the closing empty page is in: a full last page's end is checked too
                if paginator.last_full and not moved:
                    moved = not self._boundary_holds(context, paginator)
            if not moved:
                return  # every boundary held: the pass read the list as it stands
            self.logger.info(
                "list_data: list %s changed while it was read (pass %d); reading it again",
                (context or {}).get("list_id"),
                attempt,
            )
        raise VendorAPIError(
            f"Sales.Rocks list {(context or {}).get('list_id')} kept changing during "
            f"{self.max_passes} consecutive reads; run the sync again when it is quieter."
        )

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """The page's rows; their `_id` values go with the response (for
        :class:`PassPaginator`), taken now: the rows change once they are yielded."""
        rows = list(super().parse_response(response))
        setattr(response, _PAGE_IDS, [r.get("_id") if type(r) is dict else None for r in rows])
        return rows

    def _boundary_holds(self, context: Context | None, paginator: PassPaginator) -> bool:
        """Whether the last row of the pass's latest page still sits at its position (one
        request of one row, with paging guards of its own). A row without an id, read
        there or answered now, cannot be checked: the boundary counts as held, and is
        counted in the run's warnings (the row itself was rejected)."""
        if paginator.last_id is not None:
            probe = ProbePaginator(BoundaryProbe(paginator.last_position))
            found = list(self.request_records(context, probe, PageGuard()))
            if len(found) != 1:
                return False  # the list is shorter now: rows before the boundary went
            now = _plain_id(found[0].get("_id")) if type(found[0]) is dict else None
            if now is not None:
                return now == paginator.last_id
        self._tap.tally.add(self.name, UNCHECKED_BOUNDARY)
        return True

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        oid = row.pop("_id", None)
        if type(oid) is not str or not oid:  # as sent, not as `read_records` passes it on
            oid = _plain_id(oid)
        list_id = row.pop("list_id", None) or (context or {}).get("list_id")
        return self.conform(
            {
                "id": oid,
                "list_id": list_id,
                "name": row.get("name"),  # conformance makes text of anything else
                "email": row.get("email"),
                "columns": row,
            }
        )


class PassPaginator(UntilEmptyPaginator):
    """The pages of one pass over a list: how many had rows, and the last row of the latest
    one (its plain id, None for a row without one; whether the page was full), whose
    position the pass checks once the next page is in."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: Pages with rows read so far.
        self.pages = 0
        #: The plain id of the latest page's last row.
        self.last_id: str | None = None
        #: That row's position in the list (0-based), from the page and size asked.
        self.last_position = -1
        #: Whether the latest page had as many rows as asked.
        self.last_full = False

    def has_more(self, response: requests.Response) -> bool:
        ids = getattr(response, _PAGE_IDS, [])
        page, size = _asked(response)  # as sent: a cap learned mid-pass changes the size
        self.last_id = _plain_id(ids[-1]) if ids else None
        self.last_position = (page - 1) * size + len(ids) - 1
        self.last_full = len(ids) >= size
        self.pages += 1
        return super().has_more(response)


@dataclass(frozen=True)
class BoundaryProbe:
    """Paging token of a request for the one row at ``position`` (0-based) of a list."""

    position: int


class ProbePaginator(SinglePagePaginator):
    """One request, for the row a :class:`BoundaryProbe` names."""

    def __init__(self, probe: BoundaryProbe) -> None:
        super().__init__()
        self._value = probe  # type: ignore[assignment]


class CampaignStatisticsStream(SalesRocksStream):
    """Drip campaign totals for each id in `campaign_ids`: one row per campaign, replaced on
    every sync (the record's `time_extracted` says when); keep history downstream, e.g. with a
    dbt snapshot."""

    name = "campaign_statistics"
    path = "/drip-campaign/getCampaignStatistics"
    primary_keys = ("campaign_id",)
    record_keys = ()  # the id comes from the settings, not the response
    records_jsonpath = "$.data"
    state_partitioning_keys: t.ClassVar[list[str]] = []
    timestamp_fields = ("campaign_created_at",)
    #: The API cannot list campaigns: the run reads those chosen, so it retires nothing.
    partition_filter_settings = ("campaign_ids",)

    @property
    def partitions(self) -> list[dict] | None:
        return [{"campaign_id": int(c)} for c in self.config.get("campaign_ids") or []]

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        if context is None:
            return  # no campaign_ids configured: nothing to report
        yield from super().read_records(context)

    def prepare_request_payload(self, context: dict | None, next_page_token: t.Any) -> dict:
        return {"campaign_id": (context or {})["campaign_id"]}

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == 404:
            try:
                campaign = json.loads(response.request.body or b"{}").get("campaign_id")
            except ValueError:
                campaign = "?"
            raise VendorAPIError(
                f"Sales.Rocks has no drip campaign {campaign} (HTTP 404): remove or correct "
                "it in the 'campaign_ids' setting."
            )
        super().validate_response(response)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row["campaign_id"] = (context or {})["campaign_id"]
        row.pop("status_code", None)
        return super().post_process(row, context)


def _plain_id(value: t.Any) -> str | None:
    """`{"$oid": "..."}` (or a bare string) to the plain id string; None when missing."""
    value = object_id(value)
    if isinstance(value, dict):  # an object without `$oid`: no id
        return None
    return str(value) if value is not None and value != "" else None


def _asked(response: requests.Response) -> tuple[int, int]:
    """The `page` and `size` a getListData request asked for."""
    body = json.loads(response.request.body or b"{}")
    return int(body.get("page") or 1), int(body.get("size") or 1)


_encode = msgspec.json.Encoder().encode
#: Warning tally entry: a page boundary whose row came without an id, so not checked.
UNCHECKED_BOUNDARY = (
    "page end(s) not checked for rows deleted during the read: the row there came without an _id"
)
#: Response attribute: the `_id` values of the page's rows as sent, in order (None for a
#: row that is not an object; see `parse_response`).
_PAGE_IDS = "_salesrocks_page_ids"


STREAM_TYPES = [ListsStream, ListDataStream, CampaignStatisticsStream]
