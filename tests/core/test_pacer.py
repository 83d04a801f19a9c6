"""The pacer on a fake clock: calls evenly spaced, shared by threads, no bursts."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

from crm_sync.http import Pacer


class FakeClock:
    """Time that moves only when a caller sleeps (to the end of its sleep, never back)."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0  # a pacer never sleeps for nothing
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def pacer(per_second: float, clock: FakeClock) -> Pacer:
    return Pacer(per_second, clock=clock, sleep=clock.sleep)


def test_calls_are_spaced_by_the_interval_from_the_previous_start() -> None:
    clock = FakeClock()
    p = pacer(4.75, clock)
    starts = [p.acquire() for _ in range(20)]
    assert starts[0] == 100.0  # the first call does not wait
    assert all(b - a == pytest.approx(1 / 4.75) for a, b in pairwise(starts))
    # Never more than 5 starts in any one second: HubSpot's search limit holds.
    assert all(starts[i + 5] - starts[i] > 1.0 for i in range(len(starts) - 5))


def test_a_slow_call_does_not_earn_a_burst_after_it() -> None:
    clock = FakeClock()
    p = pacer(5, clock)
    first = p.acquire()
    clock.now += 3.0  # the caller was busy for 3 s (15 intervals)
    second = p.acquire()
    third = p.acquire()
    assert second == first + 3.0  # no wait: the interval has passed
    assert third == pytest.approx(second + 0.2)  # no credit kept from the idle spell


def test_fractional_rates_below_one_call_a_second() -> None:
    clock = FakeClock()
    p = pacer(0.4, clock)
    starts = [p.acquire() for _ in range(3)]
    assert [b - a for a, b in pairwise(starts)] == pytest.approx([2.5, 2.5])


def test_a_pause_delays_the_next_call_then_pacing_resumes() -> None:
    clock = FakeClock()
    p = pacer(5, clock)
    p.acquire()
    p.pause(1.0)
    after_pause = p.acquire()
    assert after_pause == pytest.approx(101.0)
    assert p.acquire() == pytest.approx(101.2)  # still one per interval, no burst


def test_threads_share_one_pace() -> None:
    clock = FakeClock()
    p = pacer(4, clock)
    starts: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def caller() -> None:
        barrier.wait()
        for _ in range(10):
            at = p.acquire()
            with lock:
                starts.append(at)

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 60
    # Sleeping callers may all move the fake clock, so gaps can be longer; never shorter.
    assert all(b - a >= 0.25 - 1e-9 for a, b in pairwise(starts))


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_a_rate_must_be_positive_and_finite(rate: float) -> None:
    with pytest.raises(ValueError, match="positive finite"):
        Pacer(rate)
