"""HTTP resilience shared by every plugin that writes: retry, rate limit, error classification.

``ResilientSession`` is a ``requests.Session`` whose ``request`` waits on a shared rate
limiter, retries what is worth retrying (connection resets, timeouts, 429 and 5xx, and
Salesforce's ``UNABLE_TO_LOCK_ROW``) with tenacity, honours the server's own wait hints
(``Retry-After``, HubSpot's rate-limit headers and 429 bodies) and counts the calls it made.
"""

from crm_sync.http.policy import Verdict, classify_response, server_wait_hint
from crm_sync.http.session import (
    CallCounter,
    QuotaExhausted,
    ResilientSession,
    RetryPolicy,
    WindowLimiter,
)

__all__ = [
    "CallCounter",
    "QuotaExhausted",
    "ResilientSession",
    "RetryPolicy",
    "Verdict",
    "WindowLimiter",
    "classify_response",
    "server_wait_hint",
]
