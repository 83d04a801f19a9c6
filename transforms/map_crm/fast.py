"""Short cuts for map-crm's per-record conversions, each giving what the full path gives.

Profiled on 100,000 Salesforce projects, converting field values was half of map-crm's
record time: every value went through parse -> canonical value -> format, also when the
answer is a slice of the input or the same as for the previous record. Here:

* a datetime already in UTC with milliseconds (the tap's ``…T09:00:00.000+00:00``, the
  APIs' ``…Z`` / ``…+0000``) becomes HubSpot's ``…T09:00:00.000Z`` by its suffix alone,
  once ``datetime.fromisoformat`` has accepted its calendar date and time
  (:func:`crm_sync.convert.values.utc_millis_prefix`, shared with the Salesforce tap);
  the rare years before 1000 are left to the full path;
* a finite ``Decimal`` (how the Singer reader decodes a number with a fraction) between
  two number kinds is written by ``format_decimal`` directly (parsing its text again
  gives the same ``Decimal``);
* any other field that is not plain text keeps the results of the first
  :data:`MEMO_SIZE` distinct ``str`` / ``bool`` / ``int`` values it meets (a picklist, a
  checkbox, a date repeat across records), keyed by type and value, since the
  conversion depends on nothing else.

Whatever the short cuts do not take goes to :meth:`FieldConverter.to_hubspot`, which
also raises the errors. ``tests/transforms/test_fast.py`` checks each against it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm_sync.convert import FieldConverter, Kind
from crm_sync.convert.codec import HUBSPOT, read_datetime
from crm_sync.convert.values import format_decimal, utc_millis_prefix

MEMO_SIZE = 4096
"""Results kept per field; past it, new values are converted without being kept."""

_MEMO_TYPES = (str, bool, int)


def utc_millis_as_hubspot(value: Any) -> str | None:
    """``value`` in HubSpot's datetime form if it is already a UTC datetime with
    milliseconds of year 1000 or later; else None (the full path decides)."""
    if type(value) is not str or value[:1] == "0":  # years before 1000: the full path
        return None
    prefix = utc_millis_prefix(value)
    return None if prefix is None else prefix + "Z"


def hubspot_stamp(value: Any) -> str | None:
    """A source modification time as HubSpot's ISO 8601 UTC with milliseconds."""
    quick = utc_millis_as_hubspot(value)
    if quick is not None:
        return quick
    parsed = read_datetime(value)
    return HUBSPOT.format_datetime(parsed) if parsed else None


class ToHubSpot:
    """One field's ``FieldConverter.to_hubspot``, with the short cuts that apply to it."""

    def __init__(self, converter: FieldConverter) -> None:
        self.converter = converter
        same = converter.same_kind
        self._datetime = same and converter.sf_kind is Kind.DATETIME
        self._number = same and converter.sf_kind is Kind.NUMBER
        self._memo: dict[tuple[type, Any], str] | None = None if converter.plain_text else {}

    def __call__(self, value: Any) -> str:
        converter = self.converter
        if self._datetime:
            quick = utc_millis_as_hubspot(value)
            if quick is not None:
                return quick
        elif self._number and type(value) is Decimal and value.is_finite():
            return format_decimal(value)
        memo = self._memo
        if memo is None or type(value) not in _MEMO_TYPES:
            return converter.to_hubspot(value)
        key = (type(value), value)
        found = memo.get(key)
        if found is None:
            found = converter.to_hubspot(value)
            if len(memo) < MEMO_SIZE:
                memo[key] = found
        return found
