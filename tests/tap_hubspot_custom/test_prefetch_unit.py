"""ListPrefetch on its own: replies handed over by request, failures raised where taken,
read-ahead bounded, and nothing left running or sent after close."""

from __future__ import annotations

import threading

import pytest
import requests
from tap_hubspot_custom.prefetch import ListPrefetch


def page(after: int) -> requests.PreparedRequest:
    return requests.Request("GET", f"https://hs.test/crm/v3/objects/p?after={after}").prepare()


def reply(status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    return response


def test_a_reply_is_handed_over_only_for_the_request_sent_ahead() -> None:
    prefetch = ListPrefetch("p")
    prefetch.send_ahead(page(100), lambda: reply(200))
    assert prefetch.take(page(200)) is None
    ahead = prefetch.take(page(100))
    assert ahead is not None and ahead.result().status_code == 200
    assert prefetch.take(page(100)) is None  # handed over once
    prefetch.close()


def test_a_failure_of_a_request_sent_ahead_is_raised_where_it_is_taken() -> None:
    def fail() -> requests.Response:
        raise requests.ConnectionError("reset")

    prefetch = ListPrefetch("p")
    prefetch.send_ahead(page(100), fail)
    ahead = prefetch.take(page(100))
    assert ahead is not None
    with pytest.raises(requests.ConnectionError):
        ahead.result()
    prefetch.close()


def test_read_ahead_is_bounded_and_close_sends_nothing_more() -> None:
    sent: list[int] = []
    first_sent = threading.Event()

    def send(after: int) -> requests.Response:
        sent.append(after)
        first_sent.set()
        return reply()

    prefetch = ListPrefetch("p", depth=1)
    prefetch.send_ahead(page(100), lambda: send(100))
    assert first_sent.wait(10)
    # Page 100 is unread, so page 200 waits for a slot (or in the queue) and close() must
    # neither hang on it nor send it.
    prefetch.send_ahead(page(200), lambda: send(200))
    prefetch.close()
    assert sent == [100]
    prefetch.send_ahead(page(300), lambda: send(300))  # closed: ignored
    assert prefetch.take(page(300)) is None
