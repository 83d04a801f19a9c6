"""Value normalisation: one canonical form per value, so both sides' serialisations compare.

Salesforce and HubSpot serialise the same value differently: HubSpot sends every
property as a string (``"10"``, ``"true"``, ``"2024-01-01T00:00:00Z"``), Salesforce
sends JSON numbers and booleans and datetimes as ``2024-01-01T00:00:00.000+0000``;
multi-selects come as ``"a;b"`` or as lists in any order. The reconciler compares
``canonical(a) == canonical(b)``: a *function* of one value, so equality stays an
equivalence relation (transitive), which the merge needs to be deterministic.

Inference is deliberately conservative, so a real text change is never hidden:

* blank (``None``, ``""``, an empty list) → one ``BLANK`` value;
* ``bool`` and the strings ``true`` / ``false`` (any case) → booleans;
* numbers and plain decimal strings without leading zeros (``"10"``, ``"10.50"``,
  ``"-3e2"``, but not ``"007"`` or ``"+1"``) → exact decimals, so ``"10" == 10.0``;
* ISO-8601 datetimes (any offset, any fractional precision, ``Z`` or ``+0000``) →
  UTC epoch milliseconds (both APIs keep milliseconds); a datetime at exactly
  midnight UTC equals the date-only string of that day (HubSpot date properties);
* lists, tuples and sets → an unordered set of their canonical items;
* mappings → a sorted tuple of canonical items.

A field ``kind`` (a :class:`crm_sync.convert.Kind` value such as ``"number"``,
``"datetime"``, ``"multi"``, ``"text"``), when the target knows it from the stream
schema, replaces inference by :func:`crm_sync.convert.normalize`, the mapper's own
kind-aware reading (epoch milliseconds as datetimes, ``"a;b"`` as a multi-select, text
kept verbatim). A value that does not parse as its kind falls back to inference.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from crm_sync.convert import ConversionError, Kind, normalize
from crm_sync.convert.codec import read_datetime

__all__ = ["BLANK", "canonical", "is_blank", "same_value"]


class _Blank:
    """Singleton for every blank value; prints as ``BLANK``."""

    _instance: _Blank | None = None

    def __new__(cls) -> _Blank:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "BLANK"


BLANK: Final = _Blank()

_DECIMAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAYBE_TYPED = frozenset("0123456789-tTfF \t\n")
_KINDS = {k.value: k for k in Kind if k is not Kind.UNSUPPORTED}
"""Kind by value (a dict lookup: ``Kind(kind)`` would run once per field of every record)."""
BLANK_READ_KINDS: Final = frozenset(_KINDS)
"""Kinds under which :func:`is_blank` reads a string (only spaces, or a multi-select's
separators, are blank); under any other a non-empty string is never blank."""
_MULTI = Kind.MULTI.value


def is_blank(value: object, kind: str | None = None) -> bool:
    """True for null, the empty string and an empty multi-select (DESIGN §3 "blank").

    The same as ``canonical(value, kind) is BLANK``, without building the canonical
    value for the common cases (a create asks it of every field of every new record):
    a string is blank under a typed kind when only spaces (and, for a multi-select,
    separators) are left, and never without one; a number never is.
    """
    if value is None or value == "":
        return True
    if isinstance(value, str):
        if kind not in _KINDS:  # inference keeps every non-empty string
            return False
        return not (value.replace(";", "") if kind == _MULTI else value).strip()
    if isinstance(value, int | float | Decimal):  # bool included: never blank
        return False
    return canonical(value, kind) is BLANK


def same_value(a: object, b: object, kind: str | None = None) -> bool:
    """True when ``a`` and ``b`` are the same value however each side serialised it."""
    return plainly_same(a, b) or canonical(a, kind) == canonical(b, kind)


_PLAIN: Final = frozenset({str, int, float, bool, type(None)})


def plainly_same(a: object, b: object) -> bool:
    """True when ``a`` and ``b`` are surely the same value, found without canonicalising.

    Equal values of one plain type, or a date and its ISO text: their canonical forms
    are equal under every kind (the ledger keeps a base as JSON, so an unchanged typed
    field meets its text). False means "compare canonically"; this is the hot path of a
    run whose records mostly did not change. Not a number or a datetime and its text:
    under kind ``date`` an int is epoch milliseconds and its digits may read as a date,
    and under kind ``text`` a datetime's text stays verbatim.
    """
    kind_a = type(a)
    if kind_a is type(b):
        return kind_a in _PLAIN and a == b
    if kind_a is date and type(b) is str:
        return a.isoformat() == b  # type: ignore[attr-defined]
    return False


def canonical(value: object, kind: str | None = None) -> Hashable:
    """The canonical, hashable form of ``value`` (see the module docstring)."""
    if value is None or value == "":
        return BLANK
    typed_kind = _KINDS.get(kind) if kind is not None else None
    if typed_kind is not None:
        try:
            typed = normalize(value, typed_kind)
        except (ConversionError, ValueError, TypeError):
            pass
        else:
            return BLANK if typed is None or typed == () else ("kind", typed)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, datetime):
        return _instant(_epoch_ms(value))
    if isinstance(value, date):
        return ("date", value.isoformat())
    if isinstance(value, str):
        return _canonical_str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return _multi(value)
    if isinstance(value, Mapping):
        items = ((str(k), canonical(v)) for k, v in value.items())
        return ("obj", tuple(sorted(items, key=lambda item: item[0])))
    return ("other", repr(value))


def _canonical_str(value: str) -> Hashable:
    if value[0] not in _MAYBE_TYPED:  # most text: no regex needed
        return ("str", value)
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return ("bool", lowered == "true")
    if _DECIMAL.fullmatch(value):
        return _number(value)
    if _DATE_ONLY.fullmatch(value):
        return ("date", value)
    if _DATETIME.match(value):
        stamp = read_datetime(value)
        if stamp is not None:
            return _instant(_epoch_ms(stamp))
    return ("str", value)


def _multi(items: Any) -> Hashable:
    parts = frozenset(canonical(item.strip() if isinstance(item, str) else item) for item in items)
    parts = parts - {BLANK}
    return ("multi", parts) if parts else BLANK


def _number(value: int | float | Decimal | str) -> Hashable:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return ("str", str(value))
    if not number.is_finite():
        return ("num", str(number))
    return ("num", number.normalize() + 0)  # "+ 0" turns -0 into 0


def _epoch_ms(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _instant(epoch_ms: float) -> Hashable:
    millis = int(epoch_ms)
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    if moment.time() == time(0) and millis % 1000 == 0:
        return ("date", moment.date().isoformat())
    return ("ts", millis)
