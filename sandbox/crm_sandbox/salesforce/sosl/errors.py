"""SOSL errors: MALFORMED_SEARCH with Salesforce's positioned message."""

from __future__ import annotations

from crm_sandbox.salesforce.soql.errors import SoqlError, positioned


def malformed_search(text: str, line: int, column: int, detail: str) -> SoqlError:
    return SoqlError("MALFORMED_SEARCH", positioned(text, line, column, detail))


def bad_term(detail: str) -> SoqlError:
    return SoqlError("MALFORMED_SEARCH", detail)
