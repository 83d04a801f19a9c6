"""The one Salesforce client: every REST call of every plugin, authenticated and retried.

* Transport: one :class:`~crm_sync.http.ResilientSession` (retries per
  :mod:`crm_sync.http.policy`, call counting by route, CA bundle passed per request).
* 401 ``INVALID_SESSION_ID``: log in again and resend the same request at once, so a
  query cursor (``nextRecordsUrl``) or Bulk locator is never lost.
* Limits: ``Sforce-Limit-Info: api-usage=N/MAX`` is read from every reply; with
  ``max_api_share`` set, once ``N / MAX`` reaches it the client refuses further calls
  with :class:`~crm_sync.http.QuotaExhausted`, as it does for the daily
  ``REQUEST_LIMIT_EXCEEDED``.
* Reads: query/queryAll paging, describe (25 per ``/composite/batch``), limits; writes:
  sObject collections (:mod:`crm_sync.salesforce.collections`); Bulk 2.0 query and
  ingest (:mod:`crm_sync.salesforce.bulk`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from crm_sync.http import CallCounter, QuotaExhausted, ResilientSession, RetryPolicy
from crm_sync.salesforce.auth import SalesforceAuthenticator
from crm_sync.salesforce.bulk import BulkQuery, bulk_ingest
from crm_sync.salesforce.collections import SObjectCollections
from crm_sync.salesforce.errors import SalesforceAPIError
from crm_sync.salesforce.results import SaveResult
from crm_sync.salesforce.settings import SalesforceSettings

LOGGER = logging.getLogger("crm_sync.salesforce")
DESCRIBE_BATCH = 25
"""Subrequests per ``/composite/batch`` call."""
MISSING_OBJECT_CODES = frozenset({"NOT_FOUND", "INVALID_TYPE"})
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
_RELOGINS = 2


@dataclass
class ApiUsage:
    """The org's daily API usage as last reported."""

    used: int | None = None
    max: int | None = None

    @property
    def share(self) -> float | None:
        if self.used is None or not self.max:
            return None
        return self.used / self.max

    @property
    def left(self) -> int | None:
        return None if self.used is None or self.max is None else self.max - self.used


@dataclass
class _Quota:
    message: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def default_session(
    settings: SalesforceSettings, counter: CallCounter | None = None
) -> ResilientSession:
    """A session retrying as the settings say (``max_retries``, ``retry_wait_seconds``)."""
    policy = RetryPolicy(
        max_attempts=max(1, settings.max_retries),
        initial_wait_s=settings.retry_wait_s,
        max_wait_s=60.0,
    )
    return ResilientSession(
        policy=policy,
        counter=counter,
        ca_bundle=settings.ca_bundle,
        timeout_s=settings.request_timeout_s,
    )


class SalesforceClient:
    """Authenticated, retrying access to one org's REST and Bulk 2.0 APIs."""

    def __init__(
        self,
        settings: SalesforceSettings,
        session: ResilientSession | None = None,
        *,
        user_agent: str = "crm-sync",
    ) -> None:
        self.settings = settings
        self.session = session or default_session(settings)
        self.session.headers["User-Agent"] = user_agent
        self.auth = SalesforceAuthenticator(settings, self.session)
        self.api_version = settings.api_version
        self.usage = ApiUsage()
        self._quota = _Quota()
        self.server_time: datetime | None = None
        """The org's time as its last reply's ``Date`` header said (None before a reply):
        cadences are measured on the server's clock, not this host's."""

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], prefix: str = "", **kwargs: Any
    ) -> SalesforceClient:
        return cls(SalesforceSettings.from_config(config, prefix), **kwargs)

    @property
    def counter(self) -> CallCounter:
        return self.session.counter

    # --- URLs ---------------------------------------------------------------------

    @property
    def instance_url(self) -> str:
        if not self.auth.instance_url:
            self.auth.token()  # the login reply names the instance
        if not self.auth.instance_url:
            raise SalesforceAPIError(
                0, "NO_INSTANCE_URL", "set instance_url, or use a login flow whose reply has it"
            )
        return self.auth.instance_url.rstrip("/")

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    def url(self, path: str) -> str:
        """Absolute URL for ``/services/...`` paths or paths under the data API."""
        if path.startswith(("http://", "https://")):
            return path
        if not path.startswith("/services/"):
            path = f"{self.data_path}/{path.lstrip('/')}"
        return f"{self.instance_url}{path}"

    # --- limits -------------------------------------------------------------------

    def _note_usage(self, response: requests.Response) -> None:
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if not match:
            return
        share_limit = self.settings.max_api_share
        with self._quota.lock:
            self.usage.used, self.usage.max = int(match.group(1)), int(match.group(2))
            share = self.usage.share
            if share_limit is None or share is None or share < share_limit:
                return
            if self._quota.message is None:
                self._quota.message = (
                    f"Salesforce API quota share reached: {self.usage.used} of "
                    f"{self.usage.max} daily requests used ({share:.1%}) >= max_api_share "
                    f"{share_limit:.0%}; stopping, the state is resumable"
                )
                LOGGER.warning(self._quota.message)

    def _note_date(self, response: requests.Response) -> None:
        try:
            self.server_time = parsedate_to_datetime(response.headers["Date"])
        except (KeyError, TypeError, ValueError):
            return

    @property
    def quota_message(self) -> str | None:
        """Why this client stopped calling (quota share or daily limit), if it did."""
        return self._quota.message

    def check_quota(self) -> None:
        """Raise :class:`QuotaExhausted` once the share or the daily limit is reached."""
        if self._quota.message:
            raise QuotaExhausted(self._quota.message)

    @property
    def quota_left(self) -> int | None:
        """Daily API requests left, from the last ``Sforce-Limit-Info`` header."""
        return self.usage.left

    def limits(self) -> dict[str, Any]:
        """``GET /limits``: the org's limits (``DailyApiRequests`` …)."""
        return dict(self.get_json("limits", route="GET /limits"))

    def org_id(self) -> str:
        """The org's id (``organization_id`` of the OAuth userinfo of this session)."""
        reply = self.get_json("/services/oauth2/userinfo", route="GET /userinfo")
        return str(reply["organization_id"])

    # --- requests -----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        route: str | None = None,
        what: str = "",
        stream: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one API call (retried by the session); return a 2xx reply or raise.

        Args:
            method: HTTP method.
            path: absolute URL, ``/services/...`` path, or path under the data API.
            route: a label for call accounting (e.g. ``GET /query``).
            what: what the call does, for error messages.
            stream: leave the body unread (Bulk CSV pages are streamed).
            kwargs: passed to :meth:`requests.Session.request`.
        """
        url = self.url(path)
        headers = dict(kwargs.pop("headers", None) or {})
        error: SalesforceAPIError | None = None
        for _ in range(_RELOGINS + 1):
            self.check_quota()
            token = self.auth.token()
            try:
                response = self.session.request(
                    method,
                    url,
                    route=route,
                    stream=stream,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                    **kwargs,
                )
            except QuotaExhausted as exc:
                if exc.response is not None:
                    self._note_usage(exc.response)
                    text = SalesforceAPIError.from_response(exc.response).message
                else:
                    text = str(exc)
                with self._quota.lock:
                    self._quota.message = f"Salesforce daily API limit reached: {text}"
                raise QuotaExhausted(self._quota.message, exc.response) from exc
            self._note_usage(response)
            self._note_date(response)
            if response.status_code < 400:
                return response
            error = SalesforceAPIError.from_response(response, what)
            response.close()
            if response.status_code == 401:
                LOGGER.info("Salesforce session rejected (%s); logging in again", error.code)
                self.auth.invalidate(token)
                continue
            raise error
        assert error is not None
        raise error

    def get_json(self, path: str, *, route: str | None = None, **kwargs: Any) -> Any:
        """GET and decode JSON; a body cut short (invalid JSON) is fetched again."""
        return self._json("GET", path, route=route, **kwargs)

    def post_json(self, path: str, payload: Any, *, route: str | None = None) -> Any:
        return self._json("POST", path, route=route, json=payload)

    def _json(self, method: str, path: str, *, route: str | None, **kwargs: Any) -> Any:
        retrying = Retrying(
            retry=retry_if_exception_type(ValueError),
            stop=stop_after_attempt(max(1, self.settings.max_retries)),
            wait=wait_exponential(multiplier=self.settings.retry_wait_s, max=30),
            reraise=True,
        )

        def call() -> Any:
            return self.request(method, path, route=route, **kwargs).json()

        return retrying(call)

    def send_json(
        self,
        method: str,
        path: str,
        what: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        data: str | bytes | None = None,
        content_type: str = "application/json",
        route: str | None = None,
    ) -> requests.Response:
        """A write (or a read by POST) with a JSON or text body; the 2xx reply."""
        payload = data if data is not None else (None if body is None else json.dumps(body))
        headers = {"Content-Type": content_type} if payload is not None else {}
        return self.request(
            method,
            path,
            route=route or f"{method} {path.split('?', 1)[0]}",
            what=what,
            params=params,
            data=payload,
            headers=headers,
        )

    # --- query ----------------------------------------------------------------------

    def query_pages(
        self, soql: str, *, include_deleted: bool = False, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every reply page of ``query`` (``queryAll`` with deleted rows), in order."""
        endpoint = "queryAll" if include_deleted else "query"
        headers = {"Sforce-Query-Options": f"batchSize={page_size}"} if page_size else {}
        reply = self.get_json(
            endpoint, params={"q": soql}, headers=headers, route=f"GET /{endpoint}"
        )
        while True:
            yield reply
            next_url = reply.get("nextRecordsUrl")
            if reply.get("done", True) or not next_url:
                return
            reply = self.get_json(next_url, headers=headers, route=f"GET /{endpoint}/{{locator}}")

    def query(
        self, soql: str, *, include_deleted: bool = False, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of a query, page after page."""
        for page in self.query_pages(soql, include_deleted=include_deleted, page_size=page_size):
            yield from page.get("records", [])

    def count(self, soql: str, *, include_deleted: bool = False) -> int:
        """``totalSize`` of a ``SELECT COUNT() …`` query."""
        endpoint = "queryAll" if include_deleted else "query"
        reply = self.get_json(endpoint, params={"q": soql}, route=f"GET /{endpoint} (count)")
        return int(reply.get("totalSize", 0))

    # --- describe -------------------------------------------------------------------

    def describe_global(self) -> list[dict[str, Any]]:
        """``GET /sobjects``: every object of the org, without fields."""
        return list(self.get_json("sobjects", route="GET /sobjects")["sobjects"])

    def describe_one(self, name: str) -> dict[str, Any] | None:
        """One object's describe; None when the org has no such object."""
        try:
            return dict(self.get_json(f"sobjects/{name}/describe", route="GET /describe"))
        except SalesforceAPIError as exc:
            if exc.status in (400, 404) and exc.code in MISSING_OBJECT_CODES:
                return None
            raise

    def describe(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{name as asked: describe}`` for each object the org has (others left out).

        Costs ``ceil(n / 25)`` ``/composite/batch`` calls for ``n`` objects (a lone
        object is described directly); a subrequest failing for another reason than a
        missing object is tried again alone, so its own error is raised.
        """
        unique = list(dict.fromkeys(names))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(unique), DESCRIBE_BATCH):
            chunk = unique[start : start + DESCRIBE_BATCH]
            if len(chunk) == 1:
                one = self.describe_one(chunk[0])
                if one is not None:
                    found[chunk[0]] = one
                continue
            try:
                reply = self.post_json(
                    "composite/batch",
                    {
                        "haltOnError": False,
                        "batchRequests": [
                            {"method": "GET", "url": f"{self.data_path}/sobjects/{n}/describe"}
                            for n in chunk
                        ],
                    },
                    route="POST /composite/batch",
                )
            except SalesforceAPIError as exc:
                if exc.status != 404:
                    raise
                LOGGER.info("composite/batch unavailable (%s); describing one by one", exc)
                for name in chunk:
                    one = self.describe_one(name)
                    if one is not None:
                        found[name] = one
                continue
            for name, sub in zip(chunk, reply.get("results", []), strict=True):
                status = int(sub.get("statusCode", 0))
                result = sub.get("result")
                if status == 200 and isinstance(result, dict):
                    found[name] = result
                    continue
                codes = {str(e.get("errorCode")) for e in result or [] if isinstance(e, dict)}
                if status in (400, 404) and codes & MISSING_OBJECT_CODES:
                    continue  # the org has no such object
                LOGGER.warning("describe %s failed with HTTP %s; retrying alone", name, status)
                one = self.describe_one(name)
                if one is not None:
                    found[name] = one
        return found

    # --- writes -------------------------------------------------------------------

    @cached_property
    def collections(self) -> SObjectCollections:
        return SObjectCollections(self)

    def retrieve(
        self, sobject: str, ids: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Live records by Id (≤2000 per call); deleted or unknown ids are absent."""
        return self.collections.retrieve(sobject, ids, fields)

    def upsert(
        self, sobject: str, external_id_field: str, records: Sequence[Mapping[str, Any]]
    ) -> list[SaveResult]:
        """Upsert ≤200 records by an external-id field."""
        return self.collections.upsert(sobject, external_id_field, records)

    def update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[SaveResult]:
        """Update ≤200 records by ``Id``."""
        return self.collections.update(sobject, records)

    def delete(self, ids: Sequence[str]) -> list[SaveResult]:
        """Delete ≤200 records by Id."""
        return self.collections.delete(ids)

    def bulk_query(self, soql: str, **options: Any) -> BulkQuery:
        """A Bulk 2.0 query job (created when its rows are first read)."""
        return BulkQuery(self, soql, **options)

    def bulk_ingest(
        self,
        sobject: str,
        operation: str,
        key: str,
        records: Iterable[Mapping[str, Any]],
        external_id_field: str | None = None,
        *,
        columns: Sequence[str] | None = None,
    ) -> dict[str, SaveResult]:
        """One Bulk 2.0 ingest job; results by the ``key`` column's value (``records`` a
        generator when ``columns`` is given: see :func:`~crm_sync.salesforce.bulk.bulk_ingest`)."""
        return bulk_ingest(
            self, sobject, operation, key, records, columns=columns,
            external_id_field=external_id_field, poll_s=self.settings.bulk_poll_s,
        )  # fmt: skip
