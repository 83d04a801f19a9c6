"""Per-record outcomes of sObject collections and Bulk 2.0 ingest writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_sync.vocabulary import RecordError


@dataclass(slots=True)
class SaveResult:
    """One record's outcome of a collections or bulk write."""

    id: str | None
    success: bool
    errors: list[RecordError] = field(default_factory=list)
    created: bool | None = None

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.errors}

    def error_text(self) -> str:
        return "; ".join(str(e) for e in self.errors) or "UNKNOWN_ERROR: no result"

    @classmethod
    def from_json(cls, item: Mapping[str, Any] | None) -> SaveResult:
        if not isinstance(item, Mapping):
            return cls(None, False, [RecordError("UNKNOWN_ERROR", "no result for the record")])
        errors = [
            RecordError(
                str(e.get("statusCode") or e.get("errorCode") or "UNKNOWN_ERROR"),
                str(e.get("message") or ""),
                tuple(e.get("fields") or ()),
            )
            for e in item.get("errors") or []
        ]
        created = item.get("created")
        return cls(item.get("id"), bool(item.get("success")), errors, created)


def bulk_errors(text: str) -> list[RecordError]:
    """``CODE:message:Field1,Field2 --`` entries of a Bulk 2.0 ``sf__Error`` cell."""
    errors = []
    for part in filter(None, (p.strip() for p in text.split(" --"))):
        code, _, rest = part.partition(":")
        message, _, fields = rest.rpartition(":")
        if not message:
            message, fields = rest, ""
        errors.append(RecordError(code, message, tuple(f for f in fields.split(",") if f)))
    return errors or [RecordError("UNKNOWN_ERROR", text or "no error text")]
