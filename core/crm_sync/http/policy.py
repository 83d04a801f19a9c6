"""Which failed replies are worth retrying, which stop a run, and how long to wait.

This is the one place the transient-versus-quota distinction lives, for both APIs:

* **retry** (with backoff, honouring ``Retry-After``): 5xx, 429 (HubSpot's ten-second
  and secondly windows), connection errors (the session's business), and the Salesforce
  error codes that succeed when simply tried again: ``UNABLE_TO_LOCK_ROW``,
  ``QUERY_TIMEOUT``, ``SERVER_UNAVAILABLE``, ``UNKNOWN_EXCEPTION``,
  ``REQUEST_RUNNING_TOO_LONG`` and ``REQUEST_LIMIT_EXCEEDED`` for a short-lived limit
  (``ConcurrentPerOrgLongTxn Limit exceeded``, concurrent API requests);
* **quota exhausted** (stop the run, resumable later): Salesforce's daily
  ``REQUEST_LIMIT_EXCEEDED`` (``TotalRequests Limit exceeded``) and HubSpot's ``DAILY``
  429;
* **fail**: every other 4xx (the caller reads the vendor's body).
"""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests

SALESFORCE_TRANSIENT_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "QUERY_TIMEOUT",
        "SERVER_UNAVAILABLE",
        "UNKNOWN_EXCEPTION",
        "REQUEST_RUNNING_TOO_LONG",
    }
)
"""Salesforce per-request error codes that succeed when simply tried again."""
SALESFORCE_LIMIT_CODE = "REQUEST_LIMIT_EXCEEDED"
SALESFORCE_DAILY_MARKER = "totalrequests"
"""``REQUEST_LIMIT_EXCEEDED`` whose message names ``TotalRequests`` is the 24-hour quota;
every other variant (``ConcurrentPerOrgLongTxn``, concurrent requests) passes in seconds."""
HUBSPOT_DAILY_POLICY = "DAILY"
TEN_SECOND_WINDOW_S = 10.0


class Verdict(enum.Enum):
    OK = "ok"
    RETRY = "retry"
    FAIL = "fail"
    QUOTA_EXHAUSTED = "quota_exhausted"
    """A daily limit: retrying within this run cannot succeed."""


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def salesforce_errors(body: object) -> list[tuple[str, str]]:
    """``(errorCode, message)`` of a Salesforce error body (a list of error objects)."""
    if isinstance(body, list):
        return [
            (str(item.get("errorCode")), str(item.get("message") or ""))
            for item in body
            if isinstance(item, dict)
        ]
    return []


def is_salesforce_daily_quota(code: str, message: str) -> bool:
    return code == SALESFORCE_LIMIT_CODE and SALESFORCE_DAILY_MARKER in message.casefold()


def classify_response(response: requests.Response) -> Verdict:
    """Sort a reply into OK, worth a retry, a hard failure, or an exhausted daily quota."""
    status = response.status_code
    if status < 400:
        return Verdict.OK
    body = _json(response)
    errors = salesforce_errors(body)
    if any(is_salesforce_daily_quota(code, message) for code, message in errors):
        return Verdict.QUOTA_EXHAUSTED
    codes = {code for code, _ in errors}
    if SALESFORCE_LIMIT_CODE in codes:
        return Verdict.RETRY  # a concurrency limit: gone in seconds
    if status == 429:
        policy = body.get("policyName") if isinstance(body, dict) else None
        return Verdict.QUOTA_EXHAUSTED if policy == HUBSPOT_DAILY_POLICY else Verdict.RETRY
    if status >= 500:
        return Verdict.RETRY
    if codes & SALESFORCE_TRANSIENT_CODES:
        return Verdict.RETRY
    return Verdict.FAIL


def server_wait_hint(response: requests.Response) -> float | None:
    """Seconds the server asks us to wait before the next call, if it says so."""
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    if response.status_code == 429:
        interval_ms = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        body = _json(response)
        policy = body.get("policyName") if isinstance(body, dict) else None
        if policy == "SECONDLY" or "secondly" in str(body).lower():
            return 1.0
        if interval_ms:
            return float(interval_ms) / 1000.0
        if isinstance(body, dict):  # HubSpot's ten-second window
            return TEN_SECOND_WINDOW_S
    return None
