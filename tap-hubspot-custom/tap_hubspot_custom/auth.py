"""One authenticator per tap run: a private-app token, or OAuth's refresh-token grant.

The OAuth flow posts ``grant_type=refresh_token`` form data to ``{base_url}/oauth/v1/token``
(HubSpot's token endpoint) and refreshes before ``expires_in`` runs out, or at once
after a 401 (:meth:`HubSpotOAuthAuthenticator.invalidate`). TLS is verified against
``ca_bundle`` when given, never switched off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.authenticators import BearerTokenAuthenticator, OAuthAuthenticator
from singer_sdk.exceptions import ConfigValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from singer_sdk.authenticators import APIAuthenticatorBase

TOKEN_PATH = "/oauth/v1/token"
OAUTH_KEYS = ("client_id", "client_secret", "refresh_token")


class HubSpotOAuthAuthenticator(OAuthAuthenticator):
    """OAuth 2.0 refresh-token grant against HubSpot's token endpoint."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        ca_bundle: str | None = None,
    ) -> None:
        super().__init__(
            auth_endpoint=base_url.rstrip("/") + TOKEN_PATH,
            client_id=client_id,
            client_secret=client_secret,
            default_expiration=1800,
            oauth_headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self._refresh_token = refresh_token
        if ca_bundle:
            self._session.verify = ca_bundle

    @property
    def oauth_request_body(self) -> dict[str, Any]:
        return {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self._refresh_token,
        }

    def update_access_token(self) -> None:
        super().update_access_token()
        self.expires_in = max(60, (self.expires_in or 1800) - 60)  # refresh a minute early

    def invalidate(self) -> None:
        """Forget the access token (after a 401): the next request fetches a new one."""
        self.last_refreshed = None


def build_authenticator(config: Mapping[str, Any]) -> APIAuthenticatorBase:
    """The private-app token when set, else the OAuth refresh-token grant."""
    token = config.get("access_token")
    if token:
        return BearerTokenAuthenticator(token=str(token))
    missing = [k for k in OAUTH_KEYS if not config.get(k)]
    if missing:
        raise ConfigValidationError(
            "HubSpot credentials missing: set access_token (private app), or all of "
            f"client_id, client_secret and refresh_token (OAuth); missing {', '.join(missing)}"
        )
    return HubSpotOAuthAuthenticator(
        base_url=str(config.get("base_url") or "https://api.hubapi.com"),
        client_id=str(config["client_id"]),
        client_secret=str(config["client_secret"]),
        refresh_token=str(config["refresh_token"]),
        ca_bundle=config.get("ca_bundle"),
    )
