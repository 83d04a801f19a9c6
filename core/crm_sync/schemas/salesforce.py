"""Salesforce describe of chosen objects: a session (direct token or OAuth) and
``/composite/batch`` with up to 25 describe subrequests per call.

Cost: ``ceil(n / 25)`` calls for ``n`` objects, plus one token call when the settings
give OAuth credentials instead of a session token. An object the org does not have
(subrequest 404 ``NOT_FOUND`` / 400 ``INVALID_TYPE``) is left out of the result, so the
caller reports it as unknown rather than failing the whole fetch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from crm_sync.http import ResilientSession
from crm_sync.schemas.errors import LiveSchemaError

BATCH_LIMIT = 25  # subrequests per /composite/batch call
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_VERSION = "62.0"
_MISSING_OBJECT_CODES = {"NOT_FOUND", "INVALID_TYPE"}


@dataclass(frozen=True)
class SalesforceSettings:
    """Where and how to reach the org. Either a session (``access_token`` +
    ``instance_url``) or OAuth credentials posted to ``login_url``: client credentials
    (``client_id`` + ``client_secret``), a refresh token, or username-password."""

    instance_url: str | None = None
    access_token: str | None = None
    login_url: str = DEFAULT_LOGIN_URL
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    api_version: str = DEFAULT_API_VERSION
    ca_bundle: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], prefix: str = "") -> SalesforceSettings:
        """Settings from ``config`` keys ``{prefix}instance_url`` etc. (blank = unset)."""

        def get(key: str) -> str | None:
            value = config.get(f"{prefix}{key}")
            return str(value) if value not in (None, "") else None

        return cls(
            instance_url=get("instance_url"),
            access_token=get("access_token"),
            login_url=get("login_url") or DEFAULT_LOGIN_URL,
            client_id=get("client_id"),
            client_secret=get("client_secret"),
            refresh_token=get("refresh_token"),
            username=get("username"),
            password=get("password"),
            security_token=get("security_token"),
            api_version=(get("api_version") or DEFAULT_API_VERSION).lstrip("v"),
            ca_bundle=get("ca_bundle"),
        )

    @property
    def login_grant(self) -> dict[str, str] | None:
        """The OAuth token request body these settings allow, if any."""
        if self.client_id and self.refresh_token:
            body = {
                "grant_type": "refresh_token",
                "refresh_token": self.refresh_token,
                "client_id": self.client_id,
            }
            if self.client_secret:
                body["client_secret"] = self.client_secret
            return body
        if self.client_id and self.client_secret and self.username and self.password:
            return {
                "grant_type": "password",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "username": self.username,
                "password": f"{self.password}{self.security_token or ''}",
            }
        if self.client_id and self.client_secret:
            return {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        return None

    @property
    def configured(self) -> bool:
        return bool(self.access_token and self.instance_url) or self.login_grant is not None


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if isinstance(body, list) and body and isinstance(body[0], dict):
        first = body[0]
        return f"HTTP {response.status_code} {first.get('errorCode')}: {first.get('message')}"
    if isinstance(body, dict) and "error" in body:
        return f"HTTP {response.status_code} {body['error']}: {body.get('error_description')}"
    return f"HTTP {response.status_code}: {json.dumps(body)[:300]}"


class SalesforceDescriber:
    """Describes sObjects for validation (and for anyone else needing field metadata)."""

    def __init__(self, settings: SalesforceSettings, session: ResilientSession) -> None:
        if not settings.configured:
            raise LiveSchemaError(
                "salesforce",
                "no credentials: set salesforce_access_token + salesforce_instance_url, or "
                "salesforce_client_id with salesforce_client_secret / salesforce_refresh_token",
            )
        self.settings = settings
        self.session = session
        self.instance_url = (settings.instance_url or "").rstrip("/") or None
        self._token = settings.access_token if settings.instance_url else None

    # --- session -------------------------------------------------------------------

    def _login(self) -> None:
        grant = self.settings.login_grant
        if grant is None:
            raise LiveSchemaError(
                "salesforce",
                "the access token was rejected (INVALID_SESSION_ID) and no OAuth credentials "
                "are set to log in again (salesforce_client_id + salesforce_client_secret)",
            )
        url = f"{self.settings.login_url.rstrip('/')}/services/oauth2/token"
        try:
            reply = self.session.request("POST", url, data=grant)
        except requests.RequestException as exc:
            raise LiveSchemaError("salesforce", f"login to {url} failed: {exc}") from exc
        if reply.status_code != 200:
            raise LiveSchemaError(
                "salesforce", f"login ({grant['grant_type']}) refused: {_error_text(reply)}"
            )
        data = reply.json()
        self._token = str(data["access_token"])
        if not self.settings.instance_url:
            self.instance_url = str(data["instance_url"]).rstrip("/")

    def _post(self, path: str, body: Any) -> requests.Response:
        if self._token is None:
            self._login()
        for attempt in (1, 2):
            url = f"{self.instance_url}/services/data/v{self.settings.api_version}/{path}"
            try:
                reply = self.session.request(
                    "POST",
                    url,
                    json=body,
                    headers={"Authorization": f"Bearer {self._token}"},
                )
            except requests.RequestException as exc:
                raise LiveSchemaError("salesforce", f"POST {url} failed: {exc}") from exc
            if reply.status_code == 401 and attempt == 1:
                self._login()  # the session expired or the direct token was revoked
                continue
            if reply.status_code >= 400:
                raise LiveSchemaError("salesforce", f"POST {path}: {_error_text(reply)}")
            return reply
        raise AssertionError("unreachable")

    # --- describe ------------------------------------------------------------------

    def describe(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{name as asked: describe}`` for each object the org has (others left out)."""
        unique = list(dict.fromkeys(names))
        prefix = f"/services/data/v{self.settings.api_version}"
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(unique), BATCH_LIMIT):
            chunk = unique[start : start + BATCH_LIMIT]
            body = {
                "haltOnError": False,
                "batchRequests": [
                    {"method": "GET", "url": f"{prefix}/sobjects/{name}/describe"} for name in chunk
                ],
            }
            results = self._post("composite/batch", body).json().get("results", [])
            for name, sub in zip(chunk, results, strict=True):
                status = int(sub.get("statusCode", 0))
                result = sub.get("result")
                if status == 200 and isinstance(result, dict):
                    found[name] = result
                    continue
                codes = {str(e.get("errorCode")) for e in result or [] if isinstance(e, dict)}
                if status in (400, 404) and codes & _MISSING_OBJECT_CODES:
                    continue  # the org has no such object: the validator says so
                raise LiveSchemaError(
                    "salesforce", f"describe {name}: HTTP {status} {json.dumps(result)[:300]}"
                )
        return found
