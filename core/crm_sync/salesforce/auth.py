"""Salesforce OAuth: one session token for every call of a run, renewed on demand.

Flows (``/services/oauth2/token`` grants): client credentials, refresh token,
username-password (password + security token) and JWT bearer; or a session token given
directly (``access_token`` + ``instance_url``). A direct token is used first when given;
when Salesforce rejects it (401 ``INVALID_SESSION_ID``) the client logs in again through
whichever other flow the settings allow.

Salesforce's token reply carries ``instance_url`` (the org's API host) and no
``expires_in``: a token lives until it is rejected, so renewal is driven by 401s. The
login call goes through the run's :class:`~crm_sync.http.ResilientSession` (the same TLS
verification, retries of 5xx/429 and call counting as every other call).
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from crm_sync.salesforce.settings import SalesforceAuthError, SalesforceSettings

if TYPE_CHECKING:
    from crm_sync.http import ResilientSession

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/services/oauth2/token"
TOKEN_ROUTE = f"POST {TOKEN_PATH}"


class SalesforceAuthenticator(requests.auth.AuthBase):
    """Bearer token from a direct session or an OAuth grant; thread-safe.

    ``invalidate(token)`` (after a 401) makes the next :meth:`token` log in again.
    """

    def __init__(self, settings: SalesforceSettings, session: ResilientSession) -> None:
        self.settings = settings
        self.flow = settings.flow  # raises for an incomplete explicit flow
        self.auth_endpoint = f"{settings.login_url}{TOKEN_PATH}"
        self._direct_token = settings.access_token
        if self._direct_token is None and self.flow is None:
            raise SalesforceAuthError(
                "no Salesforce credentials: set access_token (+ instance_url), or "
                "client_id with client_secret / refresh_token / username+password / "
                "a private key for the JWT bearer flow"
            )
        self._session = session
        self.instance_url: str | None = settings.instance_url
        self.access_token: str | None = None
        self.logins = 0
        self._lock = threading.Lock()

    # --- the token request ---------------------------------------------------------

    def grant(self) -> dict[str, str]:
        """The token request body of this flow."""
        s = self.settings
        if self.flow == "client_credentials":
            return {
                "grant_type": "client_credentials",
                "client_id": str(s.client_id),
                "client_secret": str(s.client_secret),
            }
        if self.flow == "refresh_token":
            body = {
                "grant_type": "refresh_token",
                "refresh_token": str(s.refresh_token),
                "client_id": str(s.client_id),
            }
            if s.client_secret:
                body["client_secret"] = s.client_secret
            return body
        if self.flow == "password":
            return {
                "grant_type": "password",
                "client_id": str(s.client_id),
                "client_secret": str(s.client_secret),
                "username": str(s.username),
                "password": f"{s.password}{s.security_token or ''}",
            }
        if self.flow == "jwt":
            return {"grant_type": JWT_GRANT, "assertion": self.jwt_assertion()}
        raise SalesforceAuthError(
            "Salesforce rejected the access_token (INVALID_SESSION_ID) and no other "
            "credentials are configured to log in again"
        )

    def jwt_assertion(self) -> str:
        """RS256 JWT {iss: consumer key, sub: username, aud: login host, exp: +3 min}."""
        s = self.settings
        pem = s.private_key or Path(str(s.private_key_path)).read_text(encoding="utf-8")
        key: Any = pem
        if s.private_key_passphrase:
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_pem_private_key(
                pem.encode(), password=s.private_key_passphrase.encode()
            )
        claims = {
            "iss": s.client_id,
            "sub": s.username,
            "aud": s.jwt_audience or s.login_url,
            "exp": math.floor((datetime.now(UTC) + timedelta(minutes=3)).timestamp()),
        }
        import jwt  # here: only the JWT flow needs PyJWT (and cryptography), not every start

        return jwt.encode(claims, key, algorithm="RS256")

    def _login(self) -> None:
        if self._direct_token is not None:  # used once; a rejection means log in
            if not self.instance_url:
                raise SalesforceAuthError("access_token needs instance_url to be set as well")
            self.access_token, self._direct_token = self._direct_token, None
            return
        body = self.grant()  # raises when no flow can log in
        try:
            reply = self._session.request("POST", self.auth_endpoint, data=body, route=TOKEN_ROUTE)
        except requests.RequestException as exc:
            raise SalesforceAuthError(
                f"Salesforce login ({self.flow}) to {self.auth_endpoint} failed: {exc}"
            ) from exc
        if reply.status_code != 200:
            raise SalesforceAuthError(
                f"Salesforce login ({self.flow}) to {self.auth_endpoint} refused "
                f"with HTTP {reply.status_code}: {_oauth_error(reply)}"
            )
        data = reply.json()
        self.access_token = str(data["access_token"])
        if not self.settings.instance_url and data.get("instance_url"):
            self.instance_url = str(data["instance_url"]).rstrip("/")
        self.logins += 1

    # --- used by the client ----------------------------------------------------------

    def token(self) -> str:
        """The current token, logging in first when there is none."""
        with self._lock:
            if self.access_token is None:
                self._login()
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


def _oauth_error(reply: requests.Response) -> str:
    try:
        detail = reply.json()
    except ValueError:
        return reply.text[:300]
    if isinstance(detail, dict):
        return f"{detail.get('error')}: {detail.get('error_description')}"
    return str(detail)[:300]
