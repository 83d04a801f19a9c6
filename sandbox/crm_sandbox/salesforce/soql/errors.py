"""SOQL errors with Salesforce's error codes and positioned messages.

The soql package knows nothing of HTTP: routes turn a :class:`SoqlError` into the
service's ``SalesforceError`` (status 400 unless stated otherwise).
"""

from __future__ import annotations


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` and ``message`` as it sends them."""

    def __init__(self, error_code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status


def positioned(text: str, line: int, column: int, detail: str) -> str:
    """Salesforce's positioned message: the offending row, a caret, Row/Column, detail.

    e.g. ``"\\nSELECT Nme FROM Account\\n       ^\\nERROR at Row:1:Column:8\\nNo such ..."``.
    """
    rows = text.split("\n")
    row = rows[line - 1] if 0 < line <= len(rows) else ""
    return f"\n{row}\n{' ' * (column - 1)}^\nERROR at Row:{line}:Column:{column}\n{detail}"


def malformed(text: str, line: int, column: int, detail: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", positioned(text, line, column, detail))


def invalid_field(text: str, line: int, column: int, detail: str) -> SoqlError:
    return SoqlError("INVALID_FIELD", positioned(text, line, column, detail))
