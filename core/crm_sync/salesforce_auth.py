"""Salesforce OAuth: one shared session token for discovery, REST, Bulk and write calls.

Flows (Salesforce's ``/services/oauth2/token`` grants): client credentials, refresh
token, username-password (password + security token) and JWT bearer; or a session
token given directly (``access_token`` + ``instance_url``). A direct token is used
first when given; when Salesforce rejects it (401 ``INVALID_SESSION_ID``) the tap
logs in again through whichever other flow the settings allow.

Salesforce's token reply carries ``instance_url`` (the org's API host) and no
``expires_in``: a token lives until it is rejected, so refreshing is driven by 401s.
"""

from __future__ import annotations

import math
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.helpers._util import utc_now
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

if TYPE_CHECKING:
    from collections.abc import Mapping

FLOWS = ("auto", "access_token", "client_credentials", "refresh_token", "password", "jwt")
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class _LoginUnavailable(RuntimeError):
    """The token endpoint answered 5xx/429: worth another try."""


class SalesforceAuthError(RuntimeError):
    """Login failed or no flow can produce a session; the message names the flow."""


def _has(config: Mapping[str, Any], *keys: str) -> bool:
    return all(config.get(k) for k in keys)


def login_flow(config: Mapping[str, Any]) -> str | None:
    """The OAuth grant the settings allow (None: only a direct access token).

    With ``auth_flow: auto`` the first complete set wins: JWT (private key), refresh
    token, username-password, client credentials.
    """
    wanted = config.get("auth_flow") or "auto"
    if wanted not in FLOWS:
        raise SalesforceAuthError(f"auth_flow must be one of {', '.join(FLOWS)}, not {wanted!r}")
    needs = {
        "jwt": ("client_id", "username"),
        "refresh_token": ("client_id", "refresh_token"),
        "password": ("client_id", "client_secret", "username", "password"),
        "client_credentials": ("client_id", "client_secret"),
    }
    has_key = _has(config, "private_key") or _has(config, "private_key_path")
    if wanted == "access_token":
        return None
    if wanted != "auto":
        missing = [k for k in needs[wanted] if not config.get(k)]
        if wanted == "jwt" and not has_key:
            missing.append("private_key or private_key_path")
        if missing:
            raise SalesforceAuthError(
                f"auth_flow {wanted!r} needs the setting(s): {', '.join(missing)}"
            )
        return wanted
    for flow in ("jwt", "refresh_token", "password", "client_credentials"):
        if _has(config, *needs[flow]) and (flow != "jwt" or has_key):
            return flow
    return None


class SalesforceAuthenticator(OAuthAuthenticator):
    """Bearer token from a direct session or an OAuth grant, renewed on demand.

    ``invalidate()`` (called on a 401 ``INVALID_SESSION_ID``) makes the next request
    log in again. Thread-safe, since a tap may share it between streams.
    """

    def __init__(self, config: Mapping[str, Any], session: requests.Session) -> None:
        login_url = str(config.get("login_url") or "https://login.salesforce.com").rstrip("/")
        super().__init__(
            auth_endpoint=f"{login_url}/services/oauth2/token",
            client_id=config.get("client_id"),
            client_secret=config.get("client_secret"),
        )
        self._cfg = config
        self.login_url = login_url
        self.flow = login_flow(config)
        self._direct_token: str | None = config.get("access_token") or None
        if self._direct_token is None and self.flow is None:
            raise SalesforceAuthError(
                "no Salesforce credentials: set access_token (+ instance_url), or "
                "client_id with client_secret / refresh_token / username+password / "
                "a private key for the JWT bearer flow"
            )
        # Token calls verify TLS like every other call (the sandbox CA, a corporate CA).
        self._session = session
        self.instance_url: str | None = config.get("instance_url") or None
        self.logins = 0
        self._lock = threading.Lock()

    # --- OAuthAuthenticator hooks ------------------------------------------------

    @property
    def oauth_request_body(self) -> dict[str, Any]:
        cfg = self._cfg
        if self.flow == "client_credentials":
            return {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        if self.flow == "refresh_token":
            body = {
                "grant_type": "refresh_token",
                "refresh_token": cfg["refresh_token"],
                "client_id": self.client_id,
            }
            if self.client_secret:
                body["client_secret"] = self.client_secret
            return body
        if self.flow == "password":
            return {
                "grant_type": "password",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "username": cfg["username"],
                "password": f"{cfg['password']}{cfg.get('security_token') or ''}",
            }
        if self.flow == "jwt":
            return {"grant_type": JWT_GRANT, "assertion": self._jwt_assertion()}
        raise SalesforceAuthError(
            "Salesforce rejected the access_token (INVALID_SESSION_ID) and no other "
            "credentials are configured to log in again"
        )

    def _jwt_assertion(self) -> str:
        """RS256 JWT {iss: consumer key, sub: username, aud: login host, exp: +3 min}."""
        cfg = self._cfg
        key = cfg.get("private_key") or Path(cfg["private_key_path"]).read_text()
        if cfg.get("private_key_passphrase"):
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_pem_private_key(
                key.encode(), password=str(cfg["private_key_passphrase"]).encode()
            )
        now = utc_now()
        claims = {
            "iss": self.client_id,
            "sub": cfg["username"],
            "aud": cfg.get("jwt_audience") or self.login_url,
            "exp": math.floor((now + timedelta(minutes=3)).timestamp()),
        }
        return jwt.encode(claims, key, algorithm="RS256")

    def is_token_valid(self) -> bool:
        return self.access_token is not None

    def update_access_token(self) -> None:
        """Log in (or take the direct token the first time) and keep ``instance_url``."""
        if self._direct_token is not None:  # used once; a rejection means log in
            if not self.instance_url:
                raise SalesforceAuthError("access_token needs instance_url to be set as well")
            self.access_token, self._direct_token = self._direct_token, None
            self.last_refreshed = utc_now()
            return
        body = self.oauth_request_body  # raises when no flow can log in
        self.logger.info("Requesting a Salesforce session (%s flow)", self.flow)
        retrying = Retrying(
            retry=retry_if_exception_type((requests.RequestException, _LoginUnavailable)),
            stop=stop_after_attempt(int(self._cfg.get("max_retries", 5))),
            wait=wait_exponential(multiplier=float(self._cfg.get("retry_wait_seconds", 1.0))),
            reraise=True,
        )
        try:
            reply = retrying(self._post_login, body)
        except (requests.RequestException, _LoginUnavailable) as exc:
            raise SalesforceAuthError(
                f"Salesforce login ({self.flow}) to {self.auth_endpoint} failed: {exc}"
            ) from exc
        if reply.status_code != 200:
            try:
                detail = reply.json()
                text = f"{detail.get('error')}: {detail.get('error_description')}"
            except (ValueError, AttributeError):
                text = reply.text[:300]
            raise SalesforceAuthError(
                f"Salesforce login ({self.flow}) to {self.auth_endpoint} refused "
                f"with HTTP {reply.status_code}: {text}"
            )
        data = reply.json()
        self.access_token = data["access_token"]
        if not self._cfg.get("instance_url") and data.get("instance_url"):
            self.instance_url = str(data["instance_url"]).rstrip("/")
        self.last_refreshed = utc_now()
        self.logins += 1

    def _post_login(self, body: dict[str, Any]) -> requests.Response:
        reply = self._session.post(
            self.auth_endpoint, data=body, timeout=60, verify=self._session.verify
        )
        if reply.status_code >= 500 or reply.status_code == 429:
            raise _LoginUnavailable(f"HTTP {reply.status_code}")
        return reply

    # --- used by the client ----------------------------------------------------

    def token(self) -> str:
        """The current token, logging in first when there is none."""
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            assert self.access_token is not None
            return self.access_token

    def invalidate(self, rejected: str) -> None:
        """Forget ``rejected`` (unless another thread already replaced it)."""
        with self._lock:
            if self.access_token == rejected:
                self.access_token = None

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request
