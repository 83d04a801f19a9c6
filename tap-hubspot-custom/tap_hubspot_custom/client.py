"""The tap's base stream: singer-sdk's REST machinery on top of the core HubSpot client.

Everything about talking to HubSpot comes from :mod:`crm_sync.hubspot` and
:mod:`crm_sync.http` — the authenticator (private-app token or OAuth refresh), the
session (TLS against ``ca_bundle``), the portal's ten-second window and the search API's
per-second limit, the retry/quota classification and the call counter. This module only
plugs them into singer-sdk's public hooks:

* :meth:`request_decorator` stops once this sync's share of the portal's daily limit
  is used (``max_daily_share``), waits on the limiters and counts each attempt, inside
  the SDK's backoff (so a retry waits and counts too);
* :meth:`validate_response` sorts a reply with :func:`crm_sync.http.classify_response`:
  429 / 5xx are retried, a ``DAILY`` 429 stops with
  :class:`~crm_sync.http.QuotaExhausted`, a 401 under OAuth refreshes the token and
  retries, any other 4xx stops with HubSpot's message;
* :meth:`backoff_wait_generator` waits as the server asks (``Retry-After``, HubSpot's
  window headers), else exponentially from ``retry_wait_seconds``;
* :meth:`backoff_handler` counts retries.

The SDK's own ``http_request_count`` / ``http_request_duration`` metrics cover every
page request.
"""

from __future__ import annotations

import random
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.streams import RESTStream

from crm_sync.http import QuotaExhausted, Verdict, classify_response, server_wait_hint
from crm_sync.hubspot import HubSpotError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    import requests
    from singer_sdk.helpers.types import Context

    from crm_sync.hubspot import HubSpotAuthenticator, HubSpotClient
    from tap_hubspot_custom.tap import TapHubSpotCustom

    RequestFunc = Callable[[requests.PreparedRequest, Context | None], requests.Response]


class HubSpotStream(RESTStream[Any]):
    """Base stream: talks to one portal through the tap's core client."""

    records_jsonpath = "$.results[*]"
    route = "GET /crm/v3/objects/{objectType}"
    """Label of this stream's page requests in the call counter."""

    def __init__(self, tap: TapHubSpotCustom, **kwargs: Any) -> None:
        super().__init__(tap, **kwargs)
        self.hubspot: HubSpotClient = tap.hubspot

    # --- where and how ----------------------------------------------------------------

    @property
    def url_base(self) -> str:
        return self.hubspot.base_url

    @property
    def authenticator(self) -> HubSpotAuthenticator:
        return self.hubspot.auth

    @property
    def requests_session(self) -> requests.Session:
        # Session.send() takes verify from the session (REQUESTS_CA_BUNDLE cannot override).
        return self.hubspot.session

    @property
    def timeout(self) -> int:
        return int(self.hubspot.settings.request_timeout_s)

    # --- throttling and counting -------------------------------------------------------

    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        def throttled(
            prepared: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            self.hubspot.daily.check()  # this sync's share of the portal's day
            session = self.hubspot.session
            if session.limiter is not None:
                session.limiter.acquire()
            if self.hubspot.search_limiter is not None and _is_search(prepared):
                self.hubspot.search_limiter.acquire()
            session.counter.add(str(prepared.method), self.route)
            return func(prepared, context)

        decorated: RequestFunc = super().request_decorator(throttled)
        return decorated

    # --- error sorting and backoff -----------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        limiter = self.hubspot.session.limiter
        if limiter is not None:
            limiter.observe(response)
        self.hubspot.daily.observe(response)
        verdict = classify_response(response)
        if verdict is Verdict.OK:
            return
        error = HubSpotError.from_response(response, f"{response.request.method} {self.path}")
        if verdict is Verdict.QUOTA_EXHAUSTED:
            raise QuotaExhausted(f"HubSpot daily API limit reached: {error.message}", response)
        if verdict is Verdict.RETRY:
            raise RetriableAPIError(str(error), response)
        if response.status_code == HTTPStatus.UNAUTHORIZED and self.authenticator.oauth:
            self.authenticator.invalidate()
            raise RetriableAPIError(str(error), response)
        raise FatalAPIError(str(error))

    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Server's wait hint for 429s; exponential from ``retry_wait_seconds`` otherwise."""
        base = self.hubspot.settings.retry_wait_s
        attempt = 0
        exc = yield 0.0
        while True:
            attempt += 1
            response = getattr(exc, "response", None)
            hint = server_wait_hint(response) if response is not None else None
            if hint is not None and response is not None and response.status_code == 429:
                limiter = (
                    self.hubspot.search_limiter
                    if _is_search(response.request)
                    else self.hubspot.session.limiter
                )  # a search call is refused by its own limit, not by the window
                if limiter is not None:
                    limiter.pause(hint)
                wait = hint
            else:
                wait = min(60.0, base * 2 ** (attempt - 1))
            exc = yield wait

    def backoff_jitter(self, value: float) -> float:
        return value * (1 + 0.1 * random.random())

    def backoff_max_tries(self) -> int:
        return max(1, self.hubspot.settings.max_retries)

    def backoff_handler(self, details: Any) -> None:  # backoff's Details (python-backoff)
        self.hubspot.session.counter.add_retry()
        super().backoff_handler(details)


def _is_search(request: requests.PreparedRequest) -> bool:
    """A call to a search endpoint (its own per-second limit)."""
    return (request.path_url or "").split("?", 1)[0].endswith("/search")
