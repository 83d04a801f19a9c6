"""Which failed responses are worth retrying, and how long the server asks us to wait."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests

# Salesforce per-request error codes that succeed when simply tried again.
SALESFORCE_TRANSIENT_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "QUERY_TIMEOUT", "UNKNOWN_EXCEPTION"}
)
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


def _salesforce_codes(body: object) -> set[str]:
    if isinstance(body, list):
        return {str(item.get("errorCode")) for item in body if isinstance(item, dict)}
    return set()


def classify_response(response: requests.Response) -> Verdict:
    """Sort a reply into OK, worth a retry, a hard failure, or an exhausted daily quota."""
    status = response.status_code
    if status < 400:
        return Verdict.OK
    body = _json(response)
    codes = _salesforce_codes(body)
    if "REQUEST_LIMIT_EXCEEDED" in codes:
        return Verdict.QUOTA_EXHAUSTED
    if status == 429:
        policy = body.get("policyName") if isinstance(body, dict) else None
        return Verdict.QUOTA_EXHAUSTED if policy == "DAILY" else Verdict.RETRY
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
        return TEN_SECOND_WINDOW_S
    return None
