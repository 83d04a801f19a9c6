"""A requests session with a shared rate limiter and tenacity retries."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from pyrate_limiter import Duration, Limiter, Rate
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from crm_sync.http.policy import Verdict, classify_response, server_wait_hint

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class QuotaExhausted(RuntimeError):
    """A daily API quota is used up; the run should stop cleanly and resume later."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"API quota exhausted: {response.status_code} {response.text[:300]}")
        self.response = response


class _RetryableReply(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.status_code}")
        self.response = response


@dataclass
class RetryPolicy:
    """How hard to try: attempts, total time, and the backoff between tries."""

    max_attempts: int = 8
    max_elapsed_s: float = 300.0
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0


@dataclass
class CallCounter:
    """API calls made, by method; shared by the threads of one plugin run."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str) -> None:
        with self._lock:
            self.calls[method.upper()] += 1

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())


class WindowLimiter:
    """A rolling-window limit shared by every thread of a run, paused by the server's word.

    The window itself is pyrate-limiter's; on top, a reply saying the window is spent
    (``X-HubSpot-RateLimit-Remaining: 0``) or a 429 pauses all callers until it has passed.
    """

    def __init__(self, max_calls: int, window_s: float = 10.0, margin: float = 1.0) -> None:
        self.margin = margin
        """Share of the limit to use: the server's window and ours are not aligned, so
        running at 100 % earns 429s whose retries waste calls (HubSpot: 0.95)."""
        self.max_calls = max(1, int(max_calls * margin))
        self.window_s = window_s
        self._limiter = Limiter(Rate(self.max_calls, Duration.SECOND * window_s))
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self.daily_remaining: int | None = None

    def acquire(self) -> None:
        while True:
            with self._lock:
                wait = self._paused_until - time.monotonic()
            if wait <= 0:
                break
            time.sleep(wait)
        self._limiter.try_acquire("calls", blocking=True)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _lower_to(self, server_max: int) -> None:
        """Follow a server limit below ours (never raise it above the configured one)."""
        wanted = max(1, int(server_max * self.margin))
        with self._lock:
            if wanted >= self.max_calls:
                return
            self.max_calls = wanted
            self._limiter = Limiter(Rate(wanted, Duration.SECOND * self.window_s))

    def observe(self, response: requests.Response) -> None:
        """Learn from the server's rate-limit headers."""
        headers = response.headers
        remaining = headers.get("X-HubSpot-RateLimit-Remaining")
        interval_ms = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if remaining is not None and remaining.isdigit() and int(remaining) <= 0:
            self.pause(float(interval_ms) / 1000 if interval_ms else self.window_s)
        server_max = headers.get("X-HubSpot-RateLimit-Max")
        if server_max is not None and server_max.isdigit():
            self._lower_to(int(server_max))
        daily = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        if daily is not None and daily.isdigit():
            self.daily_remaining = int(daily)


class ResilientSession(requests.Session):
    """``requests.Session`` that rate-limits, retries transient failures and counts calls.

    Retries only happen for requests that are safe to repeat; pass ``retry=False`` for
    a call that is not (a non-idempotent create). A reply that is still failing after
    the last attempt is returned as is (the caller reads its error body); a daily quota
    raises :class:`QuotaExhausted`.
    """

    def __init__(
        self,
        limiter: WindowLimiter | None = None,
        policy: RetryPolicy | None = None,
        counter: CallCounter | None = None,
        ca_bundle: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        super().__init__()
        self.limiter = limiter
        self.policy = policy or RetryPolicy()
        self.counter = counter or CallCounter()
        self.timeout_s = timeout_s
        self._backoff = wait_exponential_jitter(
            multiplier=self.policy.initial_wait_s,
            max=self.policy.max_wait_s,
            jitter=self.policy.initial_wait_s,
        )
        if ca_bundle:
            self.verify = ca_bundle

    def _wait(self, state: RetryCallState) -> float:
        backoff = self._backoff(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _RetryableReply):
            hint = server_wait_hint(exc.response)
            if hint is not None:
                if self.limiter is not None and exc.response.status_code == 429:
                    self.limiter.pause(hint)
                return max(hint, 0.05)
        return backoff

    def _once(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire()
        self.counter.add(method)
        response = super().request(method, url, **kwargs)
        if self.limiter is not None:
            self.limiter.observe(response)
        verdict = classify_response(response)
        if verdict is Verdict.QUOTA_EXHAUSTED:
            raise QuotaExhausted(response)
        if verdict is Verdict.RETRY:
            raise _RetryableReply(response)
        return response

    def request(  # type: ignore[override]
        self, method: str, url: str, *, retry: bool = True, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout_s)
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session's own verify.
        kwargs.setdefault("verify", self.verify)
        if not retry:
            try:
                return self._once(method, url, kwargs)
            except _RetryableReply as reply:
                return reply.response

        def before_sleep(state: RetryCallState) -> None:
            self.counter.add_retry()
            exc = state.outcome.exception() if state.outcome else None
            log.info("retrying %s %s after %s (attempt %d)", method, url, exc, state.attempt_number)

        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts)
            | stop_after_delay(self.policy.max_elapsed_s),
            wait=self._wait,
            retry=retry_if_exception_type((*TRANSIENT_ERRORS, _RetryableReply)),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, method, url, kwargs)
        except _RetryableReply as reply:
            return reply.response
