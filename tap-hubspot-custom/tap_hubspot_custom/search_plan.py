"""Incremental reads through the search API without losing or repeating records.

The search API sorts by one property only, pages by a numeric offset, and refuses
offsets past 10,000. Offset paging also loses records when the data changes under
it: a record edited after it was read moves to the end of the sort, every later
record shifts down one offset, and the one crossing the page boundary is never seen
(while the bookmark moves past it). So every page is its own search, re-anchored on
the last modification time read (keyset paging); ``after`` is never sent and the
10,000 cap never applies:

* **range** pages: ``modified >= T`` (or ``> T``), sorted by ``modified`` ascending.
  Records at exactly ``T`` that were already emitted (their ids are kept, also in
  STATE as ``boundary_ids``) are skipped. A full page whose last record is later than
  ``T`` moves the anchor to that record's time. Fewer records share ``T`` than a page
  holds (else the drain below runs), so ``boundary_ids`` holds at most about one page.
* **tie drain**: a full page whose records all carry the anchor time ``T`` (more
  records share one millisecond than a page holds, as after a bulk import) switches
  to ``modified == T and hs_object_id > last id`` sorted by ``hs_object_id``; when
  that runs dry the range continues with ``modified > T``. While draining, STATE
  carries the drain's cursor as ``boundary_last_id`` (every record at ``T`` up to that
  id went out) and, in ``boundary_ids``, only the range pages' ids above it: a resumed
  run drains on from the cursor, and STATE stays bounded however many records share
  ``T``.

Every step strictly advances (the time, or the id within one time), so the loop ends;
every record with ``modified >= start`` is emitted once per run, and one edited
during the run is emitted again later in the same run with its new values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_sync.convert.values import parse_datetime
from tap_hubspot_custom.hs_types import normalize_datetime

MAX_SEARCH_LIMIT = 200


def epoch_ms(value: Any) -> int | None:
    stamp = parse_datetime(value)
    return None if stamp is None else int(stamp.timestamp() * 1000)


def iso(ms: int) -> str:
    return str(normalize_datetime(ms))


@dataclass
class Anchor:
    """Where the next search starts: a time, whether it is included, ids seen at it."""

    ms: int
    inclusive: bool = True
    seen: set[str] = field(default_factory=set)
    drain_after: int | None = None
    """A tie drain under way at ``ms``: every record at it with an id up to this went out."""


class SearchPlan:
    """Builds each search body and digests its page; pure logic, no HTTP."""

    def __init__(
        self,
        modified_property: str,
        properties: list[str],
        start: Anchor,
        limit: int = MAX_SEARCH_LIMIT,
    ) -> None:
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise ValueError(f"search page size must be 1..{MAX_SEARCH_LIMIT}, got {limit}")
        self.modified = modified_property
        self.properties = properties
        self.limit = limit
        self.anchor = start
        self.drain_after: int | None = start.drain_after  # hs_object_id cursor in a tie drain
        self.done = False
        self.searches = 0
        self.drains = 0

    # --- requests -------------------------------------------------------------------

    def body(self) -> dict[str, Any]:
        """The next search request."""
        anchor = str(self.anchor.ms)
        if self.drain_after is not None:
            filters = [
                {"propertyName": self.modified, "operator": "EQ", "value": anchor},
                {"propertyName": "hs_object_id", "operator": "GT", "value": str(self.drain_after)},
            ]
            sort = "hs_object_id"
        else:
            op = "GTE" if self.anchor.inclusive else "GT"
            filters = [{"propertyName": self.modified, "operator": op, "value": anchor}]
            sort = self.modified
        return {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": self.properties,
            "limit": self.limit,
        }

    # --- replies --------------------------------------------------------------------

    def modified_ms(self, raw: dict[str, Any]) -> int:
        props = raw.get("properties") or {}
        value = props.get(self.modified) or raw.get("updatedAt")
        ms = epoch_ms(value)
        if ms is None:
            raise ValueError(f"record {raw.get('id')} has no {self.modified}")
        return ms

    def take(self, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Digest one page; return its records not emitted before, in order."""
        self.searches += 1
        if self.drain_after is not None:
            return self._take_drain(results)
        anchor = self.anchor
        fresh = []
        stamps = [self.modified_ms(r) for r in results]
        for raw, ms in zip(results, stamps, strict=True):
            if ms < anchor.ms or (ms == anchor.ms and str(raw["id"]) in anchor.seen):
                continue
            fresh.append(raw)
        if len(results) < self.limit:
            self._advance(fresh)
            self.done = True
            return fresh
        if stamps[-1] == anchor.ms:
            # A full page of one millisecond: page by id within it.
            anchor.seen.update(str(r["id"]) for r in fresh)
            self.drain_after = 0
            self.drains += 1
            return fresh
        self._advance(fresh)
        return fresh

    def _advance(self, fresh: list[dict[str, Any]]) -> None:
        if not fresh:
            return
        last = self.modified_ms(fresh[-1])
        if last != self.anchor.ms:
            self.anchor = Anchor(last, True, set())
        self.anchor.inclusive = True
        self.anchor.seen.update(str(r["id"]) for r in fresh if self.modified_ms(r) == last)

    def _take_drain(self, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Drained ids need no keeping: the cursor covers them.
        fresh = [r for r in results if str(r["id"]) not in self.anchor.seen]
        if results:
            self.drain_after = max(int(r["id"]) for r in results)
        if len(results) < self.limit:
            # Every record at this millisecond is out: continue strictly after it.
            self.drain_after = None
            self.anchor = Anchor(self.anchor.ms, False, set())
        return fresh

    # --- bookmark -------------------------------------------------------------------

    def bookmark(self) -> tuple[str, list[str], bool, int | None]:
        """(time, ids emitted at it, whether the time is complete, tie drain cursor) for
        STATE; the ids are only those above the cursor (at most about a page)."""
        anchor, cursor = self.anchor, self.drain_after
        if cursor is not None:
            above = (i for i in anchor.seen if not i.isdigit() or int(i) > cursor)
            return iso(anchor.ms), sorted(above, key=_id_order), False, cursor
        if anchor.inclusive:
            return iso(anchor.ms), sorted(anchor.seen, key=_id_order), False, None
        return iso(anchor.ms), [], True, None


def _id_order(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (0, value)
