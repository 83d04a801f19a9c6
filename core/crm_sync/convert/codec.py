"""One codec per side: a CRM's wire values <-> Python values, used at every boundary.

The taps read with them, map-crm converts between the two with them
(:class:`~crm_sync.convert.FieldConverter`), the reconciler compares through them
(:mod:`crm_sync.reconcile.normalize`) and the targets write and read with them. Each
codec turns a wire value into the canonical Python value of a :class:`Kind` (see
:mod:`crm_sync.convert.values`) and back, and a Python value of any type (as singer-sdk
hands a target its records: ``datetime``, ``Decimal``, lists) into what its API takes.

* :data:`SALESFORCE` (REST JSON): datetimes ``2024-01-01T00:00:00.000+0000``, dates
  ``YYYY-MM-DD``, times ``13:45:00.000Z``, JSON numbers and booleans, multi-picklists
  ``a;b``, ``null`` clears.
* :data:`HUBSPOT` (property strings): datetimes ``2024-01-01T00:00:00.000Z`` (epoch
  milliseconds read too), ``"true"``, ``"12.5"``, ``a;b``, ``""`` clears.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crm_sync.convert.kinds import Kind
from crm_sync.convert.values import (
    Canonical,
    ConversionError,
    format_datetime_hs,
    format_datetime_sf,
    format_decimal,
    format_hs,
    format_sf,
    parse,
    parse_datetime,
)
from crm_sync.vocabulary import Side

__all__ = ["HUBSPOT", "SALESFORCE", "Codec", "codec_for", "iso_datetime", "read_datetime"]


def iso_datetime(stamp: datetime) -> str:
    """A datetime as Singer's ISO 8601 UTC with milliseconds (``...T00:00:00.000+00:00``).

    One fixed-width form, so bookmarks compare correctly as strings.
    """
    return parse_datetime(stamp).isoformat(timespec="milliseconds")  # type: ignore[union-attr]


def read_datetime(value: Any) -> datetime | None:
    """Any side's datetime (ISO 8601 in any offset form, or epoch ms) as aware UTC.

    None if blank or unreadable: for modification times and bookmarks, where a value
    that does not read is as good as none. A datetime already in UTC at millisecond
    precision (what singer-sdk parsed from a mapped record's ``...Z``) comes back as it is.
    """
    if value is None:
        return None
    if type(value) is datetime and value.tzinfo is UTC and not value.microsecond % 1000:
        return value
    try:
        return parse_datetime(value)
    except ConversionError:
        return None


@dataclass(frozen=True)
class Codec:
    """The wire format of one side."""

    side: Side

    # ------------------------------------------------------------------ wire -> Python
    def decode(self, value: Any, kind: Kind) -> Canonical:
        """A wire value as the canonical value of ``kind`` (raises :class:`ConversionError`)."""
        return parse(value, kind)

    def decode_datetime(self, value: Any) -> datetime | None:
        """A wire datetime as an aware UTC datetime; None if blank or unreadable."""
        return read_datetime(value)

    # ------------------------------------------------------------------ Python -> wire
    def encode(self, value: Canonical, kind: Kind, scale: int | None = None) -> Any:
        """The wire form of a canonical value of ``kind``."""
        if self.side is Side.SALESFORCE:
            return format_sf(value, kind, scale)
        return format_hs(value, kind)

    def format_datetime(self, stamp: datetime) -> str:
        """A datetime in this side's wire form."""
        if self.side is Side.SALESFORCE:
            return format_datetime_sf(parse_datetime(stamp))  # type: ignore[arg-type]
        return format_datetime_hs(parse_datetime(stamp))  # type: ignore[arg-type]

    def encode_any(self, value: Any) -> Any:
        """A Python value of no declared kind as the API takes it (plain records)."""
        if type(value) is str:  # most values: both sides send a string as it is
            return value
        if isinstance(value, datetime):
            return self.format_datetime(value)
        if isinstance(value, date):
            return value.isoformat()
        if self.side is Side.SALESFORCE:
            return _salesforce_any(value)
        return _hubspot_any(value)


def _salesforce_any(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple | set):
        return ";".join(str(v) for v in value)
    return value


def _hubspot_any(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):  # the SDK reads JSON numbers as Decimal
        return format_decimal(value) if value.is_finite() else str(value)
    if isinstance(value, list | tuple | set):
        if any(isinstance(v, dict | list) for v in value):
            return json.dumps(list(value), default=str)
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return value


SALESFORCE = Codec(Side.SALESFORCE)
HUBSPOT = Codec(Side.HUBSPOT)


def codec_for(side: Side) -> Codec:
    """The codec of ``side``."""
    return SALESFORCE if side is Side.SALESFORCE else HUBSPOT
