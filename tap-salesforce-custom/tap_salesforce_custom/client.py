"""One HTTP client for every Salesforce call the tap makes: auth, retries, limits.

* Retries (tenacity, exponential backoff with jitter): 5xx, 503, 429, connection
  resets / truncated bodies, timeouts, and the ``UNABLE_TO_LOCK_ROW`` /
  ``SERVER_UNAVAILABLE`` error codes.
* 401 ``INVALID_SESSION_ID``: log in again and resend the same request at once, so
  a query cursor (``nextRecordsUrl``) or Bulk locator is never lost.
* Limits: ``Sforce-Limit-Info: api-usage=N/MAX`` is read from every response; once
  ``N / MAX`` reaches ``max_api_share`` the client refuses further calls with
  :class:`QuotaReached`, which streams turn into a clean stop with resumable state.
  A 403 ``REQUEST_LIMIT_EXCEEDED`` is treated the same way.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from tap_salesforce_custom.auth import SalesforceAuthenticator

if TYPE_CHECKING:
    from collections.abc import Mapping

LOGGER = logging.getLogger("tap-salesforce-custom")
RETRYABLE_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"}
)
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceAPIError(RuntimeError):
    """A Salesforce error reply: HTTP status, first errorCode and message."""

    def __init__(self, status: int, error_code: str, message: str, url: str = "") -> None:
        super().__init__(f"HTTP {status} {error_code}: {message}" + (f" ({url})" if url else ""))
        self.status = status
        self.error_code = error_code
        self.message = message

    @classmethod
    def from_response(cls, response: requests.Response) -> SalesforceAPIError:
        code, message = "UNKNOWN_ERROR", response.text[:500]
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, list) and body and isinstance(body[0], dict):
            code = str(body[0].get("errorCode") or code)
            message = str(body[0].get("message") or message)
        elif isinstance(body, dict) and ("errorCode" in body or "error" in body):
            code = str(body.get("errorCode") or body.get("error") or code)
            message = str(body.get("message") or body.get("error_description") or message)
        # The path only: query strings may hold customer data; never log headers.
        return cls(response.status_code, code, message, urlpath(response.url))


class QuotaReached(RuntimeError):
    """The tap's share of the org's daily API requests is used up."""


def urlpath(url: str | None) -> str:
    return (url or "").split("?", 1)[0]


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, SalesforceAPIError):
        return exc.status >= 500 or exc.status == 429 or exc.error_code in RETRYABLE_CODES
    return isinstance(
        exc,
        requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError,
    )


@dataclass
class ApiUsage:
    """The org's daily API usage as last reported, and what this run spent."""

    used: int | None = None
    max: int | None = None
    calls: int = 0
    by_route: dict[str, int] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        if self.used is None or not self.max:
            return None
        return self.used / self.max


class SalesforceClient:
    """Authenticated, retrying access to one org's REST and Bulk 2.0 APIs."""

    def __init__(self, config: Mapping[str, Any], session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()
        # TLS is always verified: the system store, or the CA bundle the settings name.
        # Passed per request too: requests lets REQUESTS_CA_BUNDLE override session.verify.
        self.verify: str | bool = config.get("ca_bundle") or True
        self.session.verify = self.verify
        self.session.headers["User-Agent"] = "tap-salesforce-custom"
        self.auth = SalesforceAuthenticator(config, self.session)
        self.api_version = str(config.get("api_version") or "62.0").lstrip("v")
        self.max_api_share = float(config.get("max_api_share", 0.8))
        self.timeout = float(config.get("request_timeout", 300))
        self.max_tries = int(config.get("max_retries", 5))
        self.retry_wait = float(config.get("retry_wait_seconds", 1.0))
        self.usage = ApiUsage()
        self.quota_message: str | None = None
        self._lock = threading.Lock()

    # --- URLs ---------------------------------------------------------------------

    @property
    def instance_url(self) -> str:
        if not self.auth.instance_url:
            self.auth.token()  # the login reply names the instance
        if not self.auth.instance_url:
            raise RuntimeError("no instance_url: set it, or use a login flow whose reply has it")
        return self.auth.instance_url.rstrip("/")

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    def url(self, path: str) -> str:
        """Absolute URL for ``/services/...`` paths or paths under the data API."""
        if path.startswith("http://") or path.startswith("https://"):
            return path
        if not path.startswith("/services/"):
            path = f"{self.data_path}/{path.lstrip('/')}"
        return f"{self.instance_url}{path}"

    # --- limits -------------------------------------------------------------------

    def _note_usage(self, response: requests.Response) -> None:
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if not match:
            return
        with self._lock:
            self.usage.used, self.usage.max = int(match.group(1)), int(match.group(2))
            share = self.usage.share
            if share is not None and share >= self.max_api_share and not self.quota_message:
                self.quota_message = (
                    f"Salesforce API quota share reached: {self.usage.used} of "
                    f"{self.usage.max} daily requests used ({share:.1%}) >= max_api_share "
                    f"{self.max_api_share:.0%}; stopping cleanly, the state is resumable"
                )
                LOGGER.warning(self.quota_message)

    def check_quota(self) -> None:
        if self.quota_message:
            raise QuotaReached(self.quota_message)

    # --- requests -----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        route: str = "",
        stream: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one API call with retries; return a 2xx response or raise.

        Args:
            method: HTTP method.
            path: absolute URL, ``/services/...`` path, or path under the data API.
            route: a label for call accounting (e.g. ``query``).
            stream: leave the body unread (Bulk CSV pages are streamed).
            kwargs: passed to :meth:`requests.Session.request`.
        """
        url = self.url(path)
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self.max_tries),
            wait=self._wait(60),
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(self._send, method, url, route or method, stream, kwargs)

    def _send(
        self, method: str, url: str, route: str, stream: bool, kwargs: dict[str, Any]
    ) -> requests.Response:
        for _ in range(3):  # a fresh session at most twice per call
            self.check_quota()
            token = self.auth.token()
            headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
            response = self.session.request(
                method,
                url,
                **{**kwargs, "headers": headers},
                timeout=self.timeout,
                stream=stream,
                verify=self.verify,
            )
            with self._lock:
                self.usage.calls += 1
                self.usage.by_route[route] = self.usage.by_route.get(route, 0) + 1
            self._note_usage(response)
            if response.status_code < 400:
                return response
            error = SalesforceAPIError.from_response(response)
            response.close()
            if response.status_code == 401:
                LOGGER.info("Salesforce session rejected (%s); logging in again", error.error_code)
                self.auth.invalidate(token)
                continue
            if error.error_code == "REQUEST_LIMIT_EXCEEDED":
                self.quota_message = f"Salesforce API limit exceeded: {error.message}"
                raise QuotaReached(self.quota_message) from error
            raise error
        raise error

    def _wait(self, cap: float) -> Any:
        """Exponential backoff from retry_wait_seconds, capped, with jitter."""
        return wait_exponential(multiplier=self.retry_wait, max=cap) + wait_random(
            0, self.retry_wait
        )

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        LOGGER.warning(
            "Salesforce call failed (%s: %s); retry %d in %.1fs",
            type(exc).__name__,
            exc,
            state.attempt_number,
            wait,
        )

    def get_json(self, path: str, *, route: str = "", **kwargs: Any) -> Any:
        """GET and decode JSON; the body is read inside the retry (resets are retried)."""
        return self._json("GET", path, route=route, **kwargs)

    def post_json(self, path: str, payload: Any, *, route: str = "") -> Any:
        return self._json("POST", path, route=route, json=payload)

    def _json(self, method: str, path: str, *, route: str, **kwargs: Any) -> Any:
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, ValueError)),
            stop=stop_after_attempt(self.max_tries),
            wait=self._wait(30),
            before_sleep=self._log_retry,
            reraise=True,
        )

        def call() -> Any:
            # A body cut short decodes as invalid JSON: retry the whole call.
            return self.request(method, path, route=route, **kwargs).json()

        return retrying(call)
