"""The tap's HTTP layer: one base stream (auth, TLS, throttling, error sorting, backoff).

* Throttling is proactive: every call waits on the portal's 10-second window
  (``max_requests_per_10s``, paused early when ``X-HubSpot-RateLimit-Remaining`` says
  the window is spent) and search calls also on the search API's own per-second limit
  (``search_requests_per_second``; its replies carry no rate-limit headers).
* A 429 is retried after the wait its body or headers name (``SECONDLY`` -> 1 s, the
  ten-second window -> its interval); 5xx, connection resets and timeouts are retried
  with exponential backoff (the SDK's ``request_decorator``); a 401 under OAuth fetches
  a new token and retries; a ``DAILY`` 429 and other 4xx stop the run with HubSpot's
  message.
* Calls are counted per route template in :class:`CallLog` (figures for the run log).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.streams import RESTStream

from crm_sync.http import server_wait_hint
from tap_hubspot_custom.auth import HubSpotOAuthAuthenticator

if TYPE_CHECKING:
    from collections.abc import Generator

    import requests
    from singer_sdk.authenticators import APIAuthenticatorBase
    from singer_sdk.helpers.types import Context

    from tap_hubspot_custom.tap import TapHubSpotCustom

DEFAULT_BASE_URL = "https://api.hubapi.com"


class CallLog:
    """API calls of one tap run, by ``METHOD /route/template`` (thread-safe)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.retries = 0
        self._lock = threading.Lock()

    def add(self, route: str) -> None:
        with self._lock:
            self.calls[route] += 1

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class HubSpotAPIError(FatalAPIError):
    """A HubSpot error reply that retrying cannot fix."""

    def __init__(self, message: str, status: int, category: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.category = category


def error_message(response: requests.Response) -> tuple[str, str | None]:
    """HubSpot's ``message`` and ``category`` (path only: query strings may hold data)."""
    path = (response.request.path_url if response.request else "").split("?", 1)[0]
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        category = body.get("category") or body.get("policyName")
        text = str(body.get("message") or response.text[:300])
    else:
        category, text = None, response.text[:300]
    method = response.request.method if response.request else ""
    return f"HTTP {response.status_code} {method} {path}: {category or ''} {text}", category


class HubSpotStream(RESTStream):
    """Base stream: talks to one portal through the tap's shared auth and limiters."""

    records_jsonpath = "$.results[*]"
    _tap_ref: TapHubSpotCustom

    def __init__(self, tap: TapHubSpotCustom, **kwargs: Any) -> None:
        super().__init__(tap, **kwargs)
        self._tap_ref = tap
        self.calls: CallLog = tap.calls

    # --- SDK hooks --------------------------------------------------------------------

    @property
    def url_base(self) -> str:
        return str(self.config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")

    @property
    def authenticator(self) -> APIAuthenticatorBase:
        return self._tap_ref.authenticator

    @property
    def requests_session(self) -> requests.Session:
        session = super().requests_session
        # Session.send() takes verify from the session (REQUESTS_CA_BUNDLE cannot override).
        session.verify = self.config.get("ca_bundle") or True
        return session

    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout") or 300)

    def get_new_paginator(self) -> None:
        return None  # paging is driven by the sync loops (streams.py), per API

    def validate_response(self, response: requests.Response) -> None:
        self._tap_ref.limiter.observe(response)
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST:
            return
        message, category = error_message(response)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            if category == "DAILY":
                raise HubSpotAPIError(f"daily API limit reached: {message}", status, category)
            raise RetriableAPIError(message, response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(message, response)
        auth = self.authenticator
        if status == HTTPStatus.UNAUTHORIZED and isinstance(auth, HubSpotOAuthAuthenticator):
            auth.invalidate()
            raise RetriableAPIError(message, response)
        raise HubSpotAPIError(message, status, category)

    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Server's wait hint for 429s; exponential from ``retry_wait_seconds`` otherwise."""
        base = float(self.config.get("retry_wait_seconds", 1.0))
        attempt = 0
        exc = yield 0.0
        while True:
            attempt += 1
            response = getattr(exc, "response", None)
            hint = server_wait_hint(response) if response is not None else None
            if hint is not None and response is not None and response.status_code == 429:
                self._tap_ref.limiter.pause(hint)
                wait = hint
            else:
                wait = min(60.0, base * 2 ** (attempt - 1))
            self.calls.add_retry()
            exc = yield wait

    def backoff_jitter(self, value: float) -> float:
        return value * (1 + 0.1 * random.random())

    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", 6))

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        self._tap_ref.limiter.acquire()
        if prepared_request.method == "POST" and (prepared_request.path_url or "").endswith(
            "/search"
        ):
            self._tap_ref.search_limiter.acquire()
        return super()._request(prepared_request, context)

    # --- calls --------------------------------------------------------------------------

    def call_response(
        self,
        method: str,
        path: str,
        *,
        route: str,
        context: Context | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """One API call with throttling and retries; the successful response."""
        prepared = self.build_prepared_request(
            method=method, url=self.url_base + path, params=params or {}, json=json
        )
        send = self.request_decorator(self._counted_request)
        return send(prepared, context, route)

    def call(
        self,
        method: str,
        path: str,
        *,
        route: str,
        context: Context | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """:meth:`call_response`, decoded (``{}`` for an empty reply)."""
        response = self.call_response(
            method, path, route=route, context=context, params=params, json=json
        )
        if response.status_code == HTTPStatus.NO_CONTENT or not response.content:
            return {}
        return response.json()

    def _counted_request(
        self, prepared: requests.PreparedRequest, context: Context | None, route: str
    ) -> requests.Response:
        self.calls.add(route)
        return self._request(prepared, context)
