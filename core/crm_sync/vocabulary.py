"""The sync's words, defined once: sides, legs, field rules, conflict and delete rules, errors.

The mapping-spec model (:mod:`crm_sync.spec`), the reconciler (:mod:`crm_sync.reconcile`),
the ledger and both targets use these same values, so a rule means one thing everywhere
(DESIGN §3). :class:`RecordError` is how a refused or unconvertible record's error
travels from the API client to the ledger's dead letters: typed, never a string parsed
back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "WRITE_BACK_FAILED",
    "WRITE_BACK_SOURCE_GONE",
    "AssociationType",
    "Conflict",
    "DeleteRule",
    "Direction",
    "RecordError",
    "Rule",
    "Side",
]


class Side(StrEnum):
    """One of the two systems."""

    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"

    @property
    def other(self) -> Side:
        """The opposite side."""
        return _OTHER[self]


class Direction(StrEnum):
    """A leg of the sync: where records come from and where they are written."""

    SF_TO_HS = "sf_to_hs"
    HS_TO_SF = "hs_to_sf"

    @property
    def source(self) -> Side:
        """The side the leg reads."""
        return _SOURCE[self]

    @property
    def destination(self) -> Side:
        """The side the leg writes."""
        return _DESTINATION[self]

    @property
    def reverse(self) -> Direction:
        """The other leg."""
        return Direction.HS_TO_SF if self is Direction.SF_TO_HS else Direction.SF_TO_HS

    @classmethod
    def towards(cls, destination: Side) -> Direction:
        """The leg that writes ``destination``."""
        return cls.SF_TO_HS if destination is Side.HUBSPOT else cls.HS_TO_SF

    @classmethod
    def from_side(cls, source: Side) -> Direction:
        """The leg that reads ``source``."""
        return cls.towards(source.other)


class Rule(StrEnum):
    """A field's sync rule (DESIGN §3 table)."""

    TWO_WAY = "two_way"
    PREFER_SALESFORCE = "prefer_salesforce"
    ALWAYS_SALESFORCE = "always_salesforce"
    PREFER_HUBSPOT = "prefer_hubspot"
    ALWAYS_HUBSPOT = "always_hubspot"
    NONE = "none"

    @property
    def owner(self) -> Side | None:
        """The side a prefer_/always_ rule favours; None for two_way and none."""
        return _OWNER.get(self)

    @property
    def is_always(self) -> bool:
        """True for the always_ rules."""
        return self in _ALWAYS

    @property
    def one_way(self) -> Direction | None:
        """The only leg an always_ rule writes (from its owner); None for the others."""
        owner = self.owner
        return Direction.from_side(owner) if self.is_always and owner is not None else None

    def writes(self, direction: Direction) -> bool:
        """Whether a value ever travels on ``direction`` under this rule."""
        if self is Rule.NONE:
            return False
        return self.one_way in (None, direction)


# The properties above run for every field of every record (the reconciler asks them
# in its inner loop): plain table lookups, built once.
_OTHER = {Side.SALESFORCE: Side.HUBSPOT, Side.HUBSPOT: Side.SALESFORCE}
_SOURCE = {Direction.SF_TO_HS: Side.SALESFORCE, Direction.HS_TO_SF: Side.HUBSPOT}
_DESTINATION = {Direction.SF_TO_HS: Side.HUBSPOT, Direction.HS_TO_SF: Side.SALESFORCE}
_OWNER = {
    Rule.PREFER_SALESFORCE: Side.SALESFORCE,
    Rule.ALWAYS_SALESFORCE: Side.SALESFORCE,
    Rule.PREFER_HUBSPOT: Side.HUBSPOT,
    Rule.ALWAYS_HUBSPOT: Side.HUBSPOT,
}
_ALWAYS = frozenset({Rule.ALWAYS_SALESFORCE, Rule.ALWAYS_HUBSPOT})


class Conflict(StrEnum):
    """The mapping's ``conflict`` setting: who wins a conflict on a two_way field."""

    NEWEST = "newest"
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


class DeleteRule(StrEnum):
    """What a delete on the source side does to the destination record."""

    PROPAGATE = "propagate"
    IGNORE = "ignore"


WRITE_BACK_FAILED = "WRITE_BACK_FAILED"
"""The error code of a record written to Salesforce whose new id HubSpot refused to take
(the reverse leg's write-back): its dead letter stands only for that write-back."""

WRITE_BACK_SOURCE_GONE = "WRITE_BACK_SOURCE_GONE"
"""A write-back of ids the source answered with "no such record": the source record was
deleted before its id could be written. A write-back's ``write_ids`` refuses such a record
with this code (the source's own error in the message); its dead letter is closed at once
with it (``crm-sync dead-letters list --all``), since a replay could only be refused again."""


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why one record was refused or could not be converted.

    ``code`` is the vendor's error code where it has one (Salesforce ``statusCode``
    such as ``DUPLICATE_VALUE``, HubSpot ``category`` such as ``VALIDATION_ERROR``) or
    ours (``CONVERSION_ERROR``, ``WRITE_BACK_FAILED``); ``fields`` names the fields
    concerned when the vendor says.
    """

    code: str
    message: str
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" [{', '.join(self.fields)}]" if self.fields else ""
        return f"{self.code}: {self.message}{where}"

    @classmethod
    def joined(cls, errors: Iterable[RecordError]) -> RecordError:
        """Several errors of one record as one (the first code; messages and fields kept)."""
        items = list(errors)
        if not items:
            return cls("UNKNOWN_ERROR", "no result for the record")
        if len(items) == 1:
            return items[0]
        fields = tuple(dict.fromkeys(f for e in items for f in e.fields))
        return cls(items[0].code, "; ".join(str(e) for e in items), fields)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (run reports, logs)."""
        return {"code": self.code, "message": self.message, "fields": list(self.fields)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordError:
        return cls(
            str(data.get("code") or "ERROR"),
            str(data.get("message") or ""),
            tuple(str(f) for f in data.get("fields") or ()),
        )


@dataclass(frozen=True, slots=True)
class AssociationType:
    """Which association a mapping's association rule makes (DESIGN §3.1 ``associations``).

    ``lookup`` is the Salesforce lookup field the association comes from (its key in
    the mapping); ``label`` / ``type_id`` / ``category`` pick the HubSpot association
    type (none of them: HubSpot's default association of the two objects).
    """

    lookup: str
    label: str | None = None
    type_id: int | None = None
    category: str | None = None
