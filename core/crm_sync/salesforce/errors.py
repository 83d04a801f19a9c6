"""Salesforce's error replies as typed values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm_sync.http import ApiError, url_path

if TYPE_CHECKING:
    import requests


class SalesforceAPIError(ApiError):
    """A Salesforce error reply: HTTP status, first ``errorCode`` and its message."""

    @classmethod
    def from_response(cls, response: requests.Response, what: str = "") -> SalesforceAPIError:
        code, message = "UNKNOWN_ERROR", response.text[:500]
        try:
            body: object = response.json()
        except ValueError:
            body = None
        if isinstance(body, list) and body and isinstance(body[0], dict):
            code = str(body[0].get("errorCode") or code)
            message = str(body[0].get("message") or message)
        elif isinstance(body, dict) and ("errorCode" in body or "error" in body):
            code = str(body.get("errorCode") or body.get("error") or code)
            message = str(body.get("message") or body.get("error_description") or message)
        # The path only: query strings may hold customer data; never log headers.
        return cls(
            response.status_code,
            code,
            message,
            what=what or url_path(response.url),
            body=body,
        )
