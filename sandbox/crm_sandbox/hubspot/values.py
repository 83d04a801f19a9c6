"""Property types, their ``fieldType`` pairs, and validation of values written to records.

Stored and served values are strings (API_NOTES Part 2 §0): numbers in plain decimal
form, booleans ``"true"``/``"false"``, multi-select ``"a;b"``, dates ``YYYY-MM-DD``,
datetimes ``YYYY-MM-DDTHH:MM:SS.mmmZ``. Inputs may be JSON numbers or booleans [rec].
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Context, Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any

from crm_sandbox.hubspot.errors import PropertyValueError

if TYPE_CHECKING:
    from crm_sandbox.hubspot.models import Property

# HubSpot's documented type -> fieldType pairs (properties API guide, "Property type and
# fieldType values"); phone_number is the type of phone properties created in the UI.
FIELD_TYPES: dict[str, frozenset[str]] = {
    "bool": frozenset({"booleancheckbox", "calculation_equation"}),
    "enumeration": frozenset(
        {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"}
    ),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "string": frozenset(
        {"file", "text", "textarea", "calculation_equation", "html", "phonenumber"}
    ),
    "number": frozenset({"number", "calculation_equation"}),
    "phone_number": frozenset({"phonenumber"}),
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CANONICAL_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
"""HubSpot's stored datetime form: ISO 8601 with a four-digit year (``0999-...``)."""
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d{0,11}[1-9])?")
"""A number already in its stored form (no leading zero, no trailing fractional zero)
and at most 27 digits, so the Decimal context's 28 digits never round it: ``3146951.88``."""


def format_datetime(moment: datetime) -> str:
    """``2026-06-24T19:26:49.994Z``: HubSpot's millisecond UTC form.

    ``isoformat`` pads the year to four digits (``0999-01-01T...``); ``strftime("%Y")``
    does not on glibc, and ``parse_datetime`` cannot read a three-digit year back.
    """
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_datetime(raw: str) -> datetime:
    """An ISO-8601 instant or epoch milliseconds, as a UTC datetime (ValueError if neither).

    An instant outside years 1-9999 once in UTC (``0001-01-01T00:00:00+02:00``, a huge
    epoch) is a ValueError too, not an OverflowError or OSError the caller cannot expect.
    """
    text = raw.strip()
    try:
        if re.fullmatch(r"-?\d+", text):
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (OverflowError, OSError) as out_of_range:
        raise ValueError(f"{raw!r} is outside years 1-9999") from out_of_range


def epoch_ms(value: str, kind: str) -> int | None:
    """A stored date/datetime value as epoch milliseconds (for search comparisons)."""
    try:
        if kind == "date":
            day = date.fromisoformat(value)
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        return int(parse_datetime(value).timestamp() * 1000)
    except ValueError:
        return None


NUMBER_MAX_EXPONENT = 308
"""Numbers past a double's range (about 1.8e308) are refused as not valid (unverified:
HubSpot's limit is not documented; a double's range is the least it must hold)."""


def format_number(number: Decimal) -> str:
    """Plain decimal text of ``number``, every digit kept: the default context (28 digits)
    would round a longer coefficient and raise on an integer past it (``1e+28``)."""
    digits = len(number.as_tuple().digits) + abs(number.adjusted()) + 1
    with localcontext(Context(prec=max(28, digits))):
        if number == number.to_integral_value():
            return str(number.quantize(Decimal(1)))
        return format(number.normalize(), "f")


def _text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def normalize(prop: Property, raw: Any, object_type_id: str) -> str | None:
    """The stored form of ``raw`` for ``prop``; None clears it. Raises PropertyValueError."""
    if raw is None:
        return None
    text = _text(raw)
    if text == "":
        return None
    kind = prop.type
    if kind == "number":
        if _PLAIN_NUMBER.fullmatch(text):
            return text  # what the Decimal round trip below gives it
        try:
            number = Decimal(text.strip())
            if not number.is_finite() or abs(number.adjusted()) > NUMBER_MAX_EXPONENT:
                raise InvalidOperation
        except InvalidOperation:
            # (unverified) wording; the code is the one HubSpot sends for number properties.
            raise PropertyValueError(
                prop.name, "INVALID_INTEGER", f"{text} was not a valid number."
            ) from None
        return format_number(number)
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise PropertyValueError(
                prop.name, "INVALID_BOOLEAN", f"{text} was not a valid boolean."
            )
        return lowered
    if kind == "enumeration":
        allowed = [opt["value"] for opt in prop.options]
        chosen = [part for part in text.split(";") if part != ""]
        bad = [part for part in chosen if part not in allowed]
        if bad or (prop.field_type != "checkbox" and len(chosen) > 1):
            shown = bad[0] if bad else text
            raise PropertyValueError(
                prop.name,
                "INVALID_OPTION",
                f"{shown} was not one of the allowed options: [{', '.join(allowed)}]",
            )
        return ";".join(chosen)
    if kind == "date":
        try:
            if re.fullmatch(r"-?\d+", text.strip()):
                moment = parse_datetime(text)
                if moment.hour or moment.minute or moment.second or moment.microsecond:
                    raise ValueError("not midnight")
                return moment.date().isoformat()
            return date.fromisoformat(text.strip()[:10]).isoformat()
        except ValueError:
            raise PropertyValueError(
                prop.name, "INVALID_DATE", f"{text} is not a valid date (unverified wording)."
            ) from None
    if kind == "datetime":
        try:
            stripped = text.strip()
            if _CANONICAL_DATETIME.fullmatch(stripped):
                datetime.fromisoformat(stripped)  # a real instant (no month 13)
                return stripped  # already the form format_datetime writes
            return format_datetime(parse_datetime(text))
        except ValueError:
            raise PropertyValueError(
                prop.name, "INVALID_DATETIME", f"{text} is not a valid datetime."
            ) from None
    if object_type_id == "0-1" and prop.name == "email" and not _EMAIL.match(text.strip()):
        raise PropertyValueError(prop.name, "INVALID_EMAIL", f"Email address {text} is invalid")
    return text


def search_key(kind: str, value: str) -> Any:
    """A comparable form of a stored value for sorting and range filters."""
    if kind == "number":
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    if kind in ("date", "datetime"):
        return epoch_ms(value, kind)
    return value.lower()
