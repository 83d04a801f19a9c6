"""A record that does not match its stream's SCHEMA: an expected stop, named without values.

singer-sdk's own check raises ``InvalidRecord`` with jsonschema's message, which quotes
the offending value, and logs a traceback first. The targets check plain streams with
:class:`SchemaCheck` instead: the same jsonschema validation, stopping with
:class:`RecordSchemaError` (one line through :mod:`crm_sync.stops`, exit 2) that names
the stream, the record's key, the field and the rule it breaks, never the value.

:class:`Timestamps` is singer-sdk's per-record timestamp parsing (``date-time``,
``date`` and ``time`` strings to Python values) for the schema's date-like fields only,
found once per stream: the SDK looks every field of every record up in the schema,
about a third of the CPU of the thread that reads the input. A value that does not
parse stops the run the same value-free way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

import jsonschema
from singer_sdk.helpers._typing import (
    get_datelike_property_type,
    handle_invalid_timestamp_in_record,
)
from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
from singer_sdk.sinks.core import JSONSchemaValidator

from crm_sync.stops import InputError

__all__ = ["RecordSchemaError", "SchemaCheck", "Timestamps"]


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
        key = _record_key(record, self.key_properties)
        where = ".".join(str(p) for p in error.absolute_path) or "the record"
        raise RecordSchemaError(
            f"stream {self.stream!r}: record {key} does not match the stream's SCHEMA: "
            f"{where}: {broken_rule(error)}; the tap sends values its own SCHEMA does not "
            "allow: fix the tap (or its schema) and rerun"
        )


def _record_key(record: Mapping[str, Any], key_properties: Sequence[str]) -> str:
    return ", ".join(f"{k}={record.get(k)!r}" for k in key_properties) or "(no key)"


_PARSERS: dict[str, Callable[[str], Any]] = {
    "date-time": datetime.fromisoformat,  # what singer-sdk uses on Python >= 3.11
    "date": date.fromisoformat,
    "time": time.fromisoformat,
}


class Timestamps:
    """Parses a stream's date-like fields in place, as singer-sdk's sink does.

    Built from the sink's final schema (``_sdc_*`` columns included). A field the schema
    does not know is warned about once, as the SDK does. A value that is not a timestamp
    stops the run (:class:`RecordSchemaError`, naming the stream, the record's key and
    the field) under the default ``ERROR`` treatment; ``MAX`` / ``NULL`` replace it as the
    SDK does.
    """

    def __init__(
        self,
        stream: str,
        key_properties: Sequence[str],
        schema: Mapping[str, Any],
        logger: logging.Logger,
    ) -> None:
        self.stream = stream
        self.key_properties = list(key_properties)
        properties: Mapping[str, Any] = schema.get("properties") or {}
        self.known = frozenset(properties)
        self.open = bool(schema.get("additionalProperties", False))
        self.fields: list[tuple[str, str]] = [
            (name, kind)
            for name, prop in properties.items()
            if (kind := get_datelike_property_type(prop)) in _PARSERS
        ]
        self.logger = logger
        self.warned: set[str] = set()

    def parse(self, record: dict[str, Any], treatment: DatetimeErrorTreatmentEnum) -> None:
        """Replace the record's date-like strings by their values."""
        if not self.open and not self.known.issuperset(record):
            for key in record.keys() - self.known:
                if record[key] is not None and key not in self.warned:
                    self.logger.warning("No schema for record field '%s'", key)
                    self.warned.add(key)
        for name, kind in self.fields:
            value = record.get(name)
            if value is None:
                continue
            try:
                record[name] = _PARSERS[kind](value)
            except (ValueError, TypeError) as exc:
                if treatment is DatetimeErrorTreatmentEnum.ERROR or treatment is None:
                    raise RecordSchemaError(
                        f"stream {self.stream!r}: record {_record_key(record, self.key_properties)}"
                        f" does not match the stream's SCHEMA: {name}: not a {kind} string; the"
                        " tap sends values its own SCHEMA does not allow: fix the tap (or its "
                        "schema) and rerun"
                    ) from exc
                record[name] = handle_invalid_timestamp_in_record(
                    record, [name], value, kind, exc, treatment, self.logger
                )
