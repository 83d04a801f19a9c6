"""Validation findings: every error names file, line, mapping and field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One finding about a mapping spec.

    ``code`` is stable and machine-readable (tests and tools match on it); ``message``
    is for people.
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    mapping: str | None = None
    field: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
        subject = " ".join(
            part
            for part in (
                f"mapping {self.mapping!r}" if self.mapping else "",
                f"field {self.field!r}" if self.field else "",
            )
            if part
        )
        subject = f" {subject}:" if subject else ""
        return f"{where}: {self.severity}:{subject} {self.message} [{self.code}]"


class SpecError(Exception):
    """Raised with the full list of errors when specs must not be used."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = list(issues)
        errors = [issue for issue in self.issues if issue.is_error]
        lines = "\n".join(f"  {issue}" for issue in errors)
        super().__init__(f"{len(errors)} error(s) in the mapping specs:\n{lines}")
