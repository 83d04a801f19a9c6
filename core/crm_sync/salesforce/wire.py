"""Values as Salesforce's write APIs take them: REST JSON and Bulk 2.0 CSV cells."""

from __future__ import annotations

from typing import Any

from crm_sync.convert.codec import SALESFORCE

BULK_NULL = "#N/A"
"""How a Bulk 2.0 CSV cell clears a field (an empty cell leaves it unchanged)."""


def wire_value(value: Any) -> Any:
    """A value as Salesforce's REST JSON takes it (the Salesforce codec's form)."""
    return SALESFORCE.encode_any(value)


def csv_cell(value: Any) -> str:
    """A value as a Bulk 2.0 CSV cell; None clears the field (``#N/A``)."""
    value = wire_value(value)
    if value is None or value == "":
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
