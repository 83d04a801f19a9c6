"""Salesforce's error bodies: a JSON array of ``{message, errorCode[, fields]}``.

Route modules and the store raise :class:`SalesforceError`; the service wraps every
endpoint so it is rendered exactly as Salesforce does. Per-record failures inside a
collection or bulk write are :class:`RecordError` values in the per-record results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NOT_FOUND_MESSAGE = "The requested resource does not exist"
ROLLED_BACK_MESSAGE = (
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header"
)


class SalesforceError(Exception):
    """A whole-request error with Salesforce's status, errorCode and message."""

    def __init__(
        self, status: int, error_code: str, message: str, fields: list[str] | None = None
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            entry["fields"] = self.fields
        return [entry]


def not_found(message: str = NOT_FOUND_MESSAGE) -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", message)


def json_parser_error(message: str) -> SalesforceError:
    return SalesforceError(400, "JSON_PARSER_ERROR", message)


@dataclass
class RecordError:
    """One error of one record in a DML result (``statusCode`` in collections)."""

    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}

    def as_request_error(self) -> SalesforceError:
        """The single-record REST rendering (``errorCode``, HTTP 400 or 404)."""
        status = 404 if self.status_code in {"NOT_FOUND", "ENTITY_IS_DELETED"} else 400
        return SalesforceError(status, self.status_code, self.message, self.fields)


class RecordFailed(Exception):
    """Raised inside the store to stop processing one record with ``error``."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(error.message)
        self.error = error
