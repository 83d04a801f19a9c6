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
  gives the same ``Decimal``), and the first :data:`MEMO_SIZE` values are kept;
* a string between two text kinds (no value map) is itself, or ``""`` when blank;
* any other value keeps the results of the first :data:`MEMO_SIZE` distinct ``str`` /
  ``bool`` / ``int`` / ``None`` values its field meets (a picklist, a checkbox, a date,
  an empty field repeat across records), keyed by type and value, since the conversion
  depends on nothing else.

:func:`hubspot_converter` picks a field's short cuts once, when its stream starts.

Whatever the short cuts do not take goes to :meth:`FieldConverter.to_hubspot`, which
also raises the errors. ``tests/transforms/test_fast.py`` checks each against it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from crm_sync.convert import FieldConverter, Kind
from crm_sync.convert.codec import HUBSPOT, read_datetime
from crm_sync.convert.values import format_decimal, utc_millis_prefix

MEMO_SIZE = 4096
"""Results kept per field; past it, new values are converted without being kept."""

_MEMO_TYPES = (str, bool, int, type(None))


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


class Memo:
    """A field's conversion keeping the results of its first :data:`MEMO_SIZE` distinct
    ``str`` / ``bool`` / ``int`` / ``None`` values (errors are raised every time)."""

    def __init__(self, convert: Callable[[Any], str]) -> None:
        self.full = convert
        self.results: dict[tuple[type, Any], str] = {}

    def __call__(self, value: Any) -> str:
        if type(value) not in _MEMO_TYPES:
            return self.full(value)
        key = (type(value), value)
        results = self.results
        found = results.get(key)
        if found is None:
            found = self.full(value)
            if len(results) < MEMO_SIZE:
                results[key] = found
        return found


def hubspot_converter(converter: FieldConverter) -> Callable[[Any], str]:
    """``converter.to_hubspot`` with the short cuts that apply to its kinds, picked once
    (a record's fields are converted a million times in a large run)."""
    full = converter.to_hubspot
    if converter.same_kind and converter.sf_kind is Kind.DATETIME:

        def stamp(value: Any) -> str:
            quick = utc_millis_as_hubspot(value)
            return full(value) if quick is None else quick

        return Memo(stamp)  # a datetime field's values repeat too (a meeting's hour)
    memo = Memo(full)
    if converter.plain_text:

        def text(value: Any) -> str:
            if type(value) is str:  # FieldConverter.to_hubspot's own first step, inlined
                return value if value.strip() else ""
            return memo(value)

        return text
    if converter.same_kind and converter.sf_kind is Kind.NUMBER:
        # format_decimal's text depends on the value only (1.50 and 1.5 give "1.5"), so
        # equal decimals may share an entry
        decimals: dict[Decimal, str] = {}

        def number(value: Any) -> str:
            if type(value) is Decimal and value.is_finite():
                found = decimals.get(value)
                if found is None:
                    found = format_decimal(value)
                    if len(decimals) < MEMO_SIZE:
                        decimals[value] = found
                return found
            return memo(value)

        return number
    return memo
