"""crm_sync.http: what is retried, how long it waits, and what stops a run."""

from __future__ import annotations

import time

import pytest
import requests
import requests_mock as rm

from crm_sync.http import (
    Pacer,
    QuotaExhausted,
    ResilientSession,
    RetryPolicy,
    Verdict,
    WindowLimiter,
    classify_response,
)

URL = "https://crm.test/api"
FAST = RetryPolicy(max_attempts=4, initial_wait_s=0.01, max_wait_s=0.02)


def session(**kwargs) -> ResilientSession:
    return ResilientSession(policy=FAST, **kwargs)


def test_transient_statuses_and_resets_are_retried_until_success() -> None:
    s = session()
    with rm.Mocker() as mock:
        mock.get(
            URL,
            [
                {"status_code": 503, "json": [{"errorCode": "SERVER_UNAVAILABLE", "message": "x"}]},
                {"exc": requests.exceptions.ConnectionError("reset by peer")},
                {"status_code": 500, "json": {"status": "error"}},
                {"status_code": 200, "json": {"ok": True}},
            ],
        )
        assert s.get(URL).json() == {"ok": True}
        assert mock.call_count == 4
    assert s.counter.total == 4
    assert s.counter.retries == 3


def test_salesforce_row_lock_is_retried_but_validation_errors_are_not() -> None:
    s = session()
    lock = [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access"}]
    with rm.Mocker() as mock:
        mock.patch(URL, [{"status_code": 400, "json": lock}, {"status_code": 204}])
        assert s.patch(URL).status_code == 204
        mock.post(URL, status_code=400, json=[{"errorCode": "REQUIRED_FIELD_MISSING"}])
        assert s.post(URL).status_code == 400
        assert mock.call_count == 3


def test_a_reply_still_failing_after_the_last_attempt_is_returned() -> None:
    s = session()
    with rm.Mocker() as mock:
        mock.get(URL, status_code=502, text="bad gateway")
        assert s.get(URL).status_code == 502
        assert mock.call_count == FAST.max_attempts


def test_unsafe_calls_can_opt_out_of_retries() -> None:
    s = session()
    with rm.Mocker() as mock:
        mock.post(URL, status_code=500, json={})
        assert s.post(URL, retry=False).status_code == 500
        assert mock.call_count == 1


def test_hubspot_429_waits_as_the_headers_say_and_pauses_the_limiter() -> None:
    limiter = WindowLimiter(max_calls=100, window_s=10)
    s = session(limiter=limiter)
    body = {"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
    headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": "300"}
    with rm.Mocker() as mock:
        mock.get(URL, [{"status_code": 429, "json": body, "headers": headers}, {"json": {}}])
        started = time.monotonic()
        assert s.get(URL).status_code == 200
        assert time.monotonic() - started >= 0.3


class Recording(Pacer):
    """A pacer that notes its turns and pauses (rate lifted: it never waits)."""

    def __init__(self) -> None:
        super().__init__(10**6)
        self.turns = 0
        self.pauses: list[float] = []

    def acquire(self) -> float:
        self.turns += 1
        return super().acquire()

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


class RecordingWindow(WindowLimiter):
    def __init__(self) -> None:
        super().__init__(max_calls=100, window_s=10)
        self.pauses: list[float] = []

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


def test_a_paced_call_waits_its_turn_at_every_attempt_and_its_429_pauses_its_pacer() -> None:
    window, pacer = RecordingWindow(), Recording()
    s = session(limiter=window)
    body = {"status": "error", "errorType": "RATE_LIMIT", "policyName": "SECONDLY"}
    with rm.Mocker() as mock:
        mock.post(
            URL,
            [{"status_code": 429, "json": body, "headers": {"Retry-After": "0.01"}}, {"json": {}}],
        )
        assert s.post(URL, pacer=pacer).status_code == 200
    assert pacer.turns == 2  # the retry is paced too
    assert pacer.pauses == [0.01]
    assert window.pauses == []  # the window's other calls go on


@pytest.mark.parametrize(
    "status,body",
    [
        (429, {"status": "error", "errorType": "RATE_LIMIT", "policyName": "DAILY"}),
        (
            403,
            [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
        ),
    ],
)
def test_daily_quotas_stop_the_run_instead_of_retrying(status, body) -> None:
    s = session()
    with rm.Mocker() as mock:
        mock.get(URL, status_code=status, json=body)
        with pytest.raises(QuotaExhausted):
            s.get(URL)
        assert mock.call_count == 1


def test_the_window_limiter_spreads_calls_over_the_window() -> None:
    limiter = WindowLimiter(max_calls=3, window_s=0.5)
    started = time.monotonic()
    for _ in range(6):
        limiter.acquire()
    assert time.monotonic() - started >= 0.45


def test_remaining_zero_pauses_every_caller() -> None:
    limiter = WindowLimiter(max_calls=100, window_s=10)
    with rm.Mocker() as mock:
        mock.get(
            URL,
            headers={
                "X-HubSpot-RateLimit-Remaining": "0",
                "X-HubSpot-RateLimit-Interval-Milliseconds": "250",
                "X-HubSpot-RateLimit-Daily-Remaining": "4321",
            },
        )
        limiter.observe(requests.get(URL))
    started = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - started >= 0.2
    assert limiter.daily_remaining == 4321


def reply_with(remaining: int, interval_ms: int = 10_000) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers.update({
        "X-HubSpot-RateLimit-Remaining": str(remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
    })  # fmt: skip
    return response


def test_a_spent_window_pauses_until_the_oldest_counted_call_has_left_it() -> None:
    now = [100.0]
    limiter = WindowLimiter(max_calls=190, window_s=10, clock=lambda: now[0])
    for at, remaining in ((100.0, 9), (103.0, 5), (109.0, 0)):
        now[0] = at
        limiter.observe(reply_with(remaining))
    # The window (99, 109] holds this run's calls of 100.0 and after: it has surely
    # freed one at 110.0, not ten seconds after the reply that said it was spent.
    assert limiter.resume_at == 110.0
    now[0] = 112.0
    limiter.observe(reply_with(0))
    assert limiter.resume_at == 113.0  # the call of 100.0 has left; 103.0 is the oldest
    now[0] = 130.0
    limiter.observe(reply_with(0, interval_ms=1_000))  # alone in its window
    assert limiter.resume_at == 131.0


def test_classification_table() -> None:
    def reply(status: int, body: object) -> requests.Response:
        with rm.Mocker() as mock:
            mock.get(URL, status_code=status, json=body)
            return requests.get(URL)

    assert classify_response(reply(200, {})) is Verdict.OK
    assert classify_response(reply(404, [{"errorCode": "NOT_FOUND"}])) is Verdict.FAIL
    assert classify_response(reply(429, {"policyName": "TEN_SECONDLY_ROLLING"})) is Verdict.RETRY
    assert classify_response(reply(503, {})) is Verdict.RETRY


@pytest.mark.parametrize(
    "message",
    ["ConcurrentPerOrgLongTxn Limit exceeded.", "ConcurrentRequests Limit exceeded."],
)
def test_salesforce_concurrency_limits_are_retried_not_taken_for_the_daily_quota(message) -> None:
    s = session()
    body = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": message}]
    with rm.Mocker() as mock:
        mock.get(URL, [{"status_code": 403, "json": body}, {"json": {"ok": True}}])
        assert s.get(URL).json() == {"ok": True}
        assert mock.call_count == 2
    assert s.counter.retries == 1


def test_query_timeout_is_retried() -> None:
    s = session()
    body = [
        {"errorCode": "QUERY_TIMEOUT", "message": "Your query request was running for too long."}
    ]
    with rm.Mocker() as mock:
        mock.get(URL, [{"status_code": 400, "json": body}, {"json": {}}])
        assert s.get(URL).status_code == 200
