"""Wire values of both CRMs <-> canonical Python values, per kind.

Canonical forms: text/enum/reference ``str``; bool ``bool``; int ``int``; number
``Decimal``; date ``datetime.date``; datetime an aware UTC ``datetime`` truncated to
milliseconds (both APIs keep milliseconds); time ``datetime.time`` (milliseconds,
no zone); multi ``tuple[str, ...]`` in wire order. A blank (``None`` or ``""``, or a
multi with no items) is ``None``.

Salesforce wire (REST JSON): datetime ``2024-01-01T00:00:00.000+0000``, date
``2024-01-01``, time ``13:45:00.000Z``, booleans and numbers as JSON, multi-picklist
``a;b``, empty = ``null``. HubSpot wire: strings (``"true"``, ``"12.5"``, datetime
``2024-01-01T00:00:00.000Z`` or epoch milliseconds, date ``YYYY-MM-DD``, multi
``a;b``); inputs may also be JSON numbers/booleans, and ``""`` clears a property.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from crm_sync.convert.kinds import Kind

Canonical = str | bool | int | Decimal | date | datetime | time | tuple[str, ...] | None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch milliseconds; eight bare digits are an ISO basic date (20240101) instead.
_EPOCH_MS = re.compile(r"^-?(?:\d{1,7}|\d{9,})$")
_EIGHT_DIGITS = re.compile(r"^\d{8}$")


class ConversionError(ValueError):
    """A wire value that cannot be read as, or written to, the requested kind."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _ms_floor(dt: datetime) -> datetime:
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def parse_bool(value: Any) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise ConversionError(f"not a boolean: {value!r}")


def parse_decimal(value: Any) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ConversionError(f"not a number: {value!r}")
    # repr() of a float is its shortest round-tripping decimal, so 0.1 stays 0.1.
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ConversionError(f"not a number: {value!r}") from exc
    if not number.is_finite():
        raise ConversionError(f"not a finite number: {value!r}")
    return number


def parse_int(value: Any) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ConversionError(f"not an integer: {value!r}")
    return int(number)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 (``Z``, ``+0000``, ``+00:00``; naive means UTC) or epoch milliseconds."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = _from_epoch_ms(value, value)
    else:
        text = str(value).strip()
        if _EPOCH_MS.match(text):
            parsed = _from_epoch_ms(text, value)
        else:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError as exc:
                # Eight digits read as an ISO basic date (YYYYMMDD) when they are one; else
                # they are epoch milliseconds within a day of 1970-01-01 (HubSpot's wire).
                if not _EIGHT_DIGITS.match(text):
                    raise ConversionError(f"not a datetime: {value!r}") from exc
                parsed = _from_epoch_ms(text, value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _ms_floor(parsed.astimezone(UTC))


def _from_epoch_ms(millis: Any, value: Any) -> datetime:
    """Epoch milliseconds as a datetime; beyond years 1-9999 a ConversionError, not a crash."""
    try:
        return _EPOCH + timedelta(milliseconds=int(millis))
    except (OverflowError, ValueError) as exc:
        problem = f"not a datetime (epoch milliseconds out of range): {value!r}"
        raise ConversionError(problem) from exc


def parse_date(value: Any) -> date | None:
    """``YYYY-MM-DD``; also epoch ms or an ISO datetime (its UTC date)."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise ConversionError(f"not a date: {value!r}") from exc
    stamp = parse_datetime(value)
    assert stamp is not None
    return stamp.date()


def parse_time(value: Any) -> time | None:
    """``HH:MM[:SS[.sss]][Z]``; Salesforce times carry no real zone (always ``Z``)."""
    if _blank(value):
        return None
    if isinstance(value, time):
        parsed = value
    else:
        try:
            parsed = time.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ConversionError(f"not a time: {value!r}") from exc
    parsed = parsed.replace(tzinfo=None)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def parse_multi(value: Any) -> tuple[str, ...] | None:
    if _blank(value):
        return None
    items = value if isinstance(value, list | tuple) else str(value).split(";")
    cleaned = tuple(str(item).strip() for item in items if str(item).strip())
    return cleaned or None


def parse_text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_decimal(parse_decimal(value))
    return str(value)


def parse(value: Any, kind: Kind) -> Canonical:
    """A wire value of either CRM as the canonical value of ``kind``."""
    match kind:
        case Kind.BOOL:
            return parse_bool(value)
        case Kind.INT:
            return parse_int(value)
        case Kind.NUMBER:
            return parse_decimal(value)
        case Kind.DATE:
            return parse_date(value)
        case Kind.DATETIME:
            return parse_datetime(value)
        case Kind.TIME:
            return parse_time(value)
        case Kind.MULTI:
            return parse_multi(value)
        case _:
            return parse_text(value)


def format_decimal(number: Decimal | None) -> str:
    """A decimal in plain notation, without trailing zeros (``"1200.5"``, ``"0"``)."""
    if number is None:
        return ""
    # ``str`` writes plain notation unless the exponent is positive or the number tiny
    # (then it writes ``E``), and is faster than ``format(number, "f")``, which gives the
    # same text wherever ``str`` has no ``E``.
    text = str(number)
    if "E" in text:
        text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


_UTC_MILLIS = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}(?:Z|[+]0000|[+]00:00)"
)


def utc_millis_prefix(value: str) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.mmm`` of a datetime already in UTC with milliseconds (``Z``,
    ``+0000`` or ``+00:00``: how both APIs send them) once ``datetime.fromisoformat``
    accepts its calendar date and time; else None.

    Rewriting only the zone suffix of such a value gives what a full parse and format
    gives, at a fraction of the cost (the full parse was a third of the Salesforce tap's
    CPU and most of map-crm's datetime work); anything else goes the full way.
    """
    if not _UTC_MILLIS.fullmatch(value):
        return None
    try:
        datetime.fromisoformat(value[:23])
    except ValueError:
        return None
    return value[:23]


def format_datetime_sf(stamp: datetime) -> str:
    """``2024-01-01T00:00:00.000+0000``. ``isoformat`` pads the year to four digits, as
    both APIs read it; glibc's ``strftime("%Y")`` writes ``999-...`` for year 999."""
    return stamp.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "+0000"


def format_datetime_hs(stamp: datetime) -> str:
    """``2024-01-01T00:00:00.000Z`` (four-digit year: see :func:`format_datetime_sf`)."""
    return stamp.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def format_time(moment: time) -> str:
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _as_text(value: Canonical) -> str:
    """A canonical value as the text a text field stores (HubSpot-style formats)."""
    match value:
        case bool():
            return "true" if value else "false"
        case Decimal():
            return format_decimal(value)
        case datetime():
            return format_datetime_hs(value)
        case date():
            return value.isoformat()
        case time():
            return format_time(value)
        case tuple():
            return ";".join(value)
        case _:
            return str(value)


def coerce(value: Canonical, to: Kind) -> Canonical:
    """A canonical value of one kind as the canonical value of another kind."""
    if value is None:
        return None
    match to:
        case Kind.TEXT | Kind.ENUM | Kind.REFERENCE:
            return _as_text(value)
        case Kind.MULTI:
            return value if isinstance(value, tuple) else parse_multi(_as_text(value))
        case Kind.DATE if isinstance(value, datetime):
            return value.astimezone(UTC).date()
        case Kind.DATETIME if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        case Kind.NUMBER if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        case _:
            return parse(value if not isinstance(value, tuple) else ";".join(value), to)


def format_sf(value: Canonical, kind: Kind, scale: int | None = None) -> Any:
    """The Salesforce REST JSON form of a canonical value (booleans are never null).

    Numbers come back as ``int`` when integral, else as an exact ``Decimal``.
    """
    if value is None:
        return False if kind is Kind.BOOL else None
    match kind:
        case Kind.BOOL:
            return bool(value)
        case Kind.INT:
            return int(value)  # type: ignore[arg-type]
        case Kind.NUMBER:
            number = Decimal(value)  # type: ignore[arg-type]
            if scale is not None:
                number = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
            # Singer reads JSON floats as Decimal and writes Decimal exactly: keep it.
            return int(number) if number == number.to_integral_value() else number
        case Kind.DATE:
            return value.isoformat()  # type: ignore[union-attr]
        case Kind.DATETIME:
            return format_datetime_sf(value)  # type: ignore[arg-type]
        case Kind.TIME:
            return format_time(value)  # type: ignore[arg-type]
        case _:
            return _as_text(value)


def format_hs(value: Canonical, kind: Kind) -> str:
    """The HubSpot property-value string of a canonical value (``""`` clears)."""
    if value is None:
        return ""
    if kind is Kind.DATETIME and isinstance(value, datetime):
        return format_datetime_hs(value)
    return _as_text(value)
