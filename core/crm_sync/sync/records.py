"""A record that does not match its stream's SCHEMA: an expected stop, named without values.

singer-sdk's own check raises ``InvalidRecord`` with jsonschema's message, which quotes
the offending value, and logs a traceback first. The targets check plain streams with
:class:`SchemaCheck` instead: the same jsonschema validation, stopping with
:class:`RecordSchemaError` (one line through :mod:`crm_sync.stops`, exit 2) that names
the stream, the record's key, the field and the rule it breaks, never the value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsonschema
from singer_sdk.sinks.core import JSONSchemaValidator

from crm_sync.stops import InputError

__all__ = ["RecordSchemaError", "SchemaCheck"]


class RecordSchemaError(InputError):
    """A record of a stream breaks the stream's own SCHEMA (a tap's bug, not a value to keep)."""


def broken_rule(error: jsonschema.ValidationError) -> str:
    """What a record breaks, in the schema's words only (no record value)."""
    if error.validator == "type":
        return f"expected type {json.dumps(error.validator_value)}"
    if error.validator in ("required", "additionalProperties", "dependentRequired"):
        return str(error.message)  # names properties, quotes no value
    return f"breaks its {error.validator!r} rule ({json.dumps(error.validator_value)[:200]})"


class SchemaCheck(JSONSchemaValidator):
    """singer-sdk's JSON Schema validator, stopping with a value-free :class:`RecordSchemaError`."""

    def __init__(
        self, stream: str, key_properties: Sequence[str], schema: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(schema, **kwargs)
        self.stream = stream
        self.key_properties = list(key_properties)

    def validate(self, record: dict) -> None:  # type: ignore[override]
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(record))
        if error is None:
            return
        key = ", ".join(f"{k}={record.get(k)!r}" for k in self.key_properties) or "(no key)"
        where = ".".join(str(p) for p in error.absolute_path) or "the record"
        raise RecordSchemaError(
            f"stream {self.stream!r}: record {key} does not match the stream's SCHEMA: "
            f"{where}: {broken_rule(error)}; the tap sends values its own SCHEMA does not "
            "allow: fix the tap (or its schema) and rerun"
        )
