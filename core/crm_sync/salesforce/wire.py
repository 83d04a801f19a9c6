"""Values as Salesforce's write APIs take them: REST JSON and Bulk 2.0 CSV cells."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

BULK_NULL = "#N/A"
"""How a Bulk 2.0 CSV cell clears a field (an empty cell leaves it unchanged)."""


def wire_value(value: Any) -> Any:
    """A value as Salesforce's REST JSON takes it (datetimes ``…000+0000``, exact numbers)."""
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return f"{text[:-3]}+0000"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple | set):
        return ";".join(str(v) for v in value)
    return value


def csv_cell(value: Any) -> str:
    """A value as a Bulk 2.0 CSV cell; None clears the field (``#N/A``)."""
    value = wire_value(value)
    if value is None or value == "":
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
