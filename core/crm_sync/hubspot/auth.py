"""HubSpot authentication: a private-app token, or OAuth's refresh-token grant.

The OAuth flow posts ``grant_type=refresh_token`` form data to ``{base_url}/oauth/v1/token``
and renews the access token a minute before ``expires_in`` runs out, or at once after a
401 (:meth:`HubSpotAuthenticator.invalidate`). The token call goes through the run's
session (TLS against the configured CA, retries, counting).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import requests

from crm_sync.hubspot.settings import HubSpotAuthError, HubSpotSettings

if TYPE_CHECKING:
    from crm_sync.http import ResilientSession

TOKEN_PATH = "/oauth/v1/token"
EARLY_S = 60.0
DEFAULT_EXPIRY_S = 1800.0


class _NoAuth(requests.auth.AuthBase):
    """The token request itself carries no bearer token (the session's auth is ours)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class HubSpotAuthenticator(requests.auth.AuthBase):
    """Sets ``Authorization: Bearer …`` on each request; thread-safe."""

    def __init__(self, settings: HubSpotSettings, session: ResilientSession) -> None:
        if not settings.configured:
            raise HubSpotAuthError("HubSpot credentials missing: " + settings.missing())
        self.settings = settings
        self._session = session
        self._token: str | None = settings.access_token
        self._expires_at = float("inf") if settings.access_token else 0.0
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def oauth(self) -> bool:
        return self.settings.access_token is None

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                self._refresh()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget an OAuth access token HubSpot rejected (a private-app token stays)."""
        if self.oauth:
            with self._lock:
                self._token = None

    def _refresh(self) -> None:
        s = self.settings
        url = f"{s.base_url.rstrip('/')}{TOKEN_PATH}"
        reply = self._session.request(
            "POST",
            url,
            data={
                "grant_type": "refresh_token",
                "client_id": s.client_id,
                "client_secret": s.client_secret,
                "refresh_token": s.refresh_token,
            },
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=_NoAuth(),
            route=f"POST {TOKEN_PATH}",
        )
        if reply.status_code != 200:
            raise HubSpotAuthError(
                f"HubSpot OAuth refresh at {url} refused with HTTP {reply.status_code}: "
                f"{reply.text[:300]}"
            )
        data = reply.json()
        self._token = str(data["access_token"])
        lifetime = float(data.get("expires_in") or DEFAULT_EXPIRY_S)
        self._expires_at = time.monotonic() + max(EARLY_S, lifetime - EARLY_S)
        self.refreshes += 1

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request
