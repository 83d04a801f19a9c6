"""The write pipeline (order, back-pressure, wait, failures) and the limiter's margin."""

from __future__ import annotations

import threading

import pytest
import requests
from target_hubspot_custom.pipeline import WritePipeline

from crm_sync.http import CallCounter, WindowLimiter, own_thread


def test_jobs_run_in_order_and_wait_covers_all() -> None:
    pipeline = WritePipeline(depth=2)
    done: list[int] = []
    for n in range(6):
        pipeline.submit(lambda n=n: done.append(n))
    pipeline.wait()
    assert done == list(range(6))
    assert pipeline.idle
    pipeline.close()


def test_submit_blocks_when_depth_jobs_wait() -> None:
    pipeline = WritePipeline(depth=1)
    gate = threading.Event()
    pipeline.submit(gate.wait)  # running
    pipeline.submit(lambda: None)  # queued: the queue is full now
    third = threading.Thread(target=pipeline.submit, args=(lambda: None,))
    third.start()
    third.join(0.2)
    assert third.is_alive()  # back-pressure
    gate.set()
    third.join(2)
    assert not third.is_alive()
    pipeline.close()


def test_a_failure_stops_later_jobs_and_surfaces_on_wait_and_submit() -> None:
    pipeline = WritePipeline(depth=4)
    ran: list[str] = []

    def boom() -> None:
        raise ValueError("HubSpot said no")

    pipeline.submit(boom)
    pipeline.submit(lambda: ran.append("after"))
    with pytest.raises(ValueError, match="HubSpot said no"):
        pipeline.wait()
    assert ran == []  # nothing is written after a failed batch
    with pytest.raises(ValueError):
        pipeline.submit(lambda: None)


def test_calls_are_charged_to_the_owner_of_the_thread() -> None:
    counter = CallCounter()
    with counter.charging("a"):
        counter.add("post")
    worker = threading.Thread(target=lambda: (own_thread("b"), counter.add("get")))
    worker.start()
    worker.join()
    counter.add("get")  # nobody's
    assert (counter.of("a"), counter.of("b"), counter.total) == (1, 1, 3)


def _reply(**headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers.update(headers)
    return response


def test_limiter_keeps_a_margin_and_follows_a_lower_server_limit() -> None:
    limiter = WindowLimiter(190, 10.0, margin=0.95)
    assert limiter.max_calls == 180
    limiter.observe(_reply(**{"X-HubSpot-RateLimit-Max": "250"}))
    assert limiter.max_calls == 180  # never above the configured limit
    limiter.observe(_reply(**{"X-HubSpot-RateLimit-Max": "100"}))
    assert limiter.max_calls == 95
    assert WindowLimiter(190).max_calls == 190  # default: no margin
