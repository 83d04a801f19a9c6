"""Singer messages the map-crm tests feed in."""

from __future__ import annotations

from typing import Any


def salesforce_schema(stream: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """A SCHEMA message of a Salesforce stream keyed by ``Id``, every field a nullable string."""
    return {
        "type": "SCHEMA",
        "stream": stream,
        "key_properties": ["Id"],
        "schema": {
            "type": "object",
            "properties": {name: {"type": ["string", "null"]} for name in fields},
        },
    }
