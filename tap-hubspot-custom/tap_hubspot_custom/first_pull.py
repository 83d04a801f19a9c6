"""Where a first (full) pull stands, kept in STATE so that a killed pull resumes there.

A full pull reads the object from both ends (:mod:`tap_hubspot_custom.descent`): the list
cursor climbs from the lowest id, the search walk descends from the highest, and the
bookmark is set only once they met (see :mod:`tap_hubspot_custom.streams`). Without a
resume point, a pull killed at record 15,000 of 25,000 left no bookmark and the next run
read everything again. So each time the last record of a page goes out, the stream's
STATE carries ``first_pull``, both ends as far as their records were *emitted* (a page
claimed but not yet written does not count):

* ``after``: the list cursor to go on from (``null``: the first page), ``listed_to``:
  the highest id the list emitted. After a page the list read whole this is the next
  page's cursor; after the page where the list met the walk (or the API's last page) it
  is that page's own cursor, read again and cut at ``listed_to``;
* ``walked_to``: the lowest id the search walk emitted from the top (``null``: none yet);
  the walk goes on with ``hs_object_id <`` it, and the list keeps only ids below it;
* ``gaps``: the stretches the walk read in lower parts once it met the top chain
  (:meth:`~tap_hubspot_custom.descent.Frontier.next_run`), each ``below`` (the id it read
  below: the floor of the chain or stretch above that part) and ``walked_to`` (the lowest
  id of it emitted). A resumed pull keeps each as a bound at ``walked_to``: the chain
  below that part reads up to it again, so the ids the stretch had claimed and not
  emitted are read by that chain (or by the walk, which, once it met the top chain again,
  goes to the widest part left as before). A stretch that emitted nothing is not saved:
  its part goes back to the chain below. So a resumed pull may read a part again, never
  skip one;
* ``chains``: the list chains above the first (:mod:`tap_hubspot_custom.climb`), each
  ``from`` (the id it was started at), ``floor`` (the first id it was served: the chain
  below stops there; ``null`` while its first page was on the way), ``after`` and
  ``listed_to`` as for the first chain (``null``: none of its records emitted yet, so it
  starts at ``from`` again). A point saved before chains existed has none;
* ``walked``: whether the walk ran, so the bookmark leaves the search index's lag;
* ``served_at``: when the server served the pull's first page, less a second, and
  ``newest`` with ``newest_ids``: the latest modification time emitted and the ids
  emitted at it (up to :data:`NEWEST_IDS_MAX`; past that, none are kept).

A run that finds ``first_pull`` and no bookmark continues both ends from there and ends
with the bookmark the uninterrupted pull would have set; then ``first_pull`` is set to
null (meltano merges partial STATE over the saved one, so a key left out would
survive). The point is a few hundred bytes plus the newest ids (about 12 KB at most),
far below the 2 MiB longest message this project's
``elt.buffer_size`` (4 MiB) lets meltano accept. When more records than
:data:`NEWEST_IDS_MAX` share the newest millisecond (a bulk import), the ids emitted
before the resume are not kept and the next incremental run reads those records again:
more reads, never a record missed. HubSpot documents ``after`` as an opaque paging
cursor; if the portal refuses a saved one (a cursor that expired) or the point is not
one this tap wrote, the pull starts again from the first page and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from tap_hubspot_custom.search_plan import epoch_ms, iso

FIRST_PULL = "first_pull"
NEWEST_IDS_MAX = 1000
"""Ids at the newest millisecond a resume point keeps (about 12 KB of STATE)."""


class BadPoint(ValueError):
    """A saved ``first_pull`` this tap cannot have written (hand-edited, corrupted)."""


def _id(value: Any, key: str) -> int | None:
    if value is None:
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise BadPoint(f"{key} {value!r} is not a record id")
    return int(text)


def _ms(value: Any, key: str) -> int | None:
    if value is None:
        return None
    try:
        ms = epoch_ms(value)
    except ValueError:
        ms = None
    if ms is None:
        raise BadPoint(f"{key} {value!r} is not a time")
    return ms


@dataclass(frozen=True, slots=True)
class ChainPoint:
    """Where a list chain above the first stands (see ``chains`` above)."""

    start: int
    floor: int | None = None
    after: str | None = None
    listed_to: int | None = None

    @classmethod
    def saved(cls, found: Any) -> ChainPoint:
        if not isinstance(found, Mapping):
            raise BadPoint(f"chain {found!r} is not an object")
        start = _id(found.get("from"), "from")
        after = found.get("after")
        if start is None:
            raise BadPoint(f"chain {found!r} has no start")
        if after is not None and not isinstance(after, str):
            raise BadPoint(f"after {after!r} is not a cursor")
        return cls(
            start, _id(found.get("floor"), "floor"), after or None,
            _id(found.get("listed_to"), "listed_to"),
        )  # fmt: skip

    def saving(self) -> dict[str, Any]:
        return {
            "from": str(self.start),
            "floor": None if self.floor is None else str(self.floor),
            "after": self.after,
            "listed_to": None if self.listed_to is None else str(self.listed_to),
        }


@dataclass(frozen=True, slots=True)
class GapPoint:
    """How far a stretch of the walk in a lower part got (see ``gaps`` above)."""

    below: int
    walked_to: int

    @classmethod
    def saved(cls, found: Any) -> GapPoint:
        if not isinstance(found, Mapping):
            raise BadPoint(f"gap {found!r} is not an object")
        below = _id(found.get("below"), "below")
        walked_to = _id(found.get("walked_to"), "walked_to")
        if below is None or walked_to is None or walked_to >= below:
            raise BadPoint(f"gap {found!r} is not a stretch of the walk")
        return cls(below, walked_to)

    def saving(self) -> dict[str, Any]:
        return {"below": str(self.below), "walked_to": str(self.walked_to)}


@dataclass(frozen=True, slots=True)
class PullPoint:
    """How far a full pull got at both ends, and what its bookmark will need."""

    after: str | None = None
    listed_to: int | None = None
    walked_to: int | None = None
    walked: bool = False
    served_at: int | None = None
    newest: int | None = None
    newest_ids: frozenset[str] = frozenset()
    """Ids emitted at ``newest`` (none when more than :data:`NEWEST_IDS_MAX`: see above)."""
    chains: tuple[ChainPoint, ...] = ()
    gaps: tuple[GapPoint, ...] = ()

    @classmethod
    def saved(cls, state: Mapping[str, Any]) -> PullPoint | None:
        """The point a stream's STATE carries, if a full pull stopped midway.

        Raises :class:`BadPoint` for a ``first_pull`` this tap cannot have written.
        """
        found = state.get(FIRST_PULL)
        if found is None:
            return None
        if not isinstance(found, Mapping):
            raise BadPoint(f"{found!r} is not an object")
        after = found.get("after")
        if after is not None and not isinstance(after, str):
            raise BadPoint(f"after {after!r} is not a cursor")
        ids = found.get("newest_ids") or []
        if not isinstance(ids, list):
            raise BadPoint(f"newest_ids {ids!r} is not a list")
        chains = found.get("chains") or []
        if not isinstance(chains, list):
            raise BadPoint(f"chains {chains!r} is not a list")
        gaps = found.get("gaps") or []
        if not isinstance(gaps, list):
            raise BadPoint(f"gaps {gaps!r} is not a list")
        return cls(
            after or None,
            _id(found.get("listed_to"), "listed_to"),
            _id(found.get("walked_to"), "walked_to"),
            bool(found.get("walked")),
            _ms(found.get("served_at"), "served_at"),
            _ms(found.get("newest"), "newest"),
            frozenset(str(i) for i in ids),
            tuple(sorted((ChainPoint.saved(c) for c in chains), key=lambda c: c.start)),
            tuple(sorted((GapPoint.saved(g) for g in gaps), key=lambda g: g.below)),
        )

    def save(self, state: MutableMapping[str, Any]) -> None:
        keep = len(self.newest_ids) <= NEWEST_IDS_MAX
        state[FIRST_PULL] = {
            "after": self.after,
            "listed_to": None if self.listed_to is None else str(self.listed_to),
            "walked_to": None if self.walked_to is None else str(self.walked_to),
            "walked": self.walked,
            "served_at": None if self.served_at is None else iso(self.served_at),
            "newest": None if self.newest is None else iso(self.newest),
            "newest_ids": sorted(self.newest_ids) if keep else [],
            "chains": [c.saving() for c in self.chains],
            "gaps": [g.saving() for g in self.gaps],
        }

    @staticmethod
    def clear(state: MutableMapping[str, Any]) -> None:
        """The pull is done (or starts over): no resume point."""
        if FIRST_PULL in state:
            state[FIRST_PULL] = None
