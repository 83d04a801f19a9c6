"""One stream per HubSpot object type: full pulls, incremental pulls, deletes, associations.

* **Full pull** (no bookmark and no ``start_date``, or FULL_TABLE): the list API,
  100 per page. Its order is by id, so the bookmark is set once the pull is done:
  the earlier of the latest ``updatedAt`` read and the server's time (``Date``
  header, less a second) when the first page was served -- a record edited while
  the pull was running is read again next run, never skipped.
* **Incremental pull**: the search API from the bookmark, re-anchored page by page
  (:mod:`tap_hubspot_custom.search_plan`); STATE after every page: ``updatedAt``
  bookmark, ``boundary_ids`` (ids already emitted at that millisecond) and
  ``boundary_complete``.
* **Deletes**: search never returns archived records, so after the live records the
  stream lists ``archived=true`` records and emits those archived since the last run
  (``archivedAt`` at or after the previous bookmark; ``archived_value`` /
  ``archived_ids`` in STATE afterwards) with ``_sdc_deleted_at`` = ``archivedAt``. A
  first full pull emits every archived record HubSpot still holds (90 days).
* **Associations**: per page, one v4 batch read per associated type
  (:mod:`tap_hubspot_custom.associations`); none for deletions.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from tap_hubspot_custom.associations import AssociationReader
from tap_hubspot_custom.client import HubSpotAPIError, HubSpotStream
from tap_hubspot_custom.hs_types import REPLICATION_KEY, RecordShaper
from tap_hubspot_custom.search_plan import Anchor, SearchPlan, epoch_ms, iso

if TYPE_CHECKING:
    from collections.abc import Iterator

    import requests
    from singer_sdk.helpers.types import Context

    from tap_hubspot_custom.discovery import ObjectType
    from tap_hubspot_custom.tap import TapHubSpotCustom

LIST_PAGE_MAX = 100
BOUNDARY_IDS = "boundary_ids"
BOUNDARY_COMPLETE = "boundary_complete"
ARCHIVED_VALUE = "archived_value"
ARCHIVED_IDS = "archived_ids"
REPLICATION_INCREMENTAL = "INCREMENTAL"


class HubSpotObjectStream(HubSpotStream):
    """Records of one object type, flat, typed, with associations and deletions."""

    primary_keys = ("id",)
    replication_key = REPLICATION_KEY
    is_sorted = True

    def __init__(
        self,
        tap: TapHubSpotCustom,
        obj: ObjectType,
        schema: dict[str, Any],
        associated: list[ObjectType],
    ) -> None:
        super().__init__(tap, name=obj.name, schema=schema, path=f"/crm/v3/objects/{obj.type_id}")
        self.obj = obj
        self.shaper = RecordShaper(schema, obj.name)
        self.readers = [
            AssociationReader(self._post, obj.name, obj.type_id, other.name, other.type_id)
            for other in associated
        ]
        self.search_limit = int(self.config.get("search_page_size") or 200)
        self.list_limit = min(LIST_PAGE_MAX, int(self.config.get("page_size") or LIST_PAGE_MAX))
        self.STATE_MSG_FREQUENCY = max(1, min(self.search_limit, self.list_limit))
        self.pull: str | None = None  # "full" or "incremental", for tests and logs
        self.plan: SearchPlan | None = None

    # --- SDK hooks ------------------------------------------------------------------

    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        """No signpost: bookmarks are HubSpot's own times, not this host's clock."""
        return None

    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        """Bookmarks move per page in :meth:`get_records`, not per record.

        Per-record bookmarking cannot express what a correct resume needs (the ids
        already emitted at the bookmark's millisecond), and deletions arrive after
        the live records with older times.
        """

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        state = self.get_context_state(context)
        incremental = self.replication_method == REPLICATION_INCREMENTAL
        start = self.get_starting_replication_key_value(context) if incremental else None
        if start is None:
            self.pull = "full"
            yield from self._full_pull(state, incremental)
        else:
            self.pull = "incremental"
            yield from self._search_pull(state, str(start))
        if self.config.get("include_archived", True):
            yield from self._archived_pull(state, None if start is None else str(start))

    # --- pulls ----------------------------------------------------------------------

    @property
    def hubspot_properties(self) -> list[str]:
        """Selected HubSpot properties (always the modified property and hs_object_id)."""
        props = self.schema["properties"]
        mask = self.mask
        chosen = [
            n
            for n, p in props.items()
            if "x-hubspot-type" in p and mask.get(("properties", n), True)
        ]
        for needed in (self.obj.modified_property, "hs_object_id"):
            if needed in props and needed not in chosen:
                chosen.append(needed)
        return chosen

    def _full_pull(self, state: dict[str, Any], incremental: bool) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "limit": self.list_limit,
            "properties": ",".join(self.hubspot_properties),
            "archived": "false",
        }
        served_at: int | None = None
        newest: int | None = None
        at_newest: set[str] = set()
        while True:
            response = self._get_list(params)
            if served_at is None:
                served_at = _server_ms(response)
            reply = response.json()
            records = [self.shaper.shape(r) for r in reply.get("results") or []]
            self._attach(records)
            for record in records:
                ms = epoch_ms(record.get(REPLICATION_KEY))
                if ms is not None and (newest is None or ms >= newest):
                    if ms != newest:
                        newest, at_newest = ms, set()
                    at_newest.add(record["id"])
                yield record
            after = ((reply.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                break
            params["after"] = after
        if not incremental:
            return
        if newest is not None and (served_at is None or newest <= served_at):
            self._save(state, iso(newest), sorted(at_newest), complete=False)
        elif served_at is not None:
            self._save(state, iso(served_at), [], complete=False)

    def _search_pull(self, state: dict[str, Any], start: str) -> Iterator[dict[str, Any]]:
        start_ms = epoch_ms(start)
        assert start_ms is not None
        anchor = Anchor(start_ms, True, set())
        if epoch_ms(state.get("replication_key_value")) == start_ms:
            anchor.inclusive = not state.get(BOUNDARY_COMPLETE, False)
            anchor.seen = set(state.get(BOUNDARY_IDS) or []) if anchor.inclusive else set()
        plan = SearchPlan(
            self.obj.modified_property, self.hubspot_properties, anchor, self.search_limit
        )
        self.plan = plan
        path = f"/crm/v3/objects/{self.obj.type_id}/search"
        while not plan.done:
            reply = self.call(
                "POST", path, route="POST /crm/v3/objects/{objectType}/search", json=plan.body()
            )
            records = [self.shaper.shape(r) for r in plan.take(reply.get("results") or [])]
            self._attach(records)
            yield from records
            value, ids, complete = plan.bookmark()
            self._save(state, value, ids, complete=complete)

    def _archived_pull(self, state: dict[str, Any], start: str | None) -> Iterator[dict[str, Any]]:
        if ARCHIVED_VALUE in state:
            since, seen = epoch_ms(state[ARCHIVED_VALUE]), set(state.get(ARCHIVED_IDS) or [])
        else:
            since, seen = epoch_ms(start) if start else None, set()
        params: dict[str, Any] = {
            "limit": self.list_limit,
            "properties": ",".join(self.hubspot_properties),
            "archived": "true",
        }
        newest, at_newest = since, set(seen)
        while True:
            reply = self._get_list(params).json()
            for raw in reply.get("results") or []:
                record = self.shaper.shape(raw)
                ms = epoch_ms(record.get("_sdc_deleted_at"))
                if ms is None:
                    continue
                if since is not None and (ms < since or (ms == since and record["id"] in seen)):
                    continue  # archived before the last run looked
                if newest is None or ms > newest:
                    newest, at_newest = ms, set()
                if ms == newest:
                    at_newest.add(record["id"])
                yield record
            after = ((reply.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                break
            params["after"] = after
        if newest is not None and self.replication_method == REPLICATION_INCREMENTAL:
            state[ARCHIVED_VALUE] = iso(newest)
            state[ARCHIVED_IDS] = sorted(at_newest)
            self.state_manager.is_flushed = False

    # --- helpers --------------------------------------------------------------------

    def _get_list(self, params: dict[str, Any]) -> requests.Response:
        return self.call_response(
            "GET", self.path, route="GET /crm/v3/objects/{objectType}", params=params
        )

    def _post(self, method: str, path: str, route: str, body: Any) -> dict[str, Any]:
        return self.call(method, path, route=f"{method} {route.split(' ', 1)[-1]}", json=body)

    def _attach(self, records: list[dict[str, Any]]) -> None:
        for reader in list(self.readers):
            try:
                reader.attach(records)
            except HubSpotAPIError as exc:
                if exc.status not in (400, 404):
                    raise
                self.logger.warning(
                    "%s: not reading associations to %s: %s", self.name, reader.to_name, exc
                )
                self.readers.remove(reader)

    def _save(self, state: dict[str, Any], value: str, ids: list[str], *, complete: bool) -> None:
        if self.replication_method != REPLICATION_INCREMENTAL:
            return
        state["replication_key"] = REPLICATION_KEY
        state["replication_key_value"] = value
        state[BOUNDARY_IDS] = ids
        state[BOUNDARY_COMPLETE] = complete
        self.state_manager.is_flushed = False


def _server_ms(response: requests.Response) -> int | None:
    """The server's clock when it served ``response``, less a second (``Date`` is whole seconds)."""
    header = response.headers.get("Date")
    if not header:
        return None
    try:
        served = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return int((served - timedelta(seconds=1)).timestamp() * 1000)
