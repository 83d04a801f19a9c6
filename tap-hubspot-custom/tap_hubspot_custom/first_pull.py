"""Where a first pull by listing stands, kept in STATE so that a killed pull resumes there.

A first pull lists every record by id, 100 a page, and sets its bookmark only at the
end (see :mod:`tap_hubspot_custom.streams`). Without a resume point, a pull killed at
record 15,000 of 25,000 left no bookmark and the next run listed everything again. So
after each page the stream's STATE carries ``first_pull``:

* ``after``: the list cursor of the next page (``paging.next.after``);
* ``served_at``: when the server served the pull's first page, less a second (the
  bookmark may not pass it: a record edited during the pull is read again next run);
* ``newest``: the latest modification time read so far, and ``newest_ids``, the ids
  read at that millisecond (up to :data:`NEWEST_IDS_MAX`; past that, none are kept).

A run that finds ``first_pull`` and no bookmark lists from ``after``, with the first
run's ``served_at`` and ``newest``, and ends with the bookmark the uninterrupted pull
would have set. When more records than :data:`NEWEST_IDS_MAX` share the newest
millisecond (a bulk import), the ids read before the resume are not kept (each STATE
would repeat them all) and the next incremental run reads those records again: more
reads, never a record missed. HubSpot documents ``after`` as an opaque paging cursor;
if the portal refuses a saved one (a cursor that expired), the pull starts again from
the first page and says so. Once the pull is done, ``first_pull`` is set to null
(meltano merges partial STATE over the saved one, so a key left out would survive).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from tap_hubspot_custom.search_plan import epoch_ms, iso

FIRST_PULL = "first_pull"
NEWEST_IDS_MAX = 1000
"""Ids at the newest millisecond a resume point keeps (about 10 KB of STATE)."""


@dataclass(frozen=True, slots=True)
class ListProgress:
    """How far a first pull by listing got: the next page's cursor and two times."""

    after: str
    served_at: int | None = None
    newest: int | None = None
    newest_ids: frozenset[str] = frozenset()
    """Ids read at ``newest`` (none when more than :data:`NEWEST_IDS_MAX`: see above)."""

    @classmethod
    def at(
        cls, after: str, served_at: int | None, newest: int | None, ids: set[str]
    ) -> ListProgress:
        """The resume point after a page: ``ids`` kept only up to :data:`NEWEST_IDS_MAX`."""
        return cls(
            after, served_at, newest, frozenset(ids) if len(ids) <= NEWEST_IDS_MAX else frozenset()
        )

    @classmethod
    def saved(cls, state: Mapping[str, Any]) -> ListProgress | None:
        """The progress a stream's STATE carries, if a first pull stopped midway."""
        found = state.get(FIRST_PULL)
        if not isinstance(found, Mapping) or not found.get("after"):
            return None
        return cls(
            str(found["after"]),
            epoch_ms(found.get("served_at")),
            epoch_ms(found.get("newest")),
            frozenset(str(i) for i in found.get("newest_ids") or ()),
        )

    def save(self, state: MutableMapping[str, Any]) -> None:
        state[FIRST_PULL] = {
            "after": self.after,
            "served_at": None if self.served_at is None else iso(self.served_at),
            "newest": None if self.newest is None else iso(self.newest),
            "newest_ids": sorted(self.newest_ids),
        }

    @staticmethod
    def clear(state: MutableMapping[str, Any]) -> None:
        """The pull is done (or starts over): no resume point."""
        if state.get(FIRST_PULL) is not None:
            state[FIRST_PULL] = None
