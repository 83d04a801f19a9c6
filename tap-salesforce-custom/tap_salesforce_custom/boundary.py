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

Versions before this one kept every Id emitted at the timestamp (``boundary_ids``): past
~190,000 ties a STATE line exceeded meltano's 4 MiB limit. Such a state is still read:
while the run is at that timestamp its rows are read from ``<key> >= t`` and those ids
skipped; once the run moves past it the list is set to null (meltano merges STATE, so a
key left out would survive).
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
    """The bookmark's timestamp, the last Id emitted at it, and ids an older version kept."""

    at: str | None = None
    last_id: str | None = None
    legacy: frozenset[str] = frozenset()

    @classmethod
    def saved(cls, state: Mapping[str, Any], start: str | None) -> Boundary:
        """What ``state`` says was emitted at ``start`` (nothing if it bookmarks another time)."""
        if not start or state.get("replication_key_value") != start:
            return cls(start)
        last = state.get(LAST_ID)
        legacy = frozenset(str(i) for i in state.get(LEGACY_IDS) or [])
        return cls(start, str(last) if last else None, legacy)

    @property
    def keyset_id(self) -> str | None:
        """The Id the query can resume after (none while an old id list is in play)."""
        return None if self.legacy else self.last_id

    def emitted(self, value: Any, record_id: str) -> bool:
        """Whether a row at ``value`` with ``record_id`` went out in an earlier run."""
        if value != self.at:
            return False
        return (self.last_id is not None and record_id <= self.last_id) or record_id in self.legacy


class BoundaryTracker:
    """Follows the rows a run emits and keeps the stream's bookmark pair in ``state``."""

    def __init__(self, stream: str, state: MutableMapping[str, Any], saved: Boundary) -> None:
        self.stream = stream
        self.state = state
        self.value = saved.at
        self.last_id = saved.last_id

    def emit(self, value: Any, record_id: str) -> None:
        """A row goes out: the SDK writes ``replication_key_value`` beside this pair."""
        state = self.state
        if value != self.value:
            self.value = value
            if state.get(LEGACY_IDS) is not None:
                state[LEGACY_IDS] = None  # the old list's timestamp is behind us
        elif self.last_id is not None and record_id <= self.last_id:
            raise TieOrderError(
                f"{self.stream}: rows at {value} came out of Id order ({record_id} after "
                f"{self.last_id}); the bookmark could skip a row, so the run stops"
            )
        self.last_id = record_id
        state[LAST_ID] = record_id
