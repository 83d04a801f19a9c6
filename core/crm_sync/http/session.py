"""A requests session with a shared rate limiter and tenacity retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from crm_sync.http.counter import CallCounter
from crm_sync.http.errors import QuotaExhausted, url_path
from crm_sync.http.limiter import WindowLimiter
from crm_sync.http.pacer import Pacer
from crm_sync.http.policy import Verdict, classify_response, server_wait_hint

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


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

    def _wait(self, pacer: Pacer | None, state: RetryCallState) -> float:
        backoff = self._backoff(state)
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _RetryableReply):
            hint = server_wait_hint(exc.response)
            if hint is not None:
                if exc.response.status_code == 429:
                    # A call with its own limit (HubSpot's search) was refused by that
                    # limit, not by the window the session's other calls share.
                    limit = pacer if pacer is not None else self.limiter
                    if limit is not None:
                        limit.pause(hint)
                return max(hint, 0.05)
        return backoff

    def _once(
        self,
        method: str,
        url: str,
        route: str | None,
        kwargs: dict[str, Any],
        pacer: Pacer | None = None,
    ) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire()
        if pacer is not None:
            pacer.acquire()
        self.counter.add(method, route)
        response = super().request(method, url, **kwargs)
        if self.limiter is not None:
            self.limiter.observe(response)
        verdict = classify_response(response)
        if verdict is Verdict.QUOTA_EXHAUSTED:
            raise QuotaExhausted.from_response(response)
        if verdict is Verdict.RETRY:
            raise _RetryableReply(response)
        return response

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        *,
        retry: bool = True,
        route: str | None = None,
        pacer: Pacer | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one call; ``route`` labels it in the counter (a path template). A call
        with a limit of its own also waits on ``pacer``, at every attempt."""
        kwargs.setdefault("timeout", self.timeout_s)
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session's own verify.
        kwargs.setdefault("verify", self.verify)
        if not retry:
            try:
                return self._once(method, url, route, kwargs, pacer)
            except _RetryableReply as reply:
                return reply.response

        def before_sleep(state: RetryCallState) -> None:
            self.counter.add_retry()
            exc = state.outcome.exception() if state.outcome else None
            log.info(
                "retrying %s %s after %s (attempt %d)",
                method,
                url_path(url),
                exc,
                state.attempt_number,
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts)
            | stop_after_delay(self.policy.max_elapsed_s),
            wait=partial(self._wait, pacer),
            retry=retry_if_exception_type((*TRANSIENT_ERRORS, _RetryableReply)),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, method, url, route, kwargs, pacer)
        except _RetryableReply as reply:
            return reply.response
