"""Converting one mapped field's value between the two CRMs, and comparing values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_sync.convert.codec import HUBSPOT, SALESFORCE
from crm_sync.convert.kinds import Kind
from crm_sync.convert.valuemap import ValueMap
from crm_sync.convert.values import Canonical, coerce, parse

#: Kinds whose wire value is read as plain text (``values.parse`` falls through to text).
_TEXT_IN = frozenset({Kind.TEXT, Kind.ENUM, Kind.REFERENCE, Kind.UNSUPPORTED})
#: Kinds written as the text itself (``values.coerce`` to them is ``_as_text``).
_TEXT_OUT = frozenset({Kind.TEXT, Kind.ENUM, Kind.REFERENCE})
#: Kinds whose ``values.parse`` of a canonical value of the kind gives it back, so
#: ``coerce`` to the same kind is a second parse with nothing to do.
_SAME_KIND_AS_IS = frozenset({Kind.DATETIME, Kind.DATE, Kind.NUMBER, Kind.INT, Kind.BOOL})


def _map_strings(value: Canonical, translate: Any) -> Canonical:
    """Apply a value map to a canonical text or multi value (other kinds untouched)."""
    if value is None:
        return None
    if not isinstance(value, str | tuple):
        value = coerce(value, Kind.TEXT)  # e.g. a HubSpot "true" mapped to a picklist "Yes"
    if isinstance(value, tuple):
        return tuple(translate(item) for item in value)
    if isinstance(value, str):
        whole = translate(value)
        if whole != value or ";" not in value:
            return whole
        # A multi-picklist seen as plain text (no type annotation): map item by item.
        return ";".join(translate(item) for item in value.split(";"))
    return value  # pragma: no cover - coerce to text always gives str


@dataclass(frozen=True)
class FieldConverter:
    """Converts one field: Salesforce wire <-> HubSpot wire, value map applied.

    ``sf_kind``/``hs_kind`` are the kinds of the two sides; ``scale`` is the
    Salesforce number scale (digits after the point) when known.
    """

    sf_kind: Kind
    hs_kind: Kind
    values: ValueMap = field(default_factory=ValueMap)
    scale: int | None = None
    plain_text: bool = field(init=False, repr=False, compare=False)
    """Text in, text out, no value map: a string passes as is (most fields of a record)."""
    same_kind: bool = field(init=False, repr=False, compare=False)
    """One typed kind on both sides, no value map: the decoded value needs no coercion."""

    def __post_init__(self) -> None:
        plain = self.sf_kind in _TEXT_IN and self.hs_kind in _TEXT_OUT and not self.values
        object.__setattr__(self, "plain_text", plain)
        same = self.sf_kind is self.hs_kind and self.sf_kind in _SAME_KIND_AS_IS
        object.__setattr__(self, "same_kind", same and not self.values)

    def to_hubspot(self, sf_value: Any) -> str:
        """A Salesforce wire value as the HubSpot property string."""
        if self.plain_text and type(sf_value) is str:
            # What parse -> coerce -> encode make of a string between text kinds.
            return sf_value if sf_value.strip() else ""
        value = SALESFORCE.decode(sf_value, self.sf_kind)
        if self.same_kind:
            return str(HUBSPOT.encode(value, self.hs_kind))
        if self.values:
            value = _map_strings(value, self.values.to_hubspot)
        return str(HUBSPOT.encode(coerce(value, self.hs_kind), self.hs_kind))

    def to_salesforce(self, hs_value: Any) -> Any:
        """A HubSpot wire value as the Salesforce REST JSON value."""
        value = HUBSPOT.decode(hs_value, self.hs_kind)
        if self.values:
            value = _map_strings(value, self.values.to_salesforce)
        return SALESFORCE.encode(coerce(value, self.sf_kind), self.sf_kind, self.scale)


def normalize(value: Any, kind: Kind) -> Canonical:
    """A comparable canonical value of a wire value of either CRM.

    Equal for values the two CRMs consider the same: ``"1200.50"`` and ``1200.5``,
    ``"2024-01-01T00:00:00Z"``, ``"2024-01-01T00:00:00.000+0000"`` and
    ``"1704067200000"``, ``"b;a"`` and ``"a;b"``, ``""`` and ``None``. Text is kept as
    is (case and spaces matter to both CRMs).
    """
    canon = parse(value, kind)
    match canon:
        case tuple():
            return tuple(sorted(set(canon)))
        case _ if kind is Kind.NUMBER and canon is not None:
            return canon.normalize()  # type: ignore[union-attr]
        case _:
            return canon
