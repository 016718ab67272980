"""Sales.Rocks streams: editable lists, their rows, and drip campaign statistics."""

from __future__ import annotations

import json
import typing as t

import msgspec

from outreach_kit.errors import VendorAPIError
from outreach_kit.gone import DeletedParents
from outreach_kit.reading import PageGuard
from tap_salesrocks.client import PagedStream, SalesRocksStream, plain_id

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

    from tap_salesrocks.paging import PassPaginator


class ListsStream(PagedStream):
    """Editable lists (`POST /editable-lists/getLists`)."""

    name = "lists"
    path = "/editable-lists/getLists"
    primary_keys = ("uuid",)
    timestamp_fields = ("created_at", "updated_at")

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"list_id": record["uuid"]}


class ListDataStream(DeletedParents, PagedStream):
    """Rows of every editable list; each list's user-defined columns land in `columns`.

    Columns differ from list to list and users add new ones at any time, so every column
    is kept, under its original name, in the JSON object `columns` (typed copies of `name`
    and `email`, present in every list, sit beside it). A list is read in passes until it
    stands still (see :class:`~tap_salesrocks.client.PagedStream`); a row read twice in a
    pass (rows moved forward: something was inserted) also starts another pass. A row
    without an `_id`, or with the `_id` of a different row read in the same pass, is not a
    shift: it goes to `rejected_records` (once per sync) and the read goes on. A list
    deleted before or while its rows are read is skipped (see :mod:`outreach_kit.gone`):
    the API has no call for one list, so its absence from getLists tells.
    """

    name = "list_data"
    path = "/editable-lists/getListData"
    primary_keys = ("id",)
    parent_stream_type = ListsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # full table: no state per list
    #: The raw rows are kept whole in `columns`, which also takes values that do not fit.
    extra_property = "columns"
    #: Rows are checked here (`_id`, see `read_records`), not by the kit: a repeated id
    #: means the list moved, which the passes handle.
    record_keys = ()
    row_key = "_id"

    def prepare_request_payload(self, context: dict | None, next_page_token: t.Any) -> dict:
        return {
            "list_id": (context or {})["list_id"],
            **super().prepare_request_payload(context, next_page_token),
        }

    def read_subject(self, context: Context | None) -> str:
        return f"list {(context or {}).get('list_id')}"

    def parent_name(self, context: Context | None) -> str:
        return self.read_subject(context)

    def parent_exists(self, context: Context | None) -> bool:
        """Whether getLists still lists the list, page by page until an empty page. A short
        page may be a server's cap, whose next page could start past lists on no page (see
        :mod:`tap_salesrocks.paging`): getLists is then paged again from the start at the
        size it answered, which the server gives in full."""
        list_id = (context or {}).get("list_id")
        page, size, resized = 0, self.page_size, False
        while True:
            page += 1
            body = {"page": page, "size": size}
            response = self.ask_parent(context, "POST", ListsStream.path, body)
            if response is None:
                return True  # getLists itself 404s: not a deleted list; fail as before
            try:
                answer = response.json()
            except ValueError:
                return True  # an answer that tells nothing: the 404 fails the run
            lists = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(lists, list):
                return True
            if any(isinstance(x, dict) and x.get("uuid") == list_id for x in lists):
                return True
            if not lists:
                return False
            if len(lists) < size:
                if resized:
                    return False  # short at a size the server answers in full: the end
                page, size, resized = 0, len(lists), True

    def read_records(self, context: Context | None) -> t.Iterable[dict]:
        return self.unless_parent_gone(context, self._read_list(context))

    def _read_list(self, context: Context | None) -> t.Iterator[dict]:
        emitted: set[str] = set()
        rejected: set[int] = set()  # rows already sent to rejected_records, by content

        def read_pass(paginator: PassPaginator) -> t.Generator[dict, None, bool | str]:
            read_in_pass: dict[str, int] = {}  # id -> digest of the row's content
            repeated = False
            for row in self.request_records(context, paginator, PageGuard()):
                if self.page_end_moved(context, paginator):
                    return True
                oid = plain_id(row.get("_id"))
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
                repeated |= oid in read_in_pass
                read_in_pass[oid] = digest
                if oid not in emitted:
                    emitted.add(oid)
                    row["_id"] = oid  # taken plain once: post_process need not again
                    yield row  # the SDK applies post_process
            return repeated or self.last_page_end_moved(context, paginator)

        yield from self.read_in_passes(context, read_pass)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        oid = row.pop("_id", None)
        if type(oid) is not str or not oid:  # as sent, not as `read_records` passes it on
            oid = plain_id(oid)
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


_encode = msgspec.json.Encoder().encode


STREAM_TYPES = [ListsStream, ListDataStream, CampaignStatisticsStream]
