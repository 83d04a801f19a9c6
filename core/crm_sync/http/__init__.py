"""HTTP resilience shared by every API client: retry, rate limit, error classification.

``ResilientSession`` is a ``requests.Session`` whose ``request`` waits on a shared rate
limiter (and on a call's own :class:`Pacer`, such as HubSpot's search limit), retries
what is worth retrying (:mod:`crm_sync.http.policy`: connection resets, timeouts, 429
and 5xx, Salesforce's transient error codes and concurrency limits) with tenacity,
honours the server's own wait hints (``Retry-After``, HubSpot's rate-limit headers and
429 bodies), stops on a daily quota (:class:`QuotaExhausted`) and counts the calls it
made (:class:`CallCounter`).
"""

from crm_sync.http.counter import CallCounter, own_thread
from crm_sync.http.errors import ApiError, QuotaExhausted, url_path
from crm_sync.http.limiter import WindowLimiter
from crm_sync.http.pacer import Pacer
from crm_sync.http.policy import Verdict, classify_response, server_wait_hint
from crm_sync.http.session import ResilientSession, RetryPolicy

__all__ = [
    "ApiError",
    "CallCounter",
    "Pacer",
    "QuotaExhausted",
    "ResilientSession",
    "RetryPolicy",
    "Verdict",
    "WindowLimiter",
    "classify_response",
    "own_thread",
    "server_wait_hint",
    "url_path",
]
