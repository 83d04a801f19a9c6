"""Field values between the wire (JSON), the store (SQLite) and back.

Stored forms follow the storage contract (README.md): datetimes as
``YYYY-MM-DDTHH:MM:SS.sssZ`` UTC text, booleans 0/1, multipicklists joined by ';'.
Wire forms are what the REST API sends: ``2024-01-01T00:00:00.000+0000``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from typing import Any

from crm_sandbox.core.ids import salesforce_checksum
from crm_sandbox.salesforce.errors import RecordError, RecordFailed, json_parser_error
from crm_sandbox.salesforce.schema import FieldDef

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$")


EARLIEST_DATETIME = datetime(1700, 1, 1, tzinfo=UTC)
LATEST_DATETIME = datetime(4000, 12, 31, tzinfo=UTC)
"""The range Salesforce stores (SOQL reference, "Minimum and Maximum Dates"); a date field
takes the days from 1700-01-01 to 4000-12-31."""


def format_datetime(moment: datetime) -> str:
    """Stored form of a datetime: UTC, milliseconds, ``Z``.

    ``isoformat`` pads the year to four digits; glibc's ``strftime("%Y")`` does not
    (``999-...``), which ``parse_datetime`` cannot read back.
    """
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def wire_datetime(stored: str) -> str:
    """``2024-01-01T00:00:00.000Z`` → ``2024-01-01T00:00:00.000+0000``."""
    return stored[:-1] + "+0000" if stored.endswith("Z") else stored


def parse_datetime(text: str) -> datetime:
    """Parse the datetime forms clients send (``Z``, ``+0000``, ``+00:00``, fractions, date)."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    # Python < 3.11 quirks aside, fromisoformat accepts 1-6 fraction digits and Z in 3.11
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def normalize_id(value: str) -> str | None:
    """18-character form of a 15- or 18-character id, or None when malformed.

    The 18-character suffix is not re-verified: ids the org issued outside
    :func:`crm_sandbox.core.ids.salesforce_id` (the integration user) stay usable.
    """
    if not (value.isascii() and value.isalnum()):  # base 62: [0-9A-Za-z] only
        return None
    if len(value) == 18:
        return value
    if len(value) == 15:
        return value + salesforce_checksum(value)
    return None


def _fail(code: str, fdef: FieldDef, message: str) -> RecordFailed:
    return RecordFailed(RecordError(code, f"{fdef.label}: {message}", [fdef.name]))


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, list):
        return "START_ARRAY"
    return "START_OBJECT"


def _parser_error(java_type: str, value: Any) -> Exception:
    shown = value if isinstance(value, str | int | float) else ""
    return json_parser_error(
        f"Cannot deserialize instance of {java_type} from {_json_kind(value)} value {shown} "
        "or request may be missing a required field at [line:1, column:1]"
    )


def _number(fdef: FieldDef, value: Any, java_type: str) -> float:
    if isinstance(value, bool | list | dict):
        raise _parser_error(java_type, value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise _parser_error(java_type, value) from None
    if math.isnan(number) or math.isinf(number):
        raise _fail("INVALID_TYPE_ON_FIELD_IN_RECORD", fdef, f"value not of required type: {value}")
    return number


def to_store(fdef: FieldDef, value: Any) -> Any:
    """Validate a wire value for ``fdef`` and return its stored form (None = null).

    Raises SalesforceError (JSON_PARSER_ERROR, whole request) when the JSON value has
    the wrong kind, RecordFailed with the per-record DML error otherwise.
    """
    ftype = fdef.type
    if value is None or (value == "" and ftype not in ("boolean",)):
        if ftype == "boolean":
            return 0
        return None
    if ftype == "boolean":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return int(value.lower() == "true")
        raise _parser_error("boolean", value)
    if ftype in ("int", "long"):
        number = _number(fdef, value, ftype)
        if number != int(number):
            raise _parser_error(ftype, value)
        if fdef.digits and abs(int(number)) >= 10**fdef.digits:
            raise _fail(
                "NUMBER_OUTSIDE_VALID_RANGE",
                fdef,
                f"value outside of valid range on numeric field: {int(number)}",
            )
        return int(number)
    if ftype in ("double", "currency", "percent"):
        number = _number(fdef, value, "double")
        if fdef.precision and abs(number) >= 10 ** (fdef.precision - fdef.scale):
            raise _fail(
                "NUMBER_OUTSIDE_VALID_RANGE",
                fdef,
                f"value outside of valid range on numeric field: {number}",
            )
        return round(number, fdef.scale) if fdef.precision else number
    if isinstance(value, list | dict):
        raise _parser_error("String", value)
    text = (
        value
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
    if ftype == "date":
        try:
            day = date.fromisoformat(text[:10]) if len(text) >= 10 else _bad(fdef, text)
        except ValueError:
            raise _fail(
                "INVALID_TYPE_ON_FIELD_IN_RECORD", fdef, f"value not of required type: {text}"
            ) from None
        if not EARLIEST_DATETIME.date() <= day <= LATEST_DATETIME.date():
            raise _out_of_range(fdef, text)
        return day.isoformat()
    if ftype == "datetime":
        try:
            moment = parse_datetime(text)
        except (ValueError, OverflowError):
            raise _fail(
                "INVALID_TYPE_ON_FIELD_IN_RECORD", fdef, f"value not of required type: {text}"
            ) from None
        if not EARLIEST_DATETIME <= moment <= LATEST_DATETIME:
            raise _out_of_range(fdef, text)
        return format_datetime(moment)
    if ftype == "time":
        match = _TIME.match(text)
        if not match:
            raise _fail(
                "INVALID_TYPE_ON_FIELD_IN_RECORD", fdef, f"value not of required type: {text}"
            )
        hh, mm, ss, ms = match.groups()
        try:
            parsed = time(int(hh), int(mm), int(ss or 0), int((ms or "0").ljust(3, "0")) * 1000)
        except ValueError:
            raise _fail(
                "INVALID_TYPE_ON_FIELD_IN_RECORD", fdef, f"value not of required type: {text}"
            ) from None
        return parsed.strftime("%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"
    if ftype in ("reference", "id"):
        normalized = normalize_id(text)
        if normalized is None:
            raise RecordFailed(
                RecordError(
                    "MALFORMED_ID", f"{fdef.label}: id value of incorrect type: {text}", [fdef.name]
                )
            )
        return normalized
    if ftype == "multipicklist":
        items: list[str] = []
        for part in text.split(";"):
            part = part.strip()
            if part and part not in items:
                items.append(part)
        if fdef.restricted_picklist:
            for part in items:
                if part not in fdef.picklist_values:
                    raise _restricted(fdef, part)
        text = ";".join(items)
    elif ftype == "picklist" and fdef.restricted_picklist and text not in fdef.picklist_values:
        raise _restricted(fdef, text)
    if fdef.length and len(text) > fdef.length:
        raise _fail(
            "STRING_TOO_LONG",
            fdef,
            f"data value too large: {text[:100]} (max length={fdef.length})",
        )
    if ftype == "email" and not _EMAIL.match(text):
        raise _fail("INVALID_EMAIL_ADDRESS", fdef, f"invalid email address: {text}")
    return text


def _out_of_range(fdef: FieldDef, text: str) -> RecordFailed:
    # The code is the one Salesforce gives a DML outside the stored range; its message
    # text is unverified.
    return _fail(
        "FIELD_INTEGRITY_EXCEPTION",
        fdef,
        f"value out of range (valid from 1700-01-01 to 4000-12-31): {text}",
    )


def _bad(fdef: FieldDef, text: str) -> Any:
    raise _fail("INVALID_TYPE_ON_FIELD_IN_RECORD", fdef, f"value not of required type: {text}")


def _restricted(fdef: FieldDef, value: str) -> RecordFailed:
    return _fail(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        fdef,
        f"bad value for restricted picklist field: {value}",
    )


def to_wire(fdef: FieldDef, stored: Any) -> Any:
    """The JSON value of a stored value, as the REST API renders it."""
    if stored is None:
        return None
    ftype = fdef.type
    if ftype == "boolean":
        return bool(stored)
    if ftype == "datetime":
        return wire_datetime(stored)
    if ftype in ("int", "long"):
        return int(stored)
    if ftype in ("double", "currency", "percent"):
        return float(stored)
    return stored
