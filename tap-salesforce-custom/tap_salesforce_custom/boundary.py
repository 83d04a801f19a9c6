"""What of the bookmark's own timestamp a run already emitted: one Id, whatever the ties.

Rows come ``ORDER BY <key> ASC, Id ASC``, so at any point every row emitted at the
current timestamp has an Id at or below the last one emitted. The bookmark is therefore
``replication_key_value`` (the timestamp) with ``boundary_last_id`` (the last Id emitted
at it): a few dozen bytes however many rows share one SystemModstamp (a mass update, a
Bulk job, a data load, our own id write-back). The next query resumes strictly after
that pair, a keyset:
``<key> > t OR (<key> = t AND Id > 'last')``.

Id comparisons and ``ORDER BY Id`` in SOQL are on the case-sensitive id (a filter on an
Id in the wrong case matches nothing; Bulk PK chunking pages by ``Id >= lo AND Id < hi``);
the 18-character id's last three characters only encode the first 15's casing, so
comparing 18-character ids as ASCII strings gives the same order (unverified against a
real org: the stream checks the order it receives and stops rather than skip a row).

One Id is enough only once no row can still get that timestamp: a row edited later in
the same millisecond, with an Id below the last one, would be skipped. So the pair is
kept only for a timestamp before the org's time when the query was sent (``Date`` of
the reply before it, whole seconds: ``closed_before``); a row at a later timestamp (one
still open as the query ran) keeps the Ids emitted at it in ``boundary_ids``, as
earlier versions did for every timestamp, and the next run reads ``<key> >= t`` and
skips those. That list holds only rows stamped within the second the query started,
never a past mass update's. A state from an earlier version (``boundary_ids`` at any
timestamp) is read the same way; once the run moves past that timestamp the list is
set to null (meltano merges STATE, so a key left out would survive).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

LAST_ID = "boundary_last_id"
LEGACY_IDS = "boundary_ids"


class TieOrderError(RuntimeError):
    """Rows at one timestamp did not come in ascending Id order."""


@dataclass
class Boundary:
    """The bookmark's timestamp, the last Id emitted at it, and (an open timestamp, or a
    state from an earlier version) every Id emitted at it."""

    at: str | None = None
    last_id: str | None = None
    ids: frozenset[str] | None = None

    @classmethod
    def saved(cls, state: Mapping[str, Any], start: str | None) -> Boundary:
        """What ``state`` says was emitted at ``start`` (nothing if it bookmarks another time)."""
        if not start or state.get("replication_key_value") != start:
            return cls(start)
        last = state.get(LAST_ID)
        listed = state.get(LEGACY_IDS)
        ids = None if listed is None else frozenset(str(i) for i in listed)
        return cls(start, str(last) if last else None, ids)

    @property
    def keyset_id(self) -> str | None:
        """The Id the query can resume after (none while the Ids are listed)."""
        return None if self.ids is not None else self.last_id

    def emitted(self, value: Any, record_id: str) -> bool:
        """Whether a row at ``value`` with ``record_id`` went out in an earlier run."""
        if value != self.at:
            return False
        if self.ids is not None:
            return record_id in self.ids
        return self.last_id is not None and record_id <= self.last_id


class BoundaryTracker:
    """Follows the rows a run emits and keeps the stream's bookmark in ``state``.

    ``closed_before``: the org's time before the query was sent (normalized like the
    replication key; ``None``: unknown, every timestamp counts as open).
    """

    def __init__(
        self,
        stream: str,
        state: MutableMapping[str, Any],
        saved: Boundary,
        closed_before: str | None,
    ) -> None:
        self.stream = stream
        self.state = state
        self.closed_before = closed_before
        self.value = saved.at
        self.last_id = saved.last_id
        self.ids: list[str] | None = None if saved.ids is None else sorted(saved.ids)

    def _open(self, value: Any) -> bool:
        return self.closed_before is None or not (value < self.closed_before)

    def emit(self, value: Any, record_id: str) -> None:
        """A row goes out: the SDK writes ``replication_key_value`` beside this pair."""
        state = self.state
        if value != self.value:
            self.value = value
            self.ids = [] if self._open(value) else None
        elif self.last_id is not None and record_id <= self.last_id and self.ids is None:
            raise TieOrderError(
                f"{self.stream}: rows at {value} came out of Id order ({record_id} after "
                f"{self.last_id}); the bookmark could skip a row, so the run stops"
            )
        self.last_id = record_id
        state[LAST_ID] = record_id
        if self.ids is not None:
            self.ids.append(record_id)
            state[LEGACY_IDS] = self.ids
        elif state.get(LEGACY_IDS) is not None:
            state[LEGACY_IDS] = None
